//! The schema the migrations leave behind, on both backends.

use sea_orm::{ConnectionTrait, Statement};

/// The names of the indexes on `users` whose only column is `email`, each with
/// whether it is unique.
async fn email_indexes(app: &crate::support::TestApp) -> Vec<(String, bool)> {
    let conn = app.state.store.conn();
    let backend = conn.get_database_backend();
    let sql = if kuke_id::store::is_sqlite(conn) {
        "SELECT l.name AS name, l.\"unique\" = 1 AS is_unique FROM pragma_index_list('users') AS l \
         WHERE (SELECT group_concat(i.name) FROM pragma_index_info(l.name) AS i) = 'email'"
    } else {
        "SELECT c.relname AS name, x.indisunique AS is_unique FROM pg_index x \
         JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         WHERE t.relname = 'users' AND t.relnamespace = to_regnamespace(current_schema())::oid \
         AND x.indnatts = 1 AND pg_get_indexdef(x.indexrelid, 1, true) = 'email'"
    };
    let rows = conn.query_all_raw(Statement::from_string(backend, sql)).await.expect("index list");
    rows.iter()
        .map(|row| {
            (row.try_get::<String>("", "name").expect("name"), row.try_get::<bool>("", "is_unique").expect("unique"))
        })
        .collect()
}

backend_tests! {
    async fn account_email_addresses_have_one_index_and_it_is_unique(app) {
        assert_eq!(email_indexes(&app).await, vec![("ux_users_email".to_string(), true)]);
    }
}
