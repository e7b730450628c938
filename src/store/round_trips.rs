//! How often this process goes to the database: statements and transactions,
//! and the time spent waiting for them. Counted for `/metrics` and for the load
//! benchmark, which divides them by the operations it ran; against a
//! PostgreSQL a millisecond away, every round trip is a millisecond of latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The counters of one pool, shared by its clones.
#[derive(Debug, Default)]
pub struct RoundTrips {
    statements: AtomicU64,
    transactions: AtomicU64,
    nanos: AtomicU64,
}

/// A reading of [`RoundTrips`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    /// Statements sent, inside and outside transactions (not `BEGIN` or `COMMIT`).
    pub statements: u64,
    /// Transactions opened.
    pub transactions: u64,
    /// Time spent waiting for statements, `BEGIN` and `COMMIT`, in nanoseconds.
    pub nanos: u64,
}

impl RoundTrips {
    /// New counters, for one pool.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub(super) fn statement(&self, took: Duration) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.waited(took);
    }

    pub(super) fn transaction(&self) {
        self.transactions.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn waited(&self, took: Duration) {
        self.nanos.fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn read(&self) -> Counted {
        Counted {
            statements: self.statements.load(Ordering::Relaxed),
            transactions: self.transactions.load(Ordering::Relaxed),
            nanos: self.nanos.load(Ordering::Relaxed),
        }
    }
}
