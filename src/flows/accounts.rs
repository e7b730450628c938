//! Account administration (admin API and `kuke-id users`): edit, lock, disable,
//! reset, delete with anonymisation, and the sessions of an account. Every change
//! is audited in the transaction that makes it. Cutting an account off (lock,
//! disable, reset, delete) revokes every grant at once — access and refresh
//! tokens die with them — and then ends its browser sessions, notifying clients
//! through back-channel logout.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Internal;
use super::journey::invite::{self, Purpose};
use crate::domain::audit::Actor;
use crate::domain::import::{self, RowError};
use crate::domain::user::Status;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::{self, StoreError, Tx, users::Profile, users::Switch};

/// Why an administrative change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No such account (or it was deleted).
    #[error("no such account")]
    NotFound,
    /// A field breaks a rule.
    #[error(transparent)]
    Invalid(#[from] RowError),
    /// Another account has the e-mail address.
    #[error("the e-mail address belongs to another account")]
    EmailTaken,
    /// The organisation does not exist.
    #[error("no such organisation")]
    UnknownOrganization,
    /// The change does not apply to the account's state.
    #[error("{0}")]
    WrongState(&'static str),
    /// The caller's scope does not reach this account.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Storage failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> Self {
        Self::Internal(Internal(error))
    }
}

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

/// A partial edit: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub family_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// `administrator` or `user`.
    pub role: Option<String>,
    /// Organisation (`Some(None)` removes it).
    pub organization_id: Option<Option<Uuid>>,
    /// The `idp-admin` role.
    pub idp_admin: Option<bool>,
}

