//! Settings: built-in defaults, then an optional TOML file (`--config`), then
//! `KUKE_ID_*` environment variables. Every value is validated once, at start-up,
//! so a bad value stops the process with one line naming the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Prefix of every environment variable the provider reads.
pub const ENV_PREFIX: &str = "KUKE_ID_";

/// Raw settings as read from the layered sources, before validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    issuer: String,
    listen: String,
    database_url: String,
    keys_dir: PathBuf,
    smtp_url: Option<String>,
    mail_from: String,
    body_limit_bytes: u64,
    import_body_limit_bytes: u64,
    request_timeout_secs: u64,
    header_read_timeout_secs: u64,
    max_connections: u64,
    database_max_connections: u32,
    session_idle_minutes: u64,
    session_absolute_hours: u64,
    access_token_ttl_secs: u64,
    id_token_ttl_secs: u64,
    refresh_token_ttl_days: u64,
    activation_link_ttl_hours: u64,
    login_code_ttl_minutes: u64,
    activation_reminder_hours: u64,
    campaign_mails_per_minute: u32,
    client_secret_grace_hours: u64,
    argon2_memory_kib: u32,
    argon2_iterations: u32,
    argon2_parallelism: u32,
    portal_url: Option<String>,
    trust_forwarded_for: bool,
    trusted_proxies: String,
    backchannel_allow_internal: bool,
    lockout_threshold: u32,
    lockout_secs: u64,
    address_failures_limit: u32,
    address_failures_window_secs: u64,
    metrics_enabled: bool,
    metrics_token: Option<String>,
    terms_required: bool,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            issuer: "http://localhost:8080".into(),
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/kuke-id.db?mode=rwc".into(),
            keys_dir: PathBuf::from("keys"),
            smtp_url: None,
            mail_from: "Portal Klienta <portalklienta@kuke.com.pl>".into(),
            body_limit_bytes: 64 * 1024,
            import_body_limit_bytes: 64 * 1024 * 1024,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            max_connections: 512,
            database_max_connections: 16,
            session_idle_minutes: 60,
            session_absolute_hours: 12,
            access_token_ttl_secs: 300,
            id_token_ttl_secs: 300,
            refresh_token_ttl_days: 30,
            activation_link_ttl_hours: 72,
            login_code_ttl_minutes: 10,
            activation_reminder_hours: 24,
            campaign_mails_per_minute: 600,
            client_secret_grace_hours: 24,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            portal_url: None,
            trust_forwarded_for: false,
            trusted_proxies: String::new(),
            backchannel_allow_internal: false,
            lockout_threshold: 5,
            lockout_secs: 300,
            address_failures_limit: 50,
            address_failures_window_secs: 300,
            metrics_enabled: true,
            metrics_token: None,
            terms_required: true,
        }
    }
}

/// Validated settings of one kuke-id process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Issuer identifier, exactly as it appears in tokens and discovery (no trailing slash).
    pub issuer: String,
    /// Socket address the HTTP server binds.
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Directory of the PEM signing keys.
    pub keys_dir: PathBuf,
    /// SMTP relay; `None` keeps mail in the development mailbox.
    pub smtp_url: Option<String>,
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
}

/// A secret setting: kept out of `Debug` output, so settings can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that compares it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A client slower than this to send a request head is not a client to wait for.
const MAX_HEADER_READ_SECS: u64 = 300;

/// Every connection holds a file descriptor; beyond this the cap protects nothing.
const MAX_HTTP_CONNECTIONS: u64 = 1_000_000;

/// A metrics token shorter than this is refused: it would be guessable.
const MIN_METRICS_TOKEN_LEN: usize = 16;

/// A configuration value that cannot be used; names the key as the user wrote it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {key}: {message}")]
pub struct ConfigError {
    /// The setting, as an environment variable name (`KUKE_ID_ISSUER`).
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        Self { key: env_name(key), message: message.into() }
    }
}

fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_ascii_uppercase())
}

