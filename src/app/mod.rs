//! Assembles a running provider from settings: database, keys, router, listener.
//! `main` and the integration tests both start kuke-id through [`App::build`].
//!
//! This is the composition root: the one module that may wire the demo relying
//! party (see `demo_mode`) in beside the web layer.

mod database;
mod demo_mode;

pub use database::{create_store, describe_database, describe_keys, open_migrated_store, open_store, redact};
pub use demo_mode::DemoStartError;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::flows::keys::{KeysError, OpenedKeys};
use crate::http;
use crate::state::AppState;
use crate::store::Store;
use crate::tokens::keys::{KeyError, KeyRing};

/// How often every node re-reads the keys from the database (and retires or
/// rotates due ones), so that a rotation made elsewhere reaches all nodes
/// without a restart.
const KEY_RELOAD_INTERVAL: Duration = Duration::from_secs(30);

/// How often every node runs the retention job.
const RETENTION_INTERVAL: Duration = Duration::from_secs(600);

/// The first retention round waits this long after start, so that a node
/// starting up (or a test) gets its first requests answered first.
const RETENTION_FIRST_DELAY: Duration = Duration::from_secs(60);

/// Why the provider cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The SQLite database file does not exist, and this command may not create it.
    #[error("no database at {}: run from your server's folder, or pass --config / KUKE_ID_DATABASE_URL", .path.display())]
    NoDatabase {
        /// The file, as the database URL names it.
        path: PathBuf,
    },
    /// The database cannot be opened or migrated.
    #[error("cannot open the database {url}: {detail}")]
    Database {
        /// The URL without its password.
        url: String,
        /// What failed, with any password the driver echoed replaced.
        detail: String,
    },
    /// The signing keys cannot be loaded or created.
    #[error("signing keys: {0}")]
    Keys(#[from] KeyError),
    /// The key set in the database cannot be opened (a wrong or missing
    /// key-encryption key) or created. Not a `source`: the message says it all,
    /// once.
    #[error("signing keys: {0}")]
    KeySet(KeysError),
    /// Terms are required (`KUKE_ID_TERMS_REQUIRED`) but no version is in force:
    /// serving now would let first sign-ins skip the terms step.
    #[error(
        "no terms version is in force: run `kuke-id terms publish FILE --version V` before serving \
         (or set KUKE_ID_TERMS_REQUIRED=false if this deployment has no terms step)"
    )]
    NoTerms,
    /// The listen address cannot be bound. The I/O error is part of the message,
    /// not a source, so that it is printed once.
    #[error("cannot listen on {addr}: {}", bind_advice(.error))]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What failed.
        error: std::io::Error,
    },
}

impl From<KeysError> for StartError {
    fn from(error: KeysError) -> Self {
        StartError::KeySet(error)
    }
}

/// The bind failure in words, with the setting that moves the server elsewhere.
fn bind_advice(error: &std::io::Error) -> String {
    const MOVE: &str = "choose another address with KUKE_ID_LISTEN (listen in the config file)";
    match error.kind() {
        std::io::ErrorKind::AddrInUse => {
            format!("the address is already in use (another kuke-id or another program); stop it or {MOVE}")
        }
        std::io::ErrorKind::PermissionDenied => format!("permission denied (ports below 1024 need privileges); {MOVE}"),
        _ => format!("{error}; {MOVE}"),
    }
}

/// A built provider, bound to its port but not yet serving.
pub struct App {
    listener: TcpListener,
    state: AppState,
    demo: crate::demo::DemoState,
}

