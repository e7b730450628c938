//! Consent (OIDC Core §3.1.2.4): a third-party client's request waits, parked,
//! until the signed-in user allows or declines what it asks for; the answer is
//! stored and the request continues through [`super::decide`].

use super::request::{ClientResponse, Outcome, PageError};
use super::{decide, load_parked, needs_sign_in, redirect_of, to_json};
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::domain::oauth::scope;
use crate::flows::Internal;
use crate::state::AppState;
use crate::store;

/// Records the user's answer on the consent page, then continues the request.
pub async fn answer(
    state: &AppState,
    handle: &str,
    allow: bool,
    session_cookie: Option<&str>,
) -> Result<Outcome, Internal> {
    let Some((id, mut request, client)) = load_parked(state, handle).await? else {
        return Ok(Outcome::ErrorPage(PageError::RequestExpired));
    };
    let parked = Some((id, handle.to_string()));
    let session = crate::flows::session::current(state, session_cookie).await?;
    let now = state.clock.now();
    // Consent is given by the person the request will be answered for: while the
    // request still needs a sign-in, nobody can answer it (else one person's
    // "allow" would be carried over to whoever signs in next with this handle).
    let Some((_, user)) = session.as_ref().filter(|_| !needs_sign_in(&request, parked.as_ref(), session.as_ref(), now))
    else {
        return Ok(Outcome::ErrorPage(PageError::RequestExpired));
    };
    let user = user.clone();
    let redirect = redirect_of(state, &request);
    if !allow {
        let tx = state.store.begin().await?;
        let first = store::authorization_requests::complete(tx.conn(), id, now).await?;
        tx.commit().await?;
        if !first {
            return Ok(Outcome::ErrorPage(PageError::RequestExpired));
        }
        let error = OAuthError::new(ErrorCode::AccessDenied, "the user declined");
        return Ok(Outcome::Respond(ClientResponse::error(&redirect, &error)));
    }
    request.consented_by = Some(user.id);
    let tx = state.store.begin().await?;
    store::consents::upsert(tx.conn(), user.id, &client.id, &request.scope, now).await?;
    store::authorization_requests::update_parameters(tx.conn(), id, &to_json(&request)).await?;
    tx.commit().await?;
    let session = crate::flows::session::current(state, session_cookie).await?;
    decide(state, &client, request, Some((id, handle.to_string())), session).await
}

/// What the consent page shows for a parked request.
pub struct ConsentView {
    /// The client asking.
    pub client_name: String,
    /// Scopes it asks for.
    pub scopes: Vec<String>,
    /// Preferred languages.
    pub ui_locales: Option<String>,
}

/// The consent page's content, if the request is still waiting.
pub async fn view(state: &AppState, handle: &str) -> Result<Option<ConsentView>, Internal> {
    Ok(load_parked(state, handle).await?.map(|(_, request, client)| ConsentView {
        client_name: client.name,
        scopes: scope::parse(&request.scope),
        ui_locales: request.ui_locales,
    }))
}
