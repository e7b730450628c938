//! OpenID Connect Discovery 1.0 §3 metadata. Built from the endpoint table and
//! the key ring, so it advertises exactly what the server does.

use serde::Serialize;

use crate::domain::endpoints::{self, url};
use crate::tokens::keys::KeyRing;

/// The provider metadata document.
#[derive(Debug, Serialize)]
pub struct ProviderMetadata {
    /// Exactly the configured issuer.
    pub issuer: String,
    /// JWK set of the signing keys.
    pub jwks_uri: String,
    /// Only the authorization-code flow.
    pub response_types_supported: Vec<&'static str>,
    /// Subjects are the same for every client.
    pub subject_types_supported: Vec<&'static str>,
    /// Algorithms with an active key.
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
}

/// Builds the metadata for `issuer`.
pub fn metadata(issuer: &str, keys: &KeyRing) -> ProviderMetadata {
    ProviderMetadata {
        issuer: issuer.to_string(),
        jwks_uri: url(issuer, endpoints::JWKS),
        response_types_supported: vec!["code"],
        subject_types_supported: vec!["public"],
        id_token_signing_alg_values_supported: keys
            .algorithms()
            .into_iter()
            .map(|a| a.as_str())
            .collect(),
    }
}
