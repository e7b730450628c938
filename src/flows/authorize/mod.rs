//! The authorization endpoint's use cases (OIDC Core §3.1.2): validate a request,
//! then issue a code at once (valid session, consent not needed) or park the
//! request until the user has signed in or consented.
//!
//! ```text
//! start ──checks──▶ error page (client / redirect_uri bad)
//!   │               error redirect (anything else bad)
//!   ▼
//! decide ──no valid session / prompt=login / max_age passed──▶ SignIn ─┐
//!   │    ──third-party client without consent──────────────▶ Consent ─┤
//!   ▼                                                                  │
//! code redirect ◀──────────────── resume (after sign-in / consent) ◀───┘
//! ```

pub mod checks;
pub mod consent;
#[cfg(test)]
mod properties;
pub mod request;

use time::OffsetDateTime;

use super::Internal;
use crate::domain::client::Client;
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::domain::oauth::scope;
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::state::AppState;
use crate::store::{self, authorization_codes::NewCode};
use crate::tokens::{id_token, opaque};
use checks::Params;
use request::{AuthRequest, ClientResponse, Outcome, PageError, Redirect};

/// How long a parked request waits for the user.
const PENDING_TTL: time::Duration = time::Duration::minutes(30);
/// RFC 9700 §4.2.1 recommends short code lifetimes; OIDC conformance allows 60 s.
const CODE_TTL: time::Duration = time::Duration::seconds(60);

/// Validates a fresh request from the browser and decides what happens next.
pub async fn start(
    state: &AppState,
    pairs: Vec<(String, String)>,
    session_cookie: Option<&str>,
) -> Result<Outcome, Internal> {
    let params = Params::new(pairs);
    let client_id = match checks::client_id(&params) {
        Ok(id) => id,
        Err(page) => return Ok(Outcome::ErrorPage(page)),
    };
    let Some(client) = store::clients::find(state.store.conn(), client_id).await? else {
        return Ok(Outcome::ErrorPage(PageError::UnknownClient));
    };
    let redirect_uri = match checks::redirect_uri(&params, &client) {
        Ok(uri) => uri,
        Err(page) => return Ok(Outcome::ErrorPage(page)),
    };
    let issuer = state.settings.issuer.as_str();
    let mode = match checks::response_mode(&params) {
        Ok(mode) => mode,
        Err((mode, error)) => {
            let redirect = Redirect { redirect_uri, mode, state: params.get("state"), issuer };
            return Ok(Outcome::Respond(ClientResponse::error(&redirect, &error)));
        }
    };
    let redirect = Redirect { redirect_uri, mode, state: params.get("state"), issuer };
    let request = match validate(state, &params, &client, redirect_uri, mode) {
        Ok(request) => request,
        Err(error) => return Ok(Outcome::Respond(ClientResponse::error(&redirect, &error))),
    };
    let session = super::session::current(state, session_cookie).await?;
    decide(state, &client, request, None, session).await
}

/// Continues a parked request after sign-in or consent.
pub async fn resume(state: &AppState, handle: &str, session_cookie: Option<&str>) -> Result<Outcome, Internal> {
    let Some((id, request, client)) = load_parked(state, handle).await? else {
        return Ok(Outcome::ErrorPage(PageError::RequestExpired));
    };
    let session = super::session::current(state, session_cookie).await?;
    decide(state, &client, request, Some((id, handle.to_string())), session).await
}

/// Continues the parked request `id` right after the journey signed the user in
/// (the journey knows the request by id; the browser's handle is not needed).
pub async fn resume_after_sign_in(state: &AppState, id: uuid::Uuid, session_cookie: &str) -> Result<Outcome, Internal> {
    let Some((request, client)) = load_by_id(state, id).await? else {
        return Ok(Outcome::ErrorPage(PageError::RequestExpired));
    };
    let session = super::session::current(state, Some(session_cookie)).await?;
    // The handle is only used when the request must be parked again (consent).
    let handle = String::new();
    decide(state, &client, request, Some((id, handle)), session).await
}

/// Answers the parked request `id` with `access_denied` (the user declined the terms).
pub async fn deny_after_sign_in(state: &AppState, id: uuid::Uuid, description: &str) -> Result<Outcome, Internal> {
    let Some((request, _)) = load_by_id(state, id).await? else {
        return Ok(Outcome::ErrorPage(PageError::RequestExpired));
    };
    let redirect = redirect_of(state, &request);
    let error = OAuthError::new(ErrorCode::AccessDenied, description);
    finish_with_error(state, Some((id, String::new())), &redirect, error).await
}

