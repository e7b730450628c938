//! Property tests: any value for any setting is taken or refused with an error
//! naming what is wrong — never a panic.

use proptest::prelude::*;

use super::Settings;

/// Every key of the configuration file.
const KEYS: &[&str] = &[
    "issuer",
    "listen",
    "database_url",
    "keys_dir",
    "smtp_url",
    "mail_from",
    "body_limit_bytes",
    "import_body_limit_bytes",
    "request_timeout_secs",
    "header_read_timeout_secs",
    "max_connections",
    "database_max_connections",
    "database_connect_timeout_secs",
    "sqlite_cache_mib",
    "session_idle_minutes",
    "session_absolute_hours",
    "access_token_ttl_secs",
    "id_token_ttl_secs",
    "refresh_token_ttl_days",
    "activation_link_ttl_hours",
    "login_code_ttl_minutes",
    "activation_reminder_hours",
    "campaign_mails_per_minute",
    "client_secret_grace_hours",
    "argon2_memory_kib",
    "argon2_iterations",
    "argon2_parallelism",
    "portal_url",
    "trust_forwarded_for",
    "trusted_proxies",
    "backchannel_allow_internal",
    "lockout_threshold",
    "lockout_secs",
    "address_failures_limit",
    "address_failures_window_secs",
    "metrics_enabled",
    "metrics_token",
    "terms_required",
    "log_format",
    "totp_email_fallback",
];

/// A TOML value as an operator might write it, or worse.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u64..2000).prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:?}")),
        any::<String>().prop_map(|s| toml_string(&s)),
        "(https?|sqlite|postgres|smtps?|ftp)://[a-z0-9.:@/?=&\\[\\]-]{0,30}".prop_map(|s| toml_string(&s)),
        "[0-9./:, -]{0,30}".prop_map(|s| toml_string(&s)),
        Just("[1, 2]".to_string()),
    ]
}

fn toml_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_setting_value_is_taken_or_refused_by_name(
        pairs in proptest::collection::vec((proptest::sample::select(KEYS), value()), 1..4)
    ) {
        let mut text = String::new();
        let mut seen = Vec::new();
        for (key, value) in &pairs {
            if !seen.contains(key) {
                seen.push(*key);
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
        if let Err(error) = Settings::from_toml(&text) {
            prop_assert!(!error.key.is_empty() && !error.message.is_empty(), "{text}: {error}");
        }
    }

    #[test]
    fn any_configuration_text_is_taken_or_refused(text in any::<String>()) {
        let _ = Settings::from_toml(&text);
    }
}
