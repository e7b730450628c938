//! ID tokens (OIDC Core §2, §3.1.3.6) and back-channel logout tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

use super::jwt::{self, JwtError};
use super::keys::KeyRing;
use crate::domain::signing_alg::SigningAlg;

/// Everything that goes into an ID token.
#[derive(Debug, Clone)]
pub struct IdTokenInput<'a> {
    /// Issuer.
    pub issuer: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// The client (`aud` and `azp`).
    pub client_id: &'a str,
    /// Issue time, unix seconds.
    pub issued_at: i64,
    /// Lifetime in seconds.
    pub ttl_secs: i64,
    /// When the user authenticated.
    pub auth_time: i64,
    /// From the authorization request.
    pub nonce: Option<&'a str>,
    /// Authentication context class.
    pub acr: Option<&'a str>,
    /// Authentication methods (`pwd`, `otp`).
    pub amr: &'a [String],
    /// Browser session id (front/back-channel logout).
    pub sid: Option<&'a str>,
    /// The access token issued alongside (for `at_hash`).
    pub access_token: Option<&'a str>,
    /// Claims released by scope.
    pub user_claims: Map<String, Value>,
    /// Signing algorithm registered for the client.
    pub alg: SigningAlg,
}

/// The `typ` header of every ID token kuke-id signs. Access tokens (`at+jwt`)
/// and logout tokens (`logout+jwt`) are signed with the same keys, so this is
/// what tells an ID token from them.
pub const TYP: &str = "JWT";

/// Signs an ID token.
pub fn issue(keys: &KeyRing, input: IdTokenInput<'_>) -> Result<String, JwtError> {
    let mut claims = input.user_claims;
    claims.insert("iss".into(), input.issuer.into());
    claims.insert("sub".into(), input.subject.into());
    claims.insert("aud".into(), input.client_id.into());
    claims.insert("azp".into(), input.client_id.into());
    claims.insert("iat".into(), input.issued_at.into());
    claims.insert("exp".into(), (input.issued_at + input.ttl_secs).into());
    claims.insert("auth_time".into(), input.auth_time.into());
    if let Some(nonce) = input.nonce {
        claims.insert("nonce".into(), nonce.into());
    }
    if let Some(acr) = input.acr {
        claims.insert("acr".into(), acr.into());
    }
    if !input.amr.is_empty() {
        claims.insert("amr".into(), input.amr.to_vec().into());
    }
    if let Some(sid) = input.sid {
        claims.insert("sid".into(), sid.into());
    }
    if let Some(access_token) = input.access_token {
        claims.insert("at_hash".into(), half_hash(input.alg, access_token).into());
    }
    jwt::sign(keys, input.alg, TYP, &claims)
}

/// OIDC Core §3.1.3.6: base64url of the left half of the hash of the token, the hash
/// being the one of the signing algorithm (SHA-512 for Ed25519).
pub fn half_hash(alg: SigningAlg, value: &str) -> String {
    match alg {
        SigningAlg::Rs256 | SigningAlg::Es256 => {
            let digest = Sha256::digest(value.as_bytes());
            URL_SAFE_NO_PAD.encode(&digest[..16])
        }
        SigningAlg::EdDsa => {
            let digest = Sha512::digest(value.as_bytes());
            URL_SAFE_NO_PAD.encode(&digest[..32])
        }
    }
}

/// The claims kuke-id reads back from an `id_token_hint`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct HintClaims {
    /// Subject.
    pub sub: String,
    /// Audience: one client id or several.
    pub aud: Audience,
    /// Session id, when the token had one.
    pub sid: Option<String>,
}

/// `aud` as a string or an array.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl Audience {
    /// Whether `client_id` is among the audiences.
    pub fn contains(&self, client_id: &str) -> bool {
        match self {
            Audience::One(a) => a == client_id,
            Audience::Many(all) => all.iter().any(|a| a == client_id),
        }
    }

    /// The single audience, if there is exactly one.
    pub fn single(&self) -> Option<&str> {
        match self {
            Audience::One(a) => Some(a),
            Audience::Many(all) if all.len() == 1 => all.first().map(String::as_str),
            Audience::Many(_) => None,
        }
    }
}

/// Verifies an ID token we issued, accepting expired ones (OIDC Core §3.1.2.1:
/// `id_token_hint` may be expired; RP-Initiated Logout §2 likewise). Only an ID
/// token is a hint: an access or logout token, though signed by us and naming
/// the person too, is refused by its `typ`.
pub fn verify_hint(keys: &KeyRing, issuer: &str, token: &str) -> Result<HintClaims, JwtError> {
    jwt::verify(keys, token, &jwt::Expect { typ: Some(TYP), issuer, audience: None, now: None })
}

/// OIDC Back-Channel Logout 1.0 §2.4 logout token.
pub fn logout_token(
    keys: &KeyRing,
    issuer: &str,
    client_id: &str,
    subject: &str,
    sid: &str,
    now: i64,
    alg: SigningAlg,
) -> Result<String, JwtError> {
    let claims = serde_json::json!({
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": uuid::Uuid::new_v4().to_string(),
        "sub": subject,
        "sid": sid,
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    });
    jwt::sign(keys, alg, "logout+jwt", &claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_core_example() {
        // OIDC Core Appendix A.3 example values.
        assert_eq!(
            half_hash(SigningAlg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
