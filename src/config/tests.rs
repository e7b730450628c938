//! Settings tests: defaults, refusals naming their key as the operator wrote it, redaction.

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

#[test]
fn settings_never_format_the_passwords_of_their_urls() {
    let settings = Settings::from_toml(
        r#"
database_url = "postgres://kuke:db-Pa55word@db.internal:5432/kuke?sslpassword=key-Pa55word"
smtp_url = "smtps://mailer:smtp-Pa55word@relay.example:465"
metrics_token = "metrics-token-Pa55word"
"#,
    )
    .expect("settings");
    let shown = format!("{settings:?} {:?} {}", settings.database_url, settings.database_url);
    assert!(!shown.contains("Pa55word"), "{shown}");
    assert!(shown.contains("db.internal"), "{shown}");
    assert!(shown.contains("relay.example"), "{shown}");
    assert_eq!(
        settings.database_url.expose(),
        "postgres://kuke:db-Pa55word@db.internal:5432/kuke?sslpassword=key-Pa55word"
    );
}

/// Loads `text` as the configuration file `kuke-id.toml`, without the environment.
fn from_file(text: &str) -> Result<Settings, ConfigError> {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("kuke-id.toml");
    std::fs::write(&path, text).expect("write");
    Settings::layered(Some(&path), None)
}

#[test]
fn a_typo_in_a_file_key_is_named_as_the_file_key_with_a_suggestion() {
    let error = from_file("listn = \"127.0.0.1:8081\"").unwrap_err();
    let shown = error.to_string();
    assert!(shown.contains("unknown key \"listn\" in ") && shown.contains("kuke-id.toml"), "{shown}");
    assert!(shown.contains("did you mean \"listen\"?"), "{shown}");
    assert!(!shown.contains("KUKE_ID_"), "{shown}");
    assert_eq!(shown.lines().count(), 1);
}

#[test]
fn an_upper_case_file_key_is_not_reported_with_a_doubled_prefix() {
    let shown = from_file("KUKE_ID_LISTEN = \"127.0.0.1:8081\"").unwrap_err().to_string();
    assert!(shown.contains("unknown key \"KUKE_ID_LISTEN\""), "{shown}");
    assert!(shown.contains("did you mean \"listen\"?"), "{shown}");
    assert!(!shown.contains("KUKE_ID_KUKE_ID"), "{shown}");
}

#[test]
fn a_bad_file_value_is_named_by_its_file_key() {
    let error = from_file("listen = \"not-an-address\"").unwrap_err();
    assert_eq!(error.key, "listen");
    let shown = error.to_string();
    assert!(shown.contains("listen in ") && shown.contains("kuke-id.toml: 'not-an-address'"), "{shown}");
}

#[test]
fn a_negative_number_is_a_sentence_naming_the_setting_and_what_it_expects() {
    let shown = from_file("request_timeout_secs = -5").unwrap_err().to_string();
    assert!(shown.contains("request_timeout_secs in "), "{shown}");
    assert!(shown.contains("expects a whole number of seconds, not -5"), "{shown}");
    assert!(!shown.contains("signed int"), "{shown}");
    let error = Settings::from_toml("lockout_secs = -5").unwrap_err();
    assert_eq!(error.key, "KUKE_ID_LOCKOUT_SECS");
    assert!(error.to_string().contains("expects a whole number of seconds, not -5"), "{error}");
}

#[test]
fn a_wrong_type_says_what_is_expected() {
    let shown = Settings::from_toml("metrics_enabled = \"yes\"").unwrap_err().to_string();
    assert!(shown.contains("KUKE_ID_METRICS_ENABLED: expects true or false, not \"yes\""), "{shown}");
}

#[test]
fn the_log_format_of_the_readme_is_accepted_in_the_file() {
    assert_eq!(from_file("log_format = \"json\"").expect("json").log_format, LogFormat::Json);
    assert_eq!(Settings::from_toml("").expect("defaults").log_format, LogFormat::Text);
    let shown = from_file("log_format = \"xml\"").unwrap_err().to_string();
    assert!(shown.contains("log_format in ") && shown.contains("neither text nor json"), "{shown}");
}

#[test]
fn the_database_connect_timeout_defaults_to_five_seconds_and_is_bounded() {
    assert_eq!(Settings::from_toml("").expect("defaults").database_connect_timeout, Duration::from_secs(5));
    let settings = Settings::from_toml("database_connect_timeout_secs = 1").expect("one second");
    assert_eq!(settings.database_connect_timeout, Duration::from_secs(1));
    let error = Settings::from_toml("database_connect_timeout_secs = 0").unwrap_err();
    assert_eq!(error.key, "KUKE_ID_DATABASE_CONNECT_TIMEOUT_SECS");
}

#[test]
fn the_sqlite_cache_budget_defaults_to_eight_mebibytes_and_is_bounded() {
    assert_eq!(Settings::from_toml("").expect("defaults").sqlite_cache_bytes, 8 * 1024 * 1024);
    let settings = Settings::from_toml("sqlite_cache_mib = 64").expect("64 MiB");
    assert_eq!(settings.sqlite_cache_bytes, 64 * 1024 * 1024);
    for refused in ["sqlite_cache_mib = 0", "sqlite_cache_mib = 65537"] {
        let error = Settings::from_toml(refused).unwrap_err();
        assert_eq!(error.key, "KUKE_ID_SQLITE_CACHE_MIB", "{refused}");
    }
}

