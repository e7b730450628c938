//! Waiting for something a background worker does, with a deadline instead of
//! a fixed sleep: the test moves on the moment it happens and fails with a
//! message when it never does.

use std::future::Future;
use std::time::Duration;

/// How long a background step may take on a loaded 2-core CI machine.
const DEADLINE: Duration = Duration::from_secs(20);

/// Polls `probe` until it answers `Some`, and returns that.
pub async fn until<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what} did not happen within {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
