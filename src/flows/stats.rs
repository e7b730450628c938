//! The migration funnel: how far the imported accounts got, overall and per
//! organisation (`kuke-id stats`, and the admin API).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::clock::Clock;
use crate::domain::user::Status;
use crate::flows::Internal;
use crate::store::{self, Store};

/// Counts per funnel state. Every account is in exactly one of the first four
/// states; the last two count accounts further along.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Funnel {
    /// All accounts.
    pub total: usize,
    /// Imported, not invited yet.
    pub imported: usize,
    /// Invited, link still usable.
    pub invited: usize,
    /// Invited, but the link expired unused: re-invite them.
    pub link_expired: usize,
    /// Password set (account active).
    pub password_set: usize,
    /// Of those, signed in at least once.
    pub first_sign_in_done: usize,
    /// Of all, accepted the terms in force.
    pub terms_accepted: usize,
}

/// The funnel overall and per organisation name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MigrationStats {
    /// Every account.
    pub overall: Funnel,
    /// Per organisation (accounts without one under "—").
    pub organizations: BTreeMap<String, Funnel>,
}

/// Computes the funnel now.
pub async fn migration(store: &Store, clock: &Clock) -> Result<MigrationStats, Internal> {
    let conn = store.conn();
    let now = clock.now();
    let accounts = store::stats::accounts(conn).await?;
    let live = store::stats::with_live_link(conn, now).await?;
    let accepted = match store::terms::current(conn, now).await? {
        Some(terms) => store::stats::accepted(conn, terms.id).await?,
        None => Default::default(),
    };
    let names = store::stats::organization_names(conn).await?;
    let mut stats = MigrationStats::default();
    for account in accounts {
        let org = account.organization_id.and_then(|id| names.get(&id).cloned()).unwrap_or_else(|| "—".to_string());
        for funnel in [&mut stats.overall, stats.organizations.entry(org).or_default()] {
            funnel.total += 1;
            match account.status {
                Status::Imported => funnel.imported += 1,
                Status::Invited if live.contains(&account.id) => funnel.invited += 1,
                Status::Invited => funnel.link_expired += 1,
                Status::Active => funnel.password_set += 1,
            }
            if account.signed_in {
                funnel.first_sign_in_done += 1;
            }
            if accepted.contains(&account.id) {
                funnel.terms_accepted += 1;
            }
        }
    }
    Ok(stats)
}
