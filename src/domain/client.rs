//! Relying parties: what a client is allowed, and the rules of registering one.

use std::fmt;

use time::{Duration, OffsetDateTime};

use super::signing_alg::SigningAlg;

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
    /// OAuth grant types the client may use.
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

/// Grant types a new client gets unless told otherwise.
pub fn default_grant_types(kind: ClientKind) -> Vec<String> {
    match kind {
        ClientKind::Confidential => vec!["authorization_code".into(), "refresh_token".into()],
        ClientKind::Public => vec!["authorization_code".into(), "refresh_token".into()],
    }
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

/// Grant types kuke-id offers a client.
pub const OFFERED_GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

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

/// Checks every redirect and post-logout redirect URI with [`check_redirect_uri`],
/// and that a client using the authorization code grant has somewhere to return to.
pub fn check_redirects(
    grant_types: &[String],
    redirect_uris: &[String],
    post_logout_redirect_uris: &[String],
) -> Result<(), ClientRuleError> {
    if redirect_uris.is_empty() && grant_types.iter().any(|g| g == "authorization_code") {
        return Err(ClientRuleError::NoRedirectUri);
    }
    redirect_uris.iter().chain(post_logout_redirect_uris).try_for_each(|uri| check_redirect_uri(uri))
}

/// OIDC Back-Channel Logout 1.0 §2.2: an absolute http(s) URL without a fragment;
/// since logout tokens are bearer-like, https is required except on loopback.
pub fn check_backchannel_logout_uri(uri: &str) -> Result<(), ClientRuleError> {
    let bad = |why| Err(ClientRuleError::BadBackchannelUri(uri.to_string(), why));
    let Ok(parsed) = url::Url::parse(uri) else {
        return bad("not an absolute URL");
    };
    if parsed.fragment().is_some() {
        return bad("must not contain a fragment");
    }
    match (parsed.scheme(), parsed.host_str()) {
        ("https", Some(_)) => Ok(()),
        ("http", Some("localhost" | "127.0.0.1" | "[::1]")) => Ok(()),
        _ => bad("must be https (or http on a loopback host)"),
    }
}

/// Whether a back-channel logout URI names this machine or a private network by
/// address (`localhost`, loopback, private, link-local, unique-local, unspecified).
/// Such deliveries are refused unless the operator allows them (development, tests):
/// otherwise whoever may register clients could make kuke-id send requests into
/// the internal network (SSRF). A public host name that resolves to an internal
/// address is not caught here; an egress firewall covers that.
pub fn is_internal_target(uri: &str) -> bool {
    use std::net::IpAddr;
    let Ok(parsed) = url::Url::parse(uri) else { return true };
    match parsed.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast()
        }
        Some(url::Host::Ipv6(ip)) => match ip.to_ipv4_mapped() {
            Some(v4) => is_internal_target(&format!("http://{}/", IpAddr::V4(v4))),
            None => {
                let first = ip.segments()[0];
                ip.is_loopback() || ip.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
        },
        None => true,
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn check_scope(scope: &str) -> Result<(), ClientRuleError> {
    let ok = !scope.is_empty() && scope.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
    if ok { Ok(()) } else { Err(ClientRuleError::BadScope(scope.to_string())) }
}

/// Checks extra grant types: only those in [`OFFERED_GRANT_TYPES`], and
/// `client_credentials` only for a client that can hold a secret.
pub fn check_extra_grant_types(kind: ClientKind, extras: &[String]) -> Result<(), ClientRuleError> {
    for grant in extras {
        if !OFFERED_GRANT_TYPES.contains(&grant.as_str()) {
            return Err(ClientRuleError::BadGrantType(
                grant.clone(),
                "not offered (authorization_code, refresh_token, client_credentials are)",
            ));
        }
        if grant == "client_credentials" && kind == ClientKind::Public {
            return Err(ClientRuleError::BadGrantType(grant.clone(), "a public client has no secret to use it with"));
        }
    }
    Ok(())
}

/// Checks the grace period of a secret rotation.
pub fn check_secret_grace(grace: Duration) -> Result<(), ClientRuleError> {
    if grace.is_negative() || grace > MAX_SECRET_GRACE { Err(ClientRuleError::GraceTooLong) } else { Ok(()) }
}

/// RFC 9700 §2.1 and RFC 8252: a redirect URI is absolute, has no fragment, and is
/// https — except http on a loopback host (development, native apps) and
/// private-use schemes of native apps (reverse domain name, so they contain a dot).
pub fn check_redirect_uri(uri: &str) -> Result<(), ClientRuleError> {
    let bad = |why| Err(ClientRuleError::BadRedirectUri(uri.to_string(), why));
    let Ok(parsed) = url::Url::parse(uri) else {
        return bad("not an absolute URL");
    };
    if parsed.fragment().is_some() {
        return bad("must not contain a fragment");
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => match parsed.host_str() {
            Some("localhost" | "127.0.0.1" | "[::1]") => Ok(()),
            _ => bad("http is allowed only on a loopback host; use https"),
        },
        scheme if scheme.contains('.') => Ok(()),
        _ => bad("scheme must be https (or http on loopback, or a reverse-domain app scheme)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_back_channel_targets_are_recognised() {
        for uri in [
            "http://localhost:9/bc",
            "http://127.0.0.1/bc",
            "https://10.1.2.3/bc",
            "https://192.168.0.7/bc",
            "https://169.254.169.254/latest",
            "https://[::1]/bc",
            "https://[fd00::1]/bc",
            "https://[::ffff:10.0.0.1]/bc",
            "https://app.localhost/bc",
        ] {
            assert!(is_internal_target(uri), "{uri}");
        }
        assert!(!is_internal_target("https://portal.kuke.com.pl/bc"));
        assert!(!is_internal_target("https://203.0.113.7/bc"));
    }

    #[test]
    fn https_redirect_uri_is_accepted() {
        assert!(check_redirect_uri("https://portal.kuke.com.pl/callback").is_ok());
    }

    #[test]
    fn http_on_loopback_is_accepted() {
        assert!(check_redirect_uri("http://127.0.0.1:3000/cb").is_ok());
        assert!(check_redirect_uri("http://localhost/cb").is_ok());
    }

    #[test]
    fn http_elsewhere_is_refused() {
        assert!(check_redirect_uri("http://portal.kuke.com.pl/callback").is_err());
    }

    #[test]
    fn fragment_is_refused() {
        assert!(check_redirect_uri("https://a.example/cb#x").is_err());
    }

    #[test]
    fn relative_uri_is_refused() {
        assert!(check_redirect_uri("/callback").is_err());
    }

    #[test]
    fn javascript_scheme_is_refused() {
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
    }

    #[test]
    fn a_code_client_without_redirect_uri_is_refused() {
        let grants = default_grant_types(ClientKind::Confidential);
        assert_eq!(check_redirects(&grants, &[], &[]), Err(ClientRuleError::NoRedirectUri));
    }

    #[test]
    fn a_machine_client_needs_no_redirect_uri() {
        assert!(check_redirects(&["client_credentials".to_string()], &[], &[]).is_ok());
    }

    #[test]
    fn an_http_post_logout_uri_off_loopback_is_refused() {
        let grants = default_grant_types(ClientKind::Public);
        let ok = vec!["https://rp.example/cb".to_string()];
        let bad = vec!["http://rp.example/bye".to_string()];
        assert!(matches!(check_redirects(&grants, &ok, &bad), Err(ClientRuleError::BadRedirectUri(..))));
    }

    #[test]
    fn backchannel_uri_must_be_https_off_loopback() {
        assert!(check_backchannel_logout_uri("https://rp.example/bc").is_ok());
        assert!(check_backchannel_logout_uri("http://127.0.0.1:9/bc").is_ok());
        assert!(check_backchannel_logout_uri("http://rp.example/bc").is_err());
        assert!(check_backchannel_logout_uri("com.example.app:/bc").is_err());
    }

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
    fn client_id_with_space_is_refused() {
        assert_eq!(check_id("a b"), Err(ClientRuleError::BadId));
    }
}
