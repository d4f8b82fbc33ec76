//! Reading a request body under a limit, a deadline and a listener-wide budget of bytes.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::request::Parts;
use http_body_util::BodyExt as _;
use hyper::body::Body;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Bytes of an oversized body read and thrown away before answering 413, so that a client
/// still sending gets the answer instead of a reset connection.
pub const MAX_DRAIN_BYTES: usize = 512 << 20;
/// Longest the draining of an oversized body may take in all.
pub const MAX_DRAIN_TIME: Duration = Duration::from_secs(10);
/// A client that sends nothing for this long once its body is refused (one that declared the
/// size and never started, say) gets the answer at once instead of after [`MAX_DRAIN_TIME`].
/// Once it sends, its body is read away to the end (within the time and bytes above) however
/// it pauses: cutting a busy client off mid-upload would answer it with a reset.
pub const DRAIN_IDLE: Duration = Duration::from_millis(250);
/// Bodies up to this size take no share of a [`BodyReader`]'s budget (unless it reserves
/// [`BodyReader::up_front`]): small requests never wait for room, and the connection cap
/// bounds what they hold (1,024 × 16 KiB by default).
pub const UNCOUNTED_BODY_BYTES: usize = 16 << 10;
/// A body of unknown size (chunked) takes its share in steps of this many bytes.
const SHARE_STEP: usize = 64 << 10;

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
    /// The whole body did not arrive within the deadline.
    #[error("request body not received within {} ms", .0.as_millis())]
    TimedOut(Duration),
    /// Other requests' bodies filled the budget of bytes in memory, and no room freed up in
    /// time.
    #[error("no room for {bytes} more request body bytes in memory")]
    Busy {
        /// The bytes the body needed.
        bytes: usize,
    },
    /// The connection failed while the body was read.
    #[error("cannot read the request body: {0}")]
    Read(String),
}

/// Read the whole body, refusing more than `limit` bytes: by `Content-Length` before reading,
/// and while reading for chunked bodies. What the client still sends of an oversized body is
/// read away and dropped (up to [`MAX_DRAIN_BYTES`] and [`MAX_DRAIN_TIME`], or until nothing
/// came for [`DRAIN_IDLE`]) before the error returns.
pub async fn read_body<B>(parts: &Parts, body: B, limit: usize) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut body = std::pin::pin!(body);
    let collected = collect(parts, body.as_mut(), limit, None).await;
    settle(body, collected).await
}

/// How a listener reads bodies: a size limit, a deadline for the whole body, and a budget of
/// body bytes held in memory by all its requests at once. Cheap to clone (the budget is
/// shared).
#[derive(Debug, Clone)]
pub struct BodyReader {
    limit: usize,
    deadline: Duration,
    budget: Arc<Semaphore>,
    total: usize,
    /// How long a body waits for room; `None` when bodies reserve up front and are refused at
    /// once ([`BodyReader::up_front`]).
    wait: Option<Duration>,
}

/// A body's share of its [`BodyReader`]'s budget, given back when dropped. Hold it for as long
/// as the body (or what was made of it) is in memory.
#[derive(Debug, Default)]
pub struct BodyShare(Option<OwnedSemaphorePermit>);

impl BodyShare {
    /// Bytes of the budget this share holds.
    pub fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, OwnedSemaphorePermit::num_permits)
    }
}

impl BodyReader {
    /// Bodies of at most `limit` bytes, each received whole within `deadline`. Bodies over
    /// [`UNCOUNTED_BODY_BYTES`] share `budget` bytes (a body larger than all of it takes all
    /// of it, so any body fits alone) and wait up to `wait` for room.
    pub fn new(limit: usize, deadline: Duration, budget: usize, wait: Duration) -> Self {
        Self::with(limit, deadline, budget, Some(wait))
    }