impl App {
    /// Opens and migrates the database, loads (or creates) the keys and binds the port.
    pub async fn build(settings: Settings, clock: Clock) -> Result<Self, StartError> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|error| StartError::Bind { addr: settings.listen, error })?;
        Self::build_on(settings, clock, listener).await
    }

    /// Like [`App::build`] on a listener bound by the caller (tests bind port 0
    /// first, because the issuer URL must name the port).
    pub async fn build_on(settings: Settings, clock: Clock, listener: TcpListener) -> Result<Self, StartError> {
        // Outgoing HTTPS (back-channel logout) uses rustls with ring, like sqlx and lettre;
        // reqwest is built without a provider of its own, so one must be installed first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let state = prepare(settings, clock).await?;
        let demo = crate::demo::DemoState { secure: state.settings.is_https(), ..Default::default() };
        Ok(Self { listener, state, demo })
    }

    /// The state of a provider that does not serve: for CLI commands that act like
    /// the admin API straight on the database (their mails and back-channel logouts
    /// are queued for the serving nodes to deliver).
    ///
    /// Neither the database nor the keys are created: a command run from the
    /// wrong folder must not leave an empty database behind.
    pub async fn offline_state(settings: Settings) -> Result<AppState, StartError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = open_migrated_store(&settings).await?;
        Ok(AppState::new(settings, store, Clock::default(), KeyRing::default()))
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state, e.g. to reach the store from a test.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Refuses to serve when terms are required and none is in force: without
    /// one, first sign-ins would go straight to the relying party and the
    /// journey's "accept the terms" step would silently disappear. Called after
    /// demo mode has published its sample version, just before serving.
    pub async fn check_terms(&self) -> Result<(), StartError> {
        if !self.state.settings.terms_required {
            return Ok(());
        }
        let in_force = crate::flows::terms::any_in_force(&self.state.store, &self.state.clock)
            .await
            .map_err(|source| database::database_error(self.state.settings.database_url.expose(), &source))?;
        if in_force { Ok(()) } else { Err(StartError::NoTerms) }
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish
    /// (for at most [`http::SHUTDOWN_GRACE`]).
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let reload = tokio::spawn(maintain_keys(self.state.clone()));
        let listener = crate::flows::changes::start(&self.state).await;
        let changes = tokio::spawn(crate::flows::changes::follow(self.state.clone(), listener));
        let backchannel = tokio::spawn(deliver_backchannel_logouts(self.state.clone()));
        let outbox = crate::mail::delivery::Outbox {
            store: self.state.store.clone(),
            clock: self.state.clock.clone(),
            queued: self.state.mail_queued.clone(),
            metrics: self.state.metrics.clone(),
        };
        let mail = tokio::spawn(crate::mail::delivery::run(outbox, self.state.settings.clone()));
        let reminders = tokio::spawn(send_reminders(self.state.clone()));
        let retention = tokio::spawn(keep_only_what_is_needed(self.state.clone()));
        let router = http::router(self.state.clone(), demo_mode::router(self.demo));
        let limits = http::server::ConnectionLimits {
            header_read_timeout: self.state.settings.header_read_timeout,
            max_connections: self.state.settings.max_connections,
        };
        let result = http::server::serve(self.listener, router, limits, shutdown).await;
        reload.abort();
        changes.abort();
        backchannel.abort();
        mail.abort();
        reminders.abort();
        retention.abort();
        result
    }
}

/// Opens (or creates) and migrates the database and opens (or creates) the
/// key set: what a serving node starts from.
async fn prepare(settings: Settings, clock: Clock) -> Result<AppState, StartError> {
    let store = database::create_migrated_store(&settings).await?;
    crate::flows::console::client::ensure(&store, &clock, &settings.issuer)
        .await
        .map_err(|source| database::database_error(settings.database_url.expose(), &source))?;
    let opened = open_keys(&settings, &store, &clock).await?;
    let mut state = AppState::new(settings, store, clock, opened.ring);
    state.modify(|state| state.key_encryption_key = Some(std::sync::Arc::new(opened.kek)));
    Ok(state)
}

/// Opens the key set in the database, creating the key-encryption key file and
/// the first keys when the database has none, and importing PEM files of the
/// keys folder once (reported in the log).
pub async fn open_keys(settings: &Settings, store: &Store, clock: &Clock) -> Result<OpenedKeys, StartError> {
    Ok(crate::flows::keys::open_key_set(settings, store, clock, true).await?)
}

/// Every node reloads the keys from the database, retires keys whose tokens
/// have expired and (with `key_rotation_days`) rotates due ones.
async fn maintain_keys(state: AppState) {
    let mut interval = tokio::time::interval(KEY_RELOAD_INTERVAL);
    interval.tick().await;
    loop {
        interval.tick().await;
        if let Err(error) = crate::flows::keys::maintain(&state).await {
            tracing::warn!(%error, "cannot reload signing keys; keeping the loaded ones");
        }
    }
}

/// Every node delivers due back-channel logout tokens every 2 s (and when the
/// clock is moved); claiming in the database keeps two nodes from sending the same one.
async fn deliver_backchannel_logouts(state: AppState) {
    let http = match reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build() {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(%error, "cannot build the HTTP client for back-channel logout");
            return;
        }
    };
    let mut interval = tokio::time::interval(Duration::from_secs(2));
    let mut moves = state.clock.advanced();
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = moves.next() => {}
        }
        if let Err(error) = crate::flows::backchannel::deliver_due(&state, &http).await {
            tracing::warn!(%error, "back-channel logout delivery round failed");
        }
    }
}

/// Every node looks for activation links about to expire once a minute, and
/// at once when the clock is moved.
async fn send_reminders(state: AppState) {
    if state.settings.activation_reminder.is_none() {
        return;
    }
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    let mut moves = state.clock.advanced();
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = moves.next() => {}
        }
        match crate::flows::journey::reminders::send_due(&state).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "activation reminders queued"),
            Err(error) => tracing::warn!(%error, "activation reminder round failed"),
        }
    }
}

/// Every node runs the retention job: shortly after start, then every
/// [`RETENTION_INTERVAL`]. Batches are claimed in the database, so nodes running
/// it at the same time share the work instead of repeating it.
async fn keep_only_what_is_needed(state: AppState) {
    tokio::time::sleep(RETENTION_FIRST_DELAY).await;
    let mut interval = tokio::time::interval(RETENTION_INTERVAL);
    loop {
        interval.tick().await;
        match crate::flows::retention::run_once(&state).await {
            Ok(report) if report.is_empty() => {}
            Ok(report) => tracing::info!(deleted = %report.summary(), "retention: rows no longer needed removed"),
            Err(error) => tracing::warn!(%error, "retention round failed; the next round tries again"),
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
