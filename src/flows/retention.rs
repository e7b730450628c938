//! Data kept only as long as needed: one round of the retention job that every
//! node runs (and `kuke-id retention run` runs on demand).
//!
//! The flow decides *when* a row stops being needed, from the settings and the
//! clock; `store::retention` decides *which* rows that makes and deletes them in
//! bounded batches, each its own statement, so no transaction or lock spans
//! more than one batch and several nodes sweeping at once do not contend.
//!
//! Every cut-off keeps a row for [`GRACE`] past the moment it stopped being
//! usable: a request that read it just before is never surprised by its absence
//! mid-way, nodes whose clocks differ by minutes agree, and a replayed
//! authorization code is still recognised (and revokes what it produced) for a
//! day after it expired. The README's "What is kept, and for how long" lists
//! the same rules for people.

use std::time::Duration;

use time::OffsetDateTime;

use super::Internal;
use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::state::AppState;
use crate::store::retention::{Cutoffs, Erasure, Sweep};

/// Rows one statement deletes or erases at most.
pub const BATCH: u64 = 500;

/// How long a row stays past the moment it stopped being usable.
pub const GRACE: time::Duration = time::Duration::days(1);

/// The longest fixed rate-limit window (link requests per address and per
/// e-mail, 1 h; sign-ins per account, 15 min; refused admin calls audited,
/// 1 min); the per-address failure window is a setting and counted separately.
const LONGEST_FIXED_WINDOW: time::Duration = time::Duration::hours(1);

/// What one round did: rows deleted and rows whose addresses were erased, per
/// table (every table, in sweep order, zeros included).
#[derive(Debug, Clone, Default)]
pub struct RetentionReport {
    /// Rows deleted, by table.
    pub deleted: Vec<(&'static str, u64)>,
    /// Rows whose client address and user agent were erased, by table.
    pub erased: Vec<(&'static str, u64)>,
    /// Statements run (one per batch).
    pub batches: u64,
}

impl RetentionReport {
    /// Rows deleted from `table` (0 for a table not swept).
    pub fn deleted_from(&self, table: &str) -> u64 {
        self.deleted.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n)
    }

    /// Rows of `table` whose addresses were erased.
    pub fn erased_in(&self, table: &str) -> u64 {
        self.erased.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n)
    }

    /// Whether the round changed anything.
    pub fn is_empty(&self) -> bool {
        self.deleted.iter().chain(&self.erased).all(|(_, n)| *n == 0)
    }

    /// The counts as JSON: `{"deleted": {table: n}, "erased": {table: n}, "batches": n}`.
    pub fn to_json(&self) -> serde_json::Value {
        let by_table = |counts: &[(&str, u64)]| -> serde_json::Map<String, serde_json::Value> {
            counts.iter().map(|(table, n)| ((*table).to_string(), (*n).into())).collect()
        };
        serde_json::json!({
            "deleted": by_table(&self.deleted),
            "erased": by_table(&self.erased),
            "batches": self.batches,
        })
    }

    /// The non-zero counts, e.g. `sessions=3 grants=2` (for the log).
    pub fn summary(&self) -> String {
        let deleted = self.deleted.iter().filter(|(_, n)| *n > 0).map(|(t, n)| format!("{t}={n}"));
        let erased = self.erased.iter().filter(|(_, n)| *n > 0).map(|(t, n)| format!("{t}.addresses={n}"));
        deleted.chain(erased).collect::<Vec<_>>().join(" ")
    }
}

/// One round with the default batch size.
pub async fn run_once(state: &AppState) -> Result<RetentionReport, Internal> {
    run_in_batches(state, BATCH).await
}

/// One round asked for by an operator (`kuke-id retention run`, the admin
/// API), recorded in the audit trail as `retention.run` with its counts. The
/// rounds every node runs on its own are not audited: they would fill the
/// trail with a row every ten minutes; their counts go to the log and metrics.
pub async fn run_for(state: &AppState, actor: &Actor) -> Result<RetentionReport, Internal> {
    let report = run_once(state).await?;
    let event = actor.event("retention.run", None).with_details(report.to_json());
    crate::store::audit::record(state.store.conn(), &event, state.clock.now()).await?;
    Ok(report)
}

