//! Accounts: search, details, the activation campaign, and the funnel.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use super::RouteAction;
use super::auth::Admin;
use super::body::{self, Paging};
use super::problem::Problem;
use crate::domain::user::User;
use crate::flows::accounts::{self, AccountError, Edit, UserFilter};
use crate::flows::journey::campaign::{self, Selection};
use crate::flows::stats;
use crate::state::AppState;

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
    Query(query): Query<ListQuery>,
    Query(paging): Query<Paging>,
) -> Result<Response, Problem> {
    let filter = UserFilter {
        status: query.status,
        organization_id: query.organization_id,
        role: query.role,
        login: query.login,
        email: query.email,
        text: query.q,
    };
    let (users, total) = accounts::search(&state, &filter, paging.page() - 1, paging.per_page()).await?;
    Ok(Json(paging.answer(total, users.iter().map(view).collect())).into_response())
}

/// `GET /users/{id}`: every state field of the account.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let id = super::uuid(&id)?;
    let details = accounts::details(&state, id).await?.ok_or(AccountError::NotFound)?;
    Ok(Json(details).into_response())
}

impl From<AccountError> for Problem {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::NotFound => Problem::not_found(error.to_string()),
            AccountError::Invalid(_) | AccountError::UnknownOrganization => Problem::unprocessable(error.to_string()),
            AccountError::EmailTaken | AccountError::WrongState(_) => Problem::conflict(error.to_string()),
            AccountError::Forbidden(_) => Problem::forbidden(error.to_string()),
            AccountError::Internal(internal) => internal.into(),
        }
    }
}

/// Body of `PATCH /users/{id}`: the fields to change (`organization_id: null` removes it).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    given_name: Option<String>,
    family_name: Option<String>,
    email: Option<String>,
    role: Option<String>,
    #[serde(default, deserialize_with = "body::present")]
    organization_id: Option<Option<Uuid>>,
    idp_admin: Option<bool>,
    idp_helpdesk: Option<bool>,
}

/// `PATCH /users/{id}`. Granting or taking the `idp-admin` or `idp-helpdesk`
/// role needs the `admin` scope.
pub async fn update(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let id = super::uuid(&id)?;
    let change: AccountChange = body::json(&headers, &body)?;
    let edit = Edit {
        given_name: change.given_name,
        family_name: change.family_name,
        email: change.email,
        role: change.role,
        organization_id: change.organization_id,
        idp_admin: change.idp_admin,
        idp_helpdesk: change.idp_helpdesk,
    };
    accounts::update(&state, &actor, id, edit).await?;
    let details = accounts::details(&state, id).await?.ok_or(AccountError::NotFound)?;
    Ok(Json(details).into_response())
}

/// `DELETE /users/{id}`: anonymises the account; 204.
pub async fn delete(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    accounts::delete(&state, &actor, super::uuid(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An action on one account (`POST /users/{id}/<action>`).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Lock until unlocked.
    Lock,
    /// Unlock (also lifts a lock after failed attempts).
    Unlock,
    /// Disable.
    Disable,
    /// Enable.
    Enable,
    /// Revoke everything, forget the password, mail a fresh activation link.
    Reset,
    /// Mail a new activation link to an account not yet active.
    #[serde(rename = "activation")]
    ResendActivation,
}

/// `POST /users/{id}/<action>`: runs an [`Action`]; answers the account's details.
pub async fn act(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
    RouteAction(action): RouteAction,
) -> Result<Response, Problem> {
    let action: Action = serde_json::from_value(serde_json::Value::String(action))
        .map_err(|_| Problem::not_found("no such action on an account"))?;
    let id = super::uuid(&id)?;
    match action {
        Action::Lock => accounts::set_locked(&state, &actor, id, true).await?,
        Action::Unlock => accounts::set_locked(&state, &actor, id, false).await?,
        Action::Disable => accounts::set_disabled(&state, &actor, id, true).await?,
        Action::Enable => accounts::set_disabled(&state, &actor, id, false).await?,
        Action::Reset => accounts::reset(&state, &actor, id).await?,
        Action::ResendActivation => accounts::resend_activation(&state, &actor, id).await?,
    }
    let details = accounts::details(&state, id).await?.ok_or(AccountError::NotFound)?;
    Ok(Json(details).into_response())
}

/// `GET /users/{id}/sessions`.
pub async fn sessions(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let sessions = accounts::sessions(&state, super::uuid(&id)?).await?.ok_or(AccountError::NotFound)?;
    Ok(Json(json!({"total": sessions.len(), "items": sessions})).into_response())
}

/// `DELETE /users/{id}/sessions/{session_id}`: ends the session (back-channel logout included); 204.
pub async fn end_session(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path((id, session_id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let (id, session_id) = (super::uuid(&id)?, super::uuid(&session_id)?);
    if !accounts::end_session(&state, &actor, id, session_id).await? {
        return Err(Problem::not_found("no such open session of this account"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /users/{id}/sessions`: ends every session of the account; 204.
pub async fn end_sessions(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = super::uuid(&id)?;
    accounts::end_all_sessions(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /users/{id}/consents`: the clients the account has allowed, with their scopes.
pub async fn consents(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let consents = accounts::consents(&state, super::uuid(&id)?).await?.ok_or(AccountError::NotFound)?;
    Ok(Json(json!({"total": consents.len(), "items": consents})).into_response())
}

/// `DELETE /users/{id}/consents/{client_id}`: withdraws the consent and revokes
/// the client's grants for the account; 204.
pub async fn revoke_consent(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path((id, client_id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    if !accounts::revoke_consent(&state, &actor, super::uuid(&id)?, &client_id).await? {
        return Err(Problem::not_found("this account has no standing consent for that client"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Body of `POST /activations`: an organisation, a list of ids, or nothing (all);
/// `expired: true` re-invites accounts whose link expired instead of those never invited.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationRequest {
    organization_id: Option<Uuid>,
    user_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    expired: bool,
}

/// `POST /activations`: queue activation mails (paced through the outbox).
pub async fn activations(
    State(state): State<AppState>,
    Admin(admin): Admin,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let request: ActivationRequest = body::json(&headers, &body)?;
    if request.user_ids.as_ref().is_some_and(|ids| ids.len() > 10_000) {
        return Err(Problem::unprocessable("at most 10 000 ids per call"));
    }
    let selection =
        Selection { organization_id: request.organization_id, user_ids: request.user_ids, expired: request.expired };
    Ok(Json(campaign::run(&state, &selection, &admin).await?).into_response())
}

/// `GET /stats/migration`.
pub async fn stats(State(state): State<AppState>) -> Result<Response, Problem> {
    Ok(Json(stats::migration(&state.store, &state.clock).await?).into_response())
}

/// `DELETE /users/{id}/authenticator`: the help desk removes the account's
/// authenticator app and recovery codes (audited, owner mailed); 204, or 404
/// when the account has none.
pub async fn reset_authenticator(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = super::uuid(&id)?;
    if !crate::flows::account::authenticator::reset(&state, &actor, id).await? {
        return Err(Problem::not_found("the account has no authenticator app"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
