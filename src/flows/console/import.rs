//! The console's import: an uploaded file is dry-run through the admin API's
//! import flow ([`crate::flows::import`]) and kept in the database until it is
//! applied, so the apply applies exactly the file whose report was shown,
//! whichever node it reaches, and nothing the browser sends back can change it.
//! An upload belongs to the console session that made it and expires after
//! [`UPLOAD_TTL`]; the apply writes the flow's own audit event, with the staff
//! member as the actor.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::audit::Actor;
use crate::flows::Internal;
use crate::flows::import::{self, Format, ImportError, Report, RowOutcome};
use crate::state::AppState;
use crate::store::{self, console_uploads::NewUpload};
use crate::tokens::opaque;

/// How long an upload waits for its apply.
pub const UPLOAD_TTL: Duration = Duration::hours(1);

/// How long an expired upload is remembered, so that its page says "expired"
/// rather than "unknown".
const REMEMBERED: Duration = Duration::days(1);

/// Rejected rows a report keeps (and the page lists); the rest are counted.
pub const SHOWN_REJECTED: usize = 1000;

/// A report as the console keeps and shows it: the counts, and the rejected
/// rows (at most [`SHOWN_REJECTED`]) with their reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// New accounts.
    pub created: usize,
    /// Updated accounts.
    pub updated: usize,
    /// Untouched accounts.
    pub unchanged: usize,
    /// Refused rows.
    pub rejected: usize,
    /// The first refused rows, in file order.
    pub rejected_rows: Vec<Rejected>,
}

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Data row number (1 = first row after the header).
    pub row: usize,
    /// Its legacy id, when it had one.
    pub legacy_id: Option<String>,
    /// The import's reason (English, as the admin API reports it).
    pub reason: String,
}

impl Summary {
    /// The summary of an import's report.
    pub fn of(report: &Report) -> Self {
        let rejected_rows = report
            .rows
            .iter()
            .filter_map(|row| match row.outcome {
                RowOutcome::Rejected(reason) => Some(Rejected { row: row.row, legacy_id: row.legacy_id, reason }),
                _ => None,
            })
            .take(SHOWN_REJECTED)
            .collect();
        Self {
            created: report.created,
            updated: report.updated,
            unchanged: report.unchanged,
            rejected: report.rejected,
            rejected_rows,
        }
    }
}

/// A refusal reason, for the page: the field it concerns, the message key and
/// the value the message names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    /// The column (`email`, `role`, …), when the reason concerns one.
    pub field: Option<&'static str>,
    /// Message key (`console_mig_reason_*`).
    pub key: &'static str,
    /// What the message names (`{value}`): an unknown role, a reader's detail.
    pub value: Option<String>,
}

/// Reads an import reason (the text of a [`crate::domain::import::RowError`])
/// back into a field and a message of the page's language. An unforeseen text
/// is shown as it is.
pub fn explain(reason: &str) -> Explained {
    let column = |name: &str| crate::domain::import::COLUMNS.iter().copied().find(|c| *c == name);
    let plain = |field, key| Explained { field, key, value: None };
    if let Some(name) = reason.strip_prefix("missing field: ") {
        return plain(column(name), "console_mig_reason_missing");
    }
    if let Some(rest) = reason.strip_prefix("field ")
        && let Some(name) = rest.strip_suffix(" is too long or contains control characters")
    {
        return plain(column(name), "console_mig_reason_bad_text");
    }
    if let Some(rest) = reason.strip_prefix("unknown role '")
        && let Some(role) = rest.strip_suffix("' (administrator or user)")
    {
        return Explained {
            field: Some("role"),
            key: "console_mig_reason_unknown_role",
            value: Some(role.to_string()),
        };
    }
    if let Some(detail) = reason.strip_prefix("unreadable row: ") {
        return Explained { field: None, key: "console_mig_reason_unreadable", value: Some(detail.to_string()) };
    }
    match reason {
        "invalid e-mail address" => plain(Some("email"), "console_mig_reason_invalid_email"),
        "duplicate legacy_id in the file" => plain(Some("legacy_id"), "console_mig_reason_duplicate_legacy_id"),
        "duplicate e-mail address in the file" => plain(Some("email"), "console_mig_reason_duplicate_email_in_file"),
        "the e-mail address belongs to another account" => plain(Some("email"), "console_mig_reason_email_taken"),
        other => Explained { field: None, key: "console_mig_reason_other", value: Some(other.to_string()) },
    }
}

