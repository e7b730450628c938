//! Announcing changes to every node, and hearing them: PostgreSQL's
//! `LISTEN/NOTIFY` on one channel. A notification sent inside a transaction is
//! delivered when (and only if) it commits, so no node hears of a change it
//! could not yet read. SQLite serves one node, so there is nothing to announce.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::{Store, StoreError};
use crate::domain::change::Change;

/// The one channel every node listens on.
pub const CHANNEL: &str = "kuke_id_changes";

/// Tells every node about `change` when the caller's transaction commits.
pub async fn announce(conn: &impl ConnectionTrait, change: &Change) -> Result<(), StoreError> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), change.to_payload().into()],
    ))
    .await?;
    Ok(())
}

/// What the listener heard.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    /// A change another node (or this one) announced.
    Change(Change),
    /// The connection was lost and made again, or a payload this version does
    /// not know arrived: announcements may have been missed, so everything
    /// kept in memory should be read again.
    MaybeMissed,
}

/// A dedicated connection listening on [`CHANNEL`] (PostgreSQL only).
pub struct Listener(PgListener);

/// Starts listening; `None` on SQLite, where there are no other nodes.
pub async fn listen(store: &Store) -> Result<Option<Listener>, StoreError> {
    let conn = store.conn();
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let mut listener = PgListener::connect_with(conn.get_postgres_connection_pool())
        .await
        .map_err(|e| StoreError::Database(sea_orm::DbErr::Custom(e.to_string())))?;
    listener.listen(CHANNEL).await.map_err(|e| StoreError::Database(sea_orm::DbErr::Custom(e.to_string())))?;
    Ok(Some(Listener(listener)))
}

impl Listener {
    /// Waits for the next announcement. When the connection fails it is made
    /// again (every second until the database answers) and [`Heard::MaybeMissed`]
    /// is reported, so the caller never waits on a dead connection.
    pub async fn next(&mut self) -> Heard {
        match self.0.try_recv().await {
            Ok(Some(notification)) => {
                Change::from_payload(notification.payload()).map_or(Heard::MaybeMissed, Heard::Change)
            }
            Ok(None) => Heard::MaybeMissed,
            Err(error) => {
                tracing::warn!(%error, "the change listener lost the database; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                Heard::MaybeMissed
            }
        }
    }
}
