//! The console's migration pages: the import (upload, dry run, apply) and the
//! activation campaign (who it will mail, its pace and progress). Both go
//! through the admin API's own flows ([`crate::flows::import`] and
//! [`crate::flows::journey::campaign`]), so the same audit events are written,
//! with the staff member as the actor.
//!
//! An uploaded file is kept in the database between its dry run and its apply:
//! the apply applies exactly the file whose report was shown, whichever node it
//! reaches, and nothing the browser sends back can change it. An upload belongs
//! to the console session that made it and expires after [`UPLOAD_TTL`].

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::audit::Actor;
use crate::flows::Internal;
use crate::flows::import::{self, Format, ImportError, Report, RowOutcome};
use crate::flows::journey::campaign::Selection;
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

/// Longest list of people a campaign selection may name (the admin API's bound).
pub const MAX_SELECTION: usize = 10_000;

/// The mail kind of campaign invitations in the outbox.
const CAMPAIGN_MAIL: &str = "activation";

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
    store::console_uploads::expire(state.store.conn(), now, now - REMEMBERED).await?;
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

/// The people a campaign form names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everyone imported and never invited.
    Everyone,
    /// One organisation's never-invited people.
    Organization(Uuid),
    /// The never-invited people of a list of logins and e-mail addresses.
    Selection(String),
    /// Everyone whose link expired unused (a re-invitation).
    Expired,
}

/// A campaign form's field refused, with its message key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field.
    pub field: &'static str,
    /// Message key.
    pub key: &'static str,
    /// What the message names (`{value}`), e.g. the entries not found.
    pub value: Option<String>,
}

/// A campaign ready to start: who it selects and how many it will mail now.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The campaign flow's selection.
    pub selection: Selection,
    /// People it will mail.
    pub count: usize,
    /// The organisation's name (organisation scope).
    pub organization_name: Option<String>,
    /// Entries of a list that are found but already invited or active: not mailed.
    pub skipped: usize,
}

/// Reads a campaign form: the scope, and the organisation or the list it needs.
pub fn scope(scope: &str, organization: &str, people: &str) -> Result<Scope, FieldError> {
    let error = |field, key| FieldError { field, key, value: None };
    match scope {
        "everyone" => Ok(Scope::Everyone),
        "expired" => Ok(Scope::Expired),
        "organization" => match Uuid::parse_str(organization.trim()) {
            Ok(id) => Ok(Scope::Organization(id)),
            Err(_) => Err(error("organization", "console_mig_error_choose_organization")),
        },
        "selection" if people.trim().is_empty() => Err(error("people", "console_mig_error_people_required")),
        "selection" => Ok(Scope::Selection(people.to_string())),
        _ => Err(error("scope", "console_mig_error_choose_scope")),
    }
}

/// The entries of a list: login numbers and e-mail addresses, one per line (or
/// separated by commas, semicolons or spaces), duplicates dropped.
pub fn entries(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(|entry| entry.trim().trim_matches(|c| c == '<' || c == '>').to_lowercase())
        .filter(|entry| !entry.is_empty())
        .filter(|entry| seen.insert(entry.clone()))
        .collect()
}

/// Who a campaign of `scope` would mail now, or the form field to correct.
pub async fn plan(state: &AppState, scope: &Scope) -> Result<Result<Plan, FieldError>, Internal> {
    let conn = state.store.conn();
    let now = state.clock.now();
    let mut plan = Plan { selection: Selection::default(), count: 0, organization_name: None, skipped: 0 };
    match scope {
        Scope::Everyone => {}
        Scope::Expired => plan.selection.expired = true,
        Scope::Organization(id) => {
            let Some(org) = crate::flows::organizations::find(&state.store, *id).await? else {
                let error =
                    FieldError { field: "organization", key: "console_mig_error_choose_organization", value: None };
                return Ok(Err(error));
            };
            plan.organization_name = Some(org.name);
            plan.selection.organization_id = Some(*id);
        }
        Scope::Selection(text) => {
            let entries = entries(text);
            if entries.len() > MAX_SELECTION {
                let value = Some(MAX_SELECTION.to_string());
                return Ok(Err(FieldError { field: "people", key: "console_mig_error_people_too_many", value }));
            }
            let (emails, logins): (Vec<String>, Vec<String>) = entries.iter().cloned().partition(|e| e.contains('@'));
            let found = store::users::by_logins_or_emails(conn, &logins, &emails).await?;
            let unknown: Vec<&str> = entries
                .iter()
                .filter(|entry| {
                    !found.iter().any(|(_, login, email)| login == *entry || email.to_lowercase() == **entry)
                })
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                let shown: Vec<&str> = unknown.iter().copied().take(20).collect();
                let mut value = shown.join(", ");
                if unknown.len() > shown.len() {
                    value.push_str(&format!(" (+{})", unknown.len() - shown.len()));
                }
                return Ok(Err(FieldError {
                    field: "people",
                    key: "console_mig_error_people_unknown",
                    value: Some(value),
                }));
            }
            let mut ids: Vec<Uuid> = found.into_iter().map(|(id, _, _)| id).collect();
            ids.sort_unstable();
            ids.dedup();
            plan.selection.user_ids = Some(ids);
        }
    }
    let org = plan.selection.organization_id;
    let ids = plan.selection.user_ids.as_deref();
    // The same queries the campaign flow starts from.
    plan.count = if plan.selection.expired {
        store::users::link_expired(conn, org, ids, now).await?.len()
    } else {
        store::users::not_invited(conn, org, ids).await?.len()
    };
    plan.skipped = ids.map_or(0, |ids| ids.len().saturating_sub(plan.count));
    Ok(Ok(plan))
}