async fn load_by_id(state: &AppState, id: uuid::Uuid) -> Result<Option<(AuthRequest, Client)>, Internal> {
    let conn = state.store.conn();
    let Some(stored) = store::authorization_requests::find(conn, id).await? else { return Ok(None) };
    if stored.completed_at.is_some() || stored.expires_at <= state.clock.now() {
        return Ok(None);
    }
    let Ok(request) = serde_json::from_str::<AuthRequest>(&stored.parameters) else { return Ok(None) };
    let Some(client) = store::clients::find(conn, &stored.client_id).await? else { return Ok(None) };
    Ok(Some((request, client)))
}

/// The parked request's preferred languages and login hint, for the sign-in page.
pub async fn sign_in_view(state: &AppState, handle: &str) -> Result<Option<AuthRequest>, Internal> {
    Ok(load_parked(state, handle).await?.map(|(_, request, _)| request))
}

fn validate(
    state: &AppState,
    params: &Params,
    client: &Client,
    redirect_uri: &str,
    mode: request::ResponseMode,
) -> Result<AuthRequest, OAuthError> {
    checks::no_repeated(params)?;
    checks::no_request_object(params)?;
    checks::response_type(params, client)?;
    let scope = checks::scope(params, client)?;
    let code_challenge = checks::pkce(params, client)?;
    let prompt = checks::prompt(params)?;
    let max_age = checks::max_age(params)?;
    let hint_subject = match params.get("id_token_hint") {
        None => None,
        Some(hint) => Some(
            id_token::verify_hint(&state.keys(), &state.settings.issuer, hint)
                .map_err(|_| OAuthError::invalid_request("id_token_hint is not a valid ID token of this issuer"))?
                .sub,
        ),
    };
    Ok(AuthRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_string(),
        response_mode: mode,
        scope,
        state: checks::bounded(params, "state")?,
        nonce: checks::bounded(params, "nonce")?,
        code_challenge,
        prompt,
        max_age,
        login_hint: checks::bounded(params, "login_hint")?,
        ui_locales: checks::bounded(params, "ui_locales")?,
        acr_values: checks::bounded(params, "acr_values")?,
        hint_subject,
        consented_by: None,
        created_at_ms: unix_ms(state.clock.now()),
    })
}

/// The one place that decides what a request needs next. `parked` is the stored
/// request (id, handle) when resuming.
async fn decide(
    state: &AppState,
    client: &Client,
    request: AuthRequest,
    parked: Option<(uuid::Uuid, String)>,
    session: Option<(Session, User)>,
) -> Result<Outcome, Internal> {
    let now = state.clock.now();
    let prompt = request.prompt();
    let redirect = redirect_of(state, &request);
    if needs_sign_in(&request, parked.as_ref(), session.as_ref(), now) {
        if prompt.none {
            let error = OAuthError::new(ErrorCode::LoginRequired, "the user is not signed in");
            return finish_with_error(state, parked, &redirect, error).await;
        }
        let handle = park(state, &request, parked).await?;
        return Ok(Outcome::SignIn {
            handle,
            login_hint: request.login_hint.clone(),
            ui_locales: request.ui_locales.clone(),
        });
    }
    let Some((session, user)) = session else {
        return Ok(Outcome::ErrorPage(PageError::Internal));
    };
    // Only the consent of the person now signed in counts: theirs from earlier
    // requests (the consents table), or one they gave on this request.
    if !client.first_party && request.consented_by != Some(user.id) {
        let consented = store::consents::find(state.store.conn(), user.id, &client.id).await?;
        let covered =
            consented.is_some_and(|granted| scope::parse(&request.scope).iter().all(|s| scope::contains(&granted, s)));
        if prompt.consent || !covered {
            if prompt.none {
                let error = OAuthError::new(ErrorCode::ConsentRequired, "the user has not consented");
                return finish_with_error(state, parked, &redirect, error).await;
            }
            let handle = park(state, &request, parked).await?;
            return Ok(Outcome::Consent { handle });
        }
    }
    issue_code(state, &request, parked, &redirect, &session, &user, now).await
}

