//! The launch-day activation campaign: activation mails for every imported,
//! not yet invited account (or one organisation's, or a list), and the bulk
//! re-invitation of accounts whose link expired unused. Each account is invited
//! in its own transaction with its mail, so a failure half-way loses nothing and
//! a second run only picks up who is still left. Mails are paced through the
//! outbox (`campaign_mails_per_minute`): each is scheduled after the previous
//! campaign mail, so sign-in codes, due at once, never queue behind a campaign.

use time::OffsetDateTime;
use uuid::Uuid;

use super::invite::{self, Purpose};
use crate::domain::audit::Actor;
use crate::domain::user::Status;
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
    /// Re-invite accounts whose link expired unused (instead of those never invited).
    pub expired: bool,
}

/// What a campaign run queued.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Queued {
    /// Activation mails queued.
    pub queued: usize,
    /// When the last of them is due to be sent.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_due_at: Option<OffsetDateTime>,
}

/// Invites the selected accounts; returns how many and when the last mail goes out.
pub async fn run(state: &AppState, selection: &Selection, actor: &Actor) -> Result<Queued, Internal> {
    let now = state.clock.now();
    let conn = state.store.conn();
    let ids = if selection.expired {
        store::users::link_expired(conn, selection.organization_id, selection.user_ids.as_deref(), now).await?
    } else {
        store::users::not_invited(conn, selection.organization_id, selection.user_ids.as_deref()).await?
    };
    let gap = state
        .settings
        .campaign_mails_per_minute
        .map(|rate| time::Duration::seconds_f64(60.0 / f64::from(rate)))
        .unwrap_or(time::Duration::ZERO);
    let mut due = store::mail_outbox::last_due(conn, "activation").await?.map_or(now, |last| (last + gap).max(now));
    let mut result = Queued { queued: 0, last_due_at: None };
    for id in ids {
        let tx = state.store.begin().await?;
        // Locked, then checked again: a concurrent campaign (another node, another
        // call) that got here first has invited the account, and it is skipped.
        store::users::lock_row(tx.conn(), id).await?;
        let Some(user) = store::users::find(tx.conn(), id).await? else { continue };
        let wanted = if selection.expired { Status::Invited } else { Status::Imported };
        if user.status != wanted || user.disabled {
            continue;
        }
        if selection.expired
            && store::activation_tokens::latest(tx.conn(), id)
                .await?
                .is_some_and(|link| link.used_at.is_none() && link.voided_at.is_none() && link.expires_at > now)
        {
            continue;
        }
        invite::issue_link_at(state, &tx, &user, Purpose::Activation, actor, Lang::Pl, due).await?;
        tx.commit().await?;
        result.queued += 1;
        result.last_due_at = Some(due);
        due += gap;
    }
    state.mail_queued.notify_one();
    state.metrics.campaign_invitations(u64::try_from(result.queued).unwrap_or(u64::MAX));
    Ok(result)
}
