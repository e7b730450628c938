//! Customer organisations: list, create, get (by id or Ekstranet id), update.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Admin;
use super::body::{self, Paging};
use super::problem::Problem;
use crate::flows::organizations::{self, Organization, OrganizationError};
use crate::state::AppState;

fn view(row: &Organization) -> Value {
    json!({
        "id": row.id,
        "external_id": row.external_id,
        "name": row.name,
        "created_at": body::time(row.created_at),
        "updated_at": body::time(row.updated_at),
    })
}

impl From<OrganizationError> for Problem {
    fn from(error: OrganizationError) -> Self {
        match error {
            OrganizationError::NotFound => Problem::not_found(error.to_string()),
            OrganizationError::Invalid(_) => Problem::unprocessable(error.to_string()),
            OrganizationError::ExternalIdTaken => Problem::conflict(error.to_string()),
            OrganizationError::Internal(internal) => internal.into(),
        }
    }
}

/// Query of the list.
#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    q: Option<String>,
}

/// `GET /organizations`.
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
    Query(paging): Query<Paging>,
) -> Result<Response, Problem> {
    let (rows, total) =
        organizations::search(&state.store, query.q.as_deref(), paging.offset(), paging.per_page()).await?;
    let items = rows
        .iter()
        .map(|(row, accounts)| {
            let mut item = view(row);
            item["accounts"] = json!(accounts);
            item
        })
        .collect();
    Ok(Json(paging.answer(total, items)).into_response())
}

/// Body of `POST /organizations`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    name: String,
    external_id: Option<String>,
}

/// `POST /organizations`.
pub async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let request: NewOrganization = body::json(&headers, &body)?;
    let row = organizations::create(&state.store, &state.clock, &actor, request.external_id.as_deref(), &request.name)
        .await?;
    Ok((StatusCode::CREATED, Json(view(&row))).into_response())
}

/// `GET /organizations/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let id = super::uuid(&id)?;
    let row = organizations::find(&state.store, id).await?.ok_or(OrganizationError::NotFound)?;
    Ok(Json(view(&row)).into_response())
}

/// `GET /organizations/external/{external_id}`.
pub async fn get_external(State(state): State<AppState>, Path(external_id): Path<String>) -> Result<Response, Problem> {
    let row =
        organizations::find_by_external_id(&state.store, &external_id).await?.ok_or(OrganizationError::NotFound)?;
    Ok(Json(view(&row)).into_response())
}

/// Body of `PATCH /organizations/{id}`: the fields to change (`external_id: null` removes it).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationChange {
    name: Option<String>,
    #[serde(default, deserialize_with = "body::present")]
    external_id: Option<Option<String>>,
}

/// `PATCH /organizations/{id}`.
pub async fn update(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let id = super::uuid(&id)?;
    let change: OrganizationChange = body::json(&headers, &body)?;
    let external = change.external_id.as_ref().map(|e| e.as_deref());
    let row = organizations::update(&state.store, &state.clock, &actor, id, external, change.name.as_deref()).await?;
    Ok(Json(view(&row)).into_response())
}
