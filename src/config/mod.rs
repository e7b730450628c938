//! Settings: built-in defaults, then an optional TOML file (`--config`), then
//! `KUKE_ID_*` environment variables. Every value is validated once, at start-up,
//! so a bad value stops the process with one line naming the key.

mod error;
#[cfg(test)]
mod properties;
mod raw;
mod rules;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

use raw::RawSettings;

pub use error::ConfigError;

pub use crate::domain::secret::{Secret, SecretUrl};

/// Prefix of every environment variable the provider reads.
pub const ENV_PREFIX: &str = "KUKE_ID_";

/// How long relying parties may cache the JWK set (`Cache-Control: max-age` of
/// `/jwks`); a rotated key is published longer than this before it signs.
pub const JWKS_MAX_AGE_SECS: u64 = 300;

/// Validated settings of one kuke-id process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Issuer identifier, exactly as it appears in tokens and discovery (no trailing slash).
    pub issuer: String,
    /// Socket address the HTTP server binds.
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…` (may hold a password: shown redacted).
    pub database_url: SecretUrl,
    /// Folder of the key-encryption key file (when `key_encryption_key` is not
    /// set) and of PEM keys of earlier versions, imported once into the database.
    pub keys_dir: PathBuf,
    /// The key that seals the signing keys in the database (base64 of 32 bytes,
    /// validated); `None` uses the file `key-encryption-key` in `keys_dir`.
    pub key_encryption_key: Option<Secret>,
    /// A rotated key is published this long before it signs, so that relying
    /// parties holding a cached JWK set know it before they see it (0: at once).
    pub key_publish_ahead: Duration,
    /// Rotate every algorithm's key automatically this often (`None`: never).
    pub key_rotation: Option<Duration>,
    /// SMTP relay (may hold a password: shown redacted); `None` keeps mail in
    /// the development mailbox.
    pub smtp_url: Option<SecretUrl>,
    /// `From:` of every mail.
    pub mail_from: String,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Largest body of an admin API import (`POST /admin/api/v1/imports`).
    pub import_body_limit_bytes: usize,
    /// Time after which a request is answered with 408.
    pub request_timeout: Duration,
    /// Time a connection has to deliver a request head (from its opening, or
    /// from the previous answer on a kept-alive connection); then it is closed.
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait until one closes.
    pub max_connections: usize,
    /// Upper bound of the database connection pool.
    pub database_max_connections: u32,
    /// How long opening a database connection (or waiting for one from the
    /// pool) may take before it is an error.
    pub database_connect_timeout: Duration,
    /// What SQLite's page caches may hold, every pooled connection together
    /// (SQLite's soft heap limit for the process), in bytes.
    pub sqlite_cache_bytes: u64,
    /// A browser session ends after this long without use.
    pub session_idle: Duration,
    /// A browser session ends this long after sign-in, used or not.
    pub session_absolute: Duration,
    /// Lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// Lifetime of ID tokens.
    pub id_token_ttl: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_token_ttl: Duration,
    /// Lifetime of activation links.
    pub activation_link_ttl: Duration,
    /// Lifetime of e-mailed sign-in codes.
    pub login_code_ttl: Duration,
    /// A reminder goes out this long before an unused activation link expires
    /// (`None`: no reminders).
    pub activation_reminder: Option<Duration>,
    /// Pace of the activation campaign's mails (`None`: as fast as the relay takes them).
    pub campaign_mails_per_minute: Option<u32>,
    /// How long a client secret replaced by a rotation stays valid, unless the
    /// rotation names its own grace.
    pub client_secret_grace: Duration,
    /// argon2id cost for new password hashes.
    pub argon2: crate::domain::password::Cost,
    /// The Client Portal, linked from the final page of a journey begun from a mail.
    pub portal_url: Option<String>,
    /// Which peers are our reverse proxies, whose `X-Forwarded-For` is believed.
    pub proxies: crate::domain::client_address::TrustedProxies,
    /// Deliver back-channel logouts to loopback and private addresses (development,
    /// tests, the demo); off, such deliveries are refused (SSRF).
    pub backchannel_allow_internal: bool,
    /// Attempt limits: account lockout and per-address failure budgets.
    pub limits: crate::domain::lockout::Limits,
    /// Serve Prometheus metrics at `/metrics`.
    pub metrics_enabled: bool,
    /// When set, `/metrics` requires `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// `serve` refuses to start without a terms version in force, so that the
    /// journey's terms step cannot silently disappear; false says on purpose
    /// that this deployment has no terms step.
    pub terms_required: bool,
    /// Client addresses and user agents kept with sessions, sign-ins and terms
    /// acceptances are erased this long after they were recorded; given-up mails
    /// and logouts, ended links and e-mail changes are deleted after it too.
    pub retention: Duration,
    /// Audit events are deleted this long after they happened (`None`: kept forever).
    pub audit_retention: Option<Duration>,
    /// Log format from the configuration file; `--log-format` and
    /// `KUKE_ID_LOG_FORMAT` override it.
    pub log_format: LogFormat,
    /// Whether a person with an authenticator app may ask for the sign-in code by
    /// e-mail instead (`KUKE_ID_TOTP_EMAIL_FALLBACK`).
    pub totp_email_fallback: bool,
}

