//! SQLite connections plan their statements without the values bound to them
//! (the query planner stability guarantee): otherwise SQLite marks a statement
//! with `LIMIT ?` stale at every execution and parses it again.

use crate::support::{Backend, TestApp};

/// The stability guarantee of one pooled connection, as SQLite reports it.
async fn planner_stability_of_a_pooled_connection(app: &TestApp) -> std::ffi::c_int {
    let pool = app.state.store.conn().get_sqlite_connection_pool();
    let mut conn = pool.acquire().await.expect("a pooled SQLite connection");
    let mut handle = conn.lock_handle().await.expect("its handle");
    let mut setting: std::ffi::c_int = -1;
    // SAFETY: the handle is open and locked; -1 asks for the setting without
    // changing it, written to a local that outlives the call.
    let code = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            handle.as_raw_handle().as_ptr(),
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            -1 as std::ffi::c_int,
            &mut setting,
        )
    };
    assert_eq!(code, libsqlite3_sys::SQLITE_OK);
    setting
}

#[tokio::test]
async fn every_pooled_sqlite_connection_plans_without_the_bound_values() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // More connections than the pool keeps idle: new ones are set up the same way.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(app.state.store.conn().get_sqlite_connection_pool().acquire().await.expect("connection"));
    }
    drop(held);
    for _ in 0..4 {
        assert_eq!(planner_stability_of_a_pooled_connection(&app).await, 1);
    }
}

#[tokio::test]
async fn a_single_row_lookup_is_not_prepared_again_when_it_runs_again() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.activated_user().await;
    let pool = app.state.store.conn().get_sqlite_connection_pool();
    let mut conn = pool.acquire().await.expect("a pooled SQLite connection");
    // The shape of every `.one()`: a bound key and a bound `LIMIT`.
    let sql = "SELECT login FROM users WHERE login = ? LIMIT ?";
    for _ in 0..3 {
        let login: String =
            sea_orm::sqlx::query_scalar(sql).bind(&user.login).bind(1_i64).fetch_one(&mut *conn).await.expect("lookup");
        assert_eq!(login, user.login);
    }
    let mut handle = conn.lock_handle().await.expect("its handle");
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: the handle is open and locked while its statements are walked;
    // sqlite3_next_stmt and sqlite3_sql only read the connection's own list.
    let reprepared = unsafe {
        let mut statement = libsqlite3_sys::sqlite3_next_stmt(db, std::ptr::null_mut());
        let mut found = None;
        while !statement.is_null() {
            let text = std::ffi::CStr::from_ptr(libsqlite3_sys::sqlite3_sql(statement)).to_string_lossy();
            if text == sql {
                found = Some(libsqlite3_sys::sqlite3_stmt_status(
                    statement,
                    libsqlite3_sys::SQLITE_STMTSTATUS_REPREPARE,
                    0,
                ));
            }
            statement = libsqlite3_sys::sqlite3_next_stmt(db, statement);
        }
        found
    };
    assert_eq!(reprepared, Some(0), "prepared once, then reused as it was");
}
