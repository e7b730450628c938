//! JWT access tokens (RFC 9068): short-lived, signed with ES256 (fast to sign and
//! verify), `typ: at+jwt` so they can never pass as ID tokens.

use serde::{Deserialize, Serialize};

use super::jwt::{self, Expect, JwtError};
use super::keys::KeyRing;
use crate::domain::signing_alg::SigningAlg;

/// The algorithm access tokens are signed with when its key exists.
pub const PREFERRED_ALG: SigningAlg = SigningAlg::Es256;

/// RFC 9068 §2.2 claims, plus the grant they came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// The user id, or the client id for client_credentials.
    pub sub: String,
    /// The resource: kuke-id itself (userinfo, admin API).
    pub aud: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Issue time.
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
    /// Unique id (revocation list key).
    pub jti: String,
    /// Granted scope.
    pub scope: String,
    /// When the user authenticated (user tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The grant (user tokens): revoking it kills the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
}

/// Signs an access token.
pub fn issue(keys: &KeyRing, claims: &AccessClaims) -> Result<String, JwtError> {
    let alg = if keys.active(PREFERRED_ALG).is_some() { PREFERRED_ALG } else { SigningAlg::Rs256 };
    jwt::sign(keys, alg, "at+jwt", claims)
}

/// Verifies signature, `typ`, issuer, audience and expiry at `now` (unix seconds).
pub fn verify(keys: &KeyRing, issuer: &str, token: &str, now: i64) -> Result<AccessClaims, JwtError> {
    jwt::verify(keys, token, &Expect { typ: Some("at+jwt"), issuer, audience: Some(issuer), now: Some(now) })
}
