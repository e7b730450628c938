//! The console's dashboard: the migration funnel (the same numbers as
//! `kuke-id stats` and the admin API) and the last 30 days, day by day.

use time::{Date, Duration, OffsetDateTime};

use crate::flows::Internal;
use crate::flows::stats::{self, MigrationStats};
use crate::state::AppState;
use crate::store;

/// How many days the activity chart covers (today included).
pub const DAYS: usize = 30;

/// One day of activity (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// The day.
    pub date: Date,
    /// Activation links sent (first invitations, re-invitations and resets).
    pub invitations: usize,
    /// Passwords set.
    pub activations: usize,
    /// Completed sign-ins.
    pub sign_ins: usize,
}

/// What the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The funnel, overall and per organisation.
    pub funnel: MigrationStats,
    /// The last [`DAYS`] days, oldest first.
    pub days: Vec<Day>,
}

/// The dashboard now.
pub async fn dashboard(state: &AppState) -> Result<Dashboard, Internal> {
    let funnel = stats::migration(&state.store, &state.clock).await?;
    let now = state.clock.now();
    let first = now.date() - Duration::days(i64::try_from(DAYS).unwrap_or(30) - 1);
    let from = first.midnight().assume_utc();
    let conn = state.store.conn();
    let invitations = store::stats::action_times(conn, "user.invited", from).await?;
    let activations = store::stats::action_times(conn, "user.password_set", from).await?;
    let sign_ins = store::stats::action_times(conn, "session.started", from).await?;
    Ok(Dashboard { funnel, days: by_day(first, &invitations, &activations, &sign_ins) })
}

/// Counts each series per UTC day from `first`, [`DAYS`] days.
fn by_day(
    first: Date,
    invitations: &[OffsetDateTime],
    activations: &[OffsetDateTime],
    sign_ins: &[OffsetDateTime],
) -> Vec<Day> {
    let mut days: Vec<Day> = (0..DAYS)
        .map(|i| Day {
            date: first + Duration::days(i64::try_from(i).unwrap_or(0)),
            invitations: 0,
            activations: 0,
            sign_ins: 0,
        })
        .collect();
    let index = |at: &OffsetDateTime| {
        let day = at.to_offset(time::UtcOffset::UTC).date();
        usize::try_from((day - first).whole_days()).ok().filter(|i| *i < DAYS)
    };
    for at in invitations {
        if let Some(day) = index(at).and_then(|i| days.get_mut(i)) {
            day.invitations += 1;
        }
    }
    for at in activations {
        if let Some(day) = index(at).and_then(|i| days.get_mut(i)) {
            day.activations += 1;
        }
    }
    for at in sign_ins {
        if let Some(day) = index(at).and_then(|i| days.get_mut(i)) {
            day.sign_ins += 1;
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn events_fall_on_their_utc_day_and_outside_days_are_dropped() {
        let first = datetime!(2026-11-08 00:00 UTC).date();
        let invited =
            [datetime!(2026-11-08 00:00 UTC), datetime!(2026-11-09 01:00 +02:00), datetime!(2026-11-07 23:59 UTC)];
        let days = by_day(first, &invited, &[datetime!(2026-12-07 12:00 UTC)], &[datetime!(2026-12-08 00:00 UTC)]);
        assert_eq!(days.len(), DAYS);
        assert_eq!(days[0].invitations, 2, "midnight, and 01:00 at +02:00 is still the 8th in UTC");
        assert_eq!(days[29].activations, 1);
        assert_eq!(days.iter().map(|d| d.sign_ins).sum::<usize>(), 0, "the day after the last is not counted");
    }
}
