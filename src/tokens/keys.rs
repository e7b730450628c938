//! Signing keys: PEM files (PKCS#8) in the keys directory, one file per key,
//! named `<alg>-<created unix ms>-<kid>.pem`. The newest key of each algorithm
//! signs; every key in the directory is published in the JWK set, so tokens
//! signed before a rotation keep verifying. Retiring a key moves its file to
//! `retired/`, which takes it out of the JWK set.
//!
//! `kid` is the RFC 7638 thumbprint of the public key, recomputed on every load,
//! so a renamed file can never publish a wrong id.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey};

use crate::domain::signing_alg::SigningAlg;

const RETIRED_DIR: &str = "retired";

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

/// Deletes an installed key again (undoing [`NewKey::install`] when what it
/// belonged to failed).
pub fn discard(key: &SigningKey) -> Result<(), KeyError> {
    fs::remove_file(&key.path).map_err(io(&key.path))
}

/// Takes key `kid` out of the JWK set by moving its file to `retired/`.
/// The active key of an algorithm cannot be retired.
pub fn retire(dir: &Path, kid: &str) -> Result<PathBuf, KeyError> {
    let ring = KeyRing::load(dir)?;
    let key = ring.by_kid(kid).ok_or_else(|| KeyError::UnknownKid(kid.to_string()))?;
    if ring.active(key.alg).map(|k| k.kid.as_str()) == Some(kid) {
        return Err(KeyError::Active(kid.to_string(), key.alg));
    }
    let retired = dir.join(RETIRED_DIR);
    create_private_dir(&retired)?;
    let file_name = key.path.file_name().map(PathBuf::from).unwrap_or_else(|| PathBuf::from(format!("{kid}.pem")));
    let target = retired.join(file_name);
    fs::rename(&key.path, &target).map_err(io(&key.path))?;
    Ok(target)
}

/// Publishes a retired key file again (undoing [`retire`] when what it belonged to failed).
pub fn unretire(dir: &Path, retired: &Path) -> Result<(), KeyError> {
    let file_name = retired.file_name().ok_or_else(|| KeyError::Io {
        path: retired.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file"),
    })?;
    fs::rename(retired, dir.join(file_name)).map_err(io(retired))
}

/// The keys in `retired/`, newest first; unreadable files are skipped with a
/// warning, since they no longer sign or verify anything.
pub fn retired(dir: &Path) -> Result<Vec<SigningKey>, KeyError> {
    let retired = dir.join(RETIRED_DIR);
    if !retired.is_dir() {
        return Ok(Vec::new());
    }
    let mut keys = Vec::new();
    for entry in fs::read_dir(&retired).map_err(io(&retired))? {
        let path = entry.map_err(io(&retired))?.path();
        let Some((alg, created_ms)) = parse_file_name(&path).filter(|_| path.extension().is_some_and(|e| e == "pem"))
        else {
            continue;
        };
        match read_key(&path, alg, created_ms) {
            Ok(key) => keys.push(key),
            Err(error) => tracing::warn!(%error, "skipping an unreadable retired key"),
        }
    }
    keys.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then_with(|| a.kid.cmp(&b.kid)));
    Ok(keys)
}

fn parse_file_name(path: &Path) -> Option<(SigningAlg, u64)> {
    let stem = path.file_stem()?.to_str()?;
    let mut parts = stem.splitn(3, '-');
    let alg = parts.next()?.parse().ok()?;
    let created = parts.next()?.parse().ok()?;
    parts.next()?;
    Some((alg, created))
}

fn read_key(path: &Path, alg: SigningAlg, created_ms: u64) -> Result<SigningKey, KeyError> {
    let pem = fs::read(path).map_err(io(path))?;
    let corrupt = |reason: String| KeyError::Corrupt { path: path.to_path_buf(), alg, reason };
    let encoding = parse_pem(alg, &pem).map_err(|e| corrupt(e.to_string()))?;
    let public = public_jwk(&encoding, alg).map_err(|e| corrupt(e.to_string()))?;
    let kid = public.common.key_id.clone().unwrap_or_default();
    Ok(SigningKey { kid, alg, created_ms, path: path.to_path_buf(), encoding, public })
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

fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io(dir))
}

