//! The launch-day activation campaign: activation mails for every imported,
//! not yet invited account (or one organisation's, or a list). Each account is
//! invited in its own transaction with its mail, so a failure half-way loses
//! nothing and a second run only picks up who is still not invited.

use uuid::Uuid;

use super::invite::{self, Purpose};
use crate::domain::audit::Actor;
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store;

/// Who to invite.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only this organisation's accounts.
    pub organization_id: Option<Uuid>,
    /// Only these accounts.
    pub user_ids: Option<Vec<Uuid>>,
}

/// Invites the selected accounts that were never invited; returns how many.
pub async fn run(state: &AppState, selection: &Selection, actor: &Actor) -> Result<usize, Internal> {
    let ids =
        store::users::not_invited(state.store.conn(), selection.organization_id, selection.user_ids.as_deref()).await?;
    let mut invited = 0;
    for id in ids {
        let tx = state.store.begin().await?;
        let Some(user) = store::users::find(tx.conn(), id).await? else { continue };
        if user.status != "imported" {
            continue;
        }
        invite::issue_link(state, &tx, &user, Purpose::Activation, actor, Lang::Pl).await?;
        tx.commit().await?;
        invited += 1;
    }
    state.mail_queued.notify_one();
    crate::metrics::campaign_invitations(u64::try_from(invited).unwrap_or(u64::MAX));
    Ok(invited)
}
