//! `GET /admin/organizations` (the list, with each one's accounts and funnel)
//! and `GET|POST /admin/organizations/{id}` (name and Ekstranet id), for
//! `idp-admin`; changes go through the admin API's organisation flow.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use uuid::Uuid;

use super::Console;
use super::charts;
use crate::domain::import::RowError;
use crate::domain::user::StaffPermission;
use crate::flows::organizations::{self, OrganizationError};
use crate::flows::stats;
use crate::state::AppState;

/// How many organisations the list shows.
const LIMIT: u64 = 500;

/// The list's search.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    done: Option<String>,
}

/// The organisations whose name or Ekstranet id contains the search text.
pub async fn list(State(state): State<AppState>, console: Console, Query(query): Query<ListQuery>) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Organizations).await {
        return refused;
    }
    let text =
        query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(|q| q.chars().take(200).collect::<String>());
    let (found, total) = match organizations::search(&state.store, text.as_deref(), 0, LIMIT).await {
        Ok(found) => found,
        Err(error) => return console.page.internal(&error, "listing organisations failed"),
    };
    let funnel = match stats::migration(&state.store, &state.clock).await {
        Ok(funnel) => funnel,
        Err(error) => return console.page.internal(&error, "reading the funnel failed"),
    };
    let lang = console.page.lang;
    let rows: Vec<Value> = found
        .into_iter()
        .map(|(org, accounts)| {
            // The funnel is kept per organisation name.
            let f = funnel.organizations.get(&org.name).cloned().unwrap_or_default();
            let label = format!("{}: {} / {}", lang.text("console_stage_password_set"), f.password_set, f.total);
            context! {
                id => org.id.to_string(),
                name => org.name,
                external_id => org.external_id,
                accounts,
                invited => f.total - f.imported,
                password_set => f.password_set,
                terms_accepted => f.terms_accepted,
                link_expired => f.link_expired,
                bar => Value::from_safe_string(charts::share(f.password_set, f.total, &label)),
            }
        })
        .collect();
    console.render(
        &state,
        "console/organizations.html",
        context! { q => text, rows, total, saved => query.done.as_deref() == Some("edit") },
        StatusCode::OK,
    )
}

/// A field's error: the field's name and the message key.
type FieldErrors = std::collections::BTreeMap<&'static str, &'static str>;

fn render_form(
    state: &AppState,
    console: &Console,
    id: Uuid,
    name: &str,
    external_id: &str,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    console.render(
        state,
        "console/organization.html",
        context! { org => context! { id => id.to_string(), name, external_id }, errors },
        status,
    )
}

/// The organisation's form.
pub async fn form(State(state): State<AppState>, console: Console, Path(id): Path<String>) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Organizations).await {
        return refused;
    }
    let Ok(id) = Uuid::parse_str(&id) else { return super::people::not_found(&state, &console) };
    match organizations::find(&state.store, id).await {
        Ok(Some(org)) => render_form(
            &state,
            &console,
            id,
            &org.name,
            org.external_id.as_deref().unwrap_or_default(),
            &FieldErrors::new(),
            StatusCode::OK,
        ),
        Ok(None) => super::people::not_found(&state, &console),
        Err(error) => console.page.internal(&error, "reading an organisation failed"),
    }
}

/// Saves a new name and Ekstranet id (empty: none).
pub async fn save(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let fields = match console.checked_form(&state, StaffPermission::Organizations, &headers, &body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let Ok(id) = Uuid::parse_str(&id) else { return super::people::not_found(&state, &console) };
    let field = |name: &str| -> String {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.chars().take(400).collect()).unwrap_or_default()
    };
    let (name, external_id) = (field("name"), field("external_id"));
    let external = Some(Some(external_id.trim()).filter(|e| !e.is_empty()));
    let actor = console.staff.actor(&console.origin);
    let mut errors = FieldErrors::new();
    match organizations::update(&state.store, &state.clock, &actor, id, external, Some(&name)).await {
        Ok(_) => return Redirect::to("/admin/organizations?done=edit").into_response(),
        Err(OrganizationError::NotFound) => return super::people::not_found(&state, &console),
        Err(OrganizationError::ExternalIdTaken) => {
            errors.insert("external_id", "console_error_external_id_taken");
        }
        Err(OrganizationError::Invalid(error)) => {
            let (field, message) = match error {
                RowError::Missing(field) => (field, "console_error_required"),
                RowError::BadText(field) => (field, "console_error_text"),
                _ => ("name", "console_error_text"),
            };
            errors.insert(if field == "external_id" { "external_id" } else { "name" }, message);
        }
        Err(OrganizationError::Internal(error)) => {
            return console.page.internal(&error, "saving an organisation failed");
        }
    }
    render_form(&state, &console, id, &name, &external_id, &errors, StatusCode::UNPROCESSABLE_ENTITY)
}
