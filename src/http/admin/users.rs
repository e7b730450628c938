//! Accounts: search, details, the activation campaign, and the funnel.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use super::auth::Caller;
use super::body::{self, Paging};
use super::problem::Problem;
use crate::domain::user::User;
use crate::flows::journey::campaign::{self, Selection};
use crate::flows::stats;
use crate::state::AppState;
use crate::store::{self, users::UserFilter};

/// Query of the search.
#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    organization_id: Option<Uuid>,
    role: Option<String>,
    login: Option<String>,
    email: Option<String>,
    q: Option<String>,
}

fn view(user: &User) -> serde_json::Value {
    json!({
        "id": user.id,
        "login": user.login,
        "email": user.email,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "role": user.role,
        "status": user.status,
        "disabled": user.disabled,
        "organization": user.organization.as_ref().map(|o| json!({"id": o.id, "name": o.name})),
    })
}

/// `GET /users`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
    Query(paging): Query<Paging>,
) -> Result<Response, Problem> {
    caller.require(&state, "admin:users").await?;
    let filter = UserFilter {
        status: query.status,
        organization_id: query.organization_id,
        role: query.role,
        login: query.login,
        email: query.email,
        text: query.q,
    };
    let (users, total) =
        store::users::search(state.store.conn(), &filter, paging.page() - 1, paging.per_page()).await?;
    Ok(Json(paging.answer(total, users.iter().map(view).collect())).into_response())
}

/// `GET /users/{id}`.
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, Problem> {
    caller.require(&state, "admin:users").await?;
    let id = Uuid::parse_str(&id).map_err(|_| Problem::bad_request("the id is not a UUID"))?;
    let user =
        store::users::find(state.store.conn(), id).await?.ok_or_else(|| Problem::not_found("no such account"))?;
    Ok(Json(view(&user)).into_response())
}

/// Body of `POST /activations`: an organisation, a list of ids, or nothing (all).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationRequest {
    organization_id: Option<Uuid>,
    user_ids: Option<Vec<Uuid>>,
}

/// `POST /activations`: queue activation mails.
pub async fn activations(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let admin = caller.require(&state, "admin:users").await?;
    let request: ActivationRequest = body::json(&headers, &body)?;
    let selection = Selection { organization_id: request.organization_id, user_ids: request.user_ids };
    let queued = campaign::run(&state, &selection, &admin).await?;
    Ok(Json(json!({"queued": queued})).into_response())
}

/// `GET /stats/migration`.
pub async fn stats(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    caller.require(&state, "admin:stats").await?;
    Ok(Json(stats::migration(&state.store, &state.clock).await?).into_response())
}
