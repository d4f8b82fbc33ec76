//! The console's errors and their one wire format: `{"error": {"code", "message"}}`.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;
use serde_json::json;

/// Why a console request was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// Credentials are configured and the request carries no live session.
    #[error("sign in to the console first")]
    SignIn,
    /// The access key id or secret given at sign-in is wrong.
    #[error("the access key id or the secret access key is wrong")]
    InvalidCredentials,
    /// A web page of another origin, a foreign `Host`, or a missing or wrong CSRF token.
    #[error("{0}")]
    Forbidden(String),
    /// A body of a type the endpoint does not take (a cross-site form's types among them).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// No such endpoint, function, bucket, object, event or dead letter.
    #[error("{0}")]
    NotFound(String),
    /// Malformed input.
    #[error("{0}")]
    BadRequest(String),
    /// The body is over the endpoint's limit.
    #[error("{0}")]
    TooLarge(String),
    /// Too many live streams or bodies in memory.
    #[error("{0}")]
    Busy(String),
    /// The body did not arrive in time.
    #[error("{0}")]
    Timeout(String),
    /// The host failed (a store or file error); the details are logged.
    #[error("{what}: {detail}")]
    Internal {
        /// What was being done.
        what: &'static str,
        /// What went wrong.
        detail: String,
    },
}

impl ConsoleError {
    /// An internal error while doing `what`.
    pub(crate) fn internal(what: &'static str, err: impl std::fmt::Display) -> Self {
        Self::Internal {
            what,
            detail: err.to_string(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::SignIn | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Busy(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `code` field.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SignIn => "SignInRequired",
            Self::InvalidCredentials => "InvalidCredentials",
            Self::Forbidden(_) => "Forbidden",
            Self::UnsupportedMediaType(_) => "UnsupportedMediaType",
            Self::NotFound(_) => "NotFound",
            Self::BadRequest(_) => "BadRequest",
            Self::TooLarge(_) => "TooLarge",
            Self::Busy(_) => "Busy",
            Self::Timeout(_) => "Timeout",
            Self::Internal { .. } => "InternalError",
        }
    }

    /// The response: internal details are logged, not sent.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let message = match &self {
            Self::Internal { what, detail } => {
                tracing::error!(%what, %detail, "console request failed");
                format!("{what} failed; the host's log has the details")
            }
            other => other.to_string(),
        };
        let body = json!({ "error": { "code": self.code(), "message": message } });
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = self.status();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl From<fnhost_edge::BodyError> for ConsoleError {
    fn from(err: fnhost_edge::BodyError) -> Self {
        use fnhost_edge::BodyError;
        match err {
            BodyError::TooLarge { .. } => Self::TooLarge(err.to_string()),
            BodyError::TimedOut(_) => Self::Timeout(err.to_string()),
            BodyError::Busy { .. } => Self::Busy(err.to_string()),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

impl From<fnhost_store::StoreError> for ConsoleError {
    fn from(err: fnhost_store::StoreError) -> Self {
        Self::internal("reading or writing the state database", err)
    }
}
