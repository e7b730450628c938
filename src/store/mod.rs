//! Persistence: the only module that knows sea-orm. Functions take any
//! connection (the pool or a transaction), so a flow decides the transaction.

pub mod activation_tokens;
pub mod audit;
pub mod authorization_codes;
pub mod authorization_requests;
pub mod backchannel;
pub mod clients;
pub mod consents;
pub mod email_changes;
pub mod entities;
pub mod grants;
pub mod login_transactions;
pub mod mail_outbox;
pub mod organizations;
pub mod rate_limits;
pub mod refresh_tokens;
pub mod revoked_access_tokens;
pub mod sessions;
pub mod stats;
pub mod terms;
pub mod users;

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::config::Settings;

pub use sea_orm::ConnectionTrait as Connection;

/// A LIKE pattern matching `text` literally (its `%`, `_` and backslashes escaped) where
/// `before` and `after` say whether anything may come before or after it.
pub(crate) fn like_literal(text: &str, before: bool, after: bool) -> sea_orm::sea_query::LikeExpr {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("{}{escaped}{}", if before { "%" } else { "" }, if after { "%" } else { "" });
    sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')
}

/// Whether `column` contains `text`, ignoring case, on SQLite and PostgreSQL alike.
pub(crate) fn contains_ignoring_case(
    column: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    Expr::expr(Func::lower(Expr::col(column))).like(like_literal(&text.to_lowercase(), true, true))
}

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (duplicate id, e-mail, …).
    #[error("already exists: {0}")]
    Conflict(String),
    /// A row the caller relied on is gone.
    #[error("not found")]
    NotFound,
    /// A stored value cannot be read back (e.g. a corrupt JSON list).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[source] DbErr),
}

/// A stored name (status, role, step) the domain does not know: a corrupt row.
impl From<crate::domain::unknown_name::UnknownName> for StoreError {
    fn from(error: crate::domain::unknown_name::UnknownName) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

impl From<DbErr> for StoreError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) => StoreError::Conflict(detail),
            _ => StoreError::Database(error),
        }
    }
}

/// The connection pool of one kuke-id process.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

/// A database transaction: commit it explicitly, or it rolls back when dropped.
pub struct Tx(DatabaseTransaction);

impl Tx {
    /// Makes the transaction's writes durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }

    /// The connection to pass to store functions.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.0
    }
}

impl Store {
    /// Connects to the configured database. A SQLite file and its folder are
    /// created on first use, and the file runs in WAL mode with foreign keys on and a
    /// busy timeout, so concurrent writers wait instead of failing.
    pub async fn connect(settings: &Settings) -> Result<Self, StoreError> {
        if settings.is_sqlite() {
            create_sqlite_parent(settings.database_url.expose())?;
        }
        let mut options = ConnectOptions::new(settings.database_url.expose().to_string());
        options
            .max_connections(settings.database_max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            });
        let db = Database::connect(options).await?;
        Ok(Self { db })
    }

    /// Applies every pending migration; a no-op on an up-to-date database.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Ok(Migrator::up(&self.db, None).await?)
    }

    /// Names of the migrations not applied yet.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        let pending = Migrator::get_pending_migrations(&self.db).await?;
        Ok(pending.iter().map(|m| m.name().to_string()).collect())
    }

    /// Answers when the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    /// Opens a transaction. On SQLite it is `BEGIN IMMEDIATE`: it takes the write
    /// lock at once (waiting up to the busy timeout), because a deferred transaction
    /// that reads and then writes fails outright with SQLITE_BUSY_SNAPSHOT when
    /// another connection wrote in between. PostgreSQL ignores the option.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(Tx(self.db.begin_with_options(options).await?))
    }

    /// The pool, for single statements outside a transaction.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Closes the pool (SQLite checkpoints its WAL).
    pub async fn close(self) -> Result<(), StoreError> {
        Ok(self.db.close().await?)
    }
}

fn create_sqlite_parent(url: &str) -> Result<(), StoreError> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            StoreError::Database(DbErr::Custom(format!("cannot create the database folder {}: {e}", parent.display())))
        })?;
    }
    Ok(())
}

/// Whether the backend of `conn` is SQLite (some statements differ).
pub fn is_sqlite(conn: &impl ConnectionTrait) -> bool {
    conn.get_database_backend() == sea_orm::DatabaseBackend::Sqlite
}

/// Serialises a list for a JSON text column.
pub(crate) fn to_json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// Reads a JSON text column written by [`to_json_list`].
pub(crate) fn from_json_list(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}
