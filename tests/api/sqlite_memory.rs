//! SQLite's memory in the provider's process is one budget for every pooled
//! connection (SQLite's soft heap limit), not a page cache per connection that
//! grows with the pool, and `/metrics` shows what SQLite holds.

use crate::support::{Backend, TestApp};

#[tokio::test]
async fn every_pooled_sqlite_connection_shares_the_configured_cache_budget() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let pool = app.state.store.conn().get_sqlite_connection_pool();
    // More connections than the pool keeps idle: each one opened sets the same budget.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(pool.acquire().await.expect("connection"));
    }
    for conn in &mut held {
        let limit: i64 =
            sea_orm::sqlx::query_scalar("PRAGMA soft_heap_limit").fetch_one(&mut **conn).await.expect("pragma");
        assert_eq!(limit, 8 * 1024 * 1024, "the default budget, 8 MiB");
    }
}