impl Settings {
    /// Reads defaults, then `file` (which must exist when given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError {
                    key: "--config".into(),
                    message: format!("{} is not a readable file", path.display()),
                });
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        // KUKE_ID_CONFIG and KUKE_ID_LOG_FORMAT belong to the command line, and
        // KUKE_ID_TEST_* to the test suite; every other KUKE_ID_* must be a setting.
        figment = figment.merge(Env::prefixed(ENV_PREFIX).filter(|key| {
            // Keys keep the variable's case here; compare without it.
            let key = key.as_str().to_ascii_lowercase();
            !matches!(key.as_str(), "config" | "log_format") && !key.starts_with("test_")
        }));
        let raw: RawSettings = figment.extract().map_err(from_figment)?;
        raw.validate()
    }

    /// Defaults overridden by a TOML text, without reading the environment (tests, tools).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let raw: RawSettings = Figment::from(Serialized::defaults(RawSettings::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(from_figment)?;
        raw.validate()
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

fn from_figment(error: figment::Error) -> ConfigError {
    let error = error.into_iter().next().unwrap_or_else(|| figment::Error::from("unreadable".to_string()));
    let key = error.path.join(".");
    let message = match &error.kind {
        figment::error::Kind::UnknownField(field, _) => {
            return ConfigError::new(field, "unknown setting");
        }
        figment::error::Kind::InvalidType(actual, expected) => {
            format!("expected {expected}, found {actual}")
        }
        figment::error::Kind::InvalidValue(actual, expected) => {
            format!("expected {expected}, found {actual}")
        }
        kind => kind.to_string(),
    };
    if key.is_empty() {
        ConfigError { key: "configuration".into(), message: error.to_string() }
    } else {
        ConfigError::new(&key, message)
    }
}

