//! The settings as read from the layered sources, and their validation into
//! [`Settings`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::rules::{
    argon2_cost, client_secret_grace, hours, key_encryption_key, key_publish_ahead, key_rotation, minutes,
    validate_issuer,
};
use super::{ConfigError, LogFormat, Secret, SecretUrl, Settings};

/// A client slower than this to send a request head is not a client to wait for.
const MAX_HEADER_READ_SECS: u64 = 300;

/// A database that has not answered in five minutes is not coming.
const MAX_DATABASE_CONNECT_SECS: u64 = 300;
/// The largest SQLite cache budget, in MiB (64 GiB).
const MAX_SQLITE_CACHE_MIB: u64 = 65_536;

/// Every connection holds a file descriptor; beyond this the cap protects nothing.
const MAX_HTTP_CONNECTIONS: u64 = 1_000_000;

/// About a hundred years: longer is "forever", which the audit retention says with 0.
const MAX_RETENTION_DAYS: u64 = 36_500;
/// Upper bound of lifetimes counted in seconds (tokens, the request timeout):
/// a day. Larger values are mistakes, and unbounded ones overflow the
/// arithmetic on timestamps.
const MAX_DAY_SECS: u64 = 86_400;
/// Upper bound of lifetimes counted in hours or minutes (sessions, links): a year.
const MAX_YEAR_HOURS: u64 = 366 * 24;

/// A metrics token shorter than this is refused: it would be guessable.
const MIN_METRICS_TOKEN_LEN: usize = 16;

/// Raw settings as read from the layered sources, before validation.
// No `Debug`: the URLs may hold passwords until they become `SecretUrl`s.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    issuer: String,
    listen: String,
    database_url: String,
    keys_dir: PathBuf,
    key_encryption_key: Option<String>,
    key_publish_ahead_secs: u64,
    key_rotation_days: u64,
    smtp_url: Option<String>,
    mail_from: String,
    body_limit_bytes: u64,
    import_body_limit_bytes: u64,
    request_timeout_secs: u64,
    header_read_timeout_secs: u64,
    max_connections: u64,
    database_max_connections: u32,
    database_connect_timeout_secs: u64,
    sqlite_cache_mib: u64,
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
    retention_days: u64,
    audit_retention_days: u64,
    log_format: String,
    totp_email_fallback: bool,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            issuer: "http://localhost:8080".into(),
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/kuke-id.db?mode=rwc".into(),
            keys_dir: PathBuf::from("keys"),
            key_encryption_key: None,
            key_publish_ahead_secs: 600,
            key_rotation_days: 0,
            smtp_url: None,
            mail_from: "Portal Klienta <portalklienta@kuke.com.pl>".into(),
            body_limit_bytes: 64 * 1024,
            import_body_limit_bytes: 64 * 1024 * 1024,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            max_connections: 512,
            database_max_connections: 16,
            database_connect_timeout_secs: 5,
            sqlite_cache_mib: 8,
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
            retention_days: 90,
            audit_retention_days: 730,
            log_format: "text".into(),
            totp_email_fallback: true,
        }
    }
}

impl RawSettings {
    pub(super) fn validate(self) -> Result<Settings, ConfigError> {
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
                Some(SecretUrl::new(url))
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
        let connect_timeout =
            within("database_connect_timeout_secs", self.database_connect_timeout_secs, 1..=MAX_DATABASE_CONNECT_SECS)?;
        let sqlite_cache_mib = within("sqlite_cache_mib", self.sqlite_cache_mib, 1..=MAX_SQLITE_CACHE_MIB)?;
        let log_format = match self.log_format.trim().to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => return Err(ConfigError::new("log_format", format!("'{}' is neither text nor json", self.log_format))),
        };
        let retention = hours(within("retention_days", self.retention_days, 1..=MAX_RETENTION_DAYS)? * 24);
        let audit_retention = match within("audit_retention_days", self.audit_retention_days, 0..=MAX_RETENTION_DAYS)? {
            0 => None,
            days => Some(hours(days * 24)),
        };
        let http_connections = within("max_connections", self.max_connections, 1..=MAX_HTTP_CONNECTIONS)?;
        Ok(Settings {
            issuer,
            listen,
            database_url: SecretUrl::new(self.database_url),
            keys_dir: self.keys_dir,
            key_encryption_key: key_encryption_key(self.key_encryption_key.as_deref())?,
            key_publish_ahead: key_publish_ahead(self.key_publish_ahead_secs)?,
            key_rotation: key_rotation(self.key_rotation_days)?,
            smtp_url,
            mail_from: self.mail_from,
            body_limit_bytes: usize::try_from(body_limit).unwrap_or(usize::MAX),
            import_body_limit_bytes: usize::try_from(positive(
                "import_body_limit_bytes",
                self.import_body_limit_bytes,
            )?)
            .unwrap_or(usize::MAX),
            request_timeout: Duration::from_secs(within(
                "request_timeout_secs",
                self.request_timeout_secs,
                1..=MAX_DAY_SECS,
            )?),
            header_read_timeout,
            max_connections: usize::try_from(http_connections).unwrap_or(usize::MAX),
            database_max_connections: u32::try_from(max_connections).unwrap_or(u32::MAX),
            database_connect_timeout: Duration::from_secs(connect_timeout),
            sqlite_cache_bytes: sqlite_cache_mib * 1024 * 1024,
            session_idle: minutes(within("session_idle_minutes", self.session_idle_minutes, 1..=MAX_YEAR_HOURS * 60)?),
            session_absolute: hours(within("session_absolute_hours", self.session_absolute_hours, 1..=MAX_YEAR_HOURS)?),
            access_token_ttl: Duration::from_secs(within(
                "access_token_ttl_secs",
                self.access_token_ttl_secs,
                1..=MAX_DAY_SECS,
            )?),
            id_token_ttl: Duration::from_secs(within("id_token_ttl_secs", self.id_token_ttl_secs, 1..=MAX_DAY_SECS)?),
            refresh_token_ttl: hours(
                within("refresh_token_ttl_days", self.refresh_token_ttl_days, 1..=MAX_RETENTION_DAYS)? * 24,
            ),
            activation_link_ttl: hours(within(
                "activation_link_ttl_hours",
                self.activation_link_ttl_hours,
                1..=MAX_YEAR_HOURS,
            )?),
            login_code_ttl: minutes(within("login_code_ttl_minutes", self.login_code_ttl_minutes, 1..=24 * 60)?),
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
                Some(token) => Some(Secret::new(token)),
            },
            terms_required: self.terms_required,
            retention,
            audit_retention,
            log_format,
            totp_email_fallback: self.totp_email_fallback,
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
