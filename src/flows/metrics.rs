//! What `/metrics` reads from the database at scrape time: the outbox backlog
//! (one indexed count each; the same on every node, since the outbox is shared).

use crate::metrics::Gauges;
use crate::state::AppState;
use crate::store;

/// The gauges; a failed read leaves them out (and is logged) rather than failing the scrape.
pub async fn gauges(state: &AppState) -> Gauges {
    match store::mail_outbox::backlog(state.store.conn()).await {
        Ok(backlog) => Gauges { outbox_pending: Some(backlog.pending), outbox_failed: Some(backlog.failed) },
        Err(error) => {
            tracing::warn!(%error, "cannot read the outbox backlog for /metrics");
            Gauges::default()
        }
    }
}
