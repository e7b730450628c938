//! Publishing and listing terms versions (CLI and admin API).

use time::OffsetDateTime;

use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::flows::Internal;
use crate::store::terms::{AcceptanceRow, NewTerms, TermsRow};
use crate::store::{self, Store, StoreError};

/// A published version, and whether it is the one in force now.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The version.
    pub terms: TermsRow,
    /// In force now: the newest version already effective.
    pub current: bool,
}

/// Why a version cannot be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Empty title, version or body, or a too long version label.
    #[error("{0}")]
    Invalid(&'static str),
    /// The version label is taken.
    #[error("terms version '{0}' already exists")]
    Taken(String),
    /// Storage failed.
    #[error("{}", .0.0)]
    Store(Internal),
}

impl From<StoreError> for PublishError {
    fn from(error: StoreError) -> Self {
        Self::Store(Internal(error))
    }
}

/// A version as an operator publishes it.
#[derive(Debug, Clone, Copy)]
pub struct Publication<'a> {
    /// Version label, unique.
    pub version: &'a str,
    /// Title shown above the Polish text.
    pub title: &'a str,
    /// The Polish text: the binding one, shown to Polish readers and to English
    /// readers when there is no English text.
    pub body: &'a str,
    /// An English text for English readers, when there is one.
    pub body_en: Option<&'a str>,
    /// From when it applies; now when `None`.
    pub effective_at: Option<OffsetDateTime>,
}

/// Publishes a version; it applies from `effective_at` (now when `None`), and
/// every user is asked to accept it at their next sign-in from then on. Answers
/// the stored version.
pub async fn publish(
    store: &Store,
    clock: &Clock,
    actor: &Actor,
    publication: Publication<'_>,
) -> Result<Listed, PublishError> {
    let (version, title, body) = (publication.version.trim(), publication.title.trim(), publication.body.trim());
    let body_en = publication.body_en.map(str::trim);
    if version.is_empty() || version.len() > 64 {
        return Err(PublishError::Invalid("version must be 1 to 64 characters"));
    }
    if title.is_empty() || body.is_empty() {
        return Err(PublishError::Invalid("title and body must not be empty"));
    }
    if body_en.is_some_and(str::is_empty) {
        return Err(PublishError::Invalid("the English text must not be empty when given"));
    }
    let now = clock.now();
    let tx = store.begin().await?;
    let terms = NewTerms { version, title, body, body_en, effective_at: publication.effective_at.unwrap_or(now) };
    let terms = store::terms::publish(tx.conn(), terms, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => PublishError::Taken(version.to_string()),
        other => other.into(),
    })?;
    let event = actor
        .event("terms.published", Some(version.to_string()))
        .with_details(serde_json::json!({ "has_english_text": body_en.is_some() }));
    store::audit::record(tx.conn(), &event, now).await?;
    let current = store::terms::current(tx.conn(), now).await?;
    tx.commit().await?;
    Ok(Listed { current: current.is_some_and(|c| c.id == terms.id), terms })
}

/// Whether a version is in force now, i.e. whether a first sign-in would be
/// asked to accept terms.
pub async fn any_in_force(store: &Store, clock: &Clock) -> Result<bool, StoreError> {
    Ok(store::terms::current(store.conn(), clock.now()).await?.is_some())
}

/// Every version, newest first, the one in force marked.
pub async fn list(store: &Store, clock: &Clock) -> Result<Vec<Listed>, Internal> {
    let now = clock.now();
    let current = store::terms::current(store.conn(), now).await?.map(|c| c.id);
    let versions = store::terms::list(store.conn()).await?;
    Ok(versions.into_iter().map(|terms| Listed { current: Some(terms.id) == current, terms }).collect())
}

/// Who accepted a version, and how many who may sign in still have to.
#[derive(Debug, Clone)]
pub struct AcceptanceReport {
    /// The version.
    pub terms: TermsRow,
    /// Acceptances of it.
    pub accepted: u64,
    /// Active accounts that have not accepted it (asked at their next sign-in once it is in force).
    pub pending: u64,
    /// The requested page of acceptances, newest first.
    pub acceptances: Vec<AcceptanceRow>,
}

/// The acceptance report of `version`; `None` when no such version exists.
/// The counts and the page are read without a transaction: a report is a
/// snapshot for people, and an acceptance landing between two reads is harmless.
pub async fn acceptances(
    store: &Store,
    version: &str,
    offset: u64,
    limit: u64,
) -> Result<Option<AcceptanceReport>, Internal> {
    let conn = store.conn();
    let Some(terms) = store::terms::find_version(conn, version).await? else { return Ok(None) };
    let accepted = store::terms::acceptance_count(conn, terms.id).await?;
    let pending = store::terms::pending_count(conn, terms.id).await?;
    let acceptances = store::terms::acceptances(conn, terms.id, offset, limit).await?;
    Ok(Some(AcceptanceReport { terms, accepted, pending, acceptances }))
}
