//! PEM files in a keys folder: the keys of earlier versions (read once, to be
//! imported into the database) and exports (written owner-only), both named
//! `<alg>-<created unix ms>-<kid>.pem`, so that an export folder can be imported
//! again as it is.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::new_key::{from_pkcs8, pem_to_der};
use super::{KeyError, SigningKey, io};
use crate::domain::signing_alg::SigningAlg;

const RETIRED_DIR: &str = "retired";

/// A key read from a PEM file.
#[derive(Debug)]
pub struct PemFile {
    /// The file (left in place).
    pub path: PathBuf,
    /// The key; it signs from its creation time.
    pub key: SigningKey,
    /// It was in `retired/`.
    pub retired: bool,
}

/// The PEM keys of `dir` and of `dir/retired/`; a missing folder has none.
/// A broken key file in `dir` is an error naming it (it may be the key that
/// signs); one in `retired/` is skipped with a warning.
pub fn read_folder(dir: &Path) -> Result<Vec<PemFile>, KeyError> {
    let mut files = Vec::new();
    for (folder, retired) in [(dir.to_path_buf(), false), (dir.join(RETIRED_DIR), true)] {
        if !folder.is_dir() {
            continue;
        }
        let mut paths = Vec::new();
        for entry in fs::read_dir(&folder).map_err(io(&folder))? {
            paths.push(entry.map_err(io(&folder))?.path());
        }
        paths.sort();
        for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "pem")) {
            let Some((alg, created_ms)) = parse_file_name(&path) else {
                tracing::warn!(file = %path.display(), "ignoring a .pem file whose name is not <alg>-<created>-<kid>.pem");
                continue;
            };
            match read_key(&path, alg, created_ms) {
                Ok(key) => files.push(PemFile { path, key, retired }),
                Err(error) if retired => tracing::warn!(%error, "skipping an unreadable retired key"),
                Err(error) => return Err(error),
            }
        }
    }
    Ok(files)
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
    let pem = fs::read_to_string(path).map_err(io(path))?;
    let corrupt = |reason: String| KeyError::Corrupt { path: path.to_path_buf(), alg, reason };
    let der = pem_to_der(&pem).map_err(corrupt)?;
    let created = OffsetDateTime::from_unix_timestamp_nanos(i128::from(created_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    from_pkcs8(alg, der, created, created, None).map_err(corrupt)
}

/// Writes `key` as a PEM file into `dir` (created 0700 when missing), readable
/// by the owner only; an existing file is never overwritten.
pub fn write_pem(dir: &Path, key: &SigningKey) -> Result<PathBuf, KeyError> {
    create_private_dir(dir)?;
    let created_ms = key.created.unix_timestamp_nanos() / 1_000_000;
    let path = dir.join(format!("{}-{created_ms}-{}.pem", key.alg, key.kid));
    write_private(&path, key.to_pem().expose().as_bytes())?;
    Ok(path)
}

/// Creates a folder readable by the owner only; an existing folder that others
/// may read (a fresh clone's `keys/` is 0755) is tightened, with a warning.
pub fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
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
/// either no file or the whole file, never a truncated one. Fails when the file exists.
pub(super) fn write_private(path: &Path, content: &[u8]) -> Result<(), KeyError> {
    if path.exists() {
        return Err(KeyError::Io { path: path.to_path_buf(), source: std::io::ErrorKind::AlreadyExists.into() });
    }
    let tmp = path.with_extension(format!("{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(io(&tmp))?;
    file.write_all(content).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    // A hard link fails when the target exists, unlike a rename: two nodes
    // creating the key-encryption key file at once cannot overwrite each other.
    let linked = fs::hard_link(&tmp, path).map_err(io(path));
    let _ = fs::remove_file(&tmp);
    linked
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
