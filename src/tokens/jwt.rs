//! Signing and verifying JWTs with the key ring.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Header, Validation, decode, decode_header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::keys::{KeyRing, jwt_alg};
use crate::domain::signing_alg::SigningAlg;

/// Why a JWT was not issued or not accepted.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// No active key of that algorithm.
    #[error("no active {0} signing key")]
    NoKey(SigningAlg),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(String),
    /// The token is malformed, forged, expired, or for someone else.
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Signs `claims` with the active key of `alg`, setting `kid` and `typ`: the
/// JWS compact serialization (RFC 7515 §7.1), signed with the key pair the ring
/// parsed when it loaded the key.
pub fn sign(keys: &KeyRing, alg: SigningAlg, typ: &str, claims: &impl Serialize) -> Result<String, JwtError> {
    let key = keys.active(alg).ok_or(JwtError::NoKey(alg))?;
    let mut header = Header::new(key.algorithm());
    header.kid = Some(key.kid.clone());
    header.typ = Some(typ.to_string());
    let json = |value: serde_json::Result<Vec<u8>>| value.map_err(|e| JwtError::Sign(e.to_string()));
    let header = json(serde_json::to_vec(&header))?;
    let claims = json(serde_json::to_vec(claims))?;
    let mut token = String::with_capacity((header.len() + claims.len()) * 4 / 3 + 100);
    URL_SAFE_NO_PAD.encode_string(header, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut token);
    let signature = key.sign(token.as_bytes()).map_err(JwtError::Sign)?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// What to check besides the signature.
pub struct Expect<'a> {
    /// Required `typ` header (case-insensitive), if any.
    pub typ: Option<&'a str>,
    /// Required issuer.
    pub issuer: &'a str,
    /// Required audience; `None` skips the check.
    pub audience: Option<&'a str>,
    /// The current time (unix seconds) when expiry is checked; `None` accepts
    /// expired tokens (`id_token_hint`). The caller's clock, not the system's, so
    /// that tests can move time.
    pub now: Option<i64>,
}

/// Tolerated clock skew, in seconds.
const LEEWAY: i64 = 5;

/// Verifies a JWT signed by one of our published keys and returns its claims.
pub fn verify<T: DeserializeOwned>(keys: &KeyRing, token: &str, expect: &Expect<'_>) -> Result<T, JwtError> {
    let invalid = |e: jsonwebtoken::errors::Error| JwtError::Invalid(e.to_string());
    let header = decode_header(token).map_err(invalid)?;
    if let Some(typ) = expect.typ
        && !header.typ.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(typ))
    {
        return Err(JwtError::Invalid(format!("typ is not {typ}")));
    }
    let kid = header.kid.ok_or_else(|| JwtError::Invalid("no kid".into()))?;
    let key = keys.by_kid(&kid).ok_or_else(|| JwtError::Invalid("unknown kid".into()))?;
    if header.alg != jwt_alg(key.alg) {
        return Err(JwtError::Invalid("algorithm does not match the key".into()));
    }
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[expect.issuer]);
    validation.validate_exp = false;
    validation.required_spec_claims.remove("exp");
    match expect.audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    let claims = decode::<serde_json::Value>(token, key.decoding_key(), &validation).map_err(invalid)?.claims;
    if let Some(now) = expect.now {
        let exp =
            claims.get("exp").and_then(serde_json::Value::as_i64).ok_or_else(|| JwtError::Invalid("no exp".into()))?;
        if exp + LEEWAY <= now {
            return Err(JwtError::Invalid("expired".into()));
        }
    }
    serde_json::from_value(claims).map_err(|e| JwtError::Invalid(e.to_string()))
}

#[cfg(test)]
mod properties;
