//! The key set a node starts with: the key-encryption key, then, under the
//! key-set lock, the stored keys opened (a wrong KEK stops here), PEM files of
//! earlier versions imported once, and a first key of every algorithm that has
//! none. Nodes starting at once on an empty database take turns at the lock,
//! so the first creates the key set and the others open it.

use std::path::PathBuf;

use super::{KeysError, blocking, longest_token_lifetime, open_published, wrong_kek};
use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::store::Store;
use crate::store::signing_keys as stored_keys;
use crate::tokens::keys::{self, KEK_FILE, KeyEncryptionKey, KeyRing};

/// What [`open_key_set`] found and did.
#[derive(Debug)]
pub struct OpenedKeys {
    /// The keys to sign and verify with.
    pub ring: KeyRing,
    /// The key-encryption key they are sealed with.
    pub kek: KeyEncryptionKey,
    /// The KEK file, when this start created it.
    pub kek_file_created: Option<PathBuf>,
    /// PEM files imported into the database (left in place).
    pub imported: Vec<PathBuf>,
    /// Algorithms that got their first key.
    pub created: Vec<SigningAlg>,
}

/// The key-encryption key: `KUKE_ID_KEY_ENCRYPTION_KEY`, else the file in the
/// keys folder. The file is created (0600) only when `may_create` and the
/// database holds no key: keys sealed with a lost KEK must never be silently
/// replaced by a new key set. Answers the file when it was created.
pub async fn load_kek(
    settings: &Settings,
    store: &Store,
    may_create: bool,
) -> Result<(KeyEncryptionKey, Option<PathBuf>), KeysError> {
    if let Some(text) = &settings.key_encryption_key {
        return Ok((KeyEncryptionKey::from_base64(text.expose(), "KUKE_ID_KEY_ENCRYPTION_KEY")?, None));
    }
    let dir = settings.keys_dir.clone();
    let read_dir = dir.clone();
    if let Some(kek) = blocking(move || KeyEncryptionKey::read_file(&read_dir)).await? {
        return Ok((kek, None));
    }
    if stored_keys::any(store.conn()).await? {
        return Err(KeysError::MissingKek { file: dir.join(KEK_FILE) });
    }
    if !may_create {
        return Err(KeysError::NoKeys);
    }
    let (kek, path) = blocking(move || KeyEncryptionKey::create_file(&dir)).await?;
    tracing::info!(file = %path.display(), "created the key-encryption key; back it up with the database");
    Ok((kek, Some(path)))
}

/// Opens the key set of the database, importing PEM files of the keys folder
/// once and, when `may_create`, creating a first key of every algorithm that
/// has none. Any stored key the KEK cannot open stops it before anything is written.
pub async fn open_key_set(
    settings: &Settings,
    store: &Store,
    clock: &Clock,
    may_create: bool,
) -> Result<OpenedKeys, KeysError> {
    let (kek, kek_file_created) = load_kek(settings, store, may_create).await?;
    let dir = settings.keys_dir.clone();
    let pem_files = blocking(move || keys::read_folder(&dir)).await?;
    let now = clock.now();
    let tx = store.begin().await?;
    stored_keys::lock_key_set(tx.conn(), now).await?;
    let rows = stored_keys::all(tx.conn()).await?;
    for row in &rows {
        keys::open(&kek, row).map_err(|error| wrong_kek(&kek, error))?;
    }
    let mut imported = Vec::new();
    let mut imported_algs = Vec::new();
    let ahead = time::Duration::try_from(settings.key_publish_ahead).unwrap_or(time::Duration::ZERO);
    for mut file in pem_files.into_iter().filter(|file| !rows.iter().any(|row| row.kid == file.key.kid)) {
        // A key added beside a key set in use is staged like a rotated one; on
        // an upgrade (no key of its algorithm yet) it signs as it did before.
        let in_use = rows.iter().any(|row| row.alg == file.key.alg && row.retired_at.is_none());
        if in_use {
            file.key.signs_from = file.key.signs_from.max(now + ahead);
        }
        let mut row = keys::seal(&kek, &file.key)?;
        row.retired_at = file.retired.then_some(now);
        if stored_keys::insert(tx.conn(), &row).await? {
            tracing::info!(
                kid = %row.kid,
                file = %file.path.display(),
                "imported a signing key file into the database; the file is left in place and no longer read"
            );
            if !file.retired {
                imported_algs.push(row.alg);
            }
            imported.push(file.path);
        }
    }
    let rows = stored_keys::all(tx.conn()).await?;
    let mut created = Vec::new();
    for alg in SigningAlg::ALL {
        if rows.iter().any(|row| row.alg == alg && row.retired_at.is_none()) {
            continue;
        }
        if !may_create {
            return Err(KeysError::NoKeys);
        }
        let key = blocking(move || keys::create(alg, now, now)).await?;
        stored_keys::insert(tx.conn(), &keys::seal(&kek, &key)?).await?;
        tracing::info!(kid = %key.kid, %alg, "generated a new signing key");
        created.push(alg);
    }
    // Imported keys replaced by a newer imported one retire once tokens they may
    // have signed have expired, as after a rotation.
    for alg in imported_algs {
        let newest = rows
            .iter()
            .filter(|row| row.alg == alg && row.retired_at.is_none())
            .max_by_key(|row| (row.signs_from, row.created_at));
        if let Some(newest) = newest {
            let at = newest.signs_from.max(now) + longest_token_lifetime(settings);
            stored_keys::schedule_retirement(tx.conn(), alg, &newest.kid, at).await?;
        }
    }
    tx.commit().await?;
    let rows = stored_keys::all(store.conn()).await?;
    let ring = KeyRing::new(open_published(&kek, &rows)?, now);
    Ok(OpenedKeys { ring, kek, kek_file_created, imported, created })
}