/// Applies an edit; audited as `user.updated` with the names (not values) of the
/// changed fields, so the trail holds no personal data.
pub async fn update(state: &AppState, actor: &Actor, id: Uuid, edit: Edit) -> Result<(), AccountError> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    if edit.idp_admin.is_some() && !actor.is_full_admin() {
        return Err(AccountError::Forbidden("granting or taking away idp-admin needs the admin scope"));
    }
    let mut profile = Profile {
        given_name: row.given_name.clone(),
        family_name: row.family_name.clone(),
        email: row.email.clone(),
        role: row.role.clone(),
        organization_id: row.organization_id,
        idp_admin: row.idp_admin,
    };
    if let Some(name) = &edit.given_name {
        profile.given_name = import::clean(name, "given_name")?;
    }
    if let Some(name) = &edit.family_name {
        profile.family_name = import::clean(name, "family_name")?;
    }
    if let Some(email) = &edit.email {
        profile.email = import::email(email)?;
    }
    if let Some(role) = &edit.role {
        profile.role = import::role(role)?.to_string();
    }
    if let Some(organization) = edit.organization_id {
        if let Some(org) = organization
            && store::organizations::find(tx.conn(), org).await?.is_none()
        {
            return Err(AccountError::UnknownOrganization);
        }
        profile.organization_id = organization;
    }
    if let Some(idp_admin) = edit.idp_admin {
        profile.idp_admin = idp_admin;
    }
    let mut changed: Vec<&str> = Vec::new();
    for (field, differs) in [
        ("given_name", profile.given_name != row.given_name),
        ("family_name", profile.family_name != row.family_name),
        ("email", profile.email != row.email),
        ("role", profile.role != row.role),
        ("organization_id", profile.organization_id != row.organization_id),
        ("idp_admin", profile.idp_admin != row.idp_admin),
    ] {
        if differs {
            changed.push(field);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    if profile.email != row.email
        && store::users::find_by_email(tx.conn(), &profile.email).await?.is_some_and(|other| other.id != id)
    {
        return Err(AccountError::EmailTaken);
    }
    // An active account's sign-in mail goes to its address: a new one takes effect
    // only once its mailbox confirms it, and the old one hears of the change.
    let new_email =
        (profile.email != row.email && row.status == Status::Active.as_str()).then(|| profile.email.clone());
    if let Some(new_email) = &new_email {
        profile.email = row.email.clone();
        changed.retain(|field| *field != "email");
        request_email_change(state, &tx, actor, id, new_email).await?;
    }
    if !changed.is_empty() {
        store::users::update_profile(tx.conn(), id, &profile, now).await.map_err(|e| match e {
            StoreError::Conflict(_) => AccountError::EmailTaken,
            other => other.into(),
        })?;
        audit(&tx, actor, "user.updated", id, serde_json::json!({"fields": changed}), now).await?;
    }
    tx.commit().await?;
    if new_email.is_some() {
        state.mail_queued.notify_one();
    }
    Ok(())
}

/// How long an e-mail confirmation link stays valid.
const EMAIL_CHANGE_TTL: time::Duration = time::Duration::hours(72);

/// Records a pending address change: a confirmation link to the new address and
/// a notice to the old one, in the caller's transaction.
async fn request_email_change(
    state: &AppState,
    tx: &Tx,
    actor: &Actor,
    id: Uuid,
    new_email: &str,
) -> Result<(), AccountError> {
    let now = state.clock.now();
    let user = store::users::find(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    let token = crate::tokens::opaque::random_token();
    let hash = crate::tokens::opaque::hash(&token);
    store::email_changes::request(tx.conn(), id, new_email, &hash, now, now + EMAIL_CHANGE_TTL).await?;
    let link = format!("{}/email/confirm?token={token}", state.settings.issuer);
    let hours = u64::try_from(EMAIL_CHANGE_TTL.whole_hours()).unwrap_or(72);
    let from = &state.settings.mail_from;
    let to_new = crate::domain::user::User { email: new_email.to_string(), ..user.clone() };
    crate::mail::queue(
        tx.conn(),
        &to_new,
        &crate::mail::Message::EmailChangeConfirm { link, hours },
        Lang::Pl,
        from,
        now,
    )
    .await?;
    let notice = crate::mail::Message::EmailChangeNotice { new_email: crate::domain::import::masked_email(new_email) };
    crate::mail::queue(tx.conn(), &user, &notice, Lang::Pl, from, now).await?;
    audit(tx, actor, "user.email_change_requested", id, serde_json::json!({}), now).await?;
    Ok(())
}

/// Locks (until unlocked) or unlocks an account. Unlocking also lifts a lock
/// after failed attempts.
pub async fn set_locked(state: &AppState, actor: &Actor, id: Uuid, locked: bool) -> Result<(), AccountError> {
    switch(state, actor, id, Switch::Locked, locked, if locked { "user.locked_by_admin" } else { "user.unlocked" })
        .await
}

/// Disables or enables an account.
pub async fn set_disabled(state: &AppState, actor: &Actor, id: Uuid, disabled: bool) -> Result<(), AccountError> {
    switch(state, actor, id, Switch::Disabled, disabled, if disabled { "user.disabled" } else { "user.enabled" }).await
}

async fn switch(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    which: Switch,
    on: bool,
    action: &'static str,
) -> Result<(), AccountError> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    if store::users::set_switch(tx.conn(), id, which, on, now).await? {
        if on {
            revoke_grants(&tx, id, now).await?;
            // A sign-in already past its password must not finish either.
            store::login_transactions::end_all_for_user(tx.conn(), id, now).await?;
        }
        audit(&tx, actor, action, id, serde_json::json!({}), now).await?;
    }
    tx.commit().await?;
    if on {
        super::logout::end_all_sessions(state, id, actor).await?;
    }
    Ok(())
}

/// Resets an account: every session and token revoked, the password forgotten,
/// and a fresh activation link mailed (earlier links void).
pub async fn reset(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AccountError> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    if row.disabled {
        return Err(AccountError::WrongState("the account is disabled; enable it first"));
    }
    revoke_grants(&tx, id, now).await?;
    store::users::clear_password(tx.conn(), id, now).await?;
    let user = store::users::find(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    invite::issue_link(state, &tx, &user, Purpose::Activation, actor, Lang::Pl).await?;
    audit(&tx, actor, "user.reset", id, serde_json::json!({}), now).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    super::logout::end_all_sessions(state, id, actor).await?;
    Ok(())
}

/// Sends a new activation link to an account that has not set its password yet
/// (earlier links become void).
pub async fn resend_activation(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AccountError> {
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    if row.status == Status::Active.as_str() {
        return Err(AccountError::WrongState("the account is already active; reset it instead"));
    }
    if row.disabled {
        return Err(AccountError::WrongState("the account is disabled; enable it first"));
    }
    let user = store::users::find(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    invite::issue_link(state, &tx, &user, Purpose::Activation, actor, Lang::Pl).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(())
}

/// Deletes an account: its personal data is anonymised, its links, grants and
/// sessions end; the row and the audit trail stay (events name the id only).
pub async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AccountError> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    revoke_grants(&tx, id, now).await?;
    store::activation_tokens::void_all(tx.conn(), id, now).await?;
    store::mail_outbox::erase_unsent_for(tx.conn(), id, now).await?;
    store::sessions::erase_origin(tx.conn(), id).await?;
    store::terms::erase_origin(tx.conn(), id).await?;
    store::email_changes::erase_for_user(tx.conn(), id).await?;
    store::users::anonymize(tx.conn(), id, now).await?;
    audit(&tx, actor, "user.deleted", id, serde_json::json!({}), now).await?;
    tx.commit().await?;
    super::logout::end_all_sessions(state, id, actor).await?;
    Ok(())
}

/// One open browser session, as an administrator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// Session id (`sid`).
    pub id: Uuid,
    /// Started.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last used.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// Absolute end.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Authentication methods.
    pub amr: serde_json::Value,
    /// Address at sign-in.
    pub ip: Option<String>,
    /// Browser at sign-in.
    pub user_agent: Option<String>,
}

/// The open, unexpired sessions of an account; `None` for an unknown account.
pub async fn sessions(state: &AppState, id: Uuid) -> Result<Option<Vec<SessionView>>, Internal> {
    let conn = state.store.conn();
    if store::users::row(conn, id).await?.is_none() {
        return Ok(None);
    }
    let now = state.clock.now();
    let rows = store::sessions::open_rows_for_user(conn, id).await?;
    Ok(Some(
        rows.into_iter()
            .filter(|s| s.expires_at > now)
            .map(|s| SessionView {
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                amr: serde_json::from_str(&s.amr).unwrap_or_default(),
                ip: s.ip,
                user_agent: s.user_agent,
            })
            .collect(),
    ))
}

/// Ends one session of an account; false when it is not an open session of it.
pub async fn end_session(
    state: &AppState,
    actor: &Actor,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<bool, AccountError> {
    let row = store::users::row(state.store.conn(), user_id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    let Some(session) = store::sessions::find(state.store.conn(), session_id).await? else { return Ok(false) };
    if session.user_id != user_id || session.ended_at.is_some() {
        return Ok(false);
    }
    super::logout::end_session(state, &session, actor).await?;
    Ok(true)
}

/// Ends every session of an account (with back-channel logout).
pub async fn end_all_sessions(state: &AppState, actor: &Actor, user_id: Uuid) -> Result<(), AccountError> {
    let row = store::users::row(state.store.conn(), user_id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    super::logout::end_all_sessions(state, user_id, actor).await?;
    Ok(())
}

/// Changes to a provider administrator's account take full `admin`: with only
/// `admin:users`, a caller could point an administrator's e-mail at itself, reset
/// the account and take it over, or lock every administrator out.
fn guard(actor: &Actor, row: &crate::store::entities::users::Model) -> Result<(), AccountError> {
    if row.idp_admin && !actor.is_full_admin() {
        return Err(AccountError::Forbidden("changing a provider administrator's account needs the admin scope"));
    }
    Ok(())
}

async fn revoke_grants(tx: &Tx, user_id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    for grant in store::grants::for_user(tx.conn(), user_id).await? {
        store::grants::revoke(tx.conn(), grant.id, now).await?;
    }
    Ok(())
}

async fn audit(
    tx: &Tx,
    actor: &Actor,
    action: &'static str,
    user_id: Uuid,
    details: serde_json::Value,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut event = actor.event(action, Some(user_id.to_string())).with_details(details);
    event.subject_user_id = Some(user_id);
    store::audit::record(tx.conn(), &event, now).await
}