/// The console session named by the console cookie: an upload is bound to it.
pub async fn console_session(state: &AppState, cookie: Option<&str>) -> Result<Option<Uuid>, Internal> {
    let Some(cookie) = cookie.filter(|c| c.len() == 43) else { return Ok(None) };
    let row =
        store::console_sessions::find_session(state.store.conn(), &opaque::hash(cookie), state.clock.now()).await?;
    Ok(row.map(|r| r.id))
}

/// Who is asking for an upload: the staff member and their console session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// The staff member.
    pub user_id: Uuid,
    /// Their console session.
    pub console_session_id: Uuid,
}

/// Why an upload cannot be dry-run.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The file as a whole cannot be imported (not UTF-8, unknown columns, …).
    #[error(transparent)]
    File(ImportError),
    /// Storage failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<store::StoreError> for UploadError {
    fn from(error: store::StoreError) -> Self {
        Self::Internal(Internal(error))
    }
}

/// Empties the files of expired uploads and forgets them a day later: run
/// before each upload and by every retention round, so a file never outlives
/// its hour by more than a round.
pub async fn expire_uploads(state: &AppState) -> Result<(), store::StoreError> {
    let now = state.clock.now();
    store::console_uploads::expire(state.store.conn(), now, now - REMEMBERED).await
}

/// Dry-runs an uploaded file through the import flow and keeps it with its
/// report; answers the upload's id.
pub async fn dry_run(
    state: &AppState,
    actor: &Actor,
    owner: Owner,
    file_name: &str,
    format: Format,
    content: &[u8],
) -> Result<Uuid, UploadError> {
    let now = state.clock.now();
    expire_uploads(state).await?;
    let report = match import::import_served(state, actor, content, format, true).await {
        Ok(report) => report,
        Err(ImportError::Store(error)) => return Err(Internal(error).into()),
        Err(other) => return Err(UploadError::File(other)),
    };
    let summary = serde_json::to_string(&Summary::of(&report)).unwrap_or_default();
    drop(report);
    let file_name: String = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
    let upload = NewUpload {
        user_id: owner.user_id,
        console_session_id: owner.console_session_id,
        file_name: &file_name,
        format: format_name(format),
        content,
        dry_run_report: &summary,
        expires_at: now + UPLOAD_TTL,
    };
    Ok(store::console_uploads::insert(state.store.conn(), upload, now).await?)
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Csv => "csv",
        Format::Json => "json",
    }
}

/// An upload as its page shows it.
#[derive(Debug, Clone)]
pub struct UploadView {
    /// Its id.
    pub id: Uuid,
    /// The file's name.
    pub file_name: String,
    /// `csv` or `json`.
    pub format: String,
    /// The file's size.
    pub size_bytes: i64,
    /// The dry run's report.
    pub dry_run: Summary,
    /// The apply's report, once applied.
    pub applied: Option<Summary>,
    /// Being (or having been) applied.
    pub applied_at: Option<OffsetDateTime>,
    /// When it is forgotten.
    pub expires_at: OffsetDateTime,
}

/// What an upload id names, for the staff member asking.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// Their upload.
    Found(Box<UploadView>),
    /// No such upload (a mistyped or made-up id, or one long expired).
    Unknown,
    /// Expired before it was applied: upload the file again.
    Expired,
    /// Another console session's upload.
    Foreign,
}

/// The upload `id`, if it is the owner's.
pub async fn upload(state: &AppState, id: Uuid, owner: Owner) -> Result<Lookup, Internal> {
    let Some(row) = store::console_uploads::find_without_content(state.store.conn(), id).await? else {
        return Ok(Lookup::Unknown);
    };
    Ok(check(row, owner, state.clock.now()))
}

