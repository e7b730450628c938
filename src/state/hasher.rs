//! argon2id off the async runtime: every hash or verification runs on a
//! blocking thread, at most one per core at a time, so a burst of sign-ins
//! queues instead of starving the executor or exhausting memory.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::domain::password::{self, Cost};

/// Bounded password hashing.
#[derive(Debug, Clone)]
pub struct Hasher {
    cost: Cost,
    permits: Arc<Semaphore>,
    dummy: Arc<String>,
}

impl Hasher {
    /// A hasher with `cost`, allowing as many concurrent hashes as cores.
    pub fn new(cost: Cost) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        // A hash of a random password with the same cost: verifying against it for an
        // unknown login takes as long as a real verification (no enumeration by timing).
        let dummy = password::hash(&crate::tokens::opaque::random_token(), cost).unwrap_or_default();
        Self { cost, permits: Arc::new(Semaphore::new(cores)), dummy: Arc::new(dummy) }
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
        let ok = self
            .run(move || {
                let hash = stored.unwrap_or_else(|| dummy.as_str().to_string());
                password::verify(&plain, &hash)
            })
            .await
            .unwrap_or(false);
        ok && found
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(work).await.map_err(|e| e.to_string())
    }
}
