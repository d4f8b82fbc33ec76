//! Every way a request can fail, mapped to API Gateway's statuses and bodies in one place.
//!
//! Clients get the documented generic body (`{"message":"Not Found"}` and so on); the detail
//! goes to the log with the request id.

use std::time::Duration;

use bytes::Bytes;
use fnhost_dispatch::DispatchError;
use fnhost_edge::BodyError;
use fnhost_runtime::RuntimeError;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};
use http_body_util::Full;

/// Why a request did not get the function's own response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// No route matches the method and path.
    #[error("no route for `{method} {path}`")]
    NotFound {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
    /// The body (or the event built from it) is over the limit.
    #[error("request body is over {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request body could not be read.
    #[error("cannot read the request body: {0}")]
    BadRequest(String),
    /// The client did not send the whole body within the body read timeout.
    #[error("request body not received within {} ms", .0.as_millis())]
    RequestTimeout(Duration),
    /// Concurrency limits reached.
    #[error("throttled: {reason}")]
    Throttled {
        /// Lambda's `Reason`.
        reason: String,
        /// `Retry-After`.
        retry_after: Duration,
    },
    /// The function failed or answered with something that is not a proxy response.
    #[error("{0}")]
    BadGateway(String),
    /// The function ran past its timeout.
    #[error("function timed out")]
    GatewayTimeout,
    /// fnhost could not run the function.
    #[error("{0}")]
    Internal(String),
    /// A function URL id that no URL has, or whose function or alias is gone (Lambda's 403
    /// `{"Message":null}`).
    #[error("no function URL `{url_id}`")]
    UnknownUrl {
        /// The id asked for.
        url_id: String,
    },
    /// A request for an `AWS_IAM` function URL without a valid signature (403 `Forbidden`).
    #[error("function URL `{url_id}` needs a SigV4 signature with fnhost's credentials: {reason}")]
    UrlForbidden {
        /// The URL id.
        url_id: String,
        /// Why the signature was refused (logged only).
        reason: String,
    },
    /// The function behind a function URL failed, or its answer is not a valid response (502
    /// with Lambda's text body `Internal Server Error`).
    #[error("{0}")]
    UrlFunctionFailed(String),
}

impl From<BodyError> for HttpError {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::TooLarge { limit } => HttpError::PayloadTooLarge { limit },
            BodyError::TimedOut(after) => HttpError::RequestTimeout(after),
            // Other bodies fill the memory budget: throttled like a full queue.
            busy @ BodyError::Busy { .. } => HttpError::Throttled {
                reason: busy.to_string(),
                retry_after: Duration::from_secs(1),
            },
            other => HttpError::BadRequest(other.to_string()),
        }
    }
}

impl From<DispatchError> for HttpError {
    /// An invocation that never ran, as API Gateway answers it.
    fn from(err: DispatchError) -> Self {
        match err {
            DispatchError::Throttled {
                reason,
                retry_after,
                ..
            } => HttpError::Throttled {
                reason: reason.as_str().to_owned(),
                retry_after,
            },
            DispatchError::Runtime(RuntimeError::EventTooLarge { limit }) => {
                HttpError::PayloadTooLarge { limit }
            }
            other => HttpError::Internal(other.to_string()),
        }
    }
}

impl HttpError {
    /// The status sent to the client.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::UnknownUrl { .. } | Self::UrlForbidden { .. } => StatusCode::FORBIDDEN,
            Self::UrlFunctionFailed(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// API Gateway's message for this status.
    fn message(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "Not Found",
            Self::PayloadTooLarge { .. } => "Request Entity Too Large",
            Self::BadRequest(_) => "Bad Request",
            Self::RequestTimeout(_) => "Request Timeout",
            Self::Throttled { .. } => "Too Many Requests",
            Self::BadGateway(_) => "Internal server error",
            Self::GatewayTimeout => "Endpoint request timed out",
            Self::Internal(_) | Self::UrlFunctionFailed(_) => "Internal Server Error",
            Self::UnknownUrl { .. } | Self::UrlForbidden { .. } => "Forbidden",
        }
    }