fn check(row: store::console_uploads::UploadRow, owner: Owner, now: OffsetDateTime) -> Lookup {
    if row.user_id != owner.user_id || row.console_session_id != owner.console_session_id {
        return Lookup::Foreign;
    }
    if row.expires_at <= now && row.applied_report.is_none() {
        return Lookup::Expired;
    }
    let read = |json: &str| serde_json::from_str::<Summary>(json).unwrap_or_default();
    Lookup::Found(Box::new(UploadView {
        id: row.id,
        file_name: row.file_name,
        format: row.format,
        size_bytes: row.size_bytes,
        dry_run: read(&row.dry_run_report),
        applied: row.applied_report.as_deref().map(read),
        applied_at: row.applied_at,
        expires_at: row.expires_at,
    }))
}

/// What an apply did.
#[derive(Debug, Clone)]
pub enum Applied {
    /// Applied now.
    Done,
    /// Applied before (a second click, another tab): nothing done again.
    AlreadyApplied,
    /// Not applied: the upload is not the owner's, unknown or expired.
    Refused(Lookup),
    /// The file was refused as a whole (it passed its dry run, so this does
    /// not happen unless the rules changed in between): nothing applied.
    FileRefused(String),
}

/// Applies the kept file of upload `id` through the import flow (audited as
/// `import.applied` by `actor`), once.
pub async fn apply(state: &AppState, actor: &Actor, id: Uuid, owner: Owner) -> Result<Applied, Internal> {
    let conn = state.store.conn();
    let Some(row) = store::console_uploads::find(conn, id).await? else {
        return Ok(Applied::Refused(Lookup::Unknown));
    };
    let now = state.clock.now();
    let (content, format) = (row.content.clone(), row.format.clone());
    match check(row, owner, now) {
        Lookup::Found(view) if view.applied_at.is_some() => return Ok(Applied::AlreadyApplied),
        Lookup::Found(_) => {}
        other => return Ok(Applied::Refused(other)),
    }
    // Only the request that claims the upload applies it.
    if !store::console_uploads::claim(conn, id, now).await? {
        return Ok(Applied::AlreadyApplied);
    }
    let format = if format == "json" { Format::Json } else { Format::Csv };
    match import::import_served(state, actor, &content, format, false).await {
        Ok(report) => {
            let summary = serde_json::to_string(&Summary::of(&report)).unwrap_or_default();
            store::console_uploads::applied(conn, id, &summary).await?;
            Ok(Applied::Done)
        }
        Err(error) => {
            store::console_uploads::release(conn, id).await?;
            match error {
                ImportError::Store(error) => Err(Internal(error)),
                other => Ok(Applied::FileRefused(other.to_string())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::import::RowError;

    #[test]
    fn every_row_error_is_explained_with_its_field_and_message() {
        let cases = [
            (RowError::Missing("first_name"), Some("first_name"), "console_mig_reason_missing"),
            (RowError::InvalidEmail, Some("email"), "console_mig_reason_invalid_email"),
            (RowError::UnknownRole("boss".into()), Some("role"), "console_mig_reason_unknown_role"),
            (RowError::BadText("last_name"), Some("last_name"), "console_mig_reason_bad_text"),
            (RowError::DuplicateLegacyId, Some("legacy_id"), "console_mig_reason_duplicate_legacy_id"),
            (RowError::DuplicateEmailInFile, Some("email"), "console_mig_reason_duplicate_email_in_file"),
            (RowError::DuplicateEmailInDatabase, Some("email"), "console_mig_reason_email_taken"),
            (RowError::Unreadable("wrong number of fields".into()), None, "console_mig_reason_unreadable"),
        ];
        for (error, field, key) in cases {
            let explained = explain(&error.to_string());
            assert_eq!((explained.field, explained.key), (field, key), "{error}");
        }
        assert_eq!(explain(&RowError::UnknownRole("boss".into()).to_string()).value.as_deref(), Some("boss"));
        assert_eq!(explain("something new").key, "console_mig_reason_other");
    }
}
