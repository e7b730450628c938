//! Generating keys: fresh PKCS#8 material from the OS RNG, its PEM form, its
//! public JWK (whose RFC 7638 thumbprint is the `kid`).

use std::path::{Path, PathBuf};

use base64::Engine;
use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};

use super::files::{create_private_dir, write_private};
use super::{KeyError, SigningKey, jwt_alg};
use crate::domain::signing_alg::SigningAlg;

/// A key generated in memory and not yet written, so that the slow part (RSA)
/// can run before a caller opens its transaction.
pub struct NewKey {
    key: SigningKey,
    pem: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey").field("kid", &self.key.kid).field("alg", &self.key.alg).finish_non_exhaustive()
    }
}

impl NewKey {
    /// Its key id.
    pub fn kid(&self) -> &str {
        &self.key.kid
    }

    /// Writes it to `dir`, where, being the newest of its algorithm, it becomes active.
    pub fn install(self, dir: &Path) -> Result<SigningKey, KeyError> {
        create_private_dir(dir)?;
        let Self { mut key, pem } = self;
        key.path = dir.join(format!("{}-{}-{}.pem", key.alg, key.created_ms, key.kid));
        write_private(&key.path, pem.as_bytes())?;
        Ok(key)
    }
}

/// Generates a key of `alg` in memory.
pub fn create(alg: SigningAlg) -> Result<NewKey, KeyError> {
    let der = generate_pkcs8(alg)?;
    let pem = to_pem(&der);
    let created_ms = unix_ms();
    let encoding = parse_pem(alg, pem.as_bytes()).map_err(|_| KeyError::Generate(alg))?;
    let public = public_jwk(&encoding, alg).map_err(|_| KeyError::Generate(alg))?;
    let kid = public.common.key_id.clone().unwrap_or_default();
    Ok(NewKey { key: SigningKey { kid, alg, created_ms, path: PathBuf::new(), encoding, public }, pem })
}

/// Generates a new key of `alg` in `dir`; being the newest, it becomes active.
pub fn generate(dir: &Path, alg: SigningAlg) -> Result<SigningKey, KeyError> {
    create(alg)?.install(dir)
}

pub(super) fn parse_pem(alg: SigningAlg, pem: &[u8]) -> jsonwebtoken::errors::Result<EncodingKey> {
    match alg {
        SigningAlg::Rs256 => EncodingKey::from_rsa_pem(pem),
        SigningAlg::Es256 => EncodingKey::from_ec_pem(pem),
        SigningAlg::EdDsa => EncodingKey::from_ed_pem(pem),
    }
}

pub(super) fn public_jwk(key: &EncodingKey, alg: SigningAlg) -> jsonwebtoken::errors::Result<Jwk> {
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

fn to_pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

fn unix_ms() -> u64 {
    let now = time::OffsetDateTime::now_utc();
    u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or_default()
}
