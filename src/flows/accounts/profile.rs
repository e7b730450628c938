//! Editing an account's profile. A new e-mail address of an active account takes
//! effect only once its mailbox confirms it.

use uuid::Uuid;

use super::{AccountError, audit, guard};
use crate::domain::audit::Actor;
use crate::domain::import;
use crate::domain::user::Status;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::{self, StoreError, Tx, users::Profile};

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
    /// The `idp-helpdesk` role.
    pub idp_helpdesk: Option<bool>,
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
    if edit.idp_helpdesk.is_some() && !actor.is_full_admin() {
        return Err(AccountError::Forbidden("granting or taking away idp-helpdesk needs the admin scope"));
    }
    let mut profile = Profile {
        given_name: row.given_name.clone(),
        family_name: row.family_name.clone(),
        email: row.email.clone(),
        role: row.role.clone(),
        organization_id: row.organization_id,
        idp_admin: row.idp_admin,
        idp_helpdesk: row.idp_helpdesk,
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
    if let Some(idp_helpdesk) = edit.idp_helpdesk {
        profile.idp_helpdesk = idp_helpdesk;
    }
    let mut changed: Vec<&str> = Vec::new();
    for (field, differs) in [
        ("given_name", profile.given_name != row.given_name),
        ("family_name", profile.family_name != row.family_name),
        ("email", profile.email != row.email),
        ("role", profile.role != row.role),
        ("organization_id", profile.organization_id != row.organization_id),
        ("idp_admin", profile.idp_admin != row.idp_admin),
        ("idp_helpdesk", profile.idp_helpdesk != row.idp_helpdesk),
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
    let from = &crate::flows::mail_sender(state);
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
