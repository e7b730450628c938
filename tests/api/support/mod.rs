//! `TestApp`: the real provider on `127.0.0.1:0`, a fresh database, a cookie-keeping client.

pub mod balancer;
pub mod browser;
pub mod cli;
pub mod cluster;
pub mod cluster_journey;
pub mod fixtures;
pub mod journey;
pub mod nginx;
pub mod node;
pub mod own_postgres;
pub mod poll;
pub mod postgres;
pub mod raw;
pub mod rp;
pub mod signed;
pub mod smtp;

use std::net::SocketAddr;

use kuke_id::app::App;
use kuke_id::config::Settings;
use kuke_id::domain::clock::Clock;
use kuke_id::state::AppState;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use postgres::PgDatabase;

/// Environment variable naming a PostgreSQL server (any database) for the Postgres half of the suite.
pub const POSTGRES_ENV: &str = "KUKE_ID_TEST_POSTGRES_URL";

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A SQLite file in the test's temporary folder.
    Sqlite,
    /// A fresh database on this PostgreSQL server (admin URL).
    Postgres(String),
}

/// Environment variable listing the backends a run must cover (`sqlite,postgres`
/// in CI): a required backend that is missing fails its tests instead of skipping them.
pub const REQUIRE_BACKENDS_ENV: &str = "KUKE_ID_TEST_REQUIRE_BACKENDS";

impl Backend {
    /// The PostgreSQL backend, when the environment names a server.
    pub fn postgres() -> Option<Backend> {
        std::env::var(POSTGRES_ENV).ok().filter(|url| !url.is_empty()).map(Backend::Postgres)
    }

    /// The PostgreSQL backend for a test of the PostgreSQL half. Such tests are
    /// compiled as ignored when no server was configured at build time (see
    /// `build.rs`); run without one anyway, they fail when the run requires
    /// PostgreSQL and end early (reported by the caller) otherwise.
    pub fn postgres_for_test() -> Option<Backend> {
        let backend = Self::postgres();
        let required = std::env::var(REQUIRE_BACKENDS_ENV)
            .is_ok_and(|list| list.split(',').any(|backend| backend.trim() == "postgres"));
        assert!(
            backend.is_some() || !required,
            "{REQUIRE_BACKENDS_ENV} requires postgres, but {POSTGRES_ENV} is not set"
        );
        if backend.is_none() {
            eprintln!("skipped: {POSTGRES_ENV} is not set");
        }
        backend
    }
}

