//! Accounts: search, details, the activation campaign, and the funnel.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use super::auth;
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
    page: Option<u64>,
    per_page: Option<u64>,
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
pub async fn list(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<ListQuery>) -> Response {
    if let Err(problem) = auth::require(&state, &headers, "admin:users").await {
        return problem.into_response();
    }
    let per_page = query.per_page.unwrap_or(50).clamp(1, 500);
    let page = query.page.unwrap_or(1).max(1);
    let filter = UserFilter {
        status: query.status,
        organization_id: query.organization_id,
        role: query.role,
        login: query.login,
        email: query.email,
        text: query.q,
    };
    match store::users::search(state.store.conn(), &filter, page - 1, per_page).await {
        Ok((users, total)) => Json(json!({
            "total": total,
            "page": page,
            "per_page": per_page,
            "items": users.iter().map(view).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(error) => Problem::internal(&error).into_response(),
    }
}

/// `GET /users/{id}`.
pub async fn get(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(problem) = auth::require(&state, &headers, "admin:users").await {
        return problem.into_response();
    }
    let Ok(id) = Uuid::parse_str(&id) else { return Problem::bad_request("the id is not a UUID").into_response() };
    match store::users::find(state.store.conn(), id).await {
        Ok(Some(user)) => Json(view(&user)).into_response(),
        Ok(None) => Problem::not_found("no such account").into_response(),
        Err(error) => Problem::internal(&error).into_response(),
    }
}

/// Body of `POST /activations`: an organisation, a list of ids, or nothing (all).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationRequest {
    organization_id: Option<Uuid>,
    user_ids: Option<Vec<Uuid>>,
}

/// `POST /activations`: queue activation mails.
pub async fn activations(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let admin = match auth::require(&state, &headers, "admin:users").await {
        Ok(admin) => admin,
        Err(problem) => return problem.into_response(),
    };
    let request: ActivationRequest = if body.is_empty() {
        ActivationRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(request) => request,
            Err(error) => return Problem::bad_request(format!("invalid JSON body: {error}")).into_response(),
        }
    };
    let selection = Selection { organization_id: request.organization_id, user_ids: request.user_ids };
    match campaign::run(&state, &selection, &admin.actor).await {
        Ok(queued) => Json(json!({"queued": queued})).into_response(),
        Err(error) => Problem::internal(&error).into_response(),
    }
}

/// `GET /stats/migration`.
pub async fn stats(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(problem) = auth::require(&state, &headers, "admin:stats").await {
        return problem.into_response();
    }
    match stats::migration(&state.store, &state.clock).await {
        Ok(stats) => Json(stats).into_response(),
        Err(error) => Problem::internal(&error).into_response(),
    }
}