impl RawSettings {
    fn validate(self) -> Result<Settings, ConfigError> {
        let issuer = validate_issuer(&self.issuer)?;
        let limits = limits(&self)?;
        let listen: SocketAddr = self.listen.parse().map_err(|_| {
            ConfigError::new("listen", format!("'{}' is not an address like 127.0.0.1:8080", self.listen))
        })?;
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new("database_url", "must start with sqlite: or postgres://"));
        }
        if self.keys_dir.as_os_str().is_empty() {
            return Err(ConfigError::new("keys_dir", "must not be empty"));
        }
        let smtp_url = match self.smtp_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => {
                let parsed =
                    url::Url::parse(url).map_err(|e| ConfigError::new("smtp_url", format!("not a URL: {e}")))?;
                if !matches!(parsed.scheme(), "smtp" | "smtps") || parsed.host_str().is_none() {
                    return Err(ConfigError::new(
                        "smtp_url",
                        "must look like smtp://host:port or smtps://user:pass@host",
                    ));
                }
                Some(url.to_string())
            }
        };
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "mail_from",
                format!("'{}' is not a mailbox like Name <user@example.com>", self.mail_from),
            ));
        }
        let positive = |key: &str, value: u64| {
            if value == 0 { Err(ConfigError::new(key, "must be greater than zero")) } else { Ok(value) }
        };
        let body_limit = positive("body_limit_bytes", self.body_limit_bytes)?;
        let max_connections = positive("database_max_connections", self.database_max_connections.into())?;
        let within = |key: &str, value: u64, range: std::ops::RangeInclusive<u64>| {
            if range.contains(&value) {
                Ok(value)
            } else {
                Err(ConfigError::new(key, format!("must be between {} and {}", range.start(), range.end())))
            }
        };
        let header_read_timeout = Duration::from_secs(within(
            "header_read_timeout_secs",
            self.header_read_timeout_secs,
            1..=MAX_HEADER_READ_SECS,
        )?);
        let http_connections = within("max_connections", self.max_connections, 1..=MAX_HTTP_CONNECTIONS)?;
        Ok(Settings {
            issuer,
            listen,
            database_url: self.database_url,
            keys_dir: self.keys_dir,
            smtp_url,
            mail_from: self.mail_from,
            body_limit_bytes: usize::try_from(body_limit).unwrap_or(usize::MAX),
            import_body_limit_bytes: usize::try_from(positive(
                "import_body_limit_bytes",
                self.import_body_limit_bytes,
            )?)
            .unwrap_or(usize::MAX),
            request_timeout: Duration::from_secs(positive("request_timeout_secs", self.request_timeout_secs)?),
            header_read_timeout,
            max_connections: usize::try_from(http_connections).unwrap_or(usize::MAX),
            database_max_connections: u32::try_from(max_connections).unwrap_or(u32::MAX),
            session_idle: minutes(positive("session_idle_minutes", self.session_idle_minutes)?),
            session_absolute: hours(positive("session_absolute_hours", self.session_absolute_hours)?),
            access_token_ttl: Duration::from_secs(positive("access_token_ttl_secs", self.access_token_ttl_secs)?),
            id_token_ttl: Duration::from_secs(positive("id_token_ttl_secs", self.id_token_ttl_secs)?),
            refresh_token_ttl: hours(positive("refresh_token_ttl_days", self.refresh_token_ttl_days)? * 24),
            activation_link_ttl: hours(positive("activation_link_ttl_hours", self.activation_link_ttl_hours)?),
            login_code_ttl: minutes(positive("login_code_ttl_minutes", self.login_code_ttl_minutes)?),
            activation_reminder: match self.activation_reminder_hours {
                0 => None,
                h if h >= self.activation_link_ttl_hours => {
                    return Err(ConfigError::new(
                        "activation_reminder_hours",
                        "must be shorter than activation_link_ttl_hours (0 turns reminders off)",
                    ));
                }
                h => Some(hours(h)),
            },
            campaign_mails_per_minute: (self.campaign_mails_per_minute > 0).then_some(self.campaign_mails_per_minute),
            client_secret_grace: client_secret_grace(self.client_secret_grace_hours)?,
            argon2: argon2_cost(self.argon2_memory_kib, self.argon2_iterations, self.argon2_parallelism)?,
            portal_url: match self.portal_url.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(url) => {
                    url::Url::parse(url).map_err(|e| ConfigError::new("portal_url", format!("not a URL: {e}")))?;
                    Some(url.to_string())
                }
            },
            proxies: crate::domain::client_address::TrustedProxies {
                networks: crate::domain::client_address::TrustedProxies::parse_list(&self.trusted_proxies).map_err(
                    |entry| {
                        ConfigError::new(
                            "trusted_proxies",
                            format!("'{entry}' is not an address or a network like 10.0.0.0/8"),
                        )
                    },
                )?,
                trust_peer: self.trust_forwarded_for,
            },
            limits,
            backchannel_allow_internal: self.backchannel_allow_internal,
            metrics_enabled: self.metrics_enabled,
            metrics_token: match self.metrics_token.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(token) if token.len() < MIN_METRICS_TOKEN_LEN => {
                    return Err(ConfigError::new(
                        "metrics_token",
                        format!("must be at least {MIN_METRICS_TOKEN_LEN} characters"),
                    ));
                }
                Some(token) => Some(Secret(token.to_string())),
            },
            terms_required: self.terms_required,
        })
    }
}

/// Lockout and per-address budgets. The first lock may be short (tests, strict
/// deployments) but never longer than the cap every later lock doubles up to, so a
/// lock always ends by itself within the hour.
fn limits(raw: &RawSettings) -> Result<crate::domain::lockout::Limits, ConfigError> {
    use crate::domain::lockout;
    if !(1..=100).contains(&raw.lockout_threshold) {
        return Err(ConfigError::new(
            "lockout_threshold",
            "must be between 1 and 100 (NIST SP 800-63B allows at most 100)",
        ));
    }
    let cap = lockout::MAX_LOCK.whole_seconds().unsigned_abs();
    if !(1..=cap).contains(&raw.lockout_secs) {
        return Err(ConfigError::new("lockout_secs", format!("must be between 1 and {cap}")));
    }
    if raw.address_failures_limit == 0 {
        return Err(ConfigError::new("address_failures_limit", "must be greater than zero"));
    }
    if !(1..=86_400).contains(&raw.address_failures_window_secs) {
        return Err(ConfigError::new("address_failures_window_secs", "must be between 1 and 86400"));
    }
    Ok(lockout::Limits {
        threshold: i32::try_from(raw.lockout_threshold).unwrap_or(100),
        first_lock: time::Duration::seconds(i64::try_from(raw.lockout_secs).unwrap_or(3600)),
        address_failures: i32::try_from(raw.address_failures_limit).unwrap_or(i32::MAX),
        address_window: time::Duration::seconds(i64::try_from(raw.address_failures_window_secs).unwrap_or(300)),
    })
}

