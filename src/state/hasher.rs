//! argon2id off the async runtime: every hash or verification runs on a
//! blocking thread, at most one per core at a time, so a burst of sign-ins
//! queues instead of starving the executor or exhausting memory. Verifications
//! reuse a workspace per permit, so their memory is allocated once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::domain::password::{self, Cost, Workspace};

/// Bounded password hashing.
#[derive(Debug, Clone)]
pub struct Hasher {
    cost: Cost,
    permits: Arc<Semaphore>,
    dummy: Arc<String>,
    /// At most one workspace per permit: a verification takes one and puts it back.
    workspaces: Arc<Mutex<Vec<Workspace>>>,
    work: Arc<Work>,
}

/// Hashes and verifications done, and the CPU time they took on their threads
/// (not the wait for a permit, nor time the thread spent preempted), for
/// `/metrics` and the load benchmark.
#[derive(Debug, Default)]
struct Work {
    count: AtomicU64,
    nanos: AtomicU64,
}

impl Hasher {
    /// A hasher with `cost`, allowing as many concurrent hashes as cores.
    pub fn new(cost: Cost) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        // A hash of a random password with the same cost: verifying against it for an
        // unknown login takes as long as a real verification (no enumeration by timing).
        let dummy = password::hash(&crate::tokens::opaque::random_token(), cost).unwrap_or_default();
        Self {
            cost,
            permits: Arc::new(Semaphore::new(cores)),
            dummy: Arc::new(dummy),
            workspaces: Arc::new(Mutex::new(Vec::new())),
            work: Arc::new(Work::default()),
        }
    }

    /// How many hashes and verifications ran, and their total time.
    pub fn work_done(&self) -> (u64, Duration) {
        (self.work.count.load(Ordering::Relaxed), Duration::from_nanos(self.work.nanos.load(Ordering::Relaxed)))
    }

    /// Hashes a new password.
    pub async fn hash(&self, plain: String) -> Result<String, String> {
        let cost = self.cost;
        self.run(move || password::hash(&plain, cost)).await.unwrap_or_else(Err)
    }

    /// Verifies `plain` against `stored`, or against the dummy hash when there is
    /// no stored hash, so both cases cost the same.
    pub async fn verify(&self, plain: String, stored: Option<String>) -> bool {
        let dummy = self.dummy.clone();
        let found = stored.is_some();
        let workspaces = self.workspaces.clone();
        let ok = self
            .run(move || {
                let hash = stored.as_deref().unwrap_or(dummy.as_str());
                let mut workspace = workspaces.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default();
                let ok = password::verify_in(&plain, hash, &mut workspace);
                workspaces.lock().unwrap_or_else(PoisonError::into_inner).push(workspace);
                ok
            })
            .await
            .unwrap_or(false);
        ok && found
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        let counters = self.work.clone();
        tokio::task::spawn_blocking(move || {
            let started = (Instant::now(), thread_cpu_time());
            let done = work();
            counters.count.fetch_add(1, Ordering::Relaxed);
            let took = match (started.1, thread_cpu_time()) {
                (Some(before), Some(after)) => after.saturating_sub(before),
                _ => started.0.elapsed(),
            };
            counters.nanos.fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
            done
        })
        .await
        .map_err(|e| e.to_string())
    }
}

/// The CPU time of the calling thread, to the nanosecond (Linux:
/// `CLOCK_THREAD_CPUTIME_ID`, which adds the time since the thread last went on
/// the CPU). Wall time would count the time a busy machine kept the thread
/// waiting; `/proc/thread-self/schedstat` is only brought up to date at the
/// scheduler's ticks, so read by a running thread it lags by up to a tick and
/// a hash measured with it came out milliseconds short.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn thread_cpu_time() -> Option<Duration> {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into the place it is given.
    let read = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if read != 0 {
        return None;
    }
    Some(Duration::new(u64::try_from(now.tv_sec).ok()?, u32::try_from(now.tv_nsec).ok()?))
}

/// Elsewhere the hash is measured in wall time.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn a_thread_s_cpu_time_grows_with_its_work() {
        let before = thread_cpu_time().expect("Linux tells a thread's CPU time");
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let after = thread_cpu_time().expect("read once, read again");
        assert!(after > before, "{x}");
    }
}
