//! The console's activation campaign: who a campaign form selects and how many
//! people it will mail (the same queries the admin API's campaign flow,
//! [`crate::flows::journey::campaign`], starts from), and the campaign's pace
//! and progress, read from the outbox.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::flows::Internal;
use crate::flows::journey::campaign::Selection;
use crate::state::AppState;
use crate::store;

/// Longest list of people a campaign selection may name (the admin API's bound).
pub const MAX_SELECTION: usize = 10_000;

/// The mail kind of campaign invitations in the outbox.
const CAMPAIGN_MAIL: &str = "activation";

/// The people a campaign form names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everyone imported and never invited.
    Everyone,
    /// One organisation's never-invited people.
    Organization(Uuid),
    /// The never-invited people of a list of logins and e-mail addresses.
    Selection(String),
    /// Everyone whose link expired unused (a re-invitation).
    Expired,
}

/// A campaign form's field refused, with its message key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field.
    pub field: &'static str,
    /// Message key.
    pub key: &'static str,
    /// What the message names (`{value}`), e.g. the entries not found.
    pub value: Option<String>,
}

/// A campaign ready to start: who it selects and how many it will mail now.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The campaign flow's selection.
    pub selection: Selection,
    /// People it will mail.
    pub count: usize,
    /// The organisation's name (organisation scope).
    pub organization_name: Option<String>,
    /// Entries of a list that are found but already invited or active: not mailed.
    pub skipped: usize,
}

/// Reads a campaign form: the scope, and the organisation or the list it needs.
pub fn scope(scope: &str, organization: &str, people: &str) -> Result<Scope, FieldError> {
    let error = |field, key| FieldError { field, key, value: None };
    match scope {
        "everyone" => Ok(Scope::Everyone),
        "expired" => Ok(Scope::Expired),
        "organization" => match Uuid::parse_str(organization.trim()) {
            Ok(id) => Ok(Scope::Organization(id)),
            Err(_) => Err(error("organization", "console_mig_error_choose_organization")),
        },
        "selection" if people.trim().is_empty() => Err(error("people", "console_mig_error_people_required")),
        "selection" => Ok(Scope::Selection(people.to_string())),
        _ => Err(error("scope", "console_mig_error_choose_scope")),
    }
}

/// The entries of a list: login numbers and e-mail addresses, one per line (or
/// separated by commas, semicolons or spaces), duplicates dropped.
pub fn entries(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(|entry| entry.trim().trim_matches(|c| c == '<' || c == '>').to_lowercase())
        .filter(|entry| !entry.is_empty())
        .filter(|entry| seen.insert(entry.clone()))
        .collect()
}

/// Who a campaign of `scope` would mail now, or the form field to correct.
pub async fn plan(state: &AppState, scope: &Scope) -> Result<Result<Plan, FieldError>, Internal> {
    let conn = state.store.conn();
    let now = state.clock.now();
    let mut plan = Plan { selection: Selection::default(), count: 0, organization_name: None, skipped: 0 };
    match scope {
        Scope::Everyone => {}
        Scope::Expired => plan.selection.expired = true,
        Scope::Organization(id) => {
            let Some(org) = crate::flows::organizations::find(&state.store, *id).await? else {
                let error =
                    FieldError { field: "organization", key: "console_mig_error_choose_organization", value: None };
                return Ok(Err(error));
            };
            plan.organization_name = Some(org.name);
            plan.selection.organization_id = Some(*id);
        }
        Scope::Selection(text) => {
            let entries = entries(text);
            if entries.len() > MAX_SELECTION {
                let value = Some(MAX_SELECTION.to_string());
                return Ok(Err(FieldError { field: "people", key: "console_mig_error_people_too_many", value }));
            }
            let (emails, logins): (Vec<String>, Vec<String>) = entries.iter().cloned().partition(|e| e.contains('@'));
            let found = store::users::by_logins_or_emails(conn, &logins, &emails).await?;
            let unknown: Vec<&str> = entries
                .iter()
                .filter(|entry| {
                    !found.iter().any(|(_, login, email)| login == *entry || email.to_lowercase() == **entry)
                })
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                let shown: Vec<&str> = unknown.iter().copied().take(20).collect();
                let mut value = shown.join(", ");
                if unknown.len() > shown.len() {
                    value.push_str(&format!(" (+{})", unknown.len() - shown.len()));
                }
                return Ok(Err(FieldError {
                    field: "people",
                    key: "console_mig_error_people_unknown",
                    value: Some(value),
                }));
            }
            let mut ids: Vec<Uuid> = found.into_iter().map(|(id, _, _)| id).collect();
            ids.sort_unstable();
            ids.dedup();
            plan.selection.user_ids = Some(ids);
        }
    }
    let org = plan.selection.organization_id;
    let ids = plan.selection.user_ids.as_deref();
    // The same queries the campaign flow starts from.
    plan.count = if plan.selection.expired {
        store::users::link_expired(conn, org, ids, now).await?.len()
    } else {
        store::users::not_invited(conn, org, ids).await?.len()
    };
    plan.skipped = ids.map_or(0, |ids| ids.len().saturating_sub(plan.count));
    Ok(Ok(plan))
}

