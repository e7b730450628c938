//! Scopes: which ones exist, which a client may get, and which claims they release.

use std::collections::HashSet;

use super::error::{ErrorCode, OAuthError};

/// Scopes every client may ask for (OIDC Core §5.4 plus kuke-id's own).
pub const OIDC_SCOPES: [&str; 6] = ["openid", "profile", "email", "organization", "role", "offline_access"];

/// Admin API scopes, granted only to clients registered with them.
pub const ADMIN_SCOPES: [&str; 7] =
    ["admin", "admin:users", "admin:clients", "admin:terms", "admin:keys", "admin:audit", "admin:stats"];

/// Most values a requested scope may carry. kuke-id knows 13 scopes; the rest
/// leaves room for values a client library adds that are ignored. Without a cap,
/// a 64 KiB body carries tens of thousands of values for every later step to walk.
pub const MAX_VALUES: usize = 100;

/// Splits a scope parameter (RFC 6749 §3.3) into distinct values, keeping order.
pub fn parse(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.split(' ').filter(|value| !value.is_empty() && seen.insert(*value)).map(str::to_string).collect()
}

/// A scope parameter as a client sent it: [`parse`], after refusing more than
/// [`MAX_VALUES`] values (repeats included) as `invalid_scope`.
pub fn parse_requested(text: &str) -> Result<Vec<String>, OAuthError> {
    if text.split(' ').filter(|value| !value.is_empty()).nth(MAX_VALUES).is_some() {
        return Err(OAuthError::new(ErrorCode::InvalidScope, format!("scope has more than {MAX_VALUES} values")));
    }
    Ok(parse(text))
}

/// Whether a scope value is syntactically valid (NQCHAR, RFC 6749 Appendix A.4).
pub fn is_well_formed(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// The requested scopes that will be granted to a user-facing request: known OIDC
/// scopes plus the client's own extra scopes; unknown ones are dropped silently
/// (OIDC Core §3.1.2.1: ignore scope values that are not understood).
pub fn grantable(requested: &[String], client_scopes: &[String]) -> Vec<String> {
    requested
        .iter()
        .filter(|s| OIDC_SCOPES.contains(&s.as_str()) || client_scopes.iter().any(|c| c == *s))
        .cloned()
        .collect()
}

/// The scope a person is granted: admin scopes only while the account holds the
/// `idp-admin` role (the admin API checks the role again on every call).
pub fn for_person(scope: &str, idp_admin: bool) -> String {
    if idp_admin {
        return scope.to_string();
    }
    scope.split(' ').filter(|s| !s.is_empty() && !ADMIN_SCOPES.contains(s)).collect::<Vec<_>>().join(" ")
}

/// Joins scopes back into a parameter value.
pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// Whether `scope` (space-separated) contains `value`.
pub fn contains(scope: &str, value: &str) -> bool {
    scope.split(' ').any(|s| s == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_removed_and_order_kept() {
        assert_eq!(parse("openid  email openid"), vec!["openid".to_string(), "email".to_string()]);
    }

    #[test]
    fn a_requested_scope_of_a_hundred_values_is_accepted_without_repeats() {
        let text = vec!["openid"; MAX_VALUES].join(" ");
        assert_eq!(parse_requested(&text).expect("within the cap"), vec!["openid".to_string()]);
    }

    #[test]
    fn a_requested_scope_of_more_than_a_hundred_values_is_invalid_scope() {
        let text = vec!["openid"; MAX_VALUES + 1].join(" ");
        let error = parse_requested(&text).expect_err("over the cap");
        assert_eq!(error.code, ErrorCode::InvalidScope);
    }

    #[test]
    fn people_without_idp_admin_get_no_admin_scope() {
        assert_eq!(for_person("openid admin:users email admin", false), "openid email");
        assert_eq!(for_person("openid admin:users", true), "openid admin:users");
    }

    #[test]
    fn unknown_scopes_are_not_granted() {
        let requested = parse("openid address phone email");
        assert_eq!(grantable(&requested, &[]), vec!["openid".to_string(), "email".to_string()]);
    }

    #[test]
    fn admin_scopes_need_registration() {
        let requested = parse("admin:users");
        assert!(grantable(&requested, &[]).is_empty());
        assert_eq!(grantable(&requested, &["admin:users".to_string()]), requested);
    }

    #[test]
    fn quotes_and_backslashes_are_not_scope_characters() {
        assert!(!is_well_formed("a\"b"));
        assert!(!is_well_formed("a\\b"));
        assert!(is_well_formed("admin:users"));
    }
}
