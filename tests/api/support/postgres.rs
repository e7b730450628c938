//! A uniquely named PostgreSQL database per test, dropped when the test ends
//! (also when it panics).

use sea_orm::{ConnectionTrait, Database};

/// A database created for one test.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// URL of the new database.
    pub url: String,
}

impl PgDatabase {
    /// Creates `kuke_id_test_<uuid>` on the server of `admin_url`.
    pub async fn create(admin_url: &str) -> Self {
        let name = format!("kuke_id_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await.expect("connect to the PostgreSQL test server");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin.close().await.expect("close admin connection");
        let mut url = url::Url::parse(admin_url).expect("postgres URL");
        url.set_path(&format!("/{name}"));
        Self { admin_url: admin_url.to_string(), name, url: url.to_string() }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on itself: use a
        // short-lived runtime on another thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}
