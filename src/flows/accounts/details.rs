//! Everything an administrator sees about one account.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::user::Status;
use crate::flows::Internal;
use crate::state::AppState;
use crate::store;

/// Everything an administrator sees about an account.
#[derive(Debug, Clone, Serialize)]
pub struct AccountDetails {
    /// Account id (`sub`).
    pub id: Uuid,
    /// Ekstranet id.
    pub legacy_id: Option<String>,
    /// Six-digit login.
    pub login: String,
    /// E-mail.
    pub email: String,
    /// A new address waiting for its confirmation link.
    pub pending_email: Option<String>,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// `administrator` or `user`.
    pub role: String,
    /// Holds the `idp-admin` role.
    pub idp_admin: bool,
    /// Holds the `idp-helpdesk` role.
    pub idp_helpdesk: bool,
    /// Organisation id and name.
    pub organization: Option<serde_json::Value>,
    /// Journey state: `imported`, `invited`, `link_expired`, `active`.
    pub status: String,
    /// Disabled by an administrator.
    pub disabled: bool,
    /// Locked by an administrator.
    pub admin_locked: bool,
    /// Locked after failed attempts until then.
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
    /// Consecutive failed password or code attempts.
    pub failed_attempts: i32,
    /// When the newest activation link was sent.
    #[serde(with = "time::serde::rfc3339::option")]
    pub invited_at: Option<OffsetDateTime>,
    /// When the newest activation link expires (or expired).
    #[serde(with = "time::serde::rfc3339::option")]
    pub link_expires_at: Option<OffsetDateTime>,
    /// When the password was set.
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_set_at: Option<OffsetDateTime>,
    /// First completed sign-in.
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_sign_in_at: Option<OffsetDateTime>,
    /// Latest completed sign-in.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sign_in_at: Option<OffsetDateTime>,
    /// Newest terms version accepted.
    pub terms_version_accepted: Option<String>,
    /// When it was accepted.
    #[serde(with = "time::serde::rfc3339::option")]
    pub terms_accepted_at: Option<OffsetDateTime>,
    /// When the account was imported.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The details of one account.
pub async fn details(state: &AppState, id: Uuid) -> Result<Option<AccountDetails>, Internal> {
    let conn = state.store.conn();
    let Some(row) = store::users::row(conn, id).await? else { return Ok(None) };
    let organization = match row.organization_id {
        Some(org) => store::organizations::find(conn, org)
            .await?
            .map(|o| serde_json::json!({"id": o.id, "external_id": o.external_id, "name": o.name})),
        None => None,
    };
    let link = store::activation_tokens::latest(conn, id).await?;
    let now = state.clock.now();
    let link_expired = row.status == Status::Invited.as_str()
        && link.as_ref().is_none_or(|l| l.used_at.is_none() && (l.voided_at.is_some() || l.expires_at <= now));
    let accepted = store::terms::latest_accepted(conn, id).await?;
    let pending_email = store::email_changes::pending(conn, id, now).await?;
    Ok(Some(AccountDetails {
        pending_email,
        id: row.id,
        legacy_id: row.legacy_id,
        login: row.login,
        email: row.email,
        given_name: row.given_name,
        family_name: row.family_name,
        role: row.role,
        idp_admin: row.idp_admin,
        idp_helpdesk: row.idp_helpdesk,
        organization,
        status: if link_expired { "link_expired".into() } else { row.status },
        disabled: row.disabled,
        admin_locked: row.admin_locked,
        locked_until: row.locked_until.filter(|until| *until > now),
        failed_attempts: row.failed_attempts,
        invited_at: row.invited_at,
        link_expires_at: link.filter(|l| l.used_at.is_none()).map(|l| l.expires_at),
        password_set_at: row.password_set_at,
        first_sign_in_at: row.first_sign_in_at,
        last_sign_in_at: row.last_sign_in_at,
        terms_version_accepted: accepted.as_ref().map(|(version, _)| version.clone()),
        terms_accepted_at: accepted.map(|(_, at)| at),
        created_at: row.created_at,
    }))
}
