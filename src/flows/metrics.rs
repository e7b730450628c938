//! What `/metrics` reads at scrape time: the outbox backlog from the database
//! (one indexed count each; the same on every node, since the outbox is
//! shared), and this process's database and hashing work.

use crate::metrics::{Gauges, Work};
use crate::state::AppState;
use crate::store;

/// The gauges; a failed read leaves them out (and is logged) rather than failing the scrape.
/// The work is read before the backlog, so a scrape's own statement shows in
/// the next scrape.
pub async fn gauges(state: &AppState) -> Gauges {
    let db = state.store.round_trips();
    let (password_hashes, hashing) = state.hasher.work_done();
    let work = Work {
        db_statements: db.statements,
        db_transactions: db.transactions,
        db_seconds: std::time::Duration::from_nanos(db.nanos).as_secs_f64(),
        password_hashes,
        password_seconds: hashing.as_secs_f64(),
    };
    let sqlite = state.store.sqlite_memory();
    let mut gauges = Gauges {
        work,
        sqlite_memory: sqlite.map(|m| m.bytes),
        sqlite_memory_peak: sqlite.map(|m| m.peak_bytes),
        ..Gauges::default()
    };
    match store::mail_outbox::backlog(state.store.conn()).await {
        Ok(backlog) => (gauges.outbox_pending, gauges.outbox_failed) = (Some(backlog.pending), Some(backlog.failed)),
        Err(error) => tracing::warn!(%error, "cannot read the outbox backlog for /metrics"),
    }
    gauges
}
