//! The ordered checks of an authorization request (OIDC Core §3.1.2.2, RFC 6749
//! §4.1.1, RFC 7636, RFC 9700). Client and redirect URI come first: until both
//! are known good, nothing may be redirected.

use std::collections::HashMap;

use crate::domain::client::{Client, ClientKind};
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::domain::oauth::{pkce, prompt, scope};

use super::request::{PageError, ResponseMode};

/// Request parameters, with repeated names remembered (RFC 6749 §3.1: parameters
/// must not be included more than once).
pub struct Params {
    values: HashMap<String, String>,
    repeated: Vec<String>,
}

/// Longest value accepted for free-form parameters (state, nonce, hints).
const MAX_VALUE_LEN: usize = 2048;

impl Params {
    /// Collects name/value pairs; empty values count as absent (OIDC Core §3.1.2.1 is
    /// silent, RFC 6749 §3.1 says to treat them as omitted).
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        let mut values = HashMap::new();
        let mut repeated = Vec::new();
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            if values.insert(name.clone(), value).is_some() && !repeated.contains(&name) {
                repeated.push(name);
            }
        }
        Self { values, repeated }
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|r| r == name)
    }
}

/// Check 1: `client_id` present once.
pub fn client_id(params: &Params) -> Result<&str, PageError> {
    if params.is_repeated("client_id") {
        return Err(PageError::MissingClientId);
    }
    params.get("client_id").ok_or(PageError::MissingClientId)
}

/// Check 2: `redirect_uri` present once and registered for the client (exact string match).
pub fn redirect_uri<'a>(params: &'a Params, client: &Client) -> Result<&'a str, PageError> {
    if params.is_repeated("redirect_uri") {
        return Err(PageError::MissingRedirectUri);
    }
    let uri = params.get("redirect_uri").ok_or(PageError::MissingRedirectUri)?;
    if client.redirect_uris.iter().any(|registered| registered == uri) {
        Ok(uri)
    } else {
        Err(PageError::UnregisteredRedirectUri)
    }
}

/// Check 3: `response_mode`: query (default for code) or form_post. An unknown mode is
/// answered in query mode.
pub fn response_mode(params: &Params) -> Result<ResponseMode, (ResponseMode, OAuthError)> {
    match params.get("response_mode") {
        None | Some("query") => Ok(ResponseMode::Query),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(other) => Err((
            ResponseMode::Query,
            OAuthError::invalid_request(format!("response_mode '{}' is not supported", truncate(other))),
        )),
    }
}

/// Check 4: No parameter repeated.
pub fn no_repeated(params: &Params) -> Result<(), OAuthError> {
    match params.repeated.first() {
        Some(name) => Err(OAuthError::invalid_request(format!("parameter '{}' is repeated", truncate(name)))),
        None => Ok(()),
    }
}

/// Check 5: Request objects are not supported (OIDC Core §6: answer with the matching code).
pub fn no_request_object(params: &Params) -> Result<(), OAuthError> {
    if params.get("request").is_some() {
        return Err(OAuthError::new(ErrorCode::RequestNotSupported, "request objects are not supported"));
    }
    if params.get("request_uri").is_some() {
        return Err(OAuthError::new(ErrorCode::RequestUriNotSupported, "request_uri is not supported"));
    }
    Ok(())
}

/// Check 6: `response_type=code`, and the client may use the code grant.
pub fn response_type(params: &Params, client: &Client) -> Result<(), OAuthError> {
    match params.get("response_type") {
        None => Err(OAuthError::invalid_request("response_type is required")),
        Some("code") if client.allows(crate::domain::oauth::grant_type::GrantType::AuthorizationCode) => Ok(()),
        Some("code") => {
            Err(OAuthError::new(ErrorCode::UnauthorizedClient, "client may not use the authorization code flow"))
        }
        Some(_) => Err(OAuthError::new(ErrorCode::UnsupportedResponseType, "only response_type=code is supported")),
    }
}

/// Check 7: `scope` contains `openid`; unknown values are dropped.
pub fn scope(params: &Params, client: &Client) -> Result<String, OAuthError> {
    let raw = params
        .get("scope")
        .ok_or_else(|| OAuthError::new(ErrorCode::InvalidScope, "scope is required and must include openid"))?;
    let requested = scope::parse_requested(raw)?;
    if let Some(bad) = requested.iter().find(|s| !scope::is_well_formed(s)) {
        return Err(OAuthError::new(ErrorCode::InvalidScope, format!("malformed scope value '{}'", truncate(bad))));
    }
    if !requested.iter().any(|s| s == "openid") {
        return Err(OAuthError::new(ErrorCode::InvalidScope, "scope must include openid"));
    }
    Ok(scope::join(&scope::grantable(&requested, &client.scopes)))
}

