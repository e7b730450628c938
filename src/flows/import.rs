//! Importing Ekstranet accounts (CSV with a header row, or a JSON array), by the
//! rules of `domain::import`. Idempotent by legacy id: a second run creates
//! nothing; a changed e-mail or name updates an account that has not activated
//! yet. Rows are applied in batches, each in one transaction; a dry run applies
//! every batch and rolls it back, so its report is exactly what a real run would do.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::domain::import::{self, COLUMNS, RawRow, RowError, SeenInFile, ValidRow};

mod read;
mod report;
use crate::domain::login_number;
use crate::domain::user::Status;
use crate::store::{self, Store, StoreError, users::NewUser};
pub use report::{JsonChunks, Report, RowReport, Rows};

/// Rows per transaction on SQLite. Larger batches were faster there too but
/// raised the server's peak memory (77 MiB at 2 000 rows against 67 MiB at 500
/// for 100 000 rows): each pooled connection keeps its own prepared copy of the
/// batch's look-ups, which bind a value per row (the inserts are cut into
/// statements of their own size, `store::users::insert_many`).
const SQLITE_BATCH: usize = 500;

/// Rows per transaction on PostgreSQL. Each large statement there waited
/// ~40-50 ms between PostgreSQL's answer and the next statement (its log shows
/// the gaps, with kuke-id idle: likely Nagle's algorithm against delayed ACKs,
/// sqlx leaving TCP_NODELAY off), so fewer, larger batches: 100 000 rows took
/// 26 s in batches of 500 and 10 s in batches of 2 000. 2 000 rows bind 20 000
/// values, within PostgreSQL's 65 535.
const POSTGRES_BATCH: usize = 2_000;

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UTF-8 CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// What happened to one row.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "reason")]
pub enum RowOutcome {
    /// A new account.
    Created,
    /// An imported, not yet activated account changed.
    Updated,
    /// Nothing to do (or the account is active and keeps its own data).
    Unchanged,
    /// Refused, with the reason.
    Rejected(String),
}

impl RowOutcome {
    /// The outcome's name, the same in the JSON report (`outcome`) and on the command line.
    pub fn label(&self) -> &'static str {
        match self {
            RowOutcome::Created => "created",
            RowOutcome::Updated => "updated",
            RowOutcome::Unchanged => "unchanged",
            RowOutcome::Rejected(_) => "rejected",
        }
    }
}

/// A row as read from the file: its legacy id when it has one (named in the
/// report even when the row is refused), and its fields or why they are unreadable.
type ReadRow = (Option<String>, Result<RawRow, RowError>);

