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