/// Zero is allowed (a rotated secret stops working at once); the upper bound is
/// the domain's, so the default can never be refused at rotation time.
fn client_secret_grace(hours: u64) -> Result<Duration, ConfigError> {
    let max = crate::domain::client::MAX_SECRET_GRACE.whole_hours().unsigned_abs();
    if hours > max {
        return Err(ConfigError::new("client_secret_grace_hours", format!("must be at most {max}")));
    }
    Ok(self::hours(hours))
}

/// OWASP's floor for argon2id is 19 MiB with 2 passes (or more memory with fewer);
/// refuse settings clearly below it rather than silently weakening hashes.
fn argon2_cost(
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
) -> Result<crate::domain::password::Cost, ConfigError> {
    if memory_kib < 8 * 1024 {
        return Err(ConfigError::new("argon2_memory_kib", "must be at least 8192 (OWASP recommends 19456)"));
    }
    if !(1..=10).contains(&iterations) {
        return Err(ConfigError::new("argon2_iterations", "must be between 1 and 10"));
    }
    if !(1..=16).contains(&parallelism) {
        return Err(ConfigError::new("argon2_parallelism", "must be between 1 and 16"));
    }
    Ok(crate::domain::password::Cost { memory_kib, iterations, parallelism })
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(60))
}

fn hours(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(3600))
}