/// Writes a new file readable by the owner only, atomically: a crash leaves
/// either no key or the whole key, never a truncated one.
fn write_private(path: &Path, content: &[u8]) -> Result<(), KeyError> {
    let tmp = path.with_extension("pem.tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(io(&tmp))?;
    file.write_all(content).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kuke-id-keys-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn first_load_generates_one_key_per_algorithm() {
        let dir = temp_dir();
        let ring = KeyRing::load_or_create(&dir).expect("keys");
        assert_eq!(ring.algorithms(), SigningAlg::ALL.to_vec());
        assert_eq!(ring.keys().len(), 3);
    }

    #[test]
    fn reload_finds_the_same_kids() {
        let dir = temp_dir();
        let first = KeyRing::load_or_create(&dir).expect("keys");
        let second = KeyRing::load_or_create(&dir).expect("keys");
        let kids = |r: &KeyRing| r.keys().iter().map(|k| k.kid.clone()).collect::<Vec<_>>();
        assert_eq!(kids(&first), kids(&second));
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_readable_by_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir();
        let ring = KeyRing::load_or_create(&dir).expect("keys");
        for key in ring.keys() {
            let mode = fs::metadata(&key.path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", key.path.display());
        }
    }

    #[test]
    fn rotation_makes_the_new_key_active_and_keeps_the_old_one_published() {
        let dir = temp_dir();
        let ring = KeyRing::load_or_create(&dir).expect("keys");
        let old = ring.active(SigningAlg::Es256).expect("es256").kid.clone();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let new = generate(&dir, SigningAlg::Es256).expect("rotate");
        let ring = KeyRing::load(&dir).expect("reload");
        assert_eq!(ring.active(SigningAlg::Es256).map(|k| k.kid.clone()), Some(new.kid));
        assert!(ring.by_kid(&old).is_some());
    }

    #[test]
    fn retiring_removes_the_key_from_the_jwks() {
        let dir = temp_dir();
        let ring = KeyRing::load_or_create(&dir).expect("keys");
        let old = ring.active(SigningAlg::Rs256).expect("rs256").kid.clone();
        std::thread::sleep(std::time::Duration::from_millis(2));
        generate(&dir, SigningAlg::Rs256).expect("rotate");
        retire(&dir, &old).expect("retire");
        let ring = KeyRing::load(&dir).expect("reload");
        assert!(ring.by_kid(&old).is_none());
        assert!(ring.jwks().find(&old).is_none());
    }

    #[test]
    fn retired_keys_are_listed_and_can_be_published_again() {
        let dir = temp_dir();
        let ring = KeyRing::load_or_create(&dir).expect("keys");
        let old = ring.active(SigningAlg::Es256).expect("es256").kid.clone();
        std::thread::sleep(std::time::Duration::from_millis(2));
        generate(&dir, SigningAlg::Es256).expect("rotate");
        let moved = retire(&dir, &old).expect("retire");
        assert_eq!(
            retired(&dir).expect("retired").iter().map(|k| k.kid.clone()).collect::<Vec<_>>(),
            vec![old.clone()]
        );
        unretire(&dir, &moved).expect("unretire");
        assert!(KeyRing::load(&dir).expect("reload").by_kid(&old).is_some());
        assert!(retired(&dir).expect("retired").is_empty());
    }

    #[test]
    fn a_discarded_new_key_is_not_published() {
        let dir = temp_dir();
        KeyRing::load_or_create(&dir).expect("keys");
        let key = create(SigningAlg::EdDsa).expect("create");
        let kid = key.kid().to_string();
        let installed = key.install(&dir).expect("install");
        discard(&installed).expect("discard");
        assert!(KeyRing::load(&dir).expect("reload").by_kid(&kid).is_none());
    }

    #[test]
    fn the_active_key_cannot_be_retired() {
        let dir = temp_dir();
        let ring = KeyRing::load_or_create(&dir).expect("keys");
        let active = ring.active(SigningAlg::EdDsa).expect("eddsa").kid.clone();
        assert!(matches!(retire(&dir, &active), Err(KeyError::Active(..))));
    }

    #[test]
    fn a_corrupt_key_file_is_named_in_the_error() {
        let dir = temp_dir();
        fs::write(dir.join("ES256-1-broken.pem"), b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .expect("write");
        let error = KeyRing::load(&dir).expect_err("corrupt");
        assert!(error.to_string().contains("ES256-1-broken.pem"), "{error}");
    }

    #[test]
    fn jwks_has_public_parts_only() {
        let dir = temp_dir();
        let ring = KeyRing::load_or_create(&dir).expect("keys");
        let json = serde_json::to_value(ring.jwks()).expect("json");
        for key in json["keys"].as_array().expect("keys") {
            assert!(key.get("d").is_none() && key.get("p").is_none());
            assert_eq!(key["use"], "sig");
        }
    }
}