    /// The body and its content type: API Gateway's `{"message":…}`, or what Lambda's function
    /// URLs send.
    fn body(&self) -> (String, &'static str) {
        match self {
            Self::UnknownUrl { .. } => (r#"{"Message":null}"#.to_owned(), "application/json"),
            Self::UrlForbidden { .. } => {
                (r#"{"Message":"Forbidden"}"#.to_owned(), "application/json")
            }
            Self::UrlFunctionFailed(_) => (self.message().to_owned(), "text/plain; charset=utf-8"),
            _ => (
                format!(r#"{{"message":"{}"}}"#, self.message()),
                "application/json",
            ),
        }
    }

    /// The response for this error; the detail is logged with `request_id`, not sent.
    pub fn into_response(self, request_id: &str) -> Response<Full<Bytes>> {
        match &self {
            Self::NotFound { .. } | Self::UnknownUrl { .. } => {
                tracing::debug!(request_id, "{self}")
            }
            Self::Internal(_) => tracing::error!(request_id, "{self}"),
            _ => tracing::warn!(request_id, "{self}"),
        }
        let (body, content_type) = self.body();
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if matches!(self, Self::UnknownUrl { .. } | Self::UrlForbidden { .. }) {
            headers.insert(
                "x-amzn-ErrorType",
                HeaderValue::from_static("AccessDeniedException"),
            );
        }
        if let Ok(id) = HeaderValue::from_str(request_id) {
            headers.insert("apigw-requestid", id);
        }
        if let Self::Throttled { retry_after, .. } = &self {
            headers.insert(RETRY_AFTER, HeaderValue::from(retry_after.as_secs().max(1)));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    async fn text(r: Response<Full<Bytes>>) -> String {
        let body = r.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn errors_get_api_gateway_bodies_and_no_internal_detail() {
        let cases = [
            (
                HttpError::NotFound {
                    method: "GET".into(),
                    path: "/x".into(),
                },
                404,
                r#"{"message":"Not Found"}"#,
            ),
            (
                HttpError::PayloadTooLarge { limit: 6 },
                413,
                r#"{"message":"Request Entity Too Large"}"#,
            ),
            (
                HttpError::RequestTimeout(Duration::from_secs(30)),
                408,
                r#"{"message":"Request Timeout"}"#,
            ),
            (
                HttpError::BadGateway("secret detail".into()),
                502,
                r#"{"message":"Internal server error"}"#,
            ),
            (
                HttpError::GatewayTimeout,
                504,
                r#"{"message":"Endpoint request timed out"}"#,
            ),
            (
                HttpError::Internal("disk on fire".into()),
                500,
                r#"{"message":"Internal Server Error"}"#,
            ),
        ];
        for (err, status, body) in cases {
            let r = err.into_response("id-1");
            assert_eq!(r.status().as_u16(), status);
            assert_eq!(r.headers()["content-type"], "application/json");
            assert_eq!(r.headers()["apigw-requestid"], "id-1");
            assert_eq!(text(r).await, body);
        }
    }

    #[tokio::test]
    async fn function_url_errors_have_lambdas_bodies() {
        let r = HttpError::UnknownUrl { url_id: "x".into() }.into_response("id");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.headers()["x-amzn-errortype"], "AccessDeniedException");
        assert_eq!(text(r).await, r#"{"Message":null}"#);
        let r = HttpError::UrlForbidden {
            url_id: "x".into(),
            reason: "secret detail".into(),
        }
        .into_response("id");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(text(r).await, r#"{"Message":"Forbidden"}"#);
        let r = HttpError::UrlFunctionFailed("secret detail".into()).into_response("id");
        assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(text(r).await, "Internal Server Error");
    }

    #[tokio::test]
    async fn throttling_says_when_to_retry() {
        let r = HttpError::Throttled {
            reason: "ConcurrentInvocationLimitExceeded".into(),
            retry_after: Duration::from_millis(200),
        }
        .into_response("id");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[RETRY_AFTER], "1");
        assert_eq!(text(r).await, r#"{"message":"Too Many Requests"}"#);
    }
}
