//! Signing keys: PKCS#8 private keys kept in the database sealed with the
//! key-encryption key (see [`sealing`]), and the ring of keys a node signs and
//! verifies with.
//!
//! A key is published (in the JWK set) from the moment it exists, signs from its
//! `signs_from` time (a rotated key waits until relying parties have had time to
//! fetch it), and leaves the JWK set at its `retire_after` time, once every token
//! it signed has expired. The newest key of each algorithm whose time has come
//! signs. The ring works these out for the time it was built for; [`KeyRing::at`]
//! moves it on.
//!
//! `kid` is the RFC 7638 thumbprint of the public key, recomputed whenever a key
//! is opened, so a stored row can never publish a wrong id.

mod new_key;
mod pem_files;
mod sealing;
mod signer;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use time::OffsetDateTime;

use crate::domain::signing_alg::SigningAlg;

pub use new_key::create;
pub use pem_files::{PemFile, create_private_dir, read_folder, write_pem};
pub use sealing::{KEK_FILE, KeyEncryptionKey, open, open_bytes, seal, seal_bytes};

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
    /// A stored key cannot be opened: another key-encryption key sealed it, or
    /// the row was altered.
    #[error("cannot open the stored signing key {0}: it was sealed with another key-encryption key, or altered")]
    Sealed(String),
    /// The key-encryption key itself is unusable.
    #[error("key-encryption key {source_name}: {reason}")]
    Kek {
        /// Where it came from: the variable or the file.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.to_path_buf(), source }
}

/// One private signing key, its public JWK and its schedule.
#[derive(Clone)]
pub struct SigningKey {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// Algorithm the key signs with.
    pub alg: SigningAlg,
    /// When it was generated.
    pub created: OffsetDateTime,
    /// When it starts to sign (it is published before).
    pub signs_from: OffsetDateTime,
    /// When it leaves the JWK set, once a newer key has replaced it.
    pub retire_after: Option<OffsetDateTime>,
    signer: Arc<signer::Signer>,
    public: Jwk,
    /// The public key as jsonwebtoken verifies with it, made once.
    decoding: Arc<jsonwebtoken::DecodingKey>,
    pkcs8: Arc<Vec<u8>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The JWS signature of `message` with this key.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.signer.sign(message)
    }

    /// The public JWK (with `kid`, `alg` and `use`).
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// The public key, ready to verify a signature with.
    pub fn decoding_key(&self) -> &jsonwebtoken::DecodingKey {
        &self.decoding
    }

    /// The jsonwebtoken algorithm.
    pub fn algorithm(&self) -> Algorithm {
        jwt_alg(self.alg)
    }

    /// The private key as a PKCS#8 PEM document (for `kuke-id keys export`).
    pub fn to_pem(&self) -> crate::domain::secret::Secret {
        crate::domain::secret::Secret::new(new_key::to_pem(&self.pkcs8))
    }

    /// Whether it is in the JWK set at `now`.
    fn published_at(&self, now: OffsetDateTime) -> bool {
        self.retire_after.is_none_or(|at| at > now)
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

/// The keys of a node as of one moment: the published ones, and which of them sign.
#[derive(Debug, Clone)]
pub struct KeyRing {
    all: Vec<SigningKey>,
    published: Vec<SigningKey>,
    as_of: OffsetDateTime,
}

impl Default for KeyRing {
    fn default() -> Self {
        Self { all: Vec::new(), published: Vec::new(), as_of: OffsetDateTime::UNIX_EPOCH }
    }
}

impl KeyRing {
    /// The ring of `keys` (not retired ones) as of `now`.
    pub fn new(mut keys: Vec<SigningKey>, now: OffsetDateTime) -> Self {
        // Newest first: the key that signs is the first of its algorithm whose time has come.
        keys.sort_by(|a, b| {
            b.signs_from.cmp(&a.signs_from).then_with(|| b.created.cmp(&a.created)).then_with(|| a.kid.cmp(&b.kid))
        });
        let published = keys.iter().filter(|k| k.published_at(now)).cloned().collect();
        Self { all: keys, published, as_of: now }
    }

    /// The same keys as of `now`: keys whose time has come sign, expired ones leave.
    pub fn at(&self, now: OffsetDateTime) -> Self {
        Self::new(self.all.clone(), now)
    }

    /// The next moment at which [`KeyRing::at`] would give another ring.
    pub fn next_change(&self) -> Option<OffsetDateTime> {
        let times = self.all.iter().flat_map(|k| [Some(k.signs_from), k.retire_after]).flatten();
        times.filter(|t| *t > self.as_of).min()
    }

    /// The key that signs for `alg`: the newest one whose `signs_from` has come.
    pub fn active(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.published.iter().find(|k| k.alg == alg && k.signs_from <= self.as_of)
    }

    /// Every published key (those that will sign included), newest first.
    pub fn keys(&self) -> &[SigningKey] {
        &self.published
    }

    /// Every key of the ring, those past their retirement time included.
    pub fn all_keys(&self) -> &[SigningKey] {
        &self.all
    }

    /// Finds a published key by id.
    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.published.iter().find(|k| k.kid == kid)
    }

    /// The public JWK set (RFC 7517): public parts only.
    pub fn jwks(&self) -> JwkSet {
        JwkSet { keys: self.published.iter().map(|k| k.public.clone()).collect() }
    }

    /// Algorithms with an active key.
    pub fn algorithms(&self) -> Vec<SigningAlg> {
        SigningAlg::ALL.into_iter().filter(|alg| self.active(*alg).is_some()).collect()
    }
}