/// Declares each test twice, as `<name>::sqlite` and `<name>::postgres`; the
/// Postgres one returns at once when no server is configured. A leading
/// `settings = "…";` starts every test's provider with those extra TOML settings.
macro_rules! backend_tests {
    // Races: the server and the racing clients on several worker threads, so that
    // requests really run at the same time instead of taking turns on one thread.
    (multi_thread; $( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn body($app: $crate::support::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    body($crate::support::TestApp::spawn($crate::support::Backend::Sqlite).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                #[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
                async fn postgres() {
                    let Some(backend) = $crate::support::Backend::postgres_for_test() else { return };
                    body($crate::support::TestApp::spawn(backend).await).await;
                }
            }
        )*
    };
    (settings = $settings:expr; $( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn body($app: $crate::support::TestApp) $body

                #[tokio::test]
                async fn sqlite() {
                    body($crate::support::TestApp::spawn_with($crate::support::Backend::Sqlite, $settings).await).await;
                }

                #[tokio::test]
                #[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
                async fn postgres() {
                    let Some(backend) = $crate::support::Backend::postgres_for_test() else { return };
                    body($crate::support::TestApp::spawn_with(backend, $settings).await).await;
                }
            }
        )*
    };
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        backend_tests! { settings = ""; $( $(#[$meta])* async fn $name($app) $body )* }
    };
}

/// A running provider and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`, also the issuer.
    pub base: String,
    /// Bound address.
    pub addr: SocketAddr,
    /// The server's shared state (store, keys, settings).
    pub state: AppState,
    /// The clock the server reads; tests move it forward.
    pub clock: Clock,
    /// Client with a cookie jar that does not follow redirects.
    pub http: reqwest::Client,
    /// Temporary folder with the keys (and the SQLite file).
    pub dir: TempDir,
    /// The SMTP server kuke-id delivers to.
    pub mailbox: smtp::SmtpSink,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    extra_toml: String,
    _postgres: Option<PgDatabase>,
}

/// Copies the files of `from` (one level: the key files) into a new folder `to`.
fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// Installs the TLS provider reqwest needs (ring only, see the crate-stack notes).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl TestApp {
    /// Starts the provider on `backend` with default settings.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, "").await
    }

    /// Starts the provider with extra TOML settings.
    pub async fn spawn_with(backend: Backend, extra_toml: &str) -> Self {
        Self::spawn_inner(backend, extra_toml, false, true).await
    }

    /// Starts the provider in demo mode (demo client, account and `/demo`).
    pub async fn spawn_demo(backend: Backend) -> Self {
        Self::spawn_inner(backend, "", true, true).await
    }

    /// Demo mode as `serve --demo` runs it out of the box: no SMTP, mail kept for `/dev/mail`.
    pub async fn spawn_demo_without_smtp(backend: Backend) -> Self {
        Self::spawn_inner(backend, "", true, false).await
    }

    async fn spawn_inner(backend: Backend, extra_toml: &str, demo: bool, smtp: bool) -> Self {
        install_tls_provider();
        let dir = tempfile::tempdir().expect("temporary folder");
        let (database_url, postgres) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/kuke-id.db?mode=rwc", dir.path().display()), None),
            Backend::Postgres(admin_url) => {
                let db = PgDatabase::create(&admin_url).await;
                (db.url.clone(), Some(db))
            }
        };
        Self::spawn_on(dir, database_url, postgres, extra_toml, demo, smtp).await
    }

    /// A second node of the same deployment: its own port, folder, SMTP sink
    /// and clock, on this node's database (PostgreSQL) and with its settings.
    pub async fn another_node(&self) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        copy_folder(&self.dir.path().join("keys"), &dir.path().join("keys"));
        let database_url = self.state.settings.database_url.expose().to_string();
        Self::spawn_on(dir, database_url, None, &self.extra_toml, false, true).await
    }

    async fn spawn_on(
        dir: TempDir,
        database_url: String,
        postgres: Option<PgDatabase>,
        extra_toml: &str,
        demo: bool,
        smtp: bool,
    ) -> Self {
        let mailbox = smtp::SmtpSink::start().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let base = format!("http://{addr}");
        // A test may name its own issuer (e.g. https) while still talking plain HTTP to the port.
        let issuer_line = if extra_toml.contains("issuer") { String::new() } else { format!("issuer = \"{base}\"\n") };
        // Most tests are about something other than the terms step: they start
        // like a deployment without one. Tests of the step publish a version,
        // which is then shown as in any deployment.
        let terms_line = if extra_toml.contains("terms_required") { "" } else { "terms_required = false\n" };
        // Back-channel receivers of the tests listen on loopback.
        let backchannel_line =
            if extra_toml.contains("backchannel_allow_internal") { "" } else { "backchannel_allow_internal = true\n" };
        // A test may name its own mail server (one that is down, say).
        let smtp = smtp && !extra_toml.contains("smtp_url");
        let smtp_line = if smtp { format!("smtp_url = \"{}\"\n", mailbox.url()) } else { String::new() };
        let toml = format!(
            "{issuer_line}{terms_line}{backchannel_line}{smtp_line}listen = \"{addr}\"\ndatabase_url = \"{database_url}\"\nkeys_dir = \"{}\"\ndatabase_max_connections = 8\nargon2_memory_kib = 8192\nargon2_iterations = 1\n{extra_toml}",
            dir.path().join("keys").display(),
        );
        let settings = Settings::from_toml(&toml).expect("test settings");
        let clock = Clock::default();
        let mut app = App::build_on(settings, clock.clone(), listener).await.expect("app starts");
        if demo {
            let setup = kuke_id::flows::demo::ensure(&app.state().store, &clock, &base).await.expect("demo setup");
            app.enable_demo(
                kuke_id::demo::DemoRp::new(&base, &setup.client_id, &setup.client_secret).expect("demo RP"),
            );
        }
        app.check_terms().await.expect("terms in force, or not required");
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(async {
            let _ = rx.await;
        }));
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Self {
            base,
            addr,
            state,
            clock,
            http,
            dir,
            mailbox,
            shutdown: Some(tx),
            server: Some(server),
            extra_toml: extra_toml.to_string(),
            _postgres: postgres,
        }
    }

    /// Another browser: its own cookie jar, redirects not followed.
    pub fn new_browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client")
    }

    /// Absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// GET `path` and parse the JSON body.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.get(path).await.json().await.expect("JSON body")
    }

    /// Sends the shutdown signal and waits for the server to finish in-flight requests.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(handle) => handle.await.expect("server task"),
            None => Ok(()),
        }
    }
}
