//! Every way an API request can fail, mapped to Lambda's wire format in one place: the code in
//! `x-amzn-ErrorType`, the status, and a JSON body with `Type` and the message under the key
//! the Lambda model uses for that error (`Message` for some, `message` for most).
//!
//! Client errors carry their message to the caller (it says what to fix); internal errors are
//! logged with the request id and the caller gets a generic text.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};
use http_body_util::Full;
use serde_json::json;

use fnhost_dispatch::DispatchError;
use fnhost_edge::BodyError;
use fnhost_runtime::RuntimeError;

use crate::sigv4::AuthError;

/// Why the API did not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No such function or version (`ResourceNotFoundException`, 404).
    #[error("Function not found: {arn}")]
    NotFound {
        /// The ARN asked for, qualified when a version was.
        arn: String,
    },
    /// No such layer or layer version (`ResourceNotFoundException`, 404), with Lambda's text
    /// `The resource you requested does not exist.`
    #[error("The resource you requested does not exist.")]
    ResourceMissing,
    /// Another missing resource, with Lambda's message for it, e.g. an alias
    /// (`ResourceNotFoundException`, 404).
    #[error("{0}")]
    Missing(String),
    /// The request clashes with what exists (`ResourceConflictException`, 409).
    #[error("{0}")]
    Conflict(String),
    /// A parameter has a value fnhost cannot accept (`InvalidParameterValueException`, 400).
    #[error("{0}")]
    InvalidParameter(String),
    /// A parameter breaks the model's constraints, e.g. a name pattern (`ValidationException`,
    /// 400).
    #[error("{0}")]
    Validation(String),
    /// A body, payload or package over Lambda's size limits (`RequestEntityTooLargeException`,
    /// 413).
    #[error("{0}")]
    TooLarge(String),
    /// The concurrency limits were reached (`TooManyRequestsException`, 429).
    #[error("Rate Exceeded.")]
    Throttled {
        /// Lambda's `Reason`.
        reason: &'static str,
        /// `Retry-After`.
        retry_after: Duration,
    },
    /// The body or the payload is not the JSON expected (`InvalidRequestContentException`, 400).
    #[error("{0}")]
    InvalidContent(String),
    /// The stored code would pass the quota (`CodeStorageExceededException`, 400).
    #[error("{0}")]
    CodeStorageExceeded(String),
    /// A `RevisionId` that is not the current one (`PreconditionFailedException`, 412).
    #[error(
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
    )]
    PreconditionFailed,
    /// No operation at this method and path (`UnknownOperationException`, 404).
    #[error("no operation at `{method} {path}`")]
    UnknownOperation {
        /// The method.
        method: String,
        /// The path.
        path: String,
    },
    /// SigV4 authentication failed (403).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The request is not one the admin listener takes from where it came: a `Host` it does not
    /// answer to, or an `Origin` other than its own (`AccessDeniedException`, 403).
    #[error("{0}")]
    AccessDenied(String),
    /// A body with a content type the operation does not take (`UnsupportedMediaTypeException`,
    /// 415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body did not arrive within the admin body timeout (`RequestTimeoutException`, 408).
    #[error("the request body did not arrive within {0} s")]
    BodyTimeout(u64),
    /// fnhost failed (`ServiceException`, 500); the detail is logged, not sent.
    #[error("{0}")]
    Internal(String),
}

impl From<DispatchError> for ApiError {
    /// An invocation that never ran, as `Invoke` answers it.
    fn from(err: DispatchError) -> Self {
        match err {
            DispatchError::UnknownFunction { name } => ApiError::NotFound {
                arn: crate::name::arn(&name),
            },
            DispatchError::Throttled {
                reason,
                retry_after,
                ..
            } => ApiError::Throttled {
                reason: reason.as_str(),
                retry_after,
            },
            DispatchError::Runtime(RuntimeError::EventTooLarge { limit }) => {
                ApiError::TooLarge(format!(
                    "Request must be smaller than {limit} bytes for the InvokeFunction operation"
                ))
            }
            DispatchError::Runtime(RuntimeError::InvalidEvent(e)) => {
                ApiError::InvalidContent(format!("Could not parse request body into json: {e}"))
            }
            other => ApiError::internal("invoking", other),
        }
    }
}

impl ApiError {
    /// A request body that was not read, as Lambda answers it for operation `op`.
    pub(crate) fn unread_body(err: BodyError, op: &str) -> Self {
        match err {
            BodyError::TooLarge { limit } => ApiError::TooLarge(format!(
                "Request must be smaller than {limit} bytes for the {op} operation"
            )),
            // Refused before a byte was read: the admin's budget of body bytes is full.
            BodyError::Busy { .. } => ApiError::Throttled {
                reason: "CallerRateLimitExceeded",
                retry_after: Duration::from_secs(1),
            },
            BodyError::TimedOut(timeout) => ApiError::BodyTimeout(timeout.as_secs()),
            other => ApiError::InvalidContent(other.to_string()),
        }
    }

