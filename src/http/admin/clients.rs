//! Relying parties: register, list, show, change, remove, and rotate a secret
//! (scope `admin:clients`). Secrets are answered once, at registration and at
//! rotation; their hashes never leave the server.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::PREFIX;
use super::auth::Admin;
use super::body::{self, Paging};
use super::problem::Problem;
use crate::domain::client::{Client, ClientKind};
use crate::domain::signing_alg::SigningAlg;
use crate::flows::clients::{self, Changes, ClientError, RegisterError, Registration};
use crate::state::AppState;

fn view(client: &Client, now: OffsetDateTime) -> Value {
    json!({
        "id": client.id,
        "name": client.name,
        "public": client.kind == ClientKind::Public,
        "first_party": client.first_party,
        "require_pkce": client.require_pkce,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grant_types": client.grant_types,
        "scopes": client.scopes,
        "id_token_alg": client.id_token_alg.as_str(),
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "previous_secret_valid_until": rfc3339(client.previous_secret_valid_until(now)),
    })
}

fn rfc3339(at: Option<OffsetDateTime>) -> Option<String> {
    at.and_then(|t| t.format(&Rfc3339).ok())
}

/// An unknown algorithm is well-formed JSON that a rule refuses: 422.
fn alg(name: Option<String>) -> Result<Option<SigningAlg>, Problem> {
    name.map(|n| n.parse().map_err(|e: crate::domain::signing_alg::UnknownAlg| Problem::unprocessable(e.to_string())))
        .transpose()
}

fn client_problem(error: ClientError) -> Problem {
    match error {
        ClientError::Rule(rule) => Problem::unprocessable(rule.to_string()),
        ClientError::NotFound(_) => Problem::not_found(error.to_string()),
        ClientError::Public(_) => Problem::conflict(error.to_string()),
        ClientError::Forbidden(_) => Problem::forbidden(error.to_string()),
        ClientError::Store(store) => store.into(),
    }
}

/// `GET /clients`.
pub async fn list(State(state): State<AppState>, Query(paging): Query<Paging>) -> Result<Response, Problem> {
    let (items, total) = clients::page(&state.store, paging.offset(), paging.per_page()).await?;
    let now = state.clock.now();
    Ok(Json(paging.answer(total, items.iter().map(|c| view(c, now)).collect())).into_response())
}

/// Body of `POST /clients`; mirrors [`Registration`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    id: Option<String>,
    name: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    first_party: bool,
    /// Absent means true: only a legacy relying party opts out, by saying so.
    #[serde(default = "required")]
    require_pkce: bool,
    id_token_alg: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    backchannel_logout_uri: Option<String>,
}

fn required() -> bool {
    true
}

/// `POST /clients`: 201 with the client and, for a confidential one, its secret (shown once).
pub async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let request: NewClient = body::json(&headers, &body)?;
    let registration = Registration {
        id: request.id,
        name: request.name,
        redirect_uris: request.redirect_uris,
        post_logout_redirect_uris: request.post_logout_redirect_uris,
        kind: if request.public { ClientKind::Public } else { ClientKind::Confidential },
        first_party: request.first_party,
        require_pkce: request.require_pkce,
        id_token_alg: alg(request.id_token_alg)?.unwrap_or(SigningAlg::Rs256),
        extra_grant_types: request.grant_types,
        scopes: request.scopes,
        backchannel_logout_uri: request.backchannel_logout_uri,
    };
    let registered =
        clients::register(&state.store, &state.clock, &actor, registration).await.map_err(|e| match e {
            RegisterError::Rule(rule) => Problem::unprocessable(rule.to_string()),
            RegisterError::Taken(_) => Problem::conflict(e.to_string()),
            RegisterError::Forbidden(_) => Problem::forbidden(e.to_string()),
            RegisterError::Store(store) => store.into(),
        })?;
    let mut answer = view(&registered.client, state.clock.now());
    answer["client_secret"] = json!(registered.secret);
    let location = format!("{PREFIX}/clients/{}", registered.client.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(answer)).into_response())
}

/// `GET /clients/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let client = clients::show(&state.store, &id).await?.ok_or_else(|| Problem::not_found("no such client"))?;
    Ok(Json(view(&client, state.clock.now())).into_response())
}

/// Body of `PATCH /clients/{id}`: only the fields given change; a list replaces
/// the stored one; `"backchannel_logout_uri": null` removes the endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    name: Option<String>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    first_party: Option<bool>,
    require_pkce: Option<bool>,
    id_token_alg: Option<String>,
    scopes: Option<Vec<String>>,
    #[serde(default, deserialize_with = "body::present")]
    backchannel_logout_uri: Option<Option<String>>,
}

/// `PATCH /clients/{id}`: the changed client.
pub async fn update(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let patch: ClientPatch = body::json(&headers, &body)?;
    let changes = Changes {
        name: patch.name,
        redirect_uris: patch.redirect_uris,
        post_logout_redirect_uris: patch.post_logout_redirect_uris,
        first_party: patch.first_party,
        require_pkce: patch.require_pkce,
        id_token_alg: alg(patch.id_token_alg)?,
        scopes: patch.scopes,
        backchannel_logout_uri: patch.backchannel_logout_uri,
    };
    let client = clients::update(&state.store, &state.clock, &state.clients, &actor, &id, changes)
        .await
        .map_err(client_problem)?;
    Ok(Json(view(&client, state.clock.now())).into_response())
}

/// `DELETE /clients/{id}`: 204; codes, grants and tokens go with it.
pub async fn delete(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    if !clients::remove(&state.store, &state.clock, &state.clients, &actor, &id).await? {
        return Err(Problem::not_found("no such client"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Body of `POST /clients/{id}/secret`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    grace_seconds: Option<u64>,
}

/// `POST /clients/{id}/secret`: a new secret (shown once); the old one stays
/// valid for `grace_seconds` (default `KUKE_ID_CLIENT_SECRET_GRACE_HOURS`).
pub async fn rotate_secret(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let rotation: Rotation = body::json(&headers, &body)?;
    let grace = match rotation.grace_seconds {
        // Saturates: anything that large is refused by the grace rule anyway.
        Some(seconds) => time::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX)),
        None => time::Duration::try_from(state.settings.client_secret_grace).unwrap_or(time::Duration::ZERO),
    };
    let rotated = clients::rotate_secret(&state.store, &state.clock, &state.clients, &actor, &id, grace)
        .await
        .map_err(client_problem)?;
    Ok(Json(json!({
        "id": id,
        "client_secret": rotated.secret,
        "previous_secret_valid_until": rfc3339(rotated.previous_valid_until),
    }))
    .into_response())
}
