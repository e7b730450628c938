//! Signing keys: PEM files (PKCS#8) in the keys directory, one file per key,
//! named `<alg>-<created unix ms>-<kid>.pem`. The newest key of each algorithm
//! signs; every key in the directory is published in the JWK set, so tokens
//! signed before a rotation keep verifying. Retiring a key moves its file to
//! `retired/`, which takes it out of the JWK set.
//!
//! `kid` is the RFC 7638 thumbprint of the public key, recomputed on every load,
//! so a renamed file can never publish a wrong id.

mod files;
mod new_key;
#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey};

use crate::domain::signing_alg::SigningAlg;
use files::{create_private_dir, parse_file_name, read_key};

pub use files::{discard, retire, retired, unretire};
pub use new_key::{NewKey, create, generate};

/// Why keys cannot be loaded or changed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// File-system failure on the keys directory.
    #[error("{path}: {source}")]
    Io {
        /// File or folder concerned.
        path: PathBuf,
        /// Underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// A key file that is not a private key of its algorithm.
    #[error(
        "{path}: not a valid {alg} private key ({reason}); restore it from a backup or move it out of the keys directory"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Its algorithm, from its name.
        alg: SigningAlg,
        /// What the parser said.
        reason: String,
    },
    /// Key generation failed (should not happen with a working OS RNG).
    #[error("cannot generate a {0} key")]
    Generate(SigningAlg),
    /// No key with that id.
    #[error("no published key has kid {0}")]
    UnknownKid(String),
    /// Retiring would leave an algorithm without a signing key.
    #[error("{0} is the active {1} key; run `kuke-id keys rotate --alg {1}` first")]
    Active(String, SigningAlg),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.to_path_buf(), source }
}

/// One private signing key and its public JWK.
#[derive(Clone)]
pub struct SigningKey {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// Algorithm the key signs with.
    pub alg: SigningAlg,
    /// Creation time, unix milliseconds (from the file name).
    pub created_ms: u64,
    /// Where the key lives.
    pub path: PathBuf,
    encoding: EncodingKey,
    public: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The private key, for signing.
    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    /// The public JWK (with `kid`, `alg` and `use`).
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// The jsonwebtoken algorithm.
    pub fn algorithm(&self) -> Algorithm {
        jwt_alg(self.alg)
    }
}

/// Maps our algorithm to jsonwebtoken's.
pub fn jwt_alg(alg: SigningAlg) -> Algorithm {
    match alg {
        SigningAlg::Rs256 => Algorithm::RS256,
        SigningAlg::Es256 => Algorithm::ES256,
        SigningAlg::EdDsa => Algorithm::EdDSA,
    }
}

/// Every published key, newest first.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: Vec<SigningKey>,
}

impl KeyRing {
    /// Loads the directory, creating it and one key of each algorithm that has none.
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyError> {
        create_private_dir(dir)?;
        let mut ring = Self::load(dir)?;
        for alg in SigningAlg::ALL {
            if ring.active(alg).is_none() {
                let key = generate(dir, alg)?;
                tracing::info!(kid = %key.kid, alg = %alg, "generated a new signing key");
                ring.keys.push(key);
            }
        }
        ring.sort();
        Ok(ring)
    }

    /// Loads every key file of the directory (not `retired/`).
    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for entry in fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("pem") {
                continue;
            }
            let Some((alg, created_ms)) = parse_file_name(&path) else {
                tracing::warn!(file = %path.display(), "ignoring a .pem file whose name is not <alg>-<created>-<kid>.pem");
                continue;
            };
            keys.push(read_key(&path, alg, created_ms)?);
        }
        let mut ring = Self { keys };
        ring.sort();
        Ok(ring)
    }

    fn sort(&mut self) {
        self.keys.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then_with(|| a.kid.cmp(&b.kid)));
    }

    /// The key that signs for `alg`: the newest one.
    pub fn active(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.alg == alg)
    }

    /// Every published key, newest first.
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// Finds a published key by id.
    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The public JWK set (RFC 7517): public parts only.
    pub fn jwks(&self) -> JwkSet {
        JwkSet { keys: self.keys.iter().map(|k| k.public.clone()).collect() }
    }

    /// Algorithms with an active key.
    pub fn algorithms(&self) -> Vec<SigningAlg> {
        SigningAlg::ALL.into_iter().filter(|alg| self.active(*alg).is_some()).collect()
    }
}
