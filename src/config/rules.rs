//! The rules of single settings that need more than a range check.

use std::time::Duration;

use super::ConfigError;

/// Zero is allowed (a rotated secret stops working at once); the upper bound is
/// the domain's, so the default can never be refused at rotation time.
pub(super) fn client_secret_grace(hours: u64) -> Result<Duration, ConfigError> {
    let max = crate::domain::client::MAX_SECRET_GRACE.whole_hours().unsigned_abs();
    if hours > max {
        return Err(ConfigError::new("client_secret_grace_hours", format!("must be at most {max}")));
    }
    Ok(self::hours(hours))
}

/// OWASP's floor for argon2id is 19 MiB with 2 passes (or more memory with fewer);
/// refuse settings clearly below it rather than silently weakening hashes.
pub(super) fn argon2_cost(
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

pub(super) fn minutes(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(60))
}

pub(super) fn hours(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(3600))
}

/// OIDC Discovery §3 and RFC 9207: the issuer is an https (or, for development, http)
/// URL without query or fragment, compared by exact string, so it is kept as written.
pub(super) fn validate_issuer(issuer: &str) -> Result<String, ConfigError> {
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

/// Longest automatic rotation period accepted, in days (ten years).
const MAX_KEY_ROTATION_DAYS: u64 = 3650;

/// Longest publish-ahead accepted (a week): a key announced further ahead is a typo.
const MAX_KEY_PUBLISH_AHEAD_SECS: u64 = 7 * 86_400;

/// The base64 of exactly 32 bytes; blank means "use the file in the keys folder".
pub(super) fn key_encryption_key(value: Option<&str>) -> Result<Option<super::Secret>, ConfigError> {
    use base64::Engine;
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let hint = "must be the base64 of 32 random bytes (make one with `openssl rand -base64 32`)";
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| ConfigError::new("key_encryption_key", format!("{hint}; this is not base64")))?;
    if decoded.len() != 32 {
        let message = format!("{hint}; this one is {} bytes", decoded.len());
        return Err(ConfigError::new("key_encryption_key", message));
    }
    Ok(Some(super::Secret::new(text)))
}

/// Zero (a rotated key signs at once: only where no relying party caches the
/// JWK set) or longer than the JWK set's cache lifetime.
pub(super) fn key_publish_ahead(secs: u64) -> Result<Duration, ConfigError> {
    let max_age = super::JWKS_MAX_AGE_SECS;
    if secs != 0 && !(max_age + 1..=MAX_KEY_PUBLISH_AHEAD_SECS).contains(&secs) {
        return Err(ConfigError::new(
            "key_publish_ahead_secs",
            format!(
                "must be longer than the JWK set's cache lifetime ({max_age} s) and at most \
                 {MAX_KEY_PUBLISH_AHEAD_SECS}, or 0 to sign with a rotated key at once"
            ),
        ));
    }
    Ok(Duration::from_secs(secs))
}

/// Days between automatic rotations; 0 turns them off.
pub(super) fn key_rotation(days: u64) -> Result<Option<Duration>, ConfigError> {
    match days {
        0 => Ok(None),
        d if d > MAX_KEY_ROTATION_DAYS => Err(ConfigError::new(
            "key_rotation_days",
            format!("must be at most {MAX_KEY_ROTATION_DAYS} (0 turns automatic rotation off)"),
        )),
        d => Ok(Some(hours(d * 24))),
    }
}
