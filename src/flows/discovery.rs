//! OpenID Connect Discovery 1.0 §3 metadata. Built from the endpoint table, the
//! key ring and the domain's own lists, so it advertises exactly what the server does.

use std::sync::{Arc, PoisonError};

use serde::Serialize;

use crate::domain::endpoints::{self, url};
use crate::domain::oauth::grant_type::GrantType;
use crate::domain::oauth::scope::OIDC_SCOPES;
use crate::domain::session::ACR_TWO_FACTOR;
use crate::domain::user::CLAIMS_SUPPORTED;
use crate::state::{AppState, Published};
use crate::tokens::keys::KeyRing;

/// The discovery document and the JWK set as JSON, for the current key ring.
/// Both are made from the settings and the ring alone, so they are serialized
/// when the ring changes (a rotation, a reload, a staged key's time) and sent
/// as they are until it changes again: never staler than the ring itself.
pub fn published(state: &AppState) -> (Arc<[u8]>, Arc<[u8]>) {
    let ring = state.keys();
    if let Some(current) = state.published.read().unwrap_or_else(PoisonError::into_inner).as_ref()
        && Arc::ptr_eq(&current.ring, &ring)
    {
        return (current.discovery.clone(), current.jwks.clone());
    }
    let json = |value: serde_json::Result<Vec<u8>>| Arc::<[u8]>::from(value.unwrap_or_default());
    let discovery = json(serde_json::to_vec(&metadata(&state.settings.issuer, &ring)));
    let jwks = json(serde_json::to_vec(&ring.jwks()));
    let made = (discovery.clone(), jwks.clone());
    *state.published.write().unwrap_or_else(PoisonError::into_inner) = Some(Published { ring, discovery, jwks });
    made
}

/// The provider metadata document.
#[derive(Debug, Serialize)]
pub struct ProviderMetadata {
    /// Exactly the configured issuer.
    pub issuer: String,
    /// OIDC Core §3.1.2.
    pub authorization_endpoint: String,
    /// RFC 6749 §3.2.
    pub token_endpoint: String,
    /// OIDC Core §5.3.
    pub userinfo_endpoint: String,
    /// JWK set of the signing keys.
    pub jwks_uri: String,
    /// RP-Initiated Logout 1.0.
    pub end_session_endpoint: String,
    /// RFC 7662.
    pub introspection_endpoint: String,
    /// RFC 7009.
    pub revocation_endpoint: String,
    /// Scopes clients may request.
    pub scopes_supported: Vec<&'static str>,
    /// Only the authorization-code flow.
    pub response_types_supported: Vec<&'static str>,
    /// Query and form_post.
    pub response_modes_supported: Vec<&'static str>,
    /// Grants of the token endpoint.
    pub grant_types_supported: Vec<&'static str>,
    /// Subjects are the same for every client.
    pub subject_types_supported: Vec<&'static str>,
    /// Algorithms with an active key.
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    /// Client authentication at the token endpoint.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Client authentication at the introspection endpoint.
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Client authentication at the revocation endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Claims kuke-id can release.
    pub claims_supported: Vec<&'static str>,
    /// Only normal claims.
    pub claim_types_supported: Vec<&'static str>,
    /// RFC 7636: S256 only.
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// RFC 9207: every authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    /// `request` objects are refused with `request_not_supported`.
    pub request_parameter_supported: bool,
    /// `request_uri` is refused with `request_uri_not_supported`.
    pub request_uri_parameter_supported: bool,
    /// The `claims` parameter is ignored.
    pub claims_parameter_supported: bool,
    /// Languages of the pages.
    pub ui_locales_supported: Vec<&'static str>,
    /// Authentication context classes.
    pub acr_values_supported: Vec<&'static str>,
    /// `prompt` values acted upon.
    pub prompt_values_supported: Vec<&'static str>,
    /// Back-Channel Logout 1.0.
    pub backchannel_logout_supported: bool,
    /// Logout tokens carry `sid`.
    pub backchannel_logout_session_supported: bool,
}

/// Builds the metadata for `issuer`.
pub fn metadata(issuer: &str, keys: &KeyRing) -> ProviderMetadata {
    let at = |path| url(issuer, path);
    let secret_methods = vec!["client_secret_basic", "client_secret_post"];
    ProviderMetadata {
        issuer: issuer.to_string(),
        authorization_endpoint: at(endpoints::AUTHORIZE),
        token_endpoint: at(endpoints::TOKEN),
        userinfo_endpoint: at(endpoints::USERINFO),
        jwks_uri: at(endpoints::JWKS),
        end_session_endpoint: at(endpoints::END_SESSION),
        introspection_endpoint: at(endpoints::INTROSPECT),
        revocation_endpoint: at(endpoints::REVOKE),
        scopes_supported: OIDC_SCOPES.to_vec(),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query", "form_post"],
        grant_types_supported: GrantType::wire_names(),
        subject_types_supported: vec!["public"],
        id_token_signing_alg_values_supported: keys.algorithms().into_iter().map(|a| a.as_str()).collect(),
        token_endpoint_auth_methods_supported: vec!["client_secret_basic", "client_secret_post", "none"],
        introspection_endpoint_auth_methods_supported: secret_methods.clone(),
        revocation_endpoint_auth_methods_supported: secret_methods,
        claims_supported: CLAIMS_SUPPORTED.to_vec(),
        claim_types_supported: vec!["normal"],
        code_challenge_methods_supported: vec!["S256"],
        authorization_response_iss_parameter_supported: true,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        claims_parameter_supported: false,
        ui_locales_supported: vec!["pl", "en"],
        acr_values_supported: vec![ACR_TWO_FACTOR],
        prompt_values_supported: vec!["none", "login", "consent", "select_account"],
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_lists_exactly_the_grant_type_table() {
        let keys = KeyRing::default();
        let listed = metadata("https://id.example", &keys).grant_types_supported;
        assert_eq!(listed, GrantType::ALL.map(GrantType::as_str));
        for name in listed {
            assert!(GrantType::parse(name).is_some(), "{name}");
        }
    }
}