/// Check 8: PKCE: S256 only; required for public clients and clients that ask for it.
pub fn pkce(params: &Params, client: &Client) -> Result<Option<String>, OAuthError> {
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method");
    match (challenge, method) {
        (None, Some(_)) => Err(OAuthError::invalid_request("code_challenge_method without code_challenge")),
        (None, None) if client.kind == ClientKind::Public || client.require_pkce => {
            Err(OAuthError::invalid_request("PKCE is required: send code_challenge with code_challenge_method=S256"))
        }
        (None, None) => Ok(None),
        (Some(_), method) if method != Some(pkce::S256) => {
            Err(OAuthError::invalid_request("code_challenge_method must be S256 (plain is not allowed)"))
        }
        (Some(c), _) if !pkce::is_well_formed(c) => Err(OAuthError::invalid_request("code_challenge is malformed")),
        (Some(c), _) => Ok(Some(c.to_string())),
    }
}

/// Check 9: `prompt` well formed.
pub fn prompt(params: &Params) -> Result<Option<String>, OAuthError> {
    prompt::parse(params.get("prompt"))?;
    Ok(params.get("prompt").map(str::to_string))
}

/// Check 10: `max_age` a non-negative integer.
pub fn max_age(params: &Params) -> Result<Option<i64>, OAuthError> {
    match params.get("max_age") {
        None => Ok(None),
        Some(value) => value
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| OAuthError::invalid_request("max_age must be a non-negative integer")),
    }
}

/// Check 11: Free-form values within a sane length.
pub fn bounded(params: &Params, name: &str) -> Result<Option<String>, OAuthError> {
    match params.get(name) {
        Some(value) if value.len() > MAX_VALUE_LEN => Err(OAuthError::invalid_request(format!("{name} is too long"))),
        value => Ok(value.map(str::to_string)),
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::signing_alg::SigningAlg;

    fn client(kind: ClientKind) -> Client {
        Client {
            id: "c".into(),
            name: "C".into(),
            kind,
            first_party: true,
            require_pkce: false,
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![],
            grant_types: vec!["authorization_code".into()],
            scopes: vec![],
            id_token_alg: SigningAlg::Rs256,
            backchannel_logout_uri: None,
            secret_hash: None,
            previous_secret: None,
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn redirect_uri_must_match_exactly() {
        let c = client(ClientKind::Confidential);
        assert!(redirect_uri(&params(&[("redirect_uri", "https://rp.example/cb")]), &c).is_ok());
        assert_eq!(
            redirect_uri(&params(&[("redirect_uri", "https://rp.example/cb/")]), &c),
            Err(PageError::UnregisteredRedirectUri)
        );
        assert_eq!(
            redirect_uri(&params(&[("redirect_uri", "https://RP.example/cb")]), &c),
            Err(PageError::UnregisteredRedirectUri)
        );
    }

    #[test]
    fn repeated_redirect_uri_is_not_redirectable() {
        let c = client(ClientKind::Confidential);
        let p = params(&[("redirect_uri", "https://rp.example/cb"), ("redirect_uri", "https://evil.example/")]);
        assert_eq!(redirect_uri(&p, &c), Err(PageError::MissingRedirectUri));
    }

    #[test]
    fn public_client_without_pkce_is_refused() {
        assert!(pkce(&params(&[]), &client(ClientKind::Public)).is_err());
    }

    #[test]
    fn plain_pkce_is_refused() {
        let p = params(&[
            ("code_challenge", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            ("code_challenge_method", "plain"),
        ]);
        assert!(pkce(&p, &client(ClientKind::Confidential)).is_err());
    }

    #[test]
    fn missing_pkce_method_defaults_to_plain_and_is_refused() {
        let p = params(&[("code_challenge", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")]);
        assert!(pkce(&p, &client(ClientKind::Confidential)).is_err());
    }

    #[test]
    fn scope_without_openid_is_invalid_scope() {
        let error = scope(&params(&[("scope", "profile")]), &client(ClientKind::Confidential)).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidScope);
    }

    #[test]
    fn negative_max_age_is_invalid() {
        assert!(max_age(&params(&[("max_age", "-1")])).is_err());
        assert_eq!(max_age(&params(&[("max_age", "0")])).ok(), Some(Some(0)));
    }
}
