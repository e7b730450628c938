//! Account administration (admin API and `kuke-id users`): search, edit, lock,
//! disable, reset, delete with anonymisation, and the sessions of an account.
//! Every change is audited in the transaction that makes it. Cutting an account
//! off (lock, disable, reset, delete) revokes every grant at once — access and
//! refresh tokens die with them — and then ends its browser sessions, notifying
//! clients through back-channel logout.
//!
//! - [`search`]: finding accounts (the admin list and `kuke-id users list`).
//! - [`details`]: everything an administrator sees about one account.
//! - [`profile`]: edits, including the confirmed e-mail change.
//! - [`actions`]: lock, disable, reset, resend the activation link, delete.
//! - [`sessions`]: the open browser sessions of an account.

pub mod actions;
pub mod consents;
pub mod details;
pub mod profile;
pub mod search;
pub mod sessions;

use time::OffsetDateTime;
use uuid::Uuid;

use super::Internal;
use crate::domain::audit::Actor;
use crate::domain::import::RowError;
use crate::store::{self, StoreError, Tx};

pub use actions::{delete, resend_activation, reset, set_disabled, set_locked};
pub use consents::{ConsentView, consents, revoke_consent};
pub use details::{AccountDetails, details};
pub use profile::{Edit, update};
pub use search::{UserFilter, find, find_by_login, search};
pub use sessions::{SessionView, end_all_sessions, end_session, sessions};

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

/// Changes to a staff account (`idp-admin`, `idp-helpdesk`) take full `admin`:
/// with only `admin:users` (or as help desk in the console), a caller could
/// point a staff member's e-mail at itself, reset the account and take it over,
/// or lock every administrator out.
pub(crate) fn guard(actor: &Actor, row: &crate::store::entities::users::Model) -> Result<(), AccountError> {
    if row.idp_admin && !actor.is_full_admin() {
        return Err(AccountError::Forbidden("changing a provider administrator's account needs the admin scope"));
    }
    if row.idp_helpdesk && !actor.is_full_admin() {
        return Err(AccountError::Forbidden("changing a help-desk account needs the admin scope"));
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
