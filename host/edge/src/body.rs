//! Reading a request body under a limit.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::request::Parts;
use http_body_util::BodyExt as _;
use hyper::body::Body;

/// Bytes of an oversized body read and thrown away before answering 413, so that a client
/// still sending gets the answer instead of a reset connection.
pub const MAX_DRAIN_BYTES: usize = 512 << 20;
/// Longest the draining of an oversized body may take in all.
pub const MAX_DRAIN_TIME: Duration = Duration::from_secs(10);
/// A pause this long in an oversized body ends its draining: a client that stopped sending (or
/// never started, having declared the size) gets the 413 instead of a wait.
pub const DRAIN_IDLE: Duration = Duration::from_millis(250);

/// Why a body was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is over the limit (declared by `Content-Length`, or found while reading).
    #[error("request body is over {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection failed while the body was read.
    #[error("cannot read the request body: {0}")]
    Read(String),
}

/// Read the whole body, refusing more than `limit` bytes: by `Content-Length` before reading,
/// and while reading for chunked bodies. What the client still sends of an oversized body is
/// read away and dropped (up to [`MAX_DRAIN_BYTES`] and [`MAX_DRAIN_TIME`], until a pause of
/// [`DRAIN_IDLE`]) before the error returns.
pub async fn read_body<B>(parts: &Parts, body: B, limit: usize) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = std::pin::pin!(body);
    if declared.is_some_and(|n| n > limit as u64) {
        drain(body.as_mut(), 0).await;
        return Err(BodyError::TooLarge { limit });
    }
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Read(e.into().to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len());
        if seen > limit {
            drain(body.as_mut(), seen).await;
            return Err(BodyError::TooLarge { limit });
        }
        // One chunk (the usual case for small bodies) is kept as it came, without a copy.
        match first.take() {
            None if rest.is_empty() => first = Some(data),
            Some(earlier) => {
                rest.reserve(declared.map_or(0, |n| n as usize).max(seen));
                rest.extend_from_slice(&earlier);
                rest.extend_from_slice(&data);
            }
            None => rest.extend_from_slice(&data),
        }
    }
    Ok(first.unwrap_or_else(|| rest.freeze()))
}

/// Read and drop the rest of a body (`seen` bytes already read): up to [`MAX_DRAIN_BYTES`] in
/// all, for at most [`MAX_DRAIN_TIME`], stopping at the first pause of [`DRAIN_IDLE`].
async fn drain<B>(mut body: std::pin::Pin<&mut B>, mut seen: usize)
where
    B: Body<Data = Bytes>,
{
    let deadline = tokio::time::Instant::now() + MAX_DRAIN_TIME;
    while seen < MAX_DRAIN_BYTES {
        let idle = (tokio::time::Instant::now() + DRAIN_IDLE).min(deadline);
        match tokio::time::timeout_at(idle, body.frame()).await {
            Ok(Some(Ok(frame))) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use http_body_util::Full;
    use hyper::body::Frame;

    fn parts(content_length: Option<usize>) -> Parts {
        let mut builder = http::Request::builder().method("POST").uri("/");
        if let Some(n) = content_length {
            builder = builder.header("content-length", n);
        }
        builder.body(()).unwrap().into_parts().0
    }

    /// A chunked body: these pieces, one frame each, then the end.
    struct Chunked(VecDeque<Bytes>);

    impl Body for Chunked {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
        }
    }

    fn chunked(pieces: &[&'static [u8]]) -> Chunked {
        Chunked(pieces.iter().map(|p| Bytes::from_static(p)).collect())
    }

    #[tokio::test]
    async fn small_bodies_come_back_whole() {
        let got = read_body(&parts(Some(5)), Full::new(Bytes::from_static(b"hello")), 10)
            .await
            .unwrap();
        assert_eq!(got, "hello");
        let got = read_body(&parts(None), chunked(&[b"ab", b"cd", b"e"]), 5)
            .await
            .unwrap();
        assert_eq!(got, "abcde");
        let got = read_body(&parts(None), chunked(&[]), 5).await.unwrap();
        assert!(got.is_empty());
    }

    #[tokio::test]
    async fn oversized_bodies_are_refused_declared_or_not() {
        let declared = read_body(&parts(Some(11)), Full::new(Bytes::from(vec![0; 11])), 10).await;
        assert_eq!(declared, Err(BodyError::TooLarge { limit: 10 }));
        let chunked_over = read_body(&parts(None), chunked(&[b"123456", b"78901"]), 10).await;
        assert_eq!(chunked_over, Err(BodyError::TooLarge { limit: 10 }));
        let exact = read_body(&parts(None), chunked(&[b"12345", b"67890"]), 10).await;
        assert_eq!(exact.unwrap(), "1234567890");
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
    async fn a_client_that_sends_nothing_gets_the_error_after_a_pause() {
        let result = read_body(&parts(Some(1 << 30)), Silent, 10).await;
        assert_eq!(result, Err(BodyError::TooLarge { limit: 10 }));
    }

    #[tokio::test]
    async fn an_oversized_body_is_read_away_before_the_error() {
        let mut body = chunked(&[b"123456", b"78901", b"rest", b"more"]);
        let result = read_body(&parts(None), &mut body, 10).await;
        assert_eq!(result, Err(BodyError::TooLarge { limit: 10 }));
        assert!(body.0.is_empty(), "left unread: {:?}", body.0);
        let mut body = chunked(&[b"0123456789", b"0"]);
        let result = read_body(&parts(Some(11)), &mut body, 10).await;
        assert_eq!(result, Err(BodyError::TooLarge { limit: 10 }));
        assert!(body.0.is_empty(), "a declared oversize is read away too");
    }
}
