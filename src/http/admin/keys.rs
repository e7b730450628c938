//! Signing keys: list (public facts only), rotate, retire (scope `admin:keys`).
//! A change is published by this node at once and by the others at their next
//! reload of the keys (30 s); a rotated key signs after the publish-ahead time.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::auth::Admin;
use super::body;
use super::problem::Problem;
use crate::domain::signing_alg::SigningAlg;
use crate::flows::keys::{self, KeyInfo, KeysError};
use crate::state::AppState;

fn view(key: &KeyInfo) -> Value {
    json!({
        "kid": key.kid,
        "alg": key.alg.as_str(),
        "created": key.created.format(&Rfc3339).ok(),
        "signs_from": key.signs_from.format(&Rfc3339).ok(),
        "retires": key.retires.and_then(|at| at.format(&Rfc3339).ok()),
        "state": key.state,
    })
}

fn problem(error: KeysError) -> Problem {
    match error {
        KeysError::UnknownKid(_) => Problem::not_found(error.to_string()),
        KeysError::Active(..) | KeysError::Next(..) => Problem::conflict(error.to_string()),
        KeysError::Store(store) => store.into(),
        other => Problem::internal(&other),
    }
}

/// `GET /keys`: published keys newest first (the signing one of each algorithm
/// `active`, those signing later `next`), then retired ones.
pub async fn list(State(state): State<AppState>) -> Result<Response, Problem> {
    let keys = keys::list(&state.store, &state.clock, true).await.map_err(problem)?;
    Ok(Json(json!({"total": keys.len(), "items": keys.iter().map(view).collect::<Vec<_>>()})).into_response())
}

/// Body of `POST /keys/rotate`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    alg: Option<String>,
}

/// `POST /keys/rotate`: a new key for `alg`, or for every algorithm when omitted,
/// published at once and signing after the publish-ahead time.
pub async fn rotate(
    State(state): State<AppState>,
    Admin(actor): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let rotation: Rotation = body::json(&headers, &body)?;
    let alg = rotation.alg.map(|name| name.parse::<SigningAlg>()).transpose();
    let alg = alg.map_err(|e| Problem::unprocessable(e.to_string()))?;
    let rotated = keys::rotate_here(&state, &actor, alg).await.map_err(problem)?;
    Ok(Json(json!({"items": rotated.iter().map(view).collect::<Vec<_>>()})).into_response())
}

/// `POST /keys/{kid}/retire`: 204; the active and the next key of an algorithm are refused with 409.
pub async fn retire(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(kid): Path<String>,
) -> Result<Response, Problem> {
    keys::retire_here(&state, &actor, &kid).await.map_err(problem)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
