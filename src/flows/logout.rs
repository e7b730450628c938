//! RP-Initiated Logout 1.0: validate the request, end the browser session on
//! every node (it lives in the database), revoke what depended on it, and send
//! the user back only to a post-logout redirect URI registered for the client.

use time::OffsetDateTime;
use uuid::Uuid;

use super::Internal;
use crate::domain::audit::Actor;
use crate::domain::session::Session;
use crate::state::AppState;
use crate::store::{self, Tx};
use crate::tokens::id_token;

/// The logout request's parameters (RP-Initiated Logout 1.0 §2).
#[derive(Debug, Clone, Default)]
pub struct LogoutParams {
    /// A previously issued ID token.
    pub id_token_hint: Option<String>,
    /// The client asking.
    pub client_id: Option<String>,
    /// Where to send the user afterwards.
    pub post_logout_redirect_uri: Option<String>,
    /// Returned to the client.
    pub state: Option<String>,
    /// Preferred languages.
    pub ui_locales: Option<String>,
}

/// What the browser gets.
#[derive(Debug)]
pub enum LogoutOutcome {
    /// Back to the client (URI already carries `state`).
    Redirect(String),
    /// The "you are signed out" page.
    SignedOut,
    /// Ask the user to confirm; the fields go back in the confirmation form.
    Confirm(LogoutParams),
    /// The request cannot be honoured as asked; explain, never redirect.
    Invalid(&'static str),
}

/// A validated logout target.
struct Target {
    redirect: Option<String>,
    hint_sub: Option<String>,
}

/// Handles `GET|POST end_session_endpoint`. `confirmed` is true for the POST of the
/// confirmation form (CSRF-checked by the caller).
pub async fn logout(
    state: &AppState,
    params: LogoutParams,
    session_cookie: Option<&str>,
    confirmed: bool,
) -> Result<LogoutOutcome, Internal> {
    let target = match validate(state, &params).await? {
        Ok(target) => target,
        Err(reason) => return Ok(LogoutOutcome::Invalid(reason)),
    };
    let session = super::session::current(state, session_cookie).await?;
    let hint_matches = match (&session, &target.hint_sub) {
        (Some((_, user)), Some(sub)) => user.subject() == *sub,
        (None, Some(_)) => true,
        _ => false,
    };
    if !confirmed && !hint_matches {
        return Ok(LogoutOutcome::Confirm(params));
    }
    // The browser's session row as it is, valid or not: one that went idle or whose
    // account was locked still ends here, with its grants and back-channel logouts.
    if let Some(session) = super::session::named(state, session_cookie).await? {
        end_session(state, &session, &Actor::named(format!("user:{}", session.user_id))).await?;
    }
    Ok(match target.redirect {
        Some(uri) => LogoutOutcome::Redirect(uri),
        None => LogoutOutcome::SignedOut,
    })
}

async fn validate(state: &AppState, params: &LogoutParams) -> Result<Result<Target, &'static str>, Internal> {
    let hint = match params.id_token_hint.as_deref() {
        None => None,
        Some(token) => match id_token::verify_hint(&state.keys(), &state.settings.issuer, token) {
            Ok(claims) => Some(claims),
            Err(_) => return Ok(Err("invalid_hint")),
        },
    };
    let client_id = match (&hint, params.client_id.as_deref()) {
        (Some(hint), Some(client_id)) if !hint.aud.contains(client_id) => {
            return Ok(Err("client_mismatch"));
        }
        (_, Some(client_id)) => Some(client_id.to_string()),
        (Some(hint), None) => hint.aud.single().map(str::to_string),
        (None, None) => None,
    };
    let redirect = match params.post_logout_redirect_uri.as_deref() {
        None => None,
        Some(uri) => {
            let Some(client_id) = client_id else {
                return Ok(Err("unknown_client"));
            };
            let Some(client) = store::clients::find(state.store.conn(), &client_id).await? else {
                return Ok(Err("unknown_client"));
            };
            if !client.post_logout_redirect_uris.iter().any(|registered| registered == uri) {
                return Ok(Err("unregistered_redirect"));
            }
            Some(with_state(uri, params.state.as_deref()))
        }
    };
    Ok(Ok(Target { redirect, hint_sub: hint.map(|h| h.sub) }))
}

fn with_state(uri: &str, state: Option<&str>) -> String {
    match (url::Url::parse(uri), state) {
        (Ok(mut url), Some(state)) => {
            url.query_pairs_mut().append_pair("state", state);
            url.to_string()
        }
        _ => uri.to_string(),
    }
}

/// Ends a session and everything bound to it: grants without `offline_access`
/// (their refresh tokens stop working), and notifies clients that registered a
/// back-channel logout URI.
pub async fn end_session(state: &AppState, session: &Session, actor: &Actor) -> Result<(), Internal> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    if end_session_in(state, &tx, session, actor, now).await? {
        tx.commit().await?;
    }
    Ok(())
}

/// [`end_session`] inside the caller's transaction; false when it had ended already.
pub(crate) async fn end_session_in(
    state: &AppState,
    tx: &Tx,
    session: &Session,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<bool, Internal> {
    if !store::sessions::end(tx.conn(), session.id, now).await? {
        return Ok(false);
    }
    let grants = store::grants::for_session(tx.conn(), session.id).await?;
    let mut clients: Vec<String> = Vec::new();
    for grant in &grants {
        if !grant.offline {
            store::grants::revoke(tx.conn(), grant.id, now).await?;
        }
        if !clients.contains(&grant.client_id) {
            clients.push(grant.client_id.clone());
        }
    }
    super::backchannel::enqueue(state, tx, session, &clients, now).await?;
    let mut event = actor.event("session.ended", Some(session.id.to_string()));
    event.subject_user_id = Some(session.user_id);
    store::audit::record(tx.conn(), &event, now).await?;
    Ok(true)
}

/// Cuts an account off inside the caller's transaction: every session ends (with
/// back-channel logout), every grant is revoked (access and refresh tokens die,
/// `offline_access` ones too) and every sign-in in progress ends. Used when the
/// password changes through a link and when an administrator locks the account,
/// so that nothing begun before the change outlives it.
pub(crate) async fn cut_off(
    state: &AppState,
    tx: &Tx,
    user_id: Uuid,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<(), Internal> {
    for session in store::sessions::open_for_user(tx.conn(), user_id).await? {
        end_session_in(state, tx, &session, actor, now).await?;
    }
    for grant in store::grants::for_user(tx.conn(), user_id).await? {
        store::grants::revoke(tx.conn(), grant.id, now).await?;
    }
    store::login_transactions::end_all_for_user(tx.conn(), user_id, now).await?;
    Ok(())
}

/// Ends every session of an account (admin action, password reset).
pub async fn end_all_sessions(state: &AppState, user_id: Uuid, actor: &Actor) -> Result<usize, Internal> {
    let sessions = store::sessions::open_for_user(state.store.conn(), user_id).await?;
    for session in &sessions {
        end_session(state, session, actor).await?;
    }
    Ok(sessions.len())
}