#[test]
fn the_sqlite_file_is_read_from_the_database_url() {
    let file = |url: &str| Settings::from_toml(&format!("database_url = \"{url}\"")).expect("url").sqlite_file();
    assert_eq!(Settings::from_toml("").expect("defaults").sqlite_file(), Some(PathBuf::from("data/kuke-id.db")));
    assert_eq!(file("sqlite:///srv/kuke/id.db?mode=rwc"), Some(PathBuf::from("/srv/kuke/id.db")));
    assert_eq!(file("sqlite::memory:"), None);
    assert_eq!(file("postgres://kuke@db/kuke"), None);
}

#[test]
fn a_loopback_issuer_on_another_port_than_the_listener_is_noticed() {
    let settings = Settings::from_toml("listen = \"127.0.0.1:8081\"").expect("settings");
    assert_eq!(settings.loopback_issuer_elsewhere(), Some(8080));
    let matching = Settings::from_toml("listen = \"0.0.0.0:8080\"").expect("settings");
    assert_eq!(matching.loopback_issuer_elsewhere(), None);
    let public =
        Settings::from_toml("listen = \"127.0.0.1:8081\"\nissuer = \"https://id.kuke.example\"").expect("settings");
    assert_eq!(public.loopback_issuer_elsewhere(), None, "a public issuer may sit behind a proxy");
}

#[test]
fn in_demo_mode_the_issuer_follows_the_listen_port() {
    let mut settings = Settings::from_toml("listen = \"127.0.0.1:8081\"").expect("settings");
    settings.follow_listen_port();
    assert_eq!(settings.issuer, "http://localhost:8081");
    assert_eq!(settings.loopback_issuer_elsewhere(), None);
}

#[test]
fn a_key_encryption_key_must_be_the_base64_of_32_bytes() {
    assert!(Settings::from_toml("").expect("defaults").key_encryption_key.is_none(), "the file is the default");
    let error = Settings::from_toml(r#"key_encryption_key = "c2hvcnQ=""#).unwrap_err();
    assert_eq!(error.key, "KUKE_ID_KEY_ENCRYPTION_KEY");
    assert!(error.message.contains("5 bytes"), "{}", error.message);
    let error = Settings::from_toml(r#"key_encryption_key = "not base64!""#).unwrap_err();
    assert!(error.message.contains("not base64"), "{}", error.message);
    let good = Settings::from_toml(r#"key_encryption_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=""#)
        .expect("32 bytes");
    assert!(!format!("{good:?}").contains("AAAAAAAAAAAAAAAA"), "redacted in Debug");
}

#[test]
fn a_publish_ahead_time_within_the_jwks_cache_lifetime_is_refused() {
    let defaults = Settings::from_toml("").expect("defaults");
    assert!(defaults.key_publish_ahead > Duration::from_secs(JWKS_MAX_AGE_SECS));
    let error = Settings::from_toml("key_publish_ahead_secs = 300").unwrap_err();
    assert_eq!(error.key, "KUKE_ID_KEY_PUBLISH_AHEAD_SECS");
    assert!(error.message.contains("300 s"), "{}", error.message);
    let at_once = Settings::from_toml("key_publish_ahead_secs = 0").expect("0 signs at once");
    assert_eq!(at_once.key_publish_ahead, Duration::ZERO);
}

#[test]
fn automatic_key_rotation_is_off_by_default() {
    assert_eq!(Settings::from_toml("").expect("defaults").key_rotation, None);
    let monthly = Settings::from_toml("key_rotation_days = 30").expect("30 days");
    assert_eq!(monthly.key_rotation, Some(Duration::from_secs(30 * 86_400)));
    assert_eq!(Settings::from_toml("key_rotation_days = 99999").unwrap_err().key, "KUKE_ID_KEY_ROTATION_DAYS");
}

#[test]
fn retention_defaults_to_ninety_days_and_audit_to_two_years() {
    let settings = Settings::from_toml("").expect("defaults");
    assert_eq!(settings.retention, Duration::from_secs(90 * 24 * 3600));
    assert_eq!(settings.audit_retention, Some(Duration::from_secs(730 * 24 * 3600)));
}

#[test]
fn audit_retention_of_zero_keeps_events_forever() {
    assert_eq!(Settings::from_toml("audit_retention_days = 0").expect("forever").audit_retention, None);
}

#[test]
fn retention_of_zero_days_is_refused() {
    let error = Settings::from_toml("retention_days = 0").unwrap_err();
    assert_eq!(error.key, "KUKE_ID_RETENTION_DAYS");
    assert!(error.to_string().contains("between 1 and"), "{error}");
}

#[test]
fn lifetimes_beyond_their_bounds_are_refused_by_name() {
    for (setting, too_large) in [
        ("refresh_token_ttl_days", "768614336404564651"),
        ("access_token_ttl_secs", "86401"),
        ("id_token_ttl_secs", "9223372036854775807"),
        ("session_absolute_hours", "9000"),
        ("login_code_ttl_minutes", "1441"),
    ] {
        let error = Settings::from_toml(&format!("{setting} = {too_large}")).unwrap_err();
        assert_eq!(error.key, format!("KUKE_ID_{}", setting.to_uppercase()), "{setting}");
    }
}
