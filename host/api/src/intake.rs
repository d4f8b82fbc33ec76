//! Reading an admin request's body under the edge's byte budget and timeout
//! ([`fnhost_edge::BodyReader::up_front`]), hashing it as it streams in.
//!
//! Authentication comes first (`api.rs`): a request that fails the header checks is answered
//! before any of its body is read. What is left is a signed-looking request whose signature
//! covers a body not yet seen (AWS clients do not declare the payload hash for Lambda), so the
//! body must be read before the signature can be checked. Each such body first reserves its
//! size (`Content-Length`, or the operation's limit when chunked) from the reader's budget,
//! shared by all admin requests, and keeps it until the request is answered: however many
//! connections send bodies at once, at most the budget is buffered; past it the request gets
//! 429 before its body is read. A body that does not arrive within the body timeout gets 408.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use fnhost_edge::{BodyReader, BodyShare};
use http::request::Parts;
use hyper::body::{Body, Frame};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Default of the budget of request body bytes all admin requests may hold at once: 256 MiB,
/// three of Lambda's largest uploads.
pub const DEFAULT_BODY_BUDGET: usize = 256 << 20;

/// A body read whole, with its SHA-256 when asked for, holding its share of the budget.
#[derive(Debug)]
pub(crate) struct Intake {
    /// The body.
    pub body: Bytes,
    /// Lowercase hex SHA-256 of the body, when hashing was asked for.
    pub sha256: Option<String>,
    /// Released when the request has been answered.
    _share: BodyShare,
}

/// Read `body` with `bodies` (at most `limit` bytes; `op` names the operation in the 413
/// message): its size reserved from the budget first (429 when not free, the body unread),
/// then read within the body timeout (408); hash it on the way when `hash`.
pub(crate) async fn read<B>(
    parts: &Parts,
    body: B,
    (limit, op): (usize, &str),
    hash: bool,
    bodies: &BodyReader,
) -> Result<Intake, ApiError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut hashing = Hashing {
        inner: Box::pin(body),
        hasher: hash.then(Sha256::new),
    };
    let (body, share) = bodies
        .read_up_to(parts, &mut hashing, limit)
        .await
        .map_err(|err| ApiError::unread_body(err, op))?;
    Ok(Intake {
        body,
        sha256: hashing.hasher.map(|h| hex::encode(h.finalize())),
        _share: share,
    })
}

/// A body that feeds every data frame passing through to a SHA-256.
struct Hashing<B> {
    inner: Pin<Box<B>>,
    hasher: Option<Sha256>,
}

impl<B: Body<Data = Bytes>> Body for Hashing<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        let polled = this.inner.as_mut().poll_frame(cx);
        if let (Poll::Ready(Some(Ok(frame))), Some(hasher)) = (&polled, this.hasher.as_mut())
            && let Some(data) = frame.data_ref()
        {
            hasher.update(data);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use std::time::Duration;

    /// The admin's reader over a budget of `budget` bytes.
    fn reader(budget: usize, timeout: Duration) -> BodyReader {
        BodyReader::up_front(1 << 20, timeout, budget)
    }

    fn parts(content_length: Option<usize>) -> Parts {
        let mut builder = http::Request::builder().method("POST").uri("/");
        if let Some(n) = content_length {
            builder = builder.header("content-length", n);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[tokio::test]
    async fn bodies_are_hashed_as_they_pass() {
        let bodies = reader(100, Duration::from_secs(5));
        let got = read(
            &parts(Some(5)),
            Full::new(Bytes::from_static(b"hello")),
            (10, "this"),
            true,
            &bodies,
        )
        .await
        .unwrap();
        assert_eq!(got.body, "hello");
        assert_eq!(
            got.sha256.as_deref(),
            Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        );
        assert_eq!(
            bodies.budget_free(),
            95,
            "held until the request is answered"
        );
        drop(got);
        assert_eq!(bodies.budget_free(), 100);
    }

    #[tokio::test]
    async fn past_the_budget_the_body_is_not_read() {
        let bodies = reader(8, Duration::from_secs(5));
        let held = read(
            &parts(Some(5)),
            Full::new(Bytes::from_static(b"hello")),
            (10, "this"),
            false,
            &bodies,
        )
        .await
        .unwrap();
        let err = read(
            &parts(Some(5)),
            Full::new(Bytes::from_static(b"world")),
            (10, "this"),
            false,
            &bodies,
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "TooManyRequestsException");
        drop(held);
        assert_eq!(bodies.budget_free(), 8);
    }

    /// A body that declares its size and then sends nothing.
    struct Silent;

    impl Body for Silent {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            Poll::Pending
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_comes_times_out() {
        let bodies = reader(100, Duration::from_secs(3));
        let err = read(&parts(Some(5)), Silent, (10, "this"), false, &bodies)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "RequestTimeoutException");
        assert_eq!(bodies.budget_free(), 100);
    }
}
