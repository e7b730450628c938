//! Relying parties: what a client is allowed, and the rules of registering one.

use std::fmt;

use time::{Duration, OffsetDateTime};

use super::oauth::grant_type::GrantType;
use super::signing_alg::SigningAlg;

mod uris;

pub use uris::{check_backchannel_logout_uri, check_redirect_uri, check_redirects, is_internal_target};

/// A registered relying party.
#[derive(Clone)]
pub struct Client {
    /// Public `client_id`.
    pub id: String,
    /// Name shown to people (consent page, admin).
    pub name: String,
    /// Confidential clients hold a secret; public ones (SPAs, apps) do not.
    pub kind: ClientKind,
    /// First-party clients skip the consent page.
    pub first_party: bool,
    /// S256 PKCE required on every authorization request: true for every new
    /// client unless a legacy confidential one was registered with the opt-out,
    /// and always for public clients.
    pub require_pkce: bool,
    /// Exact strings allowed as `redirect_uri`.
    pub redirect_uris: Vec<String>,
    /// Exact strings allowed as `post_logout_redirect_uri`.
    pub post_logout_redirect_uris: Vec<String>,
    /// Wire names of the OAuth grant types the client may use (as stored; ask
    /// [`Client::allows`]).
    pub grant_types: Vec<String>,
    /// Extra scopes the client may request (e.g. admin scopes) beyond the OIDC ones.
    pub scopes: Vec<String>,
    /// Algorithm of the client's ID tokens.
    pub id_token_alg: SigningAlg,
    /// OIDC Back-Channel Logout 1.0 endpoint.
    pub backchannel_logout_uri: Option<String>,
    /// SHA-256 of the current secret (confidential clients).
    pub secret_hash: Option<String>,
    /// The secret a rotation replaced, still accepted during its grace period.
    pub previous_secret: Option<PreviousSecret>,
}

/// A rotated-out secret: its hash, and when it stops being accepted. The grace
/// lets a relying party deploy its new secret without an outage.
#[derive(Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    /// SHA-256 of the old secret.
    pub hash: String,
    /// First instant at which the old secret is refused.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for PreviousSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreviousSecret").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

impl PreviousSecret {
    /// True while the old secret is still accepted.
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        now < self.expires_at
    }
}

impl Client {
    /// Whether the client may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.iter().any(|g| g == grant.as_str())
    }

    /// When the previous secret stops being accepted, if it still is at `now`.
    pub fn previous_secret_valid_until(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.previous_secret.as_ref().filter(|p| p.is_valid_at(now)).map(|p| p.expires_at)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("first_party", &self.first_party)
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

/// RFC 6749 §2.1 client types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Can keep a secret (server-side web app).
    Confidential,
    /// Cannot keep a secret: must use PKCE.
    Public,
}

/// Grant types a new client gets unless told otherwise (wire names): the same
/// for both kinds, since a public client's code is bound by PKCE.
pub fn default_grant_types(kind: ClientKind) -> Vec<String> {
    let grants = match kind {
        ClientKind::Confidential | ClientKind::Public => [GrantType::AuthorizationCode, GrantType::RefreshToken],
    };
    grants.iter().map(|g| g.as_str().to_string()).collect()
}