/// Whether the request needs a (fresh) sign-in before it can be answered for this
/// session. Only a sign-in that happened while the request was parked satisfies
/// prompt=login, max_age and a hint naming another account.
fn needs_sign_in(
    request: &AuthRequest,
    parked: Option<&(uuid::Uuid, String)>,
    session: Option<&(Session, User)>,
    now: OffsetDateTime,
) -> bool {
    let Some((session, user)) = session else { return true };
    let authenticated_for_this_request = parked.is_some() && unix_ms(session.auth_time) >= request.created_at_ms;
    let too_old = request.max_age.is_some_and(|max| (now - session.auth_time).whole_seconds() > max);
    let other_user = request.hint_subject.as_deref().is_some_and(|sub| sub != user.subject());
    !authenticated_for_this_request && (request.prompt().login || too_old || other_user)
}

async fn issue_code(
    state: &AppState,
    request: &AuthRequest,
    parked: Option<(uuid::Uuid, String)>,
    redirect: &Redirect<'_>,
    session: &Session,
    user: &User,
    now: OffsetDateTime,
) -> Result<Outcome, Internal> {
    let code = opaque::random_token();
    let granted = scope::for_person(&request.scope, user.idp_admin);
    let tx = state.store.begin().await?;
    if let Some((id, _)) = &parked
        && !store::authorization_requests::complete(tx.conn(), *id, now).await?
    {
        // Finished by another tab or a replayed resume: never issue a second code.
        return Ok(Outcome::ErrorPage(PageError::RequestExpired));
    }
    store::authorization_codes::insert(
        tx.conn(),
        NewCode {
            code_hash: &opaque::hash(&code),
            client_id: &request.client_id,
            user_id: user.id,
            session_id: Some(session.id),
            redirect_uri: &request.redirect_uri,
            scope: &granted,
            nonce: request.nonce.as_deref(),
            code_challenge: request.code_challenge.as_deref(),
            auth_time: session.auth_time,
            amr: &session.amr,
            acr: session.acr.as_deref(),
            expires_at: now + CODE_TTL,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Respond(ClientResponse::code(redirect, code)))
}

async fn finish_with_error(
    state: &AppState,
    parked: Option<(uuid::Uuid, String)>,
    redirect: &Redirect<'_>,
    error: OAuthError,
) -> Result<Outcome, Internal> {
    if let Some((id, _)) = parked {
        let tx = state.store.begin().await?;
        store::authorization_requests::complete(tx.conn(), id, state.clock.now()).await?;
        tx.commit().await?;
    }
    Ok(Outcome::Respond(ClientResponse::error(redirect, &error)))
}

/// Stores the request (unless it is stored already) and returns its handle.
async fn park(
    state: &AppState,
    request: &AuthRequest,
    parked: Option<(uuid::Uuid, String)>,
) -> Result<String, Internal> {
    match parked {
        Some((_, handle)) if !handle.is_empty() => return Ok(handle),
        // Resumed by id after the journey: the browser needs a handle again (consent page).
        Some((id, _)) => {
            let handle = opaque::random_token();
            store::authorization_requests::set_handle_hash(state.store.conn(), id, &opaque::hash(&handle)).await?;
            return Ok(handle);
        }
        None => {}
    }
    let handle = opaque::random_token();
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    store::authorization_requests::insert(
        tx.conn(),
        &opaque::hash(&handle),
        &request.client_id,
        &to_json(request),
        now,
        now + PENDING_TTL,
    )
    .await?;
    tx.commit().await?;
    Ok(handle)
}

async fn load_parked(state: &AppState, handle: &str) -> Result<Option<(uuid::Uuid, AuthRequest, Client)>, Internal> {
    if handle.len() != 43 {
        return Ok(None);
    }
    let conn = state.store.conn();
    let Some(stored) = store::authorization_requests::find_by_handle_hash(conn, &opaque::hash(handle)).await? else {
        return Ok(None);
    };
    if stored.completed_at.is_some() || stored.expires_at <= state.clock.now() {
        return Ok(None);
    }
    let Ok(request) = serde_json::from_str::<AuthRequest>(&stored.parameters) else {
        return Ok(None);
    };
    let Some(client) = store::clients::find(conn, &stored.client_id).await? else {
        return Ok(None);
    };
    Ok(Some((stored.id, request, client)))
}

fn redirect_of<'a>(state: &'a AppState, request: &'a AuthRequest) -> Redirect<'a> {
    Redirect {
        redirect_uri: &request.redirect_uri,
        mode: request.response_mode,
        state: request.state.as_deref(),
        issuer: &state.settings.issuer,
    }
}

fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn to_json(request: &AuthRequest) -> String {
    serde_json::to_string(request).unwrap_or_default()
}
