//! Terms of use: the published versions, publishing a new one, and who accepted
//! which (the report operators follow after each publication).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Admin;
use super::body::{self, Paging};
use super::problem::Problem;
use crate::flows::terms::{self, Listed, Publication, PublishError};
use crate::state::AppState;

fn view(listed: &Listed) -> Value {
    json!({
        "version": listed.terms.version,
        "title": listed.terms.title,
        "has_english_text": listed.terms.body_en.is_some(),
        "effective_at": body::time(listed.terms.effective_at),
        "published_at": body::time(listed.terms.published_at),
        "current": listed.current,
    })
}

/// `GET /terms`: every version, newest first.
pub async fn list(State(state): State<AppState>) -> Result<Response, Problem> {
    let versions = terms::list(&state.store, &state.clock).await?;
    Ok(Json(json!({"items": versions.iter().map(view).collect::<Vec<_>>()})).into_response())
}

/// Body of `POST /terms`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    version: String,
    title: String,
    /// The Polish text, the binding one.
    body: String,
    /// The English text, shown on the English pages; left out: none.
    body_en: Option<String>,
    /// RFC 3339; now when left out.
    effective_at: Option<String>,
}

/// `POST /terms`: publishes a version (201); a taken label is 409, an empty field 422.
pub async fn publish(
    State(state): State<AppState>,
    Admin(admin): Admin,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let request: PublishRequest = body::json(&headers, &bytes)?;
    let effective_at = request.effective_at.as_deref().map(|t| body::parse_time("effective_at", t)).transpose()?;
    let publication = Publication {
        version: &request.version,
        title: &request.title,
        body: &request.body,
        body_en: request.body_en.as_deref(),
        effective_at,
    };
    let published =
        terms::publish(&state.store, &state.clock, &admin, publication).await.map_err(|error| match error {
            PublishError::Invalid(reason) => Problem::unprocessable(reason),
            PublishError::Taken(_) => Problem::conflict(error.to_string()),
            PublishError::Store(error) => Problem::from(error),
        })?;
    Ok((StatusCode::CREATED, Json(view(&published))).into_response())
}

/// `GET /terms/{version}/acceptances`: counts and a page of acceptances.
pub async fn acceptances(
    State(state): State<AppState>,
    Path(version): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Response, Problem> {
    let report = terms::acceptances(&state.store, &version, paging.offset(), paging.per_page())
        .await?
        .ok_or_else(|| Problem::not_found("no such terms version"))?;
    let items = report
        .acceptances
        .iter()
        .map(|a| json!({"user_id": a.user_id, "login": a.login, "accepted_at": body::time(a.accepted_at), "ip": a.ip}))
        .collect();
    let mut answer = paging.answer(report.accepted, items);
    answer["version"] = json!(report.terms.version);
    answer["accepted"] = json!(report.accepted);
    answer["not_yet_accepted"] = json!(report.pending);
    Ok(Json(answer).into_response())
}
