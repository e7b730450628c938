//! What one database statement costs on SQLite, the floor under every flow:
//! the same keyed read and the same one-row write, run one at a time (as a
//! request runs them), through the provider's pool (sea-orm on sqlx, as the
//! flows run them), inside one transaction on that pool, and straight through
//! SQLite's C interface on the calling thread. It prints the process's CPU time
//! and its context switches per statement, so the price of the pool's
//! check-out and check-in and of sqlx's per-connection worker thread can be
//! told apart from SQLite's own work.
//!
//! `cargo bench --bench statement` (`STATEMENT_N` statements each, default 4 000).

// A harness, not production code: a failed setup step should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, unsafe_code)]

use std::ffi::CString;
use std::time::{Duration, Instant};

use kuke_id::config::Settings;
use kuke_id::store::{IfMissing, Store};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

const READ: &str = "SELECT n FROM bench WHERE id = ?";
const WRITE: &str = "UPDATE bench SET n = n + 1 WHERE id = ?";

/// The process's CPU time and context switches (voluntary and not) so far.
#[derive(Clone, Copy)]
struct Usage {
    cpu: Duration,
    switches: i64,
    wall: Instant,
}

fn usage() -> Usage {
    // SAFETY: getrusage writes one plain struct that we own.
    let mut raw: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut raw) };
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    Usage { cpu: time(raw.ru_utime) + time(raw.ru_stime), switches: raw.ru_nvcsw + raw.ru_nivcsw, wall: Instant::now() }
}

fn report(label: &str, n: usize, before: Usage) {
    let after = usage();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!(
        "| {label} | {:.1} | {:.1} | {:.2} |",
        per(after.cpu.saturating_sub(before.cpu)),
        per(after.wall.duration_since(before.wall)),
        (after.switches - before.switches) as f64 / n as f64
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("STATEMENT_N").ok().and_then(|v| v.parse().ok()).unwrap_or(4_000);
    let dir = std::env::temp_dir().join(format!("kuke-id-bench-{}", uuid::Uuid::new_v4()));
    let file = dir.join("db.sqlite");
    let toml = format!(
        "issuer = \"http://127.0.0.1:9\"\ndatabase_url = \"sqlite://{}?mode=rwc\"\nkeys_dir = \"{}\"\n",
        file.display(),
        dir.join("keys").display()
    );
    let settings = Settings::from_toml(&toml).expect("settings");
    let store = Store::connect(&settings, IfMissing::Create).await.expect("store");
    let db = store.conn();
    db.execute_unprepared("CREATE TABLE bench (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)").await.expect("table");
    db.execute_unprepared(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1000) \
         INSERT INTO bench (id, n) SELECT i, 0 FROM s",
    )
    .await
    .expect("rows");
    let statement = |sql: &str, i: usize| {
        let id = i64::try_from(i % 1000 + 1).unwrap_or(1);
        Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, [id.into()])
    };

    // Every pooled connection prepares each statement once, then reuses it.
    for i in 0..64 {
        db.query_one_raw(statement(READ, i)).await.expect("read");
        db.execute_raw(statement(WRITE, i)).await.expect("write");
    }

    println!("SQLite, one statement at a time, {n} each (WAL, synchronous=NORMAL, as the provider runs it)\n");
    println!("| path | process CPU µs per statement | wall µs per statement | context switches per statement |");
    println!("|---|---:|---:|---:|");

    let before = usage();
    for i in 0..n {
        db.query_one_raw(statement(READ, i)).await.expect("read");
    }
    report("keyed read, pooled (check-out, statement, check-in)", n, before);

    let before = usage();
    for i in 0..n {
        db.execute_raw(statement(WRITE, i)).await.expect("write");
    }
    report("one-row write, pooled, its own commit", n, before);

    let tx = store.begin().await.expect("begin");
    let before = usage();
    for i in 0..n {
        tx.conn().query_one_raw(statement(READ, i)).await.expect("read");
    }
    report("keyed read, inside one transaction", n, before);
    let before = usage();
    for i in 0..n {
        tx.conn().execute_raw(statement(WRITE, i)).await.expect("write");
    }
    report("one-row write, inside one transaction", n, before);
    tx.commit().await.expect("commit");

    let before = usage();
    for _ in 0..n / 10 {
        let tx = store.begin().await.expect("begin");
        tx.commit().await.expect("commit");
    }
    report("an empty transaction (BEGIN + COMMIT), pooled", n / 10, before);

    let raw = Raw::open(&file);
    let before = usage();
    raw.run(READ, n);
    report("keyed read, SQLite's C interface on the calling thread", n, before);
    let before = usage();
    raw.run(WRITE, n);
    report("one-row write, SQLite's C interface, its own commit", n, before);
    drop(raw);

    store.close().await.expect("close");
    let _ = std::fs::remove_dir_all(dir);
}

/// One SQLite connection of our own, with the pool's settings.
struct Raw(*mut libsqlite3_sys::sqlite3);

impl Raw {
    fn open(file: &std::path::Path) -> Raw {
        let path = CString::new(file.to_string_lossy().as_bytes()).expect("path");
        let mut db = std::ptr::null_mut();
        // SAFETY: a valid C string and an out-pointer we own; checked below.
        let rc = unsafe { libsqlite3_sys::sqlite3_open(path.as_ptr(), &mut db) };
        assert_eq!(rc, libsqlite3_sys::SQLITE_OK, "open");
        let raw = Raw(db);
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA busy_timeout = 10000"] {
            raw.run(pragma, 1);
        }
        raw
    }

    /// Prepares `sql` once and runs it `n` times, each with the next key bound.
    fn run(&self, sql: &str, n: usize) {
        let text = CString::new(sql).expect("sql");
        let mut stmt = std::ptr::null_mut();
        // SAFETY: the connection is open; the statement is finalized below.
        unsafe {
            let rc = libsqlite3_sys::sqlite3_prepare_v2(self.0, text.as_ptr(), -1, &mut stmt, std::ptr::null_mut());
            assert_eq!(rc, libsqlite3_sys::SQLITE_OK, "prepare {sql}");
            let params = libsqlite3_sys::sqlite3_bind_parameter_count(stmt);
            for i in 0..n {
                if params > 0 {
                    libsqlite3_sys::sqlite3_bind_int64(stmt, 1, i64::try_from(i % 1000 + 1).unwrap_or(1));
                }
                while libsqlite3_sys::sqlite3_step(stmt) == libsqlite3_sys::SQLITE_ROW {}
                libsqlite3_sys::sqlite3_reset(stmt);
            }
            libsqlite3_sys::sqlite3_finalize(stmt);
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: every statement was finalized; the handle is ours.
        unsafe { libsqlite3_sys::sqlite3_close(self.0) };
    }
}
