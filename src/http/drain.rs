//! Answers that reach a client which is still sending its body.
//!
//! When the server answers without reading the whole request body (a 413 for a
//! body over the limit, a 401 before an upload is read), hyper gives up on the
//! connection and closes it with the rest of the body unread. The kernel then
//! resets the connection, and a client that is still writing sees a broken pipe
//! instead of the answer. So the body left unread by the handler is read and
//! discarded before the answer goes out, up to a bound in bytes and time, and
//! the connection is closed after the answer (`Connection: close`). A body
//! declared larger than the bound is not read at all: that client may see the
//! connection closed, which is what a limit means.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt;

/// How far beyond the ordinary body limit an unread body is still drained.
pub const BEYOND_LIMIT: u64 = 1024 * 1024;

/// The longest a drain may take: 1 MiB over a slow (1 Mbit/s) link fits.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

/// How much of an unread body is drained before answering.
#[derive(Debug, Clone, Copy)]
pub struct DrainBudget {
    /// Bytes of body the client may have sent in all, read or not.
    pub bytes: u64,
    /// Time the drain may take.
    pub time: Duration,
}

impl DrainBudget {
    /// The budget for an ordinary body limit of `body_limit` bytes.
    pub fn for_limit(body_limit: usize) -> Self {
        let limit = u64::try_from(body_limit).unwrap_or(u64::MAX);
        Self { bytes: limit.saturating_add(BEYOND_LIMIT), time: DRAIN_TIME }
    }
}

/// What a handler left of a request body.
struct Unread {
    body: Body,
    read: u64,
}

type Slot = Arc<Mutex<Option<Unread>>>;

/// A request body under watch (see [`watch`]).
pub struct Watch {
    slot: Slot,
    declared: Option<u64>,
    awaits_continue: bool,
    budget: DrainBudget,
}

/// Hands the handler a body that reports, when dropped, what it left unread;
/// [`Watch::drain`] drains that before the answer goes out. Most requests
/// (every GET) have no body: nothing to watch.
pub fn watch(request: Request, budget: DrainBudget) -> (Request, Option<Watch>) {
    if request.body().is_end_stream() {
        return (request, None);
    }
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    // A client waiting for `100 Continue` has sent no body yet; reading now
    // would invite the body the answer refuses.
    let awaits_continue = request.headers().contains_key(header::EXPECT);
    let slot: Slot = Arc::default();
    let request = request.map(|body| Body::new(Watched { inner: Some(body), read: 0, slot: Arc::clone(&slot) }));
    (request, Some(Watch { slot, declared, awaits_continue, budget }))
}

impl Watch {
    /// Drains what the handler left of the body, within the budget, and marks
    /// the answer `Connection: close` when anything was left.
    pub async fn drain(self, mut response: Response) -> Response {
        let unread = self.slot.lock().map(|mut slot| slot.take()).unwrap_or_default();
        let Some(Unread { body, read }) = unread else {
            return response;
        };
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        if self.awaits_continue && read == 0 {
            return response;
        }
        if self.declared.is_some_and(|length| length > self.budget.bytes) {
            return response;
        }
        let allowance = self.budget.bytes.saturating_sub(read);
        let _ = tokio::time::timeout(self.budget.time, discard(body, allowance)).await;
        response
    }
}

/// Reads and drops up to `allowance` bytes, stopping at the end of the body or
/// its first error.
async fn discard(mut body: Body, allowance: u64) {
    let mut left = allowance;
    while let Some(Ok(frame)) = body.frame().await {
        if let Some(data) = frame.data_ref() {
            let length = u64::try_from(data.len()).unwrap_or(u64::MAX);
            if length > left {
                return;
            }
            left -= length;
        }
    }
}

/// A request body that counts what was read and, dropped before its end, puts
/// itself in the slot for the middleware to drain.
struct Watched {
    inner: Option<Body>,
    read: u64,
    slot: Slot,
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.read = this.read.saturating_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
                }
            }
            // Finished, or broken (the client went away): nothing is left to drain.
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => this.inner = None,
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.as_ref().map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Some(body) = self.inner.take().filter(|body| !body.is_end_stream())
            && let Ok(mut slot) = self.slot.lock()
        {
            *slot = Some(Unread { body, read: self.read });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// A body of the given chunks, then its end.
    struct Chunks(VecDeque<Bytes>);

    impl http_body::Body for Chunks {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(self.get_mut().0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
        }
    }

    /// A body that never ends, counting the bytes handed out.
    struct Endless(Arc<AtomicU64>);

    impl http_body::Body for Endless {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            self.0.fetch_add(1024, Ordering::Relaxed);
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&[0; 1024])))))
        }
    }

    fn watched(chunks: &[&'static [u8]], slot: &Slot) -> Watched {
        let body = Body::new(Chunks(chunks.iter().map(|c| Bytes::from_static(c)).collect()));
        Watched { inner: Some(body), read: 0, slot: Arc::clone(slot) }
    }

    #[tokio::test]
    async fn a_body_read_to_its_end_leaves_nothing_to_drain() {
        let slot: Slot = Arc::default();
        let body = Body::new(watched(&[b"name=", b"value"], &slot));
        let bytes = axum::body::to_bytes(body, 1024).await.expect("read");
        assert_eq!(&bytes[..], b"name=value");
        assert!(slot.lock().expect("slot").is_none());
    }

    #[tokio::test]
    async fn a_body_dropped_half_read_is_left_with_what_was_read() {
        let slot: Slot = Arc::default();
        let mut body = watched(&[b"first", b"second"], &slot);
        let first = body.frame().await.expect("a frame").expect("data");
        assert_eq!(first.data_ref().map(Bytes::len), Some(5));
        drop(body);
        let unread = slot.lock().expect("slot").take().expect("left unread");
        assert_eq!(unread.read, 5);
    }

    #[tokio::test]
    async fn draining_stops_at_the_allowance() {
        let handed_out = Arc::new(AtomicU64::new(0));
        let body = Body::new(Endless(Arc::clone(&handed_out)));
        tokio::time::timeout(Duration::from_secs(5), discard(body, 10 * 1024)).await.expect("bounded");
        assert!(handed_out.load(Ordering::Relaxed) <= 11 * 1024);
    }
}