/// The campaign's pace and progress, read from the outbox.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Configured pace (`campaign_mails_per_minute`); `None`: as fast as the relay takes them.
    pub mails_per_minute: Option<u32>,
    /// Activation mails waiting to be sent.
    pub queued: u64,
    /// Activation mails sent.
    pub sent: u64,
    /// Activation mails given up.
    pub failed: u64,
    /// When the last waiting one is expected to go out.
    pub finish_at: Option<OffsetDateTime>,
    /// People imported and never invited.
    pub not_invited: usize,
    /// People whose link expired unused (re-invitable).
    pub link_expired: usize,
    /// Now, as the estimate was made.
    pub now: OffsetDateTime,
}

/// Reads the campaign's progress now.
pub async fn progress(state: &AppState) -> Result<Progress, Internal> {
    let conn = state.store.conn();
    let now = state.clock.now();
    let (queued, sent, failed) = store::mail_outbox::progress(conn, CAMPAIGN_MAIL).await?;
    let rate = state.settings.campaign_mails_per_minute;
    let last_due = store::mail_outbox::last_due(conn, CAMPAIGN_MAIL).await?;
    Ok(Progress {
        mails_per_minute: rate,
        queued,
        sent,
        failed,
        finish_at: estimate(now, queued, rate, last_due),
        not_invited: store::users::not_invited(conn, None, None).await?.len(),
        link_expired: store::users::link_expired(conn, None, None, now).await?.len(),
        now,
    })
}

/// When the last waiting mail should go out: its scheduled time, or (when the
/// queue has fallen behind it) the waiting mails at the configured pace from now.
fn estimate(
    now: OffsetDateTime,
    queued: u64,
    rate: Option<u32>,
    last_due: Option<OffsetDateTime>,
) -> Option<OffsetDateTime> {
    if queued == 0 {
        return None;
    }
    let at_pace = match rate {
        Some(rate) if rate > 0 => now + Duration::seconds_f64(60.0 * (queued as f64) / f64::from(rate)),
        _ => now,
    };
    Some(last_due.map_or(at_pace, |due| due.max(at_pace)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_list_is_read_one_entry_per_line_or_separator_without_duplicates() {
        let list = "1234567\r\nAnna@Example.com, <jan@example.com>;1234567\n\n  7654321 ";
        assert_eq!(entries(list), ["1234567", "anna@example.com", "jan@example.com", "7654321"]);
    }

    #[test]
    fn the_scope_needs_its_organisation_or_list() {
        assert_eq!(scope("everyone", "", "").unwrap(), Scope::Everyone);
        assert_eq!(scope("organization", "x", "").unwrap_err().field, "organization");
        assert_eq!(scope("selection", "", " \n").unwrap_err().field, "people");
        assert_eq!(scope("<script>", "", "").unwrap_err().field, "scope");
    }

    #[test]
    fn the_estimate_follows_the_schedule_or_the_pace_when_behind() {
        let now = datetime!(2026-12-08 10:00 UTC);
        assert_eq!(estimate(now, 0, Some(60), None), None);
        assert_eq!(estimate(now, 120, Some(60), None), Some(datetime!(2026-12-08 10:02 UTC)));
        assert_eq!(
            estimate(now, 1, Some(60), Some(datetime!(2026-12-08 11:00 UTC))),
            Some(datetime!(2026-12-08 11:00 UTC))
        );
        assert_eq!(estimate(now, 5, None, None), Some(now));
    }
}