/// OIDC Discovery §3 and RFC 9207: the issuer is an https (or, for development, http)
/// URL without query or fragment, compared by exact string, so it is kept as written.
fn validate_issuer(issuer: &str) -> Result<String, ConfigError> {
    let parsed =
        url::Url::parse(issuer).map_err(|e| ConfigError::new("issuer", format!("'{issuer}' is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::new("issuer", "must be an https:// (or http:// for development) URL"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(ConfigError::new("issuer", "must not contain a query or fragment"));
    }
    if issuer.ends_with('/') {
        return Err(ConfigError::new("issuer", "must not end with a slash"));
    }
    Ok(issuer.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let settings = Settings::from_toml("").expect("defaults");
        assert_eq!(settings.issuer, "http://localhost:8080");
        assert!(settings.is_sqlite());
        assert_eq!(settings.activation_link_ttl, Duration::from_secs(72 * 3600));
    }

    #[test]
    fn issuer_with_trailing_slash_is_refused() {
        let error = Settings::from_toml(r#"issuer = "https://id.example.com/""#).unwrap_err();
        assert_eq!(error.key, "KUKE_ID_ISSUER");
    }

    #[test]
    fn issuer_with_query_is_refused() {
        assert!(Settings::from_toml(r#"issuer = "https://id.example.com?x=1""#).is_err());
    }

    #[test]
    fn unknown_database_scheme_is_refused() {
        let error = Settings::from_toml(r#"database_url = "mysql://x""#).unwrap_err();
        assert_eq!(error.key, "KUKE_ID_DATABASE_URL");
    }

    #[test]
    fn zero_timeout_is_refused() {
        let error = Settings::from_toml(r#"request_timeout_secs = 0"#).unwrap_err();
        assert_eq!(error.key, "KUKE_ID_REQUEST_TIMEOUT_SECS");
    }

    #[test]
    fn a_header_read_timeout_of_zero_or_over_five_minutes_is_refused() {
        assert_eq!(Settings::from_toml("").expect("defaults").header_read_timeout, Duration::from_secs(10));
        let error = Settings::from_toml("header_read_timeout_secs = 0").unwrap_err();
        assert_eq!(error.key, "KUKE_ID_HEADER_READ_TIMEOUT_SECS");
        assert!(Settings::from_toml("header_read_timeout_secs = 301").is_err());
    }

    #[test]
    fn a_connection_cap_of_zero_is_refused() {
        assert_eq!(Settings::from_toml("").expect("defaults").max_connections, 512);
        let error = Settings::from_toml("max_connections = 0").unwrap_err();
        assert_eq!(error.key, "KUKE_ID_MAX_CONNECTIONS");
    }

    #[test]
    fn non_numeric_limit_names_the_key() {
        let error = Settings::from_toml(r#"body_limit_bytes = "lots""#).unwrap_err();
        assert_eq!(error.key, "KUKE_ID_BODY_LIMIT_BYTES");
    }

    #[test]
    fn client_secret_grace_defaults_to_a_day_and_is_bounded() {
        assert_eq!(Settings::from_toml("").expect("defaults").client_secret_grace, Duration::from_secs(24 * 3600));
        assert!(Settings::from_toml("client_secret_grace_hours = 0").is_ok());
        let error = Settings::from_toml("client_secret_grace_hours = 721").unwrap_err();
        assert_eq!(error.key, "KUKE_ID_CLIENT_SECRET_GRACE_HOURS");
    }

    #[test]
    fn bad_mail_from_is_refused() {
        assert!(Settings::from_toml(r#"mail_from = "not an address""#).is_err());
    }

    #[test]
    fn metrics_are_on_without_a_token_by_default() {
        let settings = Settings::from_toml("").expect("defaults");
        assert!(settings.metrics_enabled);
        assert!(settings.metrics_token.is_none());
    }

    #[test]
    fn a_short_metrics_token_is_refused_and_a_long_one_is_not_printed() {
        let error = Settings::from_toml(r#"metrics_token = "short""#).unwrap_err();
        assert_eq!(error.key, "KUKE_ID_METRICS_TOKEN");
        let settings = Settings::from_toml(r#"metrics_token = "a-long-enough-scrape-token""#).expect("token");
        assert!(!format!("{settings:?}").contains("a-long-enough-scrape-token"));
    }

    #[test]
    fn lockout_defaults_to_five_failures_and_five_minutes() {
        let limits = Settings::from_toml("").expect("defaults").limits;
        assert_eq!(limits.threshold, 5);
        assert_eq!(limits.first_lock, time::Duration::minutes(5));
    }

    #[test]
    fn a_lock_longer_than_the_cap_or_a_zero_threshold_is_refused() {
        assert_eq!(Settings::from_toml("lockout_secs = 3601").unwrap_err().key, "KUKE_ID_LOCKOUT_SECS");
        assert_eq!(Settings::from_toml("lockout_secs = 0").unwrap_err().key, "KUKE_ID_LOCKOUT_SECS");
        assert_eq!(Settings::from_toml("lockout_threshold = 0").unwrap_err().key, "KUKE_ID_LOCKOUT_THRESHOLD");
        let error = Settings::from_toml("address_failures_limit = 0").unwrap_err();
        assert_eq!(error.key, "KUKE_ID_ADDRESS_FAILURES_LIMIT");
    }

    #[test]
    fn trusted_proxies_are_networks_and_a_bad_one_is_named() {
        let settings = Settings::from_toml(r#"trusted_proxies = "10.0.0.0/8, ::1""#).expect("proxies");
        assert_eq!(settings.proxies.networks.len(), 2);
        let error = Settings::from_toml(r#"trusted_proxies = "10.0.0.0/8, lb.internal""#).unwrap_err();
        assert_eq!(error.key, "KUKE_ID_TRUSTED_PROXIES");
        assert!(error.message.contains("lb.internal"));
    }

    #[test]
    fn terms_are_required_unless_turned_off_and_only_a_boolean_says_so() {
        assert!(Settings::from_toml("").expect("defaults").terms_required);
        assert!(!Settings::from_toml("terms_required = false").expect("off").terms_required);
        let error = Settings::from_toml(r#"terms_required = "maybe""#).unwrap_err();
        assert_eq!(error.key, "KUKE_ID_TERMS_REQUIRED");
    }

    #[test]
    fn smtp_url_with_other_scheme_is_refused() {
        assert!(Settings::from_toml(r#"smtp_url = "http://mail""#).is_err());
    }
}
