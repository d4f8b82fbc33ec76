//! The admin listener's response body: whole (every Lambda API answer and most of the
//! console's) or a stream of server-sent events (the console's live log tail).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

/// A response body of the admin listener.
#[derive(Debug)]
pub enum AdminBody {
    /// The whole body at once.
    Full(Full<Bytes>),
    /// Chunks as they come; the body ends when the sender is dropped.
    Stream(mpsc::Receiver<Bytes>),
}

impl From<Full<Bytes>> for AdminBody {
    fn from(full: Full<Bytes>) -> Self {
        Self::Full(full)
    }
}

impl Body for AdminBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Self::Full(full) => Pin::new(full).poll_frame(cx),
            Self::Stream(chunks) => chunks
                .poll_recv(cx)
                .map(|chunk| chunk.map(|data| Ok(Frame::data(data)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full(full) => full.is_end_stream(),
            Self::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(full) => full.size_hint(),
            Self::Stream(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    #[tokio::test]
    async fn a_stream_ends_when_its_sender_goes() {
        let (tx, rx) = mpsc::channel(4);
        tx.send(Bytes::from_static(b"a")).await.unwrap();
        tx.send(Bytes::from_static(b"b")).await.unwrap();
        drop(tx);
        let all = AdminBody::Stream(rx).collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"ab");
        let whole = AdminBody::from(Full::new(Bytes::from_static(b"x")));
        assert_eq!(whole.size_hint().exact(), Some(1));
    }
}