    /// Like [`BodyReader::new`], but a body never waits for room: before its first byte is
    /// read, every body (small ones too) reserves its declared `Content-Length`, or the most
    /// it can be (a chunked body: the limit), and is refused at once with
    /// [`BodyError::Busy`] when that much is not free, its bytes left unread (close the
    /// connection after the answer). For a listener whose clients are not yet authenticated
    /// when their bodies arrive (the admin API): a body that will not fit costs nothing.
    pub fn up_front(limit: usize, deadline: Duration, budget: usize) -> Self {
        Self::with(limit, deadline, budget, None)
    }

    fn with(limit: usize, deadline: Duration, budget: usize, wait: Option<Duration>) -> Self {
        let budget = budget.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            limit,
            deadline,
            budget: Arc::new(Semaphore::new(budget)),
            total: budget,
            wait,
        }
    }

    /// The largest body accepted.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How long a whole body may take to arrive.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// A body's share being taken from the budget, waiting (if this reader waits) from now.
    fn share(&self) -> Share<'_> {
        Share {
            budget: &self.budget,
            total: self.total,
            wait_until: Instant::now() + self.wait.unwrap_or_default(),
            held: BodyShare::default(),
        }
    }

    /// Grow `share` to at least `bytes` (capped at the whole budget), for what is made of a
    /// body (an event) while the body is still held; [`BodyError::Busy`] when no room frees up
    /// within the wait. A share of a small body stays empty.
    pub async fn reserve(&self, share: &mut BodyShare, bytes: usize) -> Result<(), BodyError> {
        let mut growing = self.share();
        growing.held = std::mem::take(share);
        let grown = growing.hold(bytes).await;
        *share = growing.held;
        grown
    }

    /// Bytes of the budget not held by any body now.
    pub fn budget_free(&self) -> usize {
        self.budget.available_permits()
    }

    /// Read the whole body as [`read_body`] does, and also: within the deadline
    /// ([`BodyError::TimedOut`]; the rest is not read, the connection closes), and only with
    /// room in the budget for its declared size, or as it grows for a chunked body
    /// ([`BodyError::Busy`] after the wait; the body is read away like an oversized one). A
    /// reader made [`BodyReader::up_front`] reserves before reading instead, and refuses at
    /// once with the body unread.
    pub async fn read<B>(&self, parts: &Parts, body: B) -> Result<(Bytes, BodyShare), BodyError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.read_up_to(parts, body, self.limit).await
    }

    /// [`BodyReader::read`] with a lower limit for this body (e.g. per operation); the
    /// reader's own limit still caps it.
    pub async fn read_up_to<B>(
        &self,
        parts: &Parts,
        body: B,
        limit: usize,
    ) -> Result<(Bytes, BodyShare), BodyError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if body.is_end_stream() {
            return Ok((Bytes::new(), BodyShare::default()));
        }
        let limit = limit.min(self.limit);
        let mut share = self.share();
        let growing = if self.wait.is_some() {
            Some(&mut share)
        } else {
            // Up front: the most this body can be, unless it is refused as too large first.
            let most = match content_length(parts) {
                Some(n) if n > limit as u64 => 0,
                Some(n) => usize::try_from(n).unwrap_or(limit),
                None => body
                    .size_hint()
                    .upper()
                    .map_or(limit, |n| usize::try_from(n).unwrap_or(limit).min(limit)),
            };
            share.hold_now(most)?;
            None
        };
        let mut body = std::pin::pin!(body);
        let collected =
            tokio::time::timeout(self.deadline, collect(parts, body.as_mut(), limit, growing))
                .await
                .unwrap_or(Err(Stopped {
                    error: BodyError::TimedOut(self.deadline),
                    seen: 0,
                }));
        let bytes = settle(body, collected).await?;
        Ok((bytes, share.held))
    }
}

/// A body's share being taken from a budget.
struct Share<'a> {
    budget: &'a Arc<Semaphore>,
    /// The whole budget: a share never needs more.
    total: usize,
    wait_until: Instant,
    held: BodyShare,
}

