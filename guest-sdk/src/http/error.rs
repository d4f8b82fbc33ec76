//! Why a request failed: [`Error`], and readable text for wasi:http's error codes.

use std::fmt;

pub use crate::bindings::wasi::http::types::ErrorCode;

/// Why a request failed.
///
/// [`Error::Http`] carries wasi:http's [`ErrorCode`]. When the host refused the request (not on
/// the function's `allowed_outbound_hosts`, a blocked network, too many connections, a response
/// over the size cap) the code is `internal-error` with the host's sentence, and `Display`
/// prints that sentence as it is: it names the function and the allow-list entry to add.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not an absolute `http` or `https` URL (or a redirect's `Location` does not
    /// resolve to one).
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The method is not an HTTP token.
    InvalidMethod(String),
    /// The host does not let a request carry this header: bad syntax, or a name it manages
    /// itself (`host`, `connection`, `transfer-encoding`, ...).
    InvalidHeader {
        /// The header's name.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The request failed on its way out or back, with wasi:http's error code.
    Http(ErrorCode),
    /// The server kept redirecting past the limit ([`super::Request::redirects`]).
    TooManyRedirects {
        /// The limit that was reached.
        limit: u32,
        /// The URL of the last redirect, not followed.
        url: String,
    },
    /// The value passed to [`super::Request::json`] could not be encoded.
    Json(serde_json::Error),
    /// A body stream or another wasi:http resource failed without an HTTP error code; the
    /// text says what.
    Io(String),
}

