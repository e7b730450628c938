//! Relying parties: what a client is allowed, and the rules of registering one.

use std::fmt;

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
    /// PKCE required even though the client is confidential.
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
}

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
    fn client_id_with_space_is_refused() {
        assert_eq!(check_id("a b"), Err(ClientRuleError::BadId));
    }
}