/// The campaign's pace and progress, read from the outbox.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Configured pace (`campaign_mails_per_minute`); `None`: as fast as the relay takes them.
    pub mails_per_minute: Option<u32>,
    /// Activation mails waiting to be sent.
    pub queued: u64,
    /// Activation mails sent.
    pub sent: u64,
    /// Activation mails given up.
    pub failed: u64,
    /// When the last waiting one is expected to go out.
    pub finish_at: Option<OffsetDateTime>,
    /// People imported and never invited.
    pub not_invited: usize,
    /// People whose link expired unused (re-invitable).
    pub link_expired: usize,
    /// Now, as the estimate was made.
    pub now: OffsetDateTime,
}

/// Reads the campaign's progress now.
pub async fn progress(state: &AppState) -> Result<Progress, Internal> {
    let conn = state.store.conn();
    let now = state.clock.now();
    let (queued, sent, failed) = store::mail_outbox::progress(conn, CAMPAIGN_MAIL).await?;
    let rate = state.settings.campaign_mails_per_minute;
    let last_due = store::mail_outbox::last_due(conn, CAMPAIGN_MAIL).await?;
    Ok(Progress {
        mails_per_minute: rate,
        queued,
        sent,
        failed,
        finish_at: estimate(now, queued, rate, last_due),
        not_invited: store::users::not_invited(conn, None, None).await?.len(),
        link_expired: store::users::link_expired(conn, None, None, now).await?.len(),
        now,
    })
}

/// When the last waiting mail should go out: its scheduled time, or (when the
/// queue has fallen behind it) the waiting mails at the configured pace from now.
fn estimate(
    now: OffsetDateTime,
    queued: u64,
    rate: Option<u32>,
    last_due: Option<OffsetDateTime>,
) -> Option<OffsetDateTime> {
    if queued == 0 {
        return None;
    }
    let at_pace = match rate {
        Some(rate) if rate > 0 => now + Duration::seconds_f64(60.0 * (queued as f64) / f64::from(rate)),
        _ => now,
    };
    Some(last_due.map_or(at_pace, |due| due.max(at_pace)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::import::RowError;
    use time::macros::datetime;

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

    #[test]
    fn a_list_is_read_one_entry_per_line_or_separator_without_duplicates() {
        let list = "1234567\r\nAnna@Example.com, <jan@example.com>;1234567\n\n  7654321 ";
        assert_eq!(entries(list), ["1234567", "anna@example.com", "jan@example.com", "7654321"]);
    }

    #[test]
    fn the_scope_needs_its_organisation_or_list() {
        assert_eq!(scope("everyone", "", "").unwrap(), Scope::Everyone);
        assert_eq!(scope("organization", "x", "").unwrap_err().field, "organization");
        assert_eq!(scope("selection", "", " \n").unwrap_err().field, "people");
        assert_eq!(scope("<script>", "", "").unwrap_err().field, "scope");
    }

    #[test]
    fn the_estimate_follows_the_schedule_or_the_pace_when_behind() {
        let now = datetime!(2026-12-08 10:00 UTC);
        assert_eq!(estimate(now, 0, Some(60), None), None);
        assert_eq!(estimate(now, 120, Some(60), None), Some(datetime!(2026-12-08 10:02 UTC)));
        assert_eq!(
            estimate(now, 1, Some(60), Some(datetime!(2026-12-08 11:00 UTC))),
            Some(datetime!(2026-12-08 11:00 UTC))
        );
        assert_eq!(estimate(now, 5, None, None), Some(now));
    }
}