impl Error {
    /// The wasi:http error code, when the request failed with one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Http(code) => Some(code),
            _ => None,
        }
    }

    /// The host's refusal (`internal-error` with a message), when that is why it failed.
    pub fn host_message(&self) -> Option<&str> {
        match self {
            Error::Http(ErrorCode::InternalError(Some(message))) => Some(message),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl { url, reason } => write!(f, "invalid URL `{url}`: {reason}"),
            Error::InvalidMethod(method) => write!(f, "invalid HTTP method `{method}`"),
            Error::InvalidHeader { name, reason } => write!(f, "invalid header `{name}`: {reason}"),
            Error::Http(code) => describe(code, f),
            Error::TooManyRedirects { limit, url } => write!(
                f,
                "too many redirects: stopped after {limit} at a redirect to `{url}`"
            ),
            Error::Json(e) => write!(f, "could not encode the request body as JSON: {e}"),
            Error::Io(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Json(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        Error::Http(code)
    }
}

/// wasi:http's error code in words; the host's own message verbatim for `internal-error`.
fn describe(code: &ErrorCode, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let size = |f: &mut fmt::Formatter<'_>, what: &str, size: Option<u64>| match size {
        Some(n) => write!(f, "{what} larger than {n} bytes"),
        None => write!(f, "{what} too large"),
    };
    let field = |f: &mut fmt::Formatter<'_>, what: &str, name: &Option<String>| match name {
        Some(name) => write!(f, "{what} `{name}` too large"),
        None => write!(f, "{what} too large"),
    };
    match code {
        ErrorCode::InternalError(Some(message)) => f.write_str(message),
        ErrorCode::InternalError(None) => f.write_str("internal error"),
        ErrorCode::DnsTimeout => f.write_str("DNS lookup timed out"),
        ErrorCode::DnsError(p) => {
            f.write_str("DNS lookup failed")?;
            match (&p.rcode, p.info_code) {
                (Some(rcode), _) => write!(f, " ({rcode})"),
                (None, Some(info)) => write!(f, " (info code {info})"),
                (None, None) => Ok(()),
            }
        }
        ErrorCode::DestinationNotFound => f.write_str("destination not found"),
        ErrorCode::DestinationUnavailable => f.write_str("destination unavailable"),
        ErrorCode::DestinationIpProhibited => f.write_str("destination IP address prohibited"),
        ErrorCode::DestinationIpUnroutable => f.write_str("destination IP address unroutable"),
        ErrorCode::ConnectionRefused => f.write_str("connection refused"),
        ErrorCode::ConnectionTerminated => f.write_str("connection terminated"),
        ErrorCode::ConnectionTimeout => f.write_str("connection timed out"),
        ErrorCode::ConnectionReadTimeout => f.write_str("timed out reading from the connection"),
        ErrorCode::ConnectionWriteTimeout => f.write_str("timed out writing to the connection"),
        ErrorCode::ConnectionLimitReached => f.write_str("connection limit reached"),
        ErrorCode::TlsProtocolError => f.write_str("TLS protocol error"),
        ErrorCode::TlsCertificateError => f.write_str("TLS certificate error"),
        ErrorCode::TlsAlertReceived(p) => {
            f.write_str("TLS alert received")?;
            match (&p.alert_message, p.alert_id) {
                (Some(message), _) => write!(f, ": {message}"),
                (None, Some(id)) => write!(f, " ({id})"),
                (None, None) => Ok(()),
            }
        }
        ErrorCode::HttpRequestDenied => f.write_str("request denied"),
        ErrorCode::HttpRequestLengthRequired => f.write_str("request length required"),
        ErrorCode::HttpRequestBodySize(n) => match n {
            Some(n) => write!(
                f,
                "request body size does not match its content-length ({n} bytes)"
            ),
            None => f.write_str("request body size does not match its content-length"),
        },
        ErrorCode::HttpRequestMethodInvalid => f.write_str("invalid request method"),
        ErrorCode::HttpRequestUriInvalid => f.write_str("invalid request URI"),
        ErrorCode::HttpRequestUriTooLong => f.write_str("request URI too long"),
        ErrorCode::HttpRequestHeaderSectionSize(n) => {
            size(f, "request header section", n.map(u64::from))
        }
        ErrorCode::HttpRequestHeaderSize(p) => field(
            f,
            "request header",
            &p.as_ref().and_then(|p| p.field_name.clone()),
        ),
        ErrorCode::HttpRequestTrailerSectionSize(n) => {
            size(f, "request trailer section", n.map(u64::from))
        }
        ErrorCode::HttpRequestTrailerSize(p) => field(f, "request trailer", &p.field_name),
        ErrorCode::HttpResponseIncomplete => f.write_str("response incomplete"),
        ErrorCode::HttpResponseHeaderSectionSize(n) => {
            size(f, "response header section", n.map(u64::from))
        }
        ErrorCode::HttpResponseHeaderSize(p) => field(f, "response header", &p.field_name),
        ErrorCode::HttpResponseBodySize(n) => size(f, "response body", *n),
        ErrorCode::HttpResponseTrailerSectionSize(n) => {
            size(f, "response trailer section", n.map(u64::from))
        }
        ErrorCode::HttpResponseTrailerSize(p) => field(f, "response trailer", &p.field_name),
        ErrorCode::HttpResponseTransferCoding(coding) => match coding {
            Some(coding) => write!(f, "unsupported response transfer coding `{coding}`"),
            None => f.write_str("unsupported response transfer coding"),
        },
        ErrorCode::HttpResponseContentCoding(coding) => match coding {
            Some(coding) => write!(f, "unsupported response content coding `{coding}`"),
            None => f.write_str("unsupported response content coding"),
        },
        ErrorCode::HttpResponseTimeout => f.write_str("timed out waiting for the response"),
        ErrorCode::HttpUpgradeFailed => f.write_str("HTTP upgrade failed"),
        ErrorCode::HttpProtocolError => f.write_str("HTTP protocol error"),
        ErrorCode::LoopDetected => f.write_str("loop detected"),
        ErrorCode::ConfigurationError => f.write_str("configuration error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::wasi::http::types::{DnsErrorPayload, FieldSizePayload};

    #[test]
    fn host_refusals_are_shown_verbatim() {
        let message = "outbound request to http://127.0.0.1:9/x denied: function \"f\" may not \
                       reach http://127.0.0.1:9; add \"http://127.0.0.1:9\" to its \
                       allowed_outbound_hosts";
        let e = Error::from(ErrorCode::InternalError(Some(message.into())));
        assert_eq!(e.to_string(), message);
        assert_eq!(e.host_message(), Some(message));
        assert!(matches!(e.code(), Some(ErrorCode::InternalError(_))));
    }

    #[test]
    fn other_codes_read_as_words() {
        let text = |code: ErrorCode| Error::Http(code).to_string();
        assert_eq!(text(ErrorCode::ConnectionRefused), "connection refused");
        assert_eq!(text(ErrorCode::InternalError(None)), "internal error");
        assert_eq!(
            text(ErrorCode::HttpResponseBodySize(Some(33_554_432))),
            "response body larger than 33554432 bytes"
        );
        assert_eq!(
            text(ErrorCode::HttpResponseBodySize(None)),
            "response body too large"
        );
        assert_eq!(
            text(ErrorCode::DnsError(DnsErrorPayload {
                rcode: Some("NXDOMAIN".into()),
                info_code: None,
            })),
            "DNS lookup failed (NXDOMAIN)"
        );
        assert_eq!(
            text(ErrorCode::HttpResponseHeaderSize(FieldSizePayload {
                field_name: Some("set-cookie".into()),
                field_size: Some(70_000),
            })),
            "response header `set-cookie` too large"
        );
        assert_eq!(
            text(ErrorCode::HttpResponseTimeout),
            "timed out waiting for the response"
        );
        assert!(
            Error::Http(ErrorCode::ConnectionRefused)
                .host_message()
                .is_none()
        );
    }

    #[test]
    fn client_errors_name_the_value() {
        let e = Error::InvalidUrl {
            url: "ftp://h/".into(),
            reason: "unsupported scheme `ftp`; use http or https".into(),
        };
        assert_eq!(
            e.to_string(),
            "invalid URL `ftp://h/`: unsupported scheme `ftp`; use http or https"
        );
        assert!(e.code().is_none());
        let e = Error::TooManyRedirects {
            limit: 10,
            url: "http://h/loop".into(),
        };
        assert_eq!(
            e.to_string(),
            "too many redirects: stopped after 10 at a redirect to `http://h/loop`"
        );
        let json = serde_json::from_str::<u8>("x").unwrap_err();
        let e = Error::Json(json);
        assert!(std::error::Error::source(&e).is_some());
    }
}
