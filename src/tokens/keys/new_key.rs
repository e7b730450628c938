//! Key material: fresh PKCS#8 keys from the OS RNG, their PEM form, their
//! public JWK (whose RFC 7638 thumbprint is the `kid`).

use std::sync::Arc;

use base64::Engine;
use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use time::OffsetDateTime;

use super::{KeyError, SigningKey, jwt_alg};
use crate::domain::signing_alg::SigningAlg;

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// Generates a key of `alg`, created at `created`, that signs from `signs_from`.
/// RSA takes a while: call it off the async runtime.
pub fn create(alg: SigningAlg, created: OffsetDateTime, signs_from: OffsetDateTime) -> Result<SigningKey, KeyError> {
    let der = generate_pkcs8(alg)?;
    from_pkcs8(alg, der, created, signs_from, None).map_err(|_| KeyError::Generate(alg))
}

/// A key from its PKCS#8 DER; the `kid` is computed from it.
pub(super) fn from_pkcs8(
    alg: SigningAlg,
    der: Vec<u8>,
    created: OffsetDateTime,
    signs_from: OffsetDateTime,
    retire_after: Option<OffsetDateTime>,
) -> Result<SigningKey, String> {
    let encoding = parse_pem(alg, to_pem(&der).as_bytes()).map_err(|e| e.to_string())?;
    let public = public_jwk(&encoding, alg).map_err(|e| e.to_string())?;
    let signer = Arc::new(super::signer::Signer::from_pkcs8(alg, &der)?);
    let decoding = Arc::new(jsonwebtoken::DecodingKey::from_jwk(&public).map_err(|e| e.to_string())?);
    let kid = public.common.key_id.clone().unwrap_or_default();
    Ok(SigningKey { kid, alg, created, signs_from, retire_after, signer, public, decoding, pkcs8: Arc::new(der) })
}

/// The DER inside a PKCS#8 PEM document (`BEGIN PRIVATE KEY`, as kuke-id writes them).
pub(super) fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let start = pem.find(PEM_BEGIN).ok_or("no BEGIN PRIVATE KEY line (only PKCS#8 keys are read)")?;
    let rest = &pem[start + PEM_BEGIN.len()..];
    let end = rest.find(PEM_END).ok_or("no END PRIVATE KEY line")?;
    let body: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(body).map_err(|e| e.to_string())
}

fn parse_pem(alg: SigningAlg, pem: &[u8]) -> jsonwebtoken::errors::Result<EncodingKey> {
    match alg {
        SigningAlg::Rs256 => EncodingKey::from_rsa_pem(pem),
        SigningAlg::Es256 => EncodingKey::from_ec_pem(pem),
        SigningAlg::EdDsa => EncodingKey::from_ed_pem(pem),
    }
}

fn public_jwk(key: &EncodingKey, alg: SigningAlg) -> jsonwebtoken::errors::Result<Jwk> {
    let mut jwk = Jwk::from_encoding_key(key, jwt_alg(alg))?;
    let kid = jwk.thumbprint(ThumbprintHash::SHA256)?;
    jwk.common.key_id = Some(kid);
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok(jwk)
}

fn generate_pkcs8(alg: SigningAlg) -> Result<Vec<u8>, KeyError> {
    use aws_lc_rs::encoding::AsDer;
    let failed = |_| KeyError::Generate(alg);
    let rng = aws_lc_rs::rand::SystemRandom::new();
    match alg {
        SigningAlg::Rs256 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(failed)?;
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'_> = pair.as_der().map_err(failed)?;
            Ok(der.as_ref().to_vec())
        }
        SigningAlg::Es256 => {
            let doc = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
                &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &rng,
            )
            .map_err(failed)?;
            Ok(doc.as_ref().to_vec())
        }
        SigningAlg::EdDsa => {
            let doc = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8v1(&rng).map_err(failed)?;
            Ok(doc.as_ref().to_vec())
        }
    }
}

/// The PKCS#8 PEM document of `der`.
pub(super) fn to_pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("{PEM_BEGIN}\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(PEM_END);
    pem.push('\n');
    pem
}
