//! The key-encryption key (KEK) and the sealing of private keys with it:
//! AES-256-GCM over the PKCS#8 DER, a fresh random nonce per seal, and the
//! key's `kid` and algorithm as associated data, so that a sealed key copied
//! into another row does not open. Stored form: version byte, nonce, ciphertext
//! with tag.

use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::new_key::from_pkcs8;
use super::pem_files::{create_private_dir, write_private};
use super::{KeyError, SigningKey, io};
use crate::store::signing_keys::StoredKey;

/// Name of the KEK file in the keys folder (one-node deployments).
pub const KEK_FILE: &str = "key-encryption-key";

/// Length of a KEK, in bytes (AES-256).
const KEK_LEN: usize = 32;

/// The format of a sealed key.
const VERSION: u8 = 1;

/// The key that seals the private signing keys in the database. Never printed.
pub struct KeyEncryptionKey {
    bytes: Box<[u8; KEK_LEN]>,
    /// Where it came from, for error messages (`KUKE_ID_KEY_ENCRYPTION_KEY` or the file).
    pub source: String,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEncryptionKey").field("source", &self.source).finish_non_exhaustive()
    }
}

impl KeyEncryptionKey {
    /// Decodes a base64 KEK (32 bytes) named `source` in errors.
    pub fn from_base64(text: &str, source: &str) -> Result<Self, KeyError> {
        let bad = |reason: String| KeyError::Kek { source_name: source.to_string(), reason };
        let decoded = STANDARD.decode(text.trim()).map_err(|e| bad(format!("not base64: {e}")))?;
        let bytes: [u8; KEK_LEN] = decoded
            .try_into()
            .map_err(|d: Vec<u8>| bad(format!("{} bytes, expected {KEK_LEN} (openssl rand -base64 32)", d.len())))?;
        Ok(Self { bytes: Box::new(bytes), source: source.to_string() })
    }

    /// Reads the KEK file of `keys_dir`; `None` when there is none.
    pub fn read_file(keys_dir: &Path) -> Result<Option<Self>, KeyError> {
        let path = keys_dir.join(KEK_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64(&text, &path.display().to_string()).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io(&path)(error)),
        }
    }

    /// Creates a new random KEK file in `keys_dir` (0600, the folder 0700). When
    /// another process created it first, that one is read and returned.
    pub fn create_file(keys_dir: &Path) -> Result<(Self, PathBuf), KeyError> {
        let path = keys_dir.join(KEK_FILE);
        let mut bytes = [0u8; KEK_LEN];
        SystemRandom::new().fill(&mut bytes).map_err(|_| KeyError::Kek {
            source_name: path.display().to_string(),
            reason: "the system random number generator failed".into(),
        })?;
        create_private_dir(keys_dir)?;
        let text = format!("{}\n", STANDARD.encode(bytes));
        match write_private(&path, text.as_bytes()) {
            Ok(()) => Ok((Self { bytes: Box::new(bytes), source: path.display().to_string() }, path)),
            Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
                let existing = Self::read_file(keys_dir)?;
                existing.map(|kek| (kek, path.clone())).ok_or_else(|| io(&path)(source))
            }
            Err(error) => Err(error),
        }
    }

    fn aead(&self) -> Option<LessSafeKey> {
        UnboundKey::new(&AES_256_GCM, self.bytes.as_slice()).ok().map(LessSafeKey::new)
    }
}

fn associated_data(kid: &str, alg: &str) -> Vec<u8> {
    format!("kuke-id signing key v{VERSION}\0{kid}\0{alg}").into_bytes()
}

/// Seals `key` for storage; it signs from `key.signs_from`.
pub fn seal(kek: &KeyEncryptionKey, key: &SigningKey) -> Result<StoredKey, KeyError> {
    let failed = || KeyError::Kek { source_name: kek.source.clone(), reason: "sealing failed".into() };
    let aead = kek.aead().ok_or_else(failed)?;
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new().fill(&mut nonce).map_err(|_| failed())?;
    let mut sealed = key.pkcs8.as_ref().clone();
    let aad = associated_data(&key.kid, key.alg.as_str());
    aead.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut sealed)
        .map_err(|_| failed())?;
    let mut stored = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    stored.push(VERSION);
    stored.extend_from_slice(&nonce);
    stored.extend_from_slice(&sealed);
    Ok(StoredKey {
        kid: key.kid.clone(),
        alg: key.alg,
        created_at: key.created,
        signs_from: key.signs_from,
        retire_after: key.retire_after,
        retired_at: None,
        sealed_key: stored,
    })
}

