//! The keys directory: reading key files, writing them owner-only and
//! atomically, and moving them to `retired/` and back.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::new_key::{parse_pem, public_jwk};
use super::{KeyError, KeyRing, SigningKey, io};
use crate::domain::signing_alg::SigningAlg;

const RETIRED_DIR: &str = "retired";

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

pub(super) fn parse_file_name(path: &Path) -> Option<(SigningAlg, u64)> {
    let stem = path.file_stem()?.to_str()?;
    let mut parts = stem.splitn(3, '-');
    let alg = parts.next()?.parse().ok()?;
    let created = parts.next()?.parse().ok()?;
    parts.next()?;
    Some((alg, created))
}

pub(super) fn read_key(path: &Path, alg: SigningAlg, created_ms: u64) -> Result<SigningKey, KeyError> {
    let pem = fs::read(path).map_err(io(path))?;
    let corrupt = |reason: String| KeyError::Corrupt { path: path.to_path_buf(), alg, reason };
    let encoding = parse_pem(alg, &pem).map_err(|e| corrupt(e.to_string()))?;
    let public = public_jwk(&encoding, alg).map_err(|e| corrupt(e.to_string()))?;
    let kid = public.common.key_id.clone().unwrap_or_default();
    Ok(SigningKey { kid, alg, created_ms, path: path.to_path_buf(), encoding, public })
}

/// Creates the keys folder readable by the owner only; an existing folder that
/// others may read (a fresh clone's `keys/` is 0755) is tightened, with a warning.
pub(super) fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    if dir.is_dir() {
        tighten(dir);
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
pub(super) fn write_private(path: &Path, content: &[u8]) -> Result<(), KeyError> {
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

/// Takes group and world access away from the keys folder.
#[cfg(unix)]
fn tighten(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = fs::metadata(dir) else { return };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return;
    }
    match fs::set_permissions(dir, fs::Permissions::from_mode(0o700)) {
        Ok(()) => tracing::warn!(
            folder = %dir.display(),
            was = format!("{mode:o}"),
            "the keys folder was open to other users; it is now 0700"
        ),
        Err(error) => tracing::warn!(
            folder = %dir.display(),
            was = format!("{mode:o}"),
            %error,
            "the keys folder is open to other users and cannot be tightened: make it 0700"
        ),
    }
}

#[cfg(not(unix))]
fn tighten(_: &Path) {}
