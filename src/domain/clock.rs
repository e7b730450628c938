//! The one source of "now". Flows read it once per use case; tests move it
//! forward to reach expiry without waiting, or stop it where a test's outcome
//! must not depend on how long the machine takes. The background workers wait
//! for their next round or for [`Clock::advanced`], whichever comes first, so
//! work that a moved clock made due is done at once, as it would be in time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};
use tokio::sync::watch;

/// System time plus an offset that only tests change.
#[derive(Debug, Clone)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
    /// Microseconds since the epoch at which a test stopped the clock; 0 while it runs.
    frozen_micros: Arc<AtomicI64>,
    /// Bumped on every [`Clock::advance`]; a watch channel, so a worker busy
    /// with a round when the clock moves still sees it when it next waits.
    moves: Arc<watch::Sender<u64>>,
}

impl Default for Clock {
    fn default() -> Self {
        Self { offset_secs: Arc::default(), frozen_micros: Arc::default(), moves: Arc::new(watch::Sender::new(0)) }
    }
}

/// Wakes a background worker when a test moves its clock (see [`Clock::advanced`]).
#[derive(Debug)]
pub struct ClockMoves(watch::Receiver<u64>);

impl ClockMoves {
    /// Resolves when the clock has been moved since the last call (never, in
    /// production, where nothing moves it).
    pub async fn next(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Clock {
    /// The current time, to the microsecond (both databases store that precision).
    pub fn now(&self) -> OffsetDateTime {
        let frozen = self.frozen_micros.load(Ordering::Relaxed);
        let base = if frozen == 0 {
            OffsetDateTime::now_utc()
        } else {
            OffsetDateTime::UNIX_EPOCH + Duration::microseconds(frozen)
        };
        let now = base + Duration::seconds(self.offset_secs.load(Ordering::Relaxed));
        now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: std::time::Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
        self.moves.send_modify(|moves| *moves = moves.wrapping_add(1));
    }

    /// A signal for workers whose due work depends on this clock.
    pub fn advanced(&self) -> ClockMoves {
        ClockMoves(self.moves.subscribe())
    }

    /// Stops this clock (and every clone of it) at the current time; only
    /// [`Clock::advance`] moves it from then on.
    pub fn freeze(&self) {
        let micros = (OffsetDateTime::now_utc() - OffsetDateTime::UNIX_EPOCH).whole_microseconds();
        self.frozen_micros.store(i64::try_from(micros).unwrap_or(i64::MAX), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = Clock::default();
        clock.freeze();
        let stopped = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), stopped);
        clock.advance(std::time::Duration::from_secs(599));
        assert_eq!(clock.now(), stopped + Duration::seconds(599));
    }

    #[tokio::test]
    async fn a_worker_hears_that_the_clock_moved_even_while_it_was_busy() {
        let clock = Clock::default();
        let mut moves = clock.advanced();
        clock.advance(std::time::Duration::from_secs(60));
        tokio::time::timeout(std::time::Duration::from_secs(5), moves.next()).await.expect("woken");
    }
}