    /// Shorthand for an internal error with its cause.
    pub fn internal(what: &str, err: impl std::fmt::Display) -> Self {
        Self::Internal(format!("{what}: {err}"))
    }

    /// The `x-amzn-ErrorType` code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } | Self::ResourceMissing | Self::Missing(_) => {
                "ResourceNotFoundException"
            }
            Self::Conflict(_) => "ResourceConflictException",
            Self::InvalidParameter(_) => "InvalidParameterValueException",
            Self::Validation(_) => "ValidationException",
            Self::TooLarge(_) => "RequestEntityTooLargeException",
            Self::Throttled { .. } => "TooManyRequestsException",
            Self::InvalidContent(_) => "InvalidRequestContentException",
            Self::CodeStorageExceeded(_) => "CodeStorageExceededException",
            Self::PreconditionFailed => "PreconditionFailedException",
            Self::UnknownOperation { .. } => "UnknownOperationException",
            Self::Auth(err) => err.code(),
            Self::AccessDenied(_) => "AccessDeniedException",
            Self::UnsupportedMediaType(_) => "UnsupportedMediaTypeException",
            Self::BodyTimeout(_) => "RequestTimeoutException",
            Self::Internal(_) => "ServiceException",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound { .. }
            | Self::ResourceMissing
            | Self::Missing(_)
            | Self::UnknownOperation { .. } => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::InvalidParameter(_)
            | Self::Validation(_)
            | Self::InvalidContent(_)
            | Self::CodeStorageExceeded(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::Auth(_) | Self::AccessDenied(_) => StatusCode::FORBIDDEN,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body Lambda sends for this error.
    fn body(&self, request_id: &str) -> serde_json::Value {
        let message = match self {
            Self::Internal(_) => format!(
                "fnhost could not complete the request; its log has the details under request id {request_id}"
            ),
            Self::UnknownOperation { .. } => "Unknown operation".to_string(),
            other => other.to_string(),
        };
        match self {
            // Errors raised before Lambda itself sees the request carry only a message.
            Self::Auth(_) => json!({ "message": message }),
            Self::NotFound { .. }
            | Self::ResourceMissing
            | Self::Missing(_)
            | Self::Internal(_) => {
                json!({ "Type": self.kind(), "Message": message })
            }
            Self::Throttled { reason, .. } => {
                json!({ "Type": "User", "message": message, "Reason": reason })
            }
            _ => json!({ "Type": self.kind(), "message": message }),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Internal(_) => "Service",
            _ => "User",
        }
    }

    /// The response for this error; internal details are logged with `request_id`, not sent.
    pub fn into_response(self, request_id: &str) -> Response<Full<Bytes>> {
        match &self {
            Self::Internal(_) => tracing::error!(request_id, "{self}"),
            Self::Auth(_) | Self::AccessDenied(_) => {
                tracing::warn!(request_id, code = self.code(), "{self}");
            }
            _ => tracing::debug!(request_id, code = self.code(), "{self}"),
        }
        let mut response = Response::new(Full::new(Bytes::from(self.body(request_id).to_string())));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert("x-amzn-ErrorType", HeaderValue::from_static(self.code()));
        if let Ok(id) = HeaderValue::from_str(request_id) {
            headers.insert("x-amzn-RequestId", id);
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

    async fn body(r: Response<Full<Bytes>>) -> serde_json::Value {
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn errors_have_lambdas_codes_statuses_and_keys() {
        let r = ApiError::NotFound {
            arn: "arn:aws:lambda:us-east-1:000000000000:function:nope".into(),
        }
        .into_response("rid");
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["x-amzn-errortype"], "ResourceNotFoundException");
        assert_eq!(r.headers()["x-amzn-requestid"], "rid");
        assert_eq!(
            body(r).await,
            json!({"Type": "User", "Message": "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"})
        );

        let r = ApiError::Throttled {
            reason: "ConcurrentInvocationLimitExceeded",
            retry_after: Duration::from_millis(10),
        }
        .into_response("rid");
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()[RETRY_AFTER], "1");
        assert_eq!(
            body(r).await,
            json!({"Type": "User", "message": "Rate Exceeded.", "Reason": "ConcurrentInvocationLimitExceeded"})
        );
    }

    #[tokio::test]
    async fn internal_errors_keep_their_detail_in_the_log() {
        let r =
            ApiError::internal("writing code", "disk full at /secret/path").into_response("r-9");
        assert_eq!(r.status(), 500);
        let v = body(r).await;
        assert_eq!(v["Type"], "Service");
        let message = v["Message"].as_str().unwrap();
        assert!(!message.contains("/secret/path"), "{message}");
        assert!(message.contains("r-9"), "{message}");
    }
}
