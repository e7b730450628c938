//! `GET|POST /admin/import` (the upload form; the upload, dry-run and kept),
//! `GET /admin/import/{id}` (its report: rejected rows first, then the counts)
//! and `POST /admin/import/{id}/apply` (applies the kept file, once).
//!
//! The upload's body may be as large as the admin API's import
//! (`import_body_limit_bytes`): it is read only after the permission is
//! checked, so a refused caller's file is never read.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use uuid::Uuid;

use super::multipart;
use crate::domain::user::StaffPermission;
use crate::flows::console::import::{self as flow, Applied, Lookup, Owner, UploadError};
use crate::flows::import::{Format, ImportError};
use crate::http::console::{self, Console};
use crate::http::cookies;
use crate::http::journey::checked_form;
use crate::state::AppState;

/// The upload form, with an error beside the file field when there is one.
fn form(state: &AppState, console: &Console, error: Option<(&str, Option<String>)>, status: StatusCode) -> Response {
    let limit_mb = state.settings.import_body_limit_bytes.div_ceil(1024 * 1024);
    let (error, detail) = error.map_or((None, None), |(key, detail)| (Some(key.to_string()), detail));
    console.render(
        state,
        "console/migration/import.html",
        context! { error, detail, limit_mb, columns => crate::domain::import::COLUMNS },
        status,
    )
}

/// `GET /admin/import`: the upload form.
pub async fn page(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Migration).await {
        return refused;
    }
    form(&state, &console, None, StatusCode::OK)
}

/// The staff member and console session an upload belongs to.
async fn owner(state: &AppState, console: &Console) -> Result<Owner, Response> {
    let cookie = console::cookie(&console.jar, console::SESSION_COOKIE, state.settings.is_https());
    match flow::console_session(state, cookie.as_deref()).await {
        Ok(Some(session)) => Ok(Owner { user_id: console.staff.user.id, console_session_id: session }),
        Ok(None) => Err(Redirect::to(crate::domain::endpoints::CONSOLE_SIGN_IN).into_response()),
        Err(error) => Err(console.page.internal(&error, "reading the console session failed")),
    }
}

/// Why a body could not be read.
enum Unread {
    TooLarge,
    Broken,
}

/// Reads the whole body, at most `limit` bytes.
async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, Unread> {
    use http_body_util::BodyExt;
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    if announced > limit {
        return Err(Unread::TooLarge);
    }
    let mut buffer = Vec::with_capacity(announced);
    let mut body = http_body_util::Limited::new(body, limit);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error.as_ref());
            while let Some(cause) = source {
                if cause.is::<http_body_util::LengthLimitError>() {
                    return Unread::TooLarge;
                }
                source = cause.source();
            }
            Unread::Broken
        })?;
        if let Ok(data) = frame.into_data() {
            buffer.extend_from_slice(&data);
        }
    }
    Ok(buffer)
}

/// The file's format: by its name, else its declared type, else its first
/// character; `None` for anything that is neither CSV nor JSON.
fn format_of(file_name: &str, content_type: Option<&str>, data: &[u8]) -> Option<Format> {
    let name = file_name.to_ascii_lowercase();
    if name.ends_with(".csv") {
        return Some(Format::Csv);
    }
    if name.ends_with(".json") {
        return Some(Format::Json);
    }
    match content_type {
        Some("text/csv") => return Some(Format::Csv),
        Some("application/json") => return Some(Format::Json),
        _ => {}
    }
    if name.contains('.') {
        return None;
    }
    match data.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => Some(Format::Json),
        Some(b) if b.is_ascii_alphabetic() => Some(Format::Csv),
        _ => None,
    }
}

