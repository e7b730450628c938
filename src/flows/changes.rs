//! Hearing what other nodes changed: on PostgreSQL every node listens for the
//! announcements of [`crate::store::changes`] and drops what it kept in memory
//! about the changed thing (a client registration, the key ring), so a change
//! made on one node holds on all of them within moments. The periodic reloads
//! stay as the fallback for an announcement missed while the connection was down.

use crate::domain::change::Change;
use crate::state::AppState;
use crate::store::changes::{self, Heard};

/// Listens until the task is stopped; returns at once on SQLite (one node).
pub async fn follow(state: AppState) {
    let mut listener = loop {
        match changes::listen(&state.store).await {
            Ok(Some(listener)) => break listener,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other nodes' changes yet; trying again");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        }
    };
    // Changes made between this node's start and its first LISTEN are read by
    // the start itself; from here on, every announcement is heard.
    loop {
        apply(&state, listener.next().await).await;
    }
}

/// Acts on one announcement.
pub async fn apply(state: &AppState, heard: Heard) {
    match heard {
        Heard::Change(Change::Client(id)) => state.clients.forget(&id),
        Heard::Change(Change::Keys) => reload_keys(state).await,
        Heard::MaybeMissed => {
            state.clients.forget_all();
            reload_keys(state).await;
        }
    }
}

async fn reload_keys(state: &AppState) {
    if let Err(error) = crate::flows::keys::reload(state).await {
        tracing::warn!(%error, "cannot reload signing keys; keeping the loaded ones");
    }
}
