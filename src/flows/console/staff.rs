//! Who is using the console, decided on every request from the database as it
//! is now: the console session, the kuke-id session it is bound to (a kuke-id
//! logout ends both), the account (it may still sign in) and its staff role.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::audit::{Actor, AuditEvent, Authority};
use crate::domain::endpoints;
use crate::domain::user::{StaffPermission, StaffRole, User};
use crate::flows::Internal;
use crate::state::AppState;
use crate::store;
use crate::tokens::opaque;

/// A staff member signed in to the console.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The account, as it is now.
    pub user: User,
    /// Its staff role, as it is now.
    pub role: StaffRole,
}

/// Who a console request comes from.
#[derive(Debug, Clone)]
pub enum Visitor {
    /// No valid console session (never signed in, signed out, or the kuke-id
    /// session it was bound to ended).
    Anonymous,
    /// Signed in, but the account no longer holds a staff role.
    NotStaff(Uuid),
    /// A staff member.
    Staff(Staff),
}

/// Where a request comes from, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestOrigin {
    /// The caller's address.
    pub ip: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

impl Staff {
    /// Whether the staff member may do `what`.
    pub fn may(&self, what: StaffPermission) -> bool {
        self.role.may(what)
    }

    /// The actor of the changes this staff member makes (`user:<uuid>`). The
    /// help desk acts with `admin:users` only, so the account flows keep it
    /// away from staff accounts.
    pub fn actor(&self, origin: &RequestOrigin) -> Actor {
        let authority = match self.role {
            StaffRole::Admin => Authority::Full,
            StaffRole::Helpdesk => Authority::Scoped(vec!["admin:users".to_string()]),
        };
        Actor {
            name: format!("user:{}", self.user.id),
            ip: origin.ip.clone(),
            request_id: origin.request_id.clone(),
            authority,
        }
    }
}

/// The visitor named by the console cookie. Uses of the console keep the kuke-id
/// session alive like any other request of the browser (at most one write a minute).
pub async fn visitor(state: &AppState, cookie: Option<&str>) -> Result<Visitor, Internal> {
    let Some(cookie) = cookie.filter(|c| c.len() == 43) else { return Ok(Visitor::Anonymous) };
    let now = state.clock.now();
    let conn = state.store.conn();
    let Some(row) = store::console_sessions::find_session(conn, &opaque::hash(cookie), now).await? else {
        return Ok(Visitor::Anonymous);
    };
    let (Some(user_id), Some(session_id)) = (row.user_id, row.session_id) else { return Ok(Visitor::Anonymous) };
    let Some(session) = store::sessions::find(conn, session_id).await?.filter(|s| s.user_id == user_id) else {
        return Ok(Visitor::Anonymous);
    };
    if !session.is_valid(now, state.settings.session_idle) {
        return Ok(Visitor::Anonymous);
    }
    let Some(user) = store::users::find(conn, user_id).await?.filter(User::can_sign_in) else {
        return Ok(Visitor::Anonymous);
    };
    if now - session.last_seen_at > time::Duration::minutes(1) {
        store::sessions::touch(conn, session.id, now).await?;
    }
    Ok(match user.staff_role() {
        Some(role) => Visitor::Staff(Staff { user, role }),
        None => Visitor::NotStaff(user.id),
    })
}

/// Signs the console session out; returns the ID token to hint kuke-id's
/// end-session endpoint with (RP-Initiated Logout 1.0 §2), when there was one.
pub async fn sign_out(state: &AppState, cookie: Option<&str>) -> Result<Option<String>, Internal> {
    let Some(cookie) = cookie.filter(|c| c.len() == 43) else { return Ok(None) };
    let row = store::console_sessions::delete(state.store.conn(), &opaque::hash(cookie)).await?;
    Ok(row.and_then(|r| r.id_token))
}

/// Refusals recorded per person and minute; more are counted, not written.
const DENIALS_AUDITED_PER_MINUTE: i32 = 30;

/// Records a refused console request (`console.denied`) with the reason, the
/// permission or step refused and where it came from.
pub async fn record_denial(
    state: &AppState,
    user_id: Uuid,
    reason: &str,
    what: &str,
    origin: Option<&RequestOrigin>,
) -> Result<(), Internal> {
    let bucket = format!("console-denied:user:{user_id}");
    if !crate::flows::journey::within_limit(state, &bucket, 60, DENIALS_AUDITED_PER_MINUTE).await? {
        return Ok(());
    }
    let mut event = AuditEvent::new(format!("user:{user_id}"), "console.denied", Some(endpoints::CONSOLE.into()));
    event.subject_user_id = Some(user_id);
    event.ip = origin.and_then(|o| o.ip.clone());
    event.request_id = origin.and_then(|o| o.request_id.clone());
    event.details = serde_json::json!({"reason": reason, "refused": what});
    store::audit::record(state.store.conn(), &event, state.clock.now()).await?;
    Ok(())
}

/// Deletes expired console sessions and abandoned sign-ins (each new sign-in
/// does, so the table holds no more than the sessions of the last hours).
pub async fn forget_expired(state: &AppState, now: OffsetDateTime) -> Result<u64, Internal> {
    Ok(store::console_sessions::delete_expired(state.store.conn(), now).await?)
}