/// Seals a small secret that is not a signing key (an authenticator's shared
/// secret) under the same KEK and format, bound to `context` (the owner's id) as
/// associated data so that a sealed value copied to another row does not open.
/// `None` when sealing failed.
pub fn seal_bytes(kek: &KeyEncryptionKey, context: &str, plaintext: &[u8]) -> Option<Vec<u8>> {
    let aead = kek.aead()?;
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new().fill(&mut nonce).ok()?;
    let mut sealed = plaintext.to_vec();
    let aad = format!("kuke-id sealed secret v{VERSION}\0{context}").into_bytes();
    aead.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut sealed).ok()?;
    let mut stored = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    stored.push(VERSION);
    stored.extend_from_slice(&nonce);
    stored.extend_from_slice(&sealed);
    Some(stored)
}

/// Opens what [`seal_bytes`] sealed for `context`; `None` when another KEK sealed
/// it, the value was altered, or it belongs to another context.
pub fn open_bytes(kek: &KeyEncryptionKey, context: &str, stored: &[u8]) -> Option<Vec<u8>> {
    let aead = kek.aead()?;
    let (version, rest) = stored.split_first()?;
    if *version != VERSION || rest.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buffer = ciphertext.to_vec();
    let aad = format!("kuke-id sealed secret v{VERSION}\0{context}").into_bytes();
    aead.open_in_place(nonce, Aad::from(aad), &mut buffer).ok().map(|plain| plain.to_vec())
}

/// Opens a stored key; fails when another KEK sealed it, when the row was
/// altered, or when what it holds is not the key its `kid` names.
pub fn open(kek: &KeyEncryptionKey, stored: &StoredKey) -> Result<SigningKey, KeyError> {
    let sealed = || KeyError::Sealed(stored.kid.clone());
    let aead = kek.aead().ok_or_else(sealed)?;
    let (version, rest) = stored.sealed_key.split_first().ok_or_else(sealed)?;
    if *version != VERSION || rest.len() < NONCE_LEN {
        return Err(sealed());
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| sealed())?;
    let mut buffer = ciphertext.to_vec();
    let aad = associated_data(&stored.kid, stored.alg.as_str());
    let der = aead.open_in_place(nonce, Aad::from(aad), &mut buffer).map_err(|_| sealed())?.to_vec();
    let key =
        from_pkcs8(stored.alg, der, stored.created_at, stored.signs_from, stored.retire_after).map_err(|_| sealed())?;
    if key.kid != stored.kid {
        return Err(sealed());
    }
    Ok(key)
}

#[cfg(test)]
mod sealed_bytes {
    use super::*;

    fn kek(byte: u8) -> KeyEncryptionKey {
        KeyEncryptionKey::from_base64(&STANDARD.encode([byte; KEK_LEN]), "test").unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_for_its_owner() {
        let secret = b"12345678901234567890";
        let sealed = seal_bytes(&kek(1), "owner-a", secret).unwrap();
        assert!(!sealed.windows(secret.len()).any(|w| w == secret), "not stored in the clear");
        assert_eq!(open_bytes(&kek(1), "owner-a", &sealed).as_deref(), Some(&secret[..]));
        assert_eq!(open_bytes(&kek(1), "owner-b", &sealed), None, "copied to another account");
        assert_eq!(open_bytes(&kek(2), "owner-a", &sealed), None, "another key");
        let mut altered = sealed.clone();
        if let Some(last) = altered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(open_bytes(&kek(1), "owner-a", &altered), None, "altered");
        assert_eq!(open_bytes(&kek(1), "owner-a", &[]), None, "empty");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        assert_ne!(seal_bytes(&kek(1), "a", b"same").unwrap(), seal_bytes(&kek(1), "a", b"same").unwrap());
    }
}