/// Why a registration is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientRuleError {
    /// Client ids are printable and short.
    #[error("client id must be 1 to 128 characters of letters, digits, '-', '_', '.'")]
    BadId,
    /// Names are shown to people.
    #[error("name must be 1 to 200 characters")]
    BadName,
    /// A redirect URI is not acceptable.
    #[error("redirect URI '{0}': {1}")]
    BadRedirectUri(String, &'static str),
    /// Authorization-code clients need somewhere to return to.
    #[error("at least one redirect URI is required")]
    NoRedirectUri,
    /// The back-channel logout endpoint is not acceptable.
    #[error("backchannel logout URI '{0}': {1}")]
    BadBackchannelUri(String, &'static str),
    /// A scope is not an RFC 6749 §3.3 scope token.
    #[error("scope '{0}' is not a scope token (printable ASCII, no spaces, quotes or backslashes)")]
    BadScope(String),
    /// A grant type kuke-id does not offer, or one the client kind cannot use.
    #[error("grant type '{0}': {1}")]
    BadGrantType(String, &'static str),
    /// A secret's grace period is longer than allowed.
    #[error("the grace period of a rotated secret is at most {} days", MAX_SECRET_GRACE.whole_days())]
    GraceTooLong,
}

/// The longest a rotated-out secret may stay valid: an old secret kept longer is
/// a second secret, not a migration aid.
pub const MAX_SECRET_GRACE: Duration = Duration::days(30);

/// Checks a client id.
pub fn check_id(id: &str) -> Result<(), ClientRuleError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok { Ok(()) } else { Err(ClientRuleError::BadId) }
}

/// Checks a display name.
pub fn check_name(name: &str) -> Result<(), ClientRuleError> {
    let len = name.trim().chars().count();
    if (1..=200).contains(&len) && !name.chars().any(char::is_control) { Ok(()) } else { Err(ClientRuleError::BadName) }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn check_scope(scope: &str) -> Result<(), ClientRuleError> {
    let ok = !scope.is_empty() && scope.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
    if ok { Ok(()) } else { Err(ClientRuleError::BadScope(scope.to_string())) }
}

/// Why a grant type kuke-id does not offer is refused (names every offered one).
const NOT_OFFERED: &str = "not offered (authorization_code, refresh_token, client_credentials are)";

/// Checks extra grant types: only those of the [`GrantType`] table, and those
/// that need a secret only for a client that can hold one.
pub fn check_extra_grant_types(kind: ClientKind, extras: &[String]) -> Result<(), ClientRuleError> {
    for name in extras {
        let Some(grant) = GrantType::parse(name) else {
            return Err(ClientRuleError::BadGrantType(name.clone(), NOT_OFFERED));
        };
        if grant.needs_secret() && kind == ClientKind::Public {
            return Err(ClientRuleError::BadGrantType(name.clone(), "a public client has no secret to use it with"));
        }
    }
    Ok(())
}

/// Checks the grace period of a secret rotation.
pub fn check_secret_grace(grace: Duration) -> Result<(), ClientRuleError> {
    if grace.is_negative() || grace > MAX_SECRET_GRACE { Err(ClientRuleError::GraceTooLong) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_with_space_or_quote_is_refused() {
        assert!(check_scope("admin:clients").is_ok());
        assert!(check_scope("a b").is_err());
        assert!(check_scope("a\"b").is_err());
        assert!(check_scope("").is_err());
    }

    #[test]
    fn a_public_client_cannot_use_client_credentials() {
        let extras = vec!["client_credentials".to_string()];
        assert!(check_extra_grant_types(ClientKind::Confidential, &extras).is_ok());
        assert!(check_extra_grant_types(ClientKind::Public, &extras).is_err());
    }

    #[test]
    fn an_unknown_grant_type_is_refused() {
        let extras = vec!["password".to_string()];
        assert!(check_extra_grant_types(ClientKind::Confidential, &extras).is_err());
    }

    #[test]
    fn grace_is_at_most_thirty_days() {
        assert!(check_secret_grace(Duration::ZERO).is_ok());
        assert!(check_secret_grace(Duration::days(30)).is_ok());
        assert_eq!(check_secret_grace(Duration::days(31)), Err(ClientRuleError::GraceTooLong));
    }

    #[test]
    fn the_previous_secret_is_valid_until_its_expiry_only() {
        let expires_at = OffsetDateTime::UNIX_EPOCH + Duration::hours(1);
        let previous = PreviousSecret { hash: "h".into(), expires_at };
        assert!(previous.is_valid_at(expires_at - Duration::seconds(1)));
        assert!(!previous.is_valid_at(expires_at));
    }

    #[test]
    fn the_refusal_names_every_offered_grant() {
        assert_eq!(NOT_OFFERED, format!("not offered ({} are)", GrantType::wire_names().join(", ")));
    }

    #[test]
    fn client_id_with_space_is_refused() {
        assert_eq!(check_id("a b"), Err(ClientRuleError::BadId));
    }
}
