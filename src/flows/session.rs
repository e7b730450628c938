//! Browser sessions: the "user U is authenticated in browser S at time T with
//! methods M" call the sign-in journey ends with, and the lookup every
//! authorization request starts with.

use uuid::Uuid;

use super::Internal;
use crate::domain::audit::AuditEvent;
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::state::AppState;
use crate::store::{self, Tx, sessions::NewSession};
use crate::tokens::opaque;

/// Who is signing in, from where.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Remote address.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
}

/// A new session and the cookie value that names it (only its hash is stored).
pub struct Established {
    /// The session.
    pub session: Session,
    /// The cookie value for the browser.
    pub cookie: String,
}

/// Starts a session for `user_id`, authenticated now with `amr`. A previous session
/// of the same browser is ended first: a session id never survives a sign-in
/// (session fixation).
pub async fn establish(
    state: &AppState,
    user_id: Uuid,
    amr: &[String],
    acr: Option<&str>,
    previous_cookie: Option<&str>,
    client: ClientInfo,
) -> Result<Established, Internal> {
    let tx = state.store.begin().await?;
    let established = establish_in(state, &tx, user_id, amr, acr, previous_cookie, client).await?;
    tx.commit().await?;
    Ok(established)
}

/// [`establish`] inside the caller's transaction, so that a sign-in's last
/// step and its session are one commit.
pub async fn establish_in(
    state: &AppState,
    tx: &Tx,
    user_id: Uuid,
    amr: &[String],
    acr: Option<&str>,
    previous_cookie: Option<&str>,
    client: ClientInfo,
) -> Result<Established, Internal> {
    let now = state.clock.now();
    let cookie = opaque::random_token();
    let absolute = time::Duration::try_from(state.settings.session_absolute).unwrap_or(time::Duration::hours(12));
    if let Some(previous) = previous_cookie
        && let Some(old) = store::sessions::find_by_cookie_hash(tx.conn(), &opaque::hash(previous)).await?
    {
        store::sessions::end(tx.conn(), old.id, now).await?;
    }
    let session = store::sessions::insert(
        tx.conn(),
        NewSession {
            cookie_hash: &opaque::hash(&cookie),
            user_id,
            amr,
            acr,
            expires_at: now + absolute,
            ip: client.ip.clone(),
            user_agent: client.user_agent,
        },
        now,
    )
    .await?;
    let mut event = AuditEvent::new(format!("user:{user_id}"), "session.started", Some(session.id.to_string()));
    event.subject_user_id = Some(user_id);
    event.ip = client.ip;
    event.details = serde_json::json!({"amr": amr});
    store::audit::record(tx.conn(), &event, now).await?;
    Ok(Established { session, cookie })
}

/// The not yet ended session named by a cookie, whether or not it is still valid.
pub async fn named(state: &AppState, cookie: Option<&str>) -> Result<Option<Session>, Internal> {
    let Some(cookie) = cookie.filter(|c| c.len() == 43) else {
        return Ok(None);
    };
    let session = store::sessions::find_by_cookie_hash(state.store.conn(), &opaque::hash(cookie)).await?;
    Ok(session.filter(|s| s.ended_at.is_none()))
}

/// The valid session named by a cookie, with its account; marks it used.
pub async fn current(state: &AppState, cookie: Option<&str>) -> Result<Option<(Session, User)>, Internal> {
    let Some(cookie) = cookie.filter(|c| c.len() == 43) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let conn = state.store.conn();
    let Some(session) = store::sessions::find_by_cookie_hash(conn, &opaque::hash(cookie)).await? else {
        return Ok(None);
    };
    if !session.is_valid(now, state.settings.session_idle) {
        return Ok(None);
    }
    let Some(user) = store::users::find(conn, session.user_id).await?.filter(User::can_sign_in) else {
        return Ok(None);
    };
    // Touch at most once a minute: a sliding idle window needs no write per request.
    if now - session.last_seen_at > time::Duration::minutes(1) {
        store::sessions::touch(conn, session.id, now).await?;
    }
    Ok(Some((session, user)))
}
