//! Captured guest output with a hard size cap.
//!
//! A guest's stdout and stderr are its log (and, for custom-runtime commands, stdout is the
//! response). Output past the cap is counted and dropped instead of failing the write: a log
//! flood must neither exhaust host memory nor crash a guest whose runtime panics on a failed
//! `println!`.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Default cap on one invocation's captured log (1 MiB).
pub const DEFAULT_LOG_CAP: usize = 1 << 20;

/// How many bytes one WASI write may announce; the guest loops for the rest.
const WRITE_PERMIT: usize = 64 * 1024;

#[derive(Debug, Default)]
struct Inner {
    buf: BytesMut,
    dropped: u64,
}

/// An in-memory output stream that keeps the first `cap` bytes and counts the rest.
#[derive(Debug, Clone)]
pub struct CappedPipe {
    cap: usize,
    inner: Arc<Mutex<Inner>>,
}

impl CappedPipe {
    /// A pipe keeping at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    fn push(&self, bytes: &[u8]) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let room = self.cap.saturating_sub(inner.buf.len());
        let kept = bytes.len().min(room);
        inner.buf.extend_from_slice(&bytes[..kept]);
        inner.dropped += (bytes.len() - kept) as u64;
    }

    /// The kept bytes and how many were dropped past the cap.
    pub fn take(&self) -> (Bytes, u64) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let dropped = inner.dropped;
        (std::mem::take(&mut inner.buf).freeze(), dropped)
    }
}

impl IsTerminal for CappedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedPipe {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CappedPipe {
    async fn ready(&mut self) {}
}

impl OutputStream for CappedPipe {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(WRITE_PERMIT)
    }
}

impl tokio::io::AsyncWrite for CappedPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_bytes_and_counts_the_rest() {
        let mut pipe = CappedPipe::new(10);
        pipe.write(Bytes::from_static(b"hello ")).unwrap();
        pipe.write(Bytes::from_static(b"world, again")).unwrap();
        let (kept, dropped) = pipe.take();
        assert_eq!(&kept[..], b"hello worl");
        assert_eq!(dropped, 8);
        assert_eq!(pipe.check_write().unwrap(), WRITE_PERMIT);
    }
}