/// One round in batches of at most `batch` rows (at least 1): every table is
/// swept until a batch comes back short.
pub async fn run_in_batches(state: &AppState, batch: u64) -> Result<RetentionReport, Internal> {
    let batch = batch.max(1);
    let now = state.clock.now();
    let cutoffs = cutoffs(&state.settings, now);
    let conn = state.store.conn();
    let mut report = RetentionReport::default();
    for sweep in Sweep::ALL {
        let mut total = 0;
        loop {
            let n = crate::store::retention::delete_batch(conn, sweep, &cutoffs, batch).await?;
            report.batches += 1;
            total += n;
            if n < batch {
                break;
            }
            tokio::task::yield_now().await;
        }
        state.metrics.retention_deleted(sweep.table(), total);
        report.deleted.push((sweep.table(), total));
    }
    for erasure in Erasure::ALL {
        let mut total = 0;
        loop {
            let n = crate::store::retention::erase_batch(conn, erasure, cutoffs.retention, batch).await?;
            report.batches += 1;
            total += n;
            if n < batch {
                break;
            }
            tokio::task::yield_now().await;
        }
        state.metrics.retention_erased(erasure.table(), total);
        report.erased.push((erasure.table(), total));
    }
    crate::flows::console::import::expire_uploads(state).await?;
    Ok(report)
}

/// The cut-offs of a round at `now`.
pub fn cutoffs(settings: &Settings, now: OffsetDateTime) -> Cutoffs {
    // A cut-off out of range deletes nothing rather than everything.
    let earliest = time::PrimitiveDateTime::MIN.assume_utc();
    let ago = |d: time::Duration| now.checked_sub(d).unwrap_or(earliest);
    let span = |d: Duration| time::Duration::try_from(d).unwrap_or(time::Duration::MAX);
    let expired = ago(GRACE);
    // Access tokens name their grant and are refused once it is gone, so a grant
    // (and its session) stays until the last access token it produced expired.
    let grants = ago(GRACE.saturating_add(span(settings.access_token_ttl)));
    let longest_window = settings.limits.address_window.max(LONGEST_FIXED_WINDOW);
    Cutoffs {
        expired,
        grants,
        sessions_unused: grants.checked_sub(span(settings.session_idle)).unwrap_or(earliest),
        revoked_access_tokens: expired,
        rate_limits: ago(GRACE.saturating_add(longest_window)),
        delivered: expired,
        retention: ago(span(settings.retention)),
        audit: settings.audit_retention.map(|keep| ago(span(keep))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml: &str) -> Settings {
        Settings::from_toml(toml).expect("settings")
    }

    #[test]
    fn grants_outlive_their_last_access_token() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(10_000);
        let c = cutoffs(&settings("access_token_ttl_secs = 3600"), now);
        assert_eq!(c.grants, now - time::Duration::days(1) - time::Duration::hours(1));
        assert_eq!(c.sessions_unused, c.grants - time::Duration::hours(1));
    }

    #[test]
    fn rate_limit_windows_are_kept_past_the_longest_window() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(10_000);
        let c = cutoffs(&settings("address_failures_window_secs = 7200"), now);
        assert_eq!(c.rate_limits, now - time::Duration::days(1) - time::Duration::hours(2));
        let c = cutoffs(&settings(""), now);
        assert_eq!(c.rate_limits, now - time::Duration::days(1) - time::Duration::hours(1));
    }

    #[test]
    fn addresses_and_audit_follow_their_settings() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(10_000);
        let c = cutoffs(&settings("retention_days = 30\naudit_retention_days = 0"), now);
        assert_eq!(c.retention, now - time::Duration::days(30));
        assert_eq!(c.audit, None);
        let c = cutoffs(&settings(""), now);
        assert_eq!(c.audit, Some(now - time::Duration::days(730)));
    }

    #[test]
    fn a_cut_off_before_the_earliest_time_deletes_nothing() {
        let earliest = time::PrimitiveDateTime::MIN.assume_utc();
        let c = cutoffs(&settings("retention_days = 36500"), earliest + time::Duration::days(1));
        assert_eq!(c.retention, earliest);
    }

    #[test]
    fn the_metrics_count_every_table_retention_touches() {
        let swept: Vec<&str> = Sweep::ALL.iter().map(|sweep| sweep.table()).collect();
        assert_eq!(swept, crate::metrics::RETENTION_DELETED_TABLES);
        let erased: Vec<&str> = Erasure::ALL.iter().map(|erasure| erasure.table()).collect();
        assert_eq!(erased, crate::metrics::RETENTION_ERASED_TABLES);
    }

    #[test]
    fn the_summary_names_only_what_changed() {
        let report = RetentionReport {
            deleted: vec![("sessions", 3), ("grants", 0)],
            erased: vec![("terms_acceptances", 2)],
            batches: 4,
        };
        assert_eq!(report.summary(), "sessions=3 terms_acceptances.addresses=2");
        assert!(!report.is_empty());
        assert_eq!(report.deleted_from("sessions"), 3);
        assert_eq!(report.erased_in("sessions"), 0);
    }
}