/// Output format of the logs, as a configuration file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl Settings {
    /// Reads defaults, then `file` (which must exist when given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        // KUKE_ID_CONFIG and KUKE_ID_LOG_FORMAT belong to the command line, and
        // KUKE_ID_TEST_* to the test suite; every other KUKE_ID_* must be a setting.
        let env = Env::prefixed(ENV_PREFIX).filter(|key| {
            // Keys keep the variable's case here; compare without it.
            let key = key.as_str().to_ascii_lowercase();
            !matches!(key.as_str(), "config" | "log_format") && !key.starts_with("test_")
        });
        Self::layered(file, Some(env))
    }

    /// Defaults, then `file`, then `env` when given.
    fn layered(file: Option<&Path>, env: Option<Env>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::command_line(
                    "--config",
                    format!("{} is not a readable file", path.display()),
                ));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        if let Some(env) = env {
            figment = figment.merge(env);
        }
        let raw: RawSettings = figment.extract().map_err(|e| error::from_figment(e, &figment))?;
        raw.validate().map_err(|e| e.located(&figment))
    }

    /// Defaults overridden by a TOML text, without reading the environment (tests, tools).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let figment = Figment::from(Serialized::defaults(RawSettings::default())).merge(Toml::string(text));
        let raw: RawSettings = figment.extract().map_err(|e| error::from_figment(e, &figment))?;
        raw.validate()
    }

    /// The SQLite database file named by the URL, as written there (relative to
    /// the working folder unless absolute); `None` for PostgreSQL and in-memory SQLite.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let url = self.database_url.expose();
        let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let in_memory = query.split('&').any(|pair| pair == "mode=memory");
        if path.is_empty() || path == ":memory:" || in_memory { None } else { Some(PathBuf::from(path)) }
    }

    /// The port of a loopback issuer (`http://localhost:…`, `127.0.0.1`, `[::1]`)
    /// when it is not the port this node listens on: discovery, mails and
    /// redirects would then point at some other server on this machine. `None`
    /// for a public issuer (a proxy may well sit in front) or a matching port.
    pub fn loopback_issuer_elsewhere(&self) -> Option<u16> {
        let url = url::Url::parse(&self.issuer).ok()?;
        let loopback = matches!(url.host_str()?, "localhost" | "127.0.0.1" | "[::1]");
        let port = url.port_or_known_default()?;
        (loopback && port != self.listen.port()).then_some(port)
    }

    /// Demo mode on a loopback issuer: the issuer moves to the port this node
    /// listens on, so that a demo started on another port works as it is.
    pub fn follow_listen_port(&mut self) {
        if let Ok(mut url) = url::Url::parse(&self.issuer)
            && url.set_port(Some(self.listen.port())).is_ok()
        {
            self.issuer = url.as_str().trim_end_matches('/').to_string();
        }
    }

    /// True when the issuer is served over TLS (cookies get `Secure`, responses get HSTS).
    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// True when the database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}