impl Share<'_> {
    /// Hold `bytes` of the budget (all of it when `bytes` is more), however small, now or
    /// never: [`BodyError::Busy`] when that much is not free.
    fn hold_now(&mut self, bytes: usize) -> Result<(), BodyError> {
        let wanted = bytes.min(self.total);
        if wanted == 0 {
            return Ok(());
        }
        let wanted = u32::try_from(wanted).map_err(|_| BodyError::Busy { bytes })?;
        let permit = self
            .budget
            .clone()
            .try_acquire_many_owned(wanted)
            .map_err(|_| BodyError::Busy { bytes })?;
        self.held = BodyShare(Some(permit));
        Ok(())
    }

    /// Hold at least `bytes` of the budget (all of it when `bytes` is more; nothing for a
    /// small body), waiting until `wait_until` for room.
    async fn hold(&mut self, bytes: usize) -> Result<(), BodyError> {
        let held = self.held.bytes();
        let wanted = bytes.min(self.total);
        if bytes <= UNCOUNTED_BODY_BYTES || wanted <= held {
            return Ok(());
        }
        let more = u32::try_from(wanted - held).map_err(|_| BodyError::Busy { bytes })?;
        let taken = tokio::time::timeout_at(
            self.wait_until,
            self.budget.clone().acquire_many_owned(more),
        )
        .await;
        match taken {
            Ok(Ok(permit)) => {
                match &mut self.held.0 {
                    Some(earlier) => earlier.merge(permit),
                    none => *none = Some(permit),
                }
                Ok(())
            }
            // The semaphore is never closed; treat that like no room.
            Ok(Err(_)) | Err(_) => Err(BodyError::Busy { bytes }),
        }
    }
}

/// Why [`collect`] stopped, and how many bytes it had read by then.
struct Stopped {
    error: BodyError,
    seen: usize,
}

/// Read the whole body under `limit`, taking its `share` of a budget first when there is one.
async fn collect<B>(
    parts: &Parts,
    mut body: Pin<&mut B>,
    limit: usize,
    mut share: Option<&mut Share<'_>>,
) -> Result<Bytes, Stopped>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stop = |error, seen| Stopped { error, seen };
    let declared = content_length(parts);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(stop(BodyError::TooLarge { limit }, 0));
    }
    let declared = declared.map(|n| n as usize);
    if let (Some(share), Some(n)) = (share.as_deref_mut(), declared) {
        share.hold(n).await.map_err(|e| stop(e, 0))?;
    }
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| stop(BodyError::Read(e.into().to_string()), seen))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len());
        if seen > limit {
            return Err(stop(BodyError::TooLarge { limit }, seen));
        }
        if let Some(share) = share.as_deref_mut()
            && declared.is_none()
            && seen > UNCOUNTED_BODY_BYTES
        {
            let step = seen.saturating_add(SHARE_STEP).min(limit);
            share.hold(step).await.map_err(|e| stop(e, seen))?;
        }
        // One chunk (the usual case for small bodies) is kept as it came, without a copy.
        match first.take() {
            None if rest.is_empty() => first = Some(data),
            Some(earlier) => {
                rest.reserve(declared.unwrap_or(0).max(seen));
                rest.extend_from_slice(&earlier);
                rest.extend_from_slice(&data);
            }
            None => rest.extend_from_slice(&data),
        }
    }
    Ok(first.unwrap_or_else(|| rest.freeze()))
}

