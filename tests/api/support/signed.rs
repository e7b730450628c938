//! Signed tokens the suite receives, verified as a relying party would: the key
//! named by `kid` in the provider's `/jwks`, the algorithm that key is for, and
//! the issuer, audience and expiry.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

use super::TestApp;

impl TestApp {
    /// The claims of `jwt` after checking its signature against `/jwks`, its
    /// `iss` and, when given, its `aud`. Panics on anything a relying party refuses.
    pub async fn verified(&self, jwt: &str, audience: Option<&str>) -> Value {
        let header = decode_header(jwt).unwrap_or_else(|e| panic!("not a JWS: {e}"));
        let kid = header.kid.clone().unwrap_or_else(|| panic!("no kid in {header:?}"));
        let set: JwkSet =
            self.http.get(self.url("/jwks")).send().await.expect("GET /jwks").json().await.expect("a JWK set");
        let jwk = set.find(&kid).unwrap_or_else(|| panic!("kid {kid} is not published"));
        let published = jwk.common.key_algorithm.map(|a| a.to_string());
        assert_eq!(published.as_deref(), Some(alg_name(header.alg)), "the token's alg is the key's alg");
        let key = DecodingKey::from_jwk(jwk).unwrap_or_else(|e| panic!("a usable key {kid}: {e}"));
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[self.base.as_str()]);
        match audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&["iss", "iat"]);
        decode::<Value>(jwt, &key, &validation).unwrap_or_else(|e| panic!("signature or claims refused: {e}")).claims
    }
}

fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        Algorithm::EdDSA => "EdDSA",
        other => panic!("kuke-id does not sign with {other:?}"),
    }
}