/// A file that cannot be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not UTF-8.
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    /// A column we do not know (a typo would otherwise drop data silently).
    #[error("unknown column '{0}' (expected: {cols})", cols = COLUMNS.join(", "))]
    UnknownColumn(String),
    /// Required columns absent.
    #[error("missing columns: {0}")]
    MissingColumns(String),
    /// Not CSV / not a JSON array.
    #[error("malformed file: {0}")]
    Malformed(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads `input` and applies it on a serving provider, whose metrics count the
/// rows of a real (not dry-run) import.
pub async fn import_served(
    state: &crate::state::AppState,
    actor: &Actor,
    input: &[u8],
    format: Format,
    dry_run: bool,
) -> Result<Report, ImportError> {
    let report = import(&state.store, &state.clock, actor, input, format, dry_run).await?;
    if !dry_run {
        use crate::metrics::ImportRow;
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        state.metrics.import_rows(ImportRow::Created, count(report.created));
        state.metrics.import_rows(ImportRow::Updated, count(report.updated));
        state.metrics.import_rows(ImportRow::Unchanged, count(report.unchanged));
        state.metrics.import_rows(ImportRow::Rejected, count(report.rejected));
    }
    Ok(report)
}

/// Reads `input` and applies it, a batch of rows at a time: the file is
/// checked whole first, then read again row by row, so memory holds the file,
/// one batch and the report, never every parsed row.
pub async fn import(
    store: &Store,
    clock: &Clock,
    actor: &Actor,
    input: &[u8],
    format: Format,
    dry_run: bool,
) -> Result<Report, ImportError> {
    let rows = read::rows(input, format)?;
    apply(store, clock, actor, rows, dry_run).await
}

async fn apply(
    store: &Store,
    clock: &Clock,
    actor: &Actor,
    rows: impl Iterator<Item = ReadRow>,
    dry_run: bool,
) -> Result<Report, ImportError> {
    let now = clock.now();
    let mut report = Report { dry_run, ..Report::default() };
    let mut seen = SeenInFile::default();
    // Login numbers as numbers: a set of 100 000 takes a fifth of the memory of strings.
    let mut logins: HashSet<u32> =
        store::users::all_logins(store.conn()).await?.iter().filter_map(|login| login.parse().ok()).collect();
    let mut organizations = store::organizations::by_external_id(store.conn()).await?;
    let batch = if store::is_sqlite(store.conn()) { SQLITE_BATCH } else { POSTGRES_BATCH };
    let mut pending: Vec<(usize, ValidRow)> = Vec::with_capacity(batch);
    for (legacy_id, row) in rows {
        let checked = row.and_then(|raw| {
            let valid = import::validate(&raw)?;
            seen.check(&valid)?;
            Ok(valid)
        });
        match checked {
            Ok(valid) => pending.push((report.rows.push_pending(&valid.legacy_id), valid)),
            Err(error) => {
                report.rows.push_rejected(legacy_id.as_deref(), error.to_string());
            }
        }
        if pending.len() == batch {
            apply_batch(store, &mut pending, &mut logins, &mut organizations, &mut report.rows, now, dry_run).await?;
        }
    }
    if !pending.is_empty() {
        apply_batch(store, &mut pending, &mut logins, &mut organizations, &mut report.rows, now, dry_run).await?;
    }
    [report.created, report.updated, report.unchanged, report.rejected] = report.rows.counts();
    if !dry_run {
        let details = serde_json::json!({"created": report.created, "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected});
        store::audit::record(store.conn(), &actor.event("import.applied", None).with_details(details), now).await?;
    }
    Ok(report)
}

/// Applies the rows of `batch` (and empties it) in one transaction.
async fn apply_batch(
    store: &Store,
    batch: &mut Vec<(usize, ValidRow)>,
    logins: &mut HashSet<u32>,
    organizations: &mut HashMap<String, uuid::Uuid>,
    report: &mut Rows,
    now: time::OffsetDateTime,
    dry_run: bool,
) -> Result<(), ImportError> {
    let tx = store.begin().await?;
    let conn = tx.conn();
    let legacy_ids: Vec<&str> = batch.iter().map(|(_, r)| r.legacy_id.as_str()).collect();
    let emails: Vec<&str> = batch.iter().map(|(_, r)| r.email.as_str()).collect();
    let existing: HashMap<String, store::users::ImportedAccount> = store::users::by_legacy_ids(conn, &legacy_ids)
        .await?
        .into_iter()
        .filter_map(|a| a.legacy_id.clone().map(|l| (l, a)))
        .collect();
    let email_owners: HashMap<String, Option<String>> =
        store::users::by_emails(conn, &emails).await?.into_iter().map(|a| (a.email, a.legacy_id)).collect();
    drop((legacy_ids, emails));
    let mut creations = Vec::new();
    // The batch's new organisations are created in one statement, not one by one.
    let mut missing: Vec<(String, String)> = Vec::new();
    for (_, row) in batch.iter() {
        if !organizations.contains_key(&row.organization_external_id)
            && !missing.iter().any(|(e, _)| *e == row.organization_external_id)
        {
            missing.push((row.organization_external_id.clone(), row.organization_name.clone()));
        }
    }
    let new_organizations: Vec<String> = missing.iter().map(|(e, _)| e.clone()).collect();
    organizations.extend(store::organizations::ensure_many(conn, &missing, now).await?);
    for (number, row) in batch.drain(..) {
        let owner = email_owners.get(&row.email);
        if owner.is_some_and(|owner| owner.as_deref() != Some(row.legacy_id.as_str())) {
            report.settle(number, RowOutcome::Rejected(RowError::DuplicateEmailInDatabase.to_string()));
            continue;
        }
        let Some(organization) = organizations.get(&row.organization_external_id).copied() else {
            return Err(ImportError::Store(StoreError::NotFound));
        };
        let mut account = NewUser {
            legacy_id: Some(row.legacy_id),
            login: String::new(),
            email: row.email,
            given_name: row.first_name,
            family_name: row.last_name,
            organization_id: Some(organization),
            role: row.role,
        };
        let current = account.legacy_id.as_ref().and_then(|id| existing.get(id));
        let outcome = match current {
            None => {
                account.login = fresh_login(logins);
                creations.push(account);
                RowOutcome::Created
            }
            Some(current) => {
                let changed = current.email != account.email
                    || current.given_name != account.given_name
                    || current.family_name != account.family_name
                    || current.role != account.role
                    || current.organization_id != account.organization_id;
                if changed && matches!(current.status, Status::Imported | Status::Invited) {
                    store::users::update_from_import(conn, current.id, &account, now).await?;
                    RowOutcome::Updated
                } else {
                    RowOutcome::Unchanged
                }
            }
        };
        report.settle(number, outcome);
    }
    store::users::insert_many(conn, &creations, now).await?;
    if dry_run {
        drop(tx);
        // The logins drawn for this batch were not stored: they stay free.
        for account in &creations {
            if let Ok(number) = account.login.parse() {
                logins.remove(&number);
            }
        }
        // Organisations created in the rolled-back transaction do not exist either.
        for external_id in &new_organizations {
            organizations.remove(external_id);
        }
    } else {
        tx.commit().await?;
    }
    Ok(())
}

/// A random login number not yet in `taken` (and now reserved in it).
fn fresh_login(taken: &mut HashSet<u32>) -> String {
    loop {
        let candidate = login_number::random();
        if candidate.parse().is_ok_and(|number| taken.insert(number)) {
            return candidate;
        }
    }
}

#[cfg(test)]
mod properties;