/// The body's declared size.
fn content_length(parts: &Parts) -> Option<u64> {
    parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// The body, or the error after reading away what a refused client still sends (an oversized
/// body, or one with no room in the budget) so that it gets the answer.
async fn settle<B>(body: Pin<&mut B>, collected: Result<Bytes, Stopped>) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
{
    match collected {
        Ok(bytes) => Ok(bytes),
        Err(Stopped { error, seen }) => {
            if matches!(error, BodyError::TooLarge { .. } | BodyError::Busy { .. }) {
                drain(body, seen).await;
            }
            Err(error)
        }
    }
}

/// Read and drop the rest of a body (`seen` bytes already read): up to [`MAX_DRAIN_BYTES`] in
/// all, for at most [`MAX_DRAIN_TIME`], or until nothing came for [`DRAIN_IDLE`].
async fn drain<B>(mut body: std::pin::Pin<&mut B>, mut seen: usize)
where
    B: Body<Data = Bytes>,
{
    let deadline = tokio::time::Instant::now() + MAX_DRAIN_TIME;
    let mut started = seen > 0;
    while seen < MAX_DRAIN_BYTES {
        let until = if started {
            deadline
        } else {
            (tokio::time::Instant::now() + DRAIN_IDLE).min(deadline)
        };
        match tokio::time::timeout_at(until, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                let n = frame.data_ref().map_or(0, |d| d.len());
                seen += n;
                started |= n > 0;
            }
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

    const KIB: usize = 1 << 10;

    /// A chunked body that sends its pieces, then nothing, never ending.
    struct Trickle(Chunked);

    impl Body for Trickle {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            match self.0.0.pop_front() {
                Some(piece) => Poll::Ready(Some(Ok(Frame::data(piece)))),
                None => Poll::Pending,
            }
        }
    }

    fn reader(limit: usize, budget: usize) -> BodyReader {
        BodyReader::new(
            limit,
            Duration::from_secs(30),
            budget,
            Duration::from_secs(1),
        )
    }

    fn sized(n: usize) -> Full<Bytes> {
        Full::new(Bytes::from(vec![b'x'; n]))
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_must_arrive_whole_within_the_deadline() {
        let reader = reader(100 * KIB, 1 << 20);
        let result = reader.read(&parts(Some(10)), Silent).await;
        assert_eq!(
            result.map(|(b, _)| b),
            Err(BodyError::TimedOut(Duration::from_secs(30)))
        );
        // A chunked trickle that never ends times out all the same.
        let result = reader
            .read(&parts(None), Trickle(chunked(&[b"a", b"b"])))
            .await;
        assert!(matches!(result, Err(BodyError::TimedOut(_))), "{result:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn large_bodies_share_the_budget_and_wait_for_room() {
        let reader = reader(100 * KIB, 150 * KIB);
        let (first, share) = reader
            .read(&parts(Some(100 * KIB)), sized(100 * KIB))
            .await
            .unwrap();
        assert_eq!((first.len(), share.bytes()), (100 * KIB, 100 * KIB));
        assert_eq!(reader.budget_free(), 50 * KIB);

        // No room for a second one within the wait; what it sends is read away.
        let mut second = chunked(&[&[b'y'; 60 * KIB], &[b'y'; 40 * KIB]]);
        let result = reader.read(&parts(Some(100 * KIB)), &mut second).await;
        assert_eq!(
            result.map(|(b, _)| b.len()),
            Err(BodyError::Busy { bytes: 100 * KIB })
        );
        assert!(second.0.is_empty(), "the refused body was not read away");
        assert_eq!(reader.budget_free(), 50 * KIB, "a refusal holds nothing");

        // Small bodies never wait, full budget or not.
        let (small, share_small) = reader
            .read(
                &parts(Some(UNCOUNTED_BODY_BYTES)),
                sized(UNCOUNTED_BODY_BYTES),
            )
            .await
            .unwrap();
        assert_eq!(
            (small.len(), share_small.bytes()),
            (UNCOUNTED_BODY_BYTES, 0)
        );

        // Room again once the first body is let go.
        drop(share);
        let (_, share) = reader
            .read(&parts(Some(100 * KIB)), sized(100 * KIB))
            .await
            .unwrap();
        assert_eq!(share.bytes(), 100 * KIB);
    }

    #[tokio::test(start_paused = true)]
    async fn a_chunked_body_takes_its_share_as_it_grows() {
        let reader = reader(200 * KIB, 1 << 20);
        let pieces: Vec<&'static [u8]> = vec![&[b'z'; 40 * KIB]; 3];
        let (body, share) = reader.read(&parts(None), chunked(&pieces)).await.unwrap();
        assert_eq!(body.len(), 120 * KIB);
        assert!(share.bytes() >= 120 * KIB, "{}", share.bytes());
        assert!(share.bytes() <= 200 * KIB, "{}", share.bytes());

        // A chunked body that outgrows what is free waits, then is refused.
        let tight = BodyReader::new(
            200 * KIB,
            Duration::from_secs(30),
            100 * KIB,
            Duration::ZERO,
        );
        let _held = tight
            .read(&parts(Some(100 * KIB)), sized(100 * KIB))
            .await
            .unwrap();
        let result = tight.read(&parts(None), chunked(&pieces)).await;
        assert!(matches!(result, Err(BodyError::Busy { .. })), "{result:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_share_grows_for_what_is_made_of_the_body() {
        let reader = reader(100 * KIB, 300 * KIB);
        let (_, mut share) = reader
            .read(&parts(Some(100 * KIB)), sized(100 * KIB))
            .await
            .unwrap();
        reader.reserve(&mut share, 250 * KIB).await.unwrap();
        assert_eq!(share.bytes(), 250 * KIB);
        // More than the whole budget is capped at it (and so can still be had).
        reader.reserve(&mut share, 10 << 20).await.unwrap();
        assert_eq!((share.bytes(), reader.budget_free()), (300 * KIB, 0));
        let (_, mut other) = reader.read(&parts(Some(5)), sized(5)).await.unwrap();
        let err = reader.reserve(&mut other, 100 * KIB).await.unwrap_err();
        assert_eq!(err, BodyError::Busy { bytes: 100 * KIB });
        drop(share);
        assert_eq!(reader.budget_free(), 300 * KIB);
    }

    /// A body that sends its first piece at once and the others after a pause of a second.
    struct Pausing {
        pieces: VecDeque<Bytes>,
        pause: Option<Pin<Box<tokio::time::Sleep>>>,
        sent: bool,
    }

    fn pausing() -> Pausing {
        Pausing {
            pieces: [&b"0123456789"[..], b"more", b"and more"]
                .into_iter()
                .map(Bytes::from_static)
                .collect(),
            pause: None,
            sent: false,
        }
    }

    impl Body for Pausing {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            if self.sent {
                let pause = self
                    .pause
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_secs(1))));
                if pause.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.pause = None;
            }
            self.sent = true;
            Poll::Ready(self.pieces.pop_front().map(|b| Ok(Frame::data(b))))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn up_front_every_body_reserves_before_reading_and_is_refused_unread() {
        let reader = BodyReader::up_front(100, Duration::from_secs(30), 8);
        let (body, share) = reader
            .read_up_to(&parts(Some(5)), sized(5), 10)
            .await
            .unwrap();
        assert_eq!(
            (body.len(), share.bytes()),
            (5, 5),
            "small bodies count too"
        );
        // No room now: refused at once, nothing read.
        let mut second = chunked(&[b"world"]);
        let result = reader.read_up_to(&parts(Some(5)), &mut second, 10).await;
        assert_eq!(result.map(|(b, _)| b), Err(BodyError::Busy { bytes: 5 }));
        assert_eq!(second.0.len(), 1, "a refused body is left unread");
        drop(share);
        // A chunked body reserves the whole limit (here capped at the whole budget) first.
        let mut chunks = chunked(&[b"abc"]);
        let (body, share) = reader
            .read_up_to(&parts(None), &mut chunks, 10)
            .await
            .unwrap();
        assert_eq!((body.len(), share.bytes()), (3, 8));
        drop(share);
        // The per-call limit applies, and an oversized body is read away as ever.
        let mut over = chunked(&[b"0123456789", b"0"]);
        let result = reader.read_up_to(&parts(Some(11)), &mut over, 10).await;
        assert_eq!(
            result.map(|(b, _)| b),
            Err(BodyError::TooLarge { limit: 10 })
        );
        assert!(over.0.is_empty());
        assert_eq!(reader.budget_free(), 8);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_client_that_pauses_is_still_read_to_the_end() {
        for declared in [Some(22), None] {
            let mut body = pausing();
            let result = read_body(&parts(declared), &mut body, 10).await;
            assert_eq!(result, Err(BodyError::TooLarge { limit: 10 }));
            assert!(body.pieces.is_empty(), "left unread: {:?}", body.pieces);
        }
    }
}