/// The message key (and its detail) of a file refused as a whole.
fn file_error(error: &ImportError) -> (&'static str, Option<String>) {
    match error {
        ImportError::NotUtf8 => ("console_mig_error_not_utf8", None),
        ImportError::UnknownColumn(column) => ("console_mig_error_unknown_column", Some(column.clone())),
        ImportError::MissingColumns(columns) => ("console_mig_error_missing_columns", Some(columns.clone())),
        ImportError::Malformed(detail) => ("console_mig_error_malformed", Some(detail.chars().take(300).collect())),
        ImportError::Store(_) => ("error_internal", None),
    }
}

/// `POST /admin/import`: reads the form (CSRF token and file), dry-runs the
/// file through the import flow, keeps it, and shows its report.
pub async fn upload(State(state): State<AppState>, console: Console, headers: HeaderMap, body: Body) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Migration).await {
        return refused;
    }
    let body = match read(&headers, body, state.settings.import_body_limit_bytes).await {
        Ok(body) => body,
        Err(Unread::TooLarge) => {
            // 422, not 413: a 413 is restated as the APIs' JSON on its way out.
            return form(
                &state,
                &console,
                Some(("console_mig_error_too_large", None)),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(Unread::Broken) => return console.page.error(StatusCode::BAD_REQUEST, "error_csrf").into_response(),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(parts) = multipart::boundary(content_type).and_then(|b| multipart::parse(&b, &body)) else {
        return console.page.error(StatusCode::BAD_REQUEST, "error_csrf").into_response();
    };
    let csrf = parts.iter().find(|p| p.name == "csrf").and_then(|p| std::str::from_utf8(p.data).ok());
    if !cookies::csrf_ok(&console.jar, state.settings.is_https(), csrf) {
        return console.page.error(StatusCode::FORBIDDEN, "error_csrf").into_response();
    }
    let Some(file) = parts.iter().find(|p| p.name == "file" && !p.data.is_empty()) else {
        return form(&state, &console, Some(("console_mig_error_no_file", None)), StatusCode::UNPROCESSABLE_ENTITY);
    };
    // Only the name: some browsers send the whole path on the uploader's disk.
    let file_name =
        file.file_name.as_deref().and_then(|n| n.rsplit(['/', '\\']).next()).unwrap_or_default().to_string();
    let Some(format) = format_of(&file_name, file.content_type.as_deref(), file.data) else {
        return form(
            &state,
            &console,
            Some(("console_mig_error_wrong_type", None)),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        );
    };
    let owner = match owner(&state, &console).await {
        Ok(owner) => owner,
        Err(response) => return response,
    };
    let actor = console.staff.actor(&console.origin);
    match flow::dry_run(&state, &actor, owner, &file_name, format, file.data).await {
        Ok(id) => Redirect::to(&format!("{}/{id}", crate::domain::endpoints::CONSOLE_IMPORT)).into_response(),
        Err(UploadError::File(error)) => {
            let (key, detail) = file_error(&error);
            form(&state, &console, Some((key, detail)), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(UploadError::Internal(error)) => console.page.internal(&error, "a console import's dry run failed"),
    }
}

/// A report's rows and counts as the template shows them.
fn summary_value(lang: crate::i18n::Lang, summary: &flow::Summary) -> Value {
    let rows: Vec<Value> = summary
        .rejected_rows
        .iter()
        .map(|row| {
            let explained = flow::explain(&row.reason);
            let value = explained.value.unwrap_or_default();
            context! {
                row => row.row,
                legacy_id => row.legacy_id.clone(),
                field => explained.field,
                reason => lang.text(explained.key).replace("{value}", &value),
            }
        })
        .collect();
    context! {
        created => summary.created,
        updated => summary.updated,
        unchanged => summary.unchanged,
        rejected => summary.rejected,
        rows,
        more => summary.rejected.saturating_sub(summary.rejected_rows.len()),
    }
}

/// The page of an upload that cannot be shown or applied: unknown, expired or
/// another session's; never a 500.
fn refused(state: &AppState, console: &Console, lookup: &Lookup) -> Response {
    let (reason, status) = match lookup {
        Lookup::Expired => ("expired", StatusCode::GONE),
        Lookup::Foreign => ("foreign", StatusCode::FORBIDDEN),
        Lookup::Unknown | Lookup::Found(_) => ("unknown", StatusCode::NOT_FOUND),
    };
    console.render(state, "console/migration/upload_gone.html", context! { reason }, status)
}

/// What the report page's address may add.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReportQuery {
    done: Option<String>,
}

/// `GET /admin/import/{id}`: the dry run's report (rejected rows first), the
/// apply button, and once applied, the apply's report and the way to the campaign.
pub async fn report(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Migration).await {
        return refused;
    }
    let Ok(id) = Uuid::parse_str(&id) else { return refused(&state, &console, &Lookup::Unknown) };
    let owner = match owner(&state, &console).await {
        Ok(owner) => owner,
        Err(response) => return response,
    };
    let view = match flow::upload(&state, id, owner).await {
        Ok(Lookup::Found(view)) => view,
        Ok(other) => return refused(&state, &console, &other),
        Err(error) => return console.page.internal(&error, "reading an upload failed"),
    };
    let lang = console.page.lang;
    let done = query.done.as_deref().filter(|d| matches!(*d, "applied" | "already")).map(str::to_string);
    console.render(
        &state,
        "console/migration/report.html",
        context! {
            upload => context! {
                id => view.id.to_string(),
                file_name => view.file_name.clone(),
                format => view.format.to_uppercase(),
                size_kb => view.size_bytes.saturating_add(1023) / 1024,
                expires => crate::http::console::people::rfc3339(view.expires_at),
                applying => view.applied_at.is_some() && view.applied.is_none(),
            },
            dry_run => summary_value(lang, &view.dry_run),
            applied => view.applied.as_ref().map(|s| summary_value(lang, s)),
            done,
        },
        StatusCode::OK,
    )
}

/// `POST /admin/import/{id}/apply`: applies the kept file (never anything the
/// browser sends but the id), then back to the report.
pub async fn apply(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(refused) = checked_form(&console.jar, state.settings.is_https(), &console.page, &headers, &body) {
        return *refused;
    }
    if let Err(refused) = console.require(&state, StaffPermission::Migration).await {
        return refused;
    }
    let Ok(id) = Uuid::parse_str(&id) else { return refused(&state, &console, &Lookup::Unknown) };
    let owner = match owner(&state, &console).await {
        Ok(owner) => owner,
        Err(response) => return response,
    };
    let actor = console.staff.actor(&console.origin);
    let base = crate::domain::endpoints::CONSOLE_IMPORT;
    match flow::apply(&state, &actor, id, owner).await {
        Ok(Applied::Done) => Redirect::to(&format!("{base}/{id}?done=applied")).into_response(),
        Ok(Applied::AlreadyApplied) => Redirect::to(&format!("{base}/{id}?done=already")).into_response(),
        Ok(Applied::Refused(lookup)) => refused(&state, &console, &lookup),
        Ok(Applied::FileRefused(detail)) => {
            form(&state, &console, Some(("console_mig_error_malformed", Some(detail))), StatusCode::CONFLICT)
        }
        Err(error) => console.page.internal(&error, "applying a console import failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_read_from_the_name_then_the_type_then_the_first_character() {
        assert_eq!(format_of("Eksport.CSV", Some("application/vnd.ms-excel"), b"legacy_id"), Some(Format::Csv));
        assert_eq!(format_of("eksport.json", None, b"[]"), Some(Format::Json));
        assert_eq!(format_of("eksport", Some("application/json"), b"x"), Some(Format::Json));
        assert_eq!(format_of("eksport", None, b"  [{}]"), Some(Format::Json));
        assert_eq!(format_of("eksport.xlsx", None, b"PK"), None);
        assert_eq!(format_of("photo.png", Some("image/png"), b"\x89PNG"), None);
        assert_eq!(format_of("", None, b"\x00\x01"), None);
    }
}
