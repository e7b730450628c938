//! Persistence: the only module that knows sea-orm. Functions take any
//! connection (the pool or a transaction), so a flow decides the transaction.

pub mod activation_tokens;
pub mod audit;
pub mod authenticators;
pub mod authorization_codes;
pub mod authorization_requests;
pub mod backchannel;
pub mod changes;
pub mod clients;
pub mod consents;
pub mod console_sessions;
pub mod console_uploads;
pub mod email_changes;
pub mod entities;
pub mod grants;
pub mod login_transactions;
pub mod mail_outbox;
pub mod organizations;
pub mod rate_limits;
pub mod recovery_codes;
pub mod refresh_tokens;
pub mod retention;
pub mod revoked_access_tokens;
pub mod round_trips;
pub mod sessions;
pub mod signing_keys;
pub mod stats;
pub mod terms;
pub mod users;

use std::sync::Arc;
use std::time::{Duration, Instant};

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::config::Settings;
use round_trips::{Counted, RoundTrips};

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
    /// The database cannot be reached (connection lost or refused, pool timed
    /// out): try again later.
    #[error("database error")]
    Unavailable(#[source] crate::domain::unavailable::Unavailable),
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
            _ if unreachable(&error) => {
                StoreError::Unavailable(crate::domain::unavailable::Unavailable(error.to_string()))
            }
            _ => StoreError::Database(error),
        }
    }
}

/// Whether `error` says the database cannot be reached, rather than that a
/// statement failed: no connection within the timeout, a connection lost or
/// refused, or the server shutting down or starting up (SQLSTATE classes 08
/// and 57P).
fn unreachable(error: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    let sqlx = match error {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::Conn(_) => return true,
        _ => return false,
    };
    match sqlx.as_ref() {
        Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        Sqlx::Database(db) => db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// The connection pool of one kuke-id process.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    round_trips: Arc<RoundTrips>,
}

/// A database transaction: commit it explicitly, or it rolls back when dropped.
pub struct Tx(DatabaseTransaction, Arc<RoundTrips>);

impl Tx {
    /// Makes the transaction's writes durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        let started = Instant::now();
        let committed = self.0.commit().await;
        self.1.waited(started.elapsed());
        Ok(committed?)
    }

    /// The connection to pass to store functions.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.0
    }
}

impl Store {
    /// Connects to the configured database. With [`IfMissing::Create`] a SQLite
    /// file and its folder are created on first use; with [`IfMissing::Refuse`] a
    /// missing file is an error, so a command run from the wrong folder does not
    /// leave an empty database behind. The file runs in WAL mode with foreign keys
    /// on and a busy timeout, so concurrent writers wait instead of failing.
    pub async fn connect(settings: &Settings, if_missing: IfMissing) -> Result<Self, ConnectError> {
        let create = if_missing == IfMissing::Create;
        let sqlite = settings.sqlite_file();
        let existed = sqlite.as_deref().is_some_and(std::path::Path::is_file);
        if let Some(file) = &sqlite {
            if create {
                create_sqlite_parent(file).map_err(ConnectError::Failed)?;
            } else if !file.is_file() {
                return Err(ConnectError::Missing(file.clone()));
            }
        }
        let timeout = settings.database_connect_timeout;
        let mut options = ConnectOptions::new(settings.database_url.expose().to_string());
        options
            .max_connections(settings.database_max_connections)
            .min_connections(1)
            .connect_timeout(timeout)
            .acquire_timeout(timeout)
            .sqlx_logging(false);
        // sqlx tests every connection when it goes back to the pool; testing it
        // again when it is taken out costs one more round trip per statement. A
        // SQLite connection lives in this process: nothing can drop it in between.
        // A PostgreSQL connection is tested only after a second idle, when a
        // restart, proxy or firewall may have dropped it (as connection pools
        // commonly do); one dropped in that second fails its first statement
        // (503) and is closed.
        if sqlite.is_some() {
            options.test_before_acquire(false);
            options.map_sqlx_sqlite_pool_opts(|pool| {
                pool.after_connect(|conn, _| Box::pin(async move { stable_query_plans(conn).await }))
            });
        } else {
            options.test_before_acquire_if_idle_for(Duration::from_secs(1));
        }
        // Every pooled connection keeps a page cache of its own (2 MiB each by
        // default), and the pool opens a connection whenever none is idle —
        // also when the last one is still on its way back — so the caches
        // grew with the pool, not with the work: 16 connections held 54 MiB
        // after an import. The soft heap limit is one budget for all of them
        // (this SQLite keeps one cache for every connection, and recycles its
        // least recently used pages once the budget is reached); pages it lets
        // go are still in the operating system's file cache.
        let cache_bytes = settings.sqlite_cache_bytes.to_string();
        options.map_sqlx_sqlite_opts(move |opts| {
            opts.create_if_missing(create)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("soft_heap_limit", cache_bytes.clone())
        });
        let mut db = Database::connect(options).await.map_err(|error| ConnectError::from_db(error, timeout))?;
        if let Some(file) = &sqlite {
            keep_private(file, existed);
        }
        let round_trips = RoundTrips::new();
        let counter = round_trips.clone();
        db.set_metric_callback(move |info| {
            counter.statement(info.elapsed);
            // `RUST_LOG=kuke_id::sql=trace` lists every statement (values left out:
            // they hold personal data and secrets' hashes).
            tracing::trace!(target: "kuke_id::sql", took_us = info.elapsed.as_micros(), sql = %info.statement.sql);
        });
        Ok(Self { db, round_trips })
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
        let started = Instant::now();
        let begun = self.db.begin_with_options(options).await;
        self.round_trips.transaction();
        self.round_trips.waited(started.elapsed());
        Ok(Tx(begun?, self.round_trips.clone()))
    }

