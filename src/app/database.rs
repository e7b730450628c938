//! Opening the database for a command: `serve` and `migrate` may
//! create it, every other command needs it to exist already, so that one run
//! from the wrong folder says so instead of working on a new, empty database.

use std::path::Path;

use super::StartError;
use crate::config::Settings;
use crate::domain::secret::SecretUrl;
use crate::store::{ConnectError, IfMissing, Store};

/// Opens the existing database named by the settings (a missing SQLite file is
/// [`StartError::NoDatabase`]), with a clear error naming it.
pub async fn open_store(settings: &Settings) -> Result<Store, StartError> {
    connect(settings, IfMissing::Refuse).await
}

/// Opens the database, creating a missing SQLite file: for `serve` and `migrate`.
pub async fn create_store(settings: &Settings) -> Result<Store, StartError> {
    connect(settings, IfMissing::Create).await
}

/// Opens and migrates the existing database named by the settings: for commands
/// that work on the database without serving.
pub async fn open_migrated_store(settings: &Settings) -> Result<Store, StartError> {
    let store = open_store(settings).await?;
    store.migrate().await.map_err(|source| database_error(settings.database_url.expose(), &source))?;
    Ok(store)
}

/// Creates (when missing), opens and migrates the database: what a serving node starts from.
pub(super) async fn create_migrated_store(settings: &Settings) -> Result<Store, StartError> {
    let store = create_store(settings).await?;
    store.migrate().await.map_err(|source| database_error(settings.database_url.expose(), &source))?;
    Ok(store)
}

async fn connect(settings: &Settings, if_missing: IfMissing) -> Result<Store, StartError> {
    let url = settings.database_url.expose();
    Store::connect(settings, if_missing).await.map_err(|error| match error {
        ConnectError::Missing(path) => StartError::NoDatabase { path },
        ConnectError::Unreachable(_) => database_error(
            url,
            &format!(
                "{error}; is the server running and reachable? (KUKE_ID_DATABASE_CONNECT_TIMEOUT_SECS sets the wait)"
            ),
        ),
        ConnectError::Failed(_) => database_error(url, &error),
    })
}

/// Which database the settings name, for people: the SQLite file's full path,
/// or the PostgreSQL URL without its password.
pub fn describe_database(settings: &Settings) -> String {
    match settings.sqlite_file() {
        Some(file) => absolute(&file),
        None => redact(settings.database_url.expose()),
    }
}

/// Which keys folder (key-encryption key file, PEM files to import) the settings name, as a full path.
pub fn describe_keys(settings: &Settings) -> String {
    absolute(&settings.keys_dir)
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}

pub(super) fn database_error(url: &str, source: &impl std::fmt::Display) -> StartError {
    let mut detail = source.to_string();
    for secret in SecretUrl::new(url).secrets() {
        detail = detail.replace(&secret, "***");
    }
    StartError::Database { url: redact(url), detail }
}

/// A database URL fit for logs: the password and secret query parameters
/// replaced by `***` (the one masking rule, [`SecretUrl::redacted`]).
pub fn redact(url: &str) -> String {
    SecretUrl::new(url).redacted()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn a_password_in_the_user_info_is_redacted() {
        assert_eq!(redact("postgres://kuke:s3cret@db/kuke"), "postgres://kuke:***@db/kuke");
    }

    #[test]
    fn a_password_query_parameter_is_redacted() {
        let redacted = redact("postgres://kuke@db/kuke?sslmode=require&password=s3cret");
        assert!(!redacted.contains("s3cret"), "{redacted}");
        assert!(redacted.contains("sslmode=require"));
    }

    #[test]
    fn a_password_echoed_by_the_driver_is_scrubbed_from_the_error() {
        let source = StoreError::Corrupt("cannot connect to postgres://kuke@db/kuke?password=s%21cret (s!cret)".into());
        let error = database_error("postgres://kuke@db/kuke?password=s%21cret", &source).to_string();
        assert!(!error.contains("s%21cret") && !error.contains("s!cret"), "{error}");
    }
}
