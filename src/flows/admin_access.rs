//! Who may call the admin API, decided from the caller as it is *now*: a token's
//! claims are only the start. A person's token counts while the account holds
//! `idp-admin` and may sign in; a machine client's token counts while the client
//! exists and is still registered with the scope (deleting the client or narrowing
//! its scopes stops its tokens at once, not when they expire).

use uuid::Uuid;

use super::Internal;
use crate::domain::audit::Authority;
use crate::domain::oauth::scope::{self, ADMIN_SCOPES};
use crate::state::AppState;
use crate::store;

/// The scope that holds every admin scope.
pub const FULL_ADMIN: &str = "admin";

/// A caller allowed through.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// `user:<uuid>` or `client:<id>`, for the audit trail.
    pub name: String,
    /// What else the caller may do.
    pub authority: Authority,
}

/// Why a caller is turned away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No bearer token at all.
    NoToken,
    /// The token is not (or no longer) a valid access token of this provider.
    InvalidToken,
    /// The token, or its client as registered now, lacks the scope.
    MissingScope(String),
    /// A person's token whose account lacks `idp-admin` or may not sign in.
    NotAnAdministrator,
}

/// Checks `token` for `required` (or `admin`).
pub async fn admit(state: &AppState, token: &str, required: &str) -> Result<Result<Admitted, Denied>, Internal> {
    let Some(claims) = super::access::check(state, token).await? else { return Ok(Err(Denied::InvalidToken)) };
    let conn = state.store.conn();
    // A grant id marks a token issued to a person; client_credentials tokens have none.
    let (name, held) = if claims.gid.is_some() {
        let user = match Uuid::parse_str(&claims.sub) {
            Ok(id) => store::users::find(conn, id).await?,
            Err(_) => None,
        };
        match user {
            Some(user) if user.idp_admin && user.can_sign_in() => {
                (format!("user:{}", user.id), scope::parse(&claims.scope))
            }
            _ => return Ok(Err(Denied::NotAnAdministrator)),
        }
    } else {
        let Some(client) = store::clients::find(conn, &claims.client_id).await? else {
            return Ok(Err(Denied::InvalidToken));
        };
        // Only what the token was issued with *and* the client still has.
        let held = scope::parse(&claims.scope).into_iter().filter(|s| client.scopes.contains(s)).collect();
        (format!("client:{}", client.id), held)
    };
    let held: Vec<String> = held.into_iter().filter(|s| ADMIN_SCOPES.contains(&s.as_str())).collect();
    if !held.iter().any(|s| s == required || s == FULL_ADMIN) {
        return Ok(Err(Denied::MissingScope(required.to_string())));
    }
    let authority = if held.iter().any(|s| s == FULL_ADMIN) { Authority::Full } else { Authority::Scoped(held) };
    Ok(Ok(Admitted { name, authority }))
}

/// Whether any of `scopes` is an admin scope (a client carrying one is as
/// powerful as that scope, so only a full administrator may create or change it).
pub fn any_admin_scope(scopes: &[String]) -> bool {
    scopes.iter().any(|s| ADMIN_SCOPES.contains(&s.as_str()))
}

/// Denials recorded per client address and minute; more are counted, not written
/// (an unauthenticated caller must not be able to fill the audit trail).
const DENIALS_AUDITED_PER_MINUTE: i32 = 10;

/// Records a refused admin call in the audit trail (`admin.denied`), with the
/// caller's address and request id.
pub async fn record_denial(
    state: &AppState,
    denied: &Denied,
    required: &str,
    ip: Option<&str>,
    request_id: Option<&str>,
) -> Result<(), Internal> {
    let bucket = format!("admin-denied:ip:{}", ip.unwrap_or("unknown"));
    if !crate::flows::journey::within_limit(state, &bucket, 60, DENIALS_AUDITED_PER_MINUTE).await? {
        return Ok(());
    }
    let reason = match denied {
        Denied::NoToken => "no_token",
        Denied::InvalidToken => "invalid_token",
        Denied::MissingScope(_) => "missing_scope",
        Denied::NotAnAdministrator => "not_an_administrator",
    };
    let mut event = crate::domain::audit::AuditEvent::new("anonymous", "admin.denied", None);
    event.ip = ip.map(str::to_string);
    event.request_id = request_id.map(str::to_string);
    event.details = serde_json::json!({"reason": reason, "required_scope": required});
    store::audit::record(state.store.conn(), &event, state.clock.now()).await?;
    Ok(())
}