    /// How often this pool has gone to the database so far.
    pub fn round_trips(&self) -> Counted {
        self.round_trips.read()
    }

    /// The memory SQLite holds in this process (its page caches, prepared
    /// statements and schemas, for every connection): now and at its highest
    /// since start. `None` on PostgreSQL, whose memory is the server's.
    pub fn sqlite_memory(&self) -> Option<SqliteMemory> {
        if !is_sqlite(&self.db) {
            return None;
        }
        // SAFETY: both read SQLite's process-wide counters; no handle is involved,
        // and the reset flag 0 leaves the high-water mark as it is.
        let (now, peak) =
            unsafe { (libsqlite3_sys::sqlite3_memory_used(), libsqlite3_sys::sqlite3_memory_highwater(0)) };
        Some(SqliteMemory { bytes: u64::try_from(now).unwrap_or(0), peak_bytes: u64::try_from(peak).unwrap_or(0) })
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

/// SQLite's own heap in this process, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteMemory {
    /// Held now.
    pub bytes: u64,
    /// The most it held at once since the process started.
    pub peak_bytes: u64,
}

/// Turns SQLite's query planner stability guarantee on for a new connection.
/// Without it SQLite plans `LIMIT ?` (every single-row lookup) with the value
/// bound to it, and so marks the prepared statement stale whenever the value is
/// bound again — at every execution: each lookup was parsed and planned anew, a
/// quarter of SQLite's time in a profile of the sign-in. The plans do not need
/// the values: our statements find rows by key or by index.
async fn stable_query_plans(conn: &mut sea_orm::sqlx::SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
    use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_db_config};
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let mut now_on: std::ffi::c_int = 0;
    // SAFETY: `db` is the connection's open handle, held locked for this call;
    // SQLITE_DBCONFIG_ENABLE_QPSG takes an int (1: on) and an int* it writes the
    // new setting to, here a local that outlives the call.
    let code = unsafe { sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, 1 as std::ffi::c_int, &mut now_on) };
    if code != SQLITE_OK || now_on != 1 {
        return Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability guarantee (code {code})").into(),
        ));
    }
    Ok(())
}

/// Makes the SQLite file and its journal files readable by the owner only: they
/// hold password hashes and personal data. A file that was open to other users
/// before is named in a warning.
#[cfg(unix)]
fn keep_private(file: &std::path::Path, existed: bool) {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let path = std::path::PathBuf::from(name);
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            continue;
        }
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) if existed && suffix.is_empty() => tracing::warn!(
                file = %path.display(),
                was = format!("{mode:o}"),
                "the database file was open to other users; it is now 0600"
            ),
            Ok(()) => {}
            Err(error) => tracing::warn!(
                file = %path.display(),
                %error,
                "the database file is open to other users and cannot be tightened: make it 0600"
            ),
        }
    }
}

#[cfg(not(unix))]
fn keep_private(_: &std::path::Path, _: bool) {}

fn create_sqlite_parent(file: &std::path::Path) -> Result<(), String> {
    match file.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create the database folder {}: {e}", parent.display())),
        None => Ok(()),
    }
}

/// Whether [`Store::connect`] may create a missing SQLite database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    /// Create it (`serve`, `migrate`).
    Create,
    /// Refuse (every other command).
    Refuse,
}

/// Why the database cannot be opened, in one line without the driver's repetitions.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The SQLite file does not exist and may not be created.
    #[error("no database at {}", .0.display())]
    Missing(std::path::PathBuf),
    /// No connection within the connect timeout (a server down, a closed port).
    #[error("no answer within {} s", .0.as_secs())]
    Unreachable(Duration),
    /// The database answered with a refusal, or the connection failed otherwise.
    #[error("{0}")]
    Failed(String),
}

impl ConnectError {
    fn from_db(error: DbErr, timeout: Duration) -> Self {
        let sqlx = match &error {
            DbErr::Conn(sea_orm::RuntimeErr::SqlxError(sqlx)) => Some(sqlx.as_ref()),
            DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout) => {
                return ConnectError::Unreachable(timeout);
            }
            _ => None,
        };
        match sqlx {
            Some(sea_orm::sqlx::Error::PoolTimedOut) => ConnectError::Unreachable(timeout),
            // The server's own words, without the "at line N" of its source code.
            Some(sea_orm::sqlx::Error::Database(refusal)) => ConnectError::Failed(refusal.message().to_string()),
            Some(other) => ConnectError::Failed(other.to_string()),
            None => ConnectError::Failed(error.to_string()),
        }
    }
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
