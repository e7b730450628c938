//! Prometheus metrics of this process, served at `GET /metrics` in the text
//! exposition format 0.0.4. Hand-written on atomics rather than a metrics crate:
//! the set is small and fixed, and an increment must stay a few nanoseconds on
//! the hot paths (every request, every sign-in).
//!
//! Each running provider owns one [`Registry`] (held by the app state and the
//! mail worker), so a scrape reports exactly that provider: several providers
//! in one process, as the tests start them, never see each other's counts.
//! Label values are fixed lists, or the matched route template for HTTP, so the
//! number of series is bounded whatever clients send.

mod exposition;

pub use exposition::{Gauges, Work};

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

/// The label of a request that matched no route (the fallback answered).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds of the request-latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How a sign-in attempt ended, one value per answer the journey gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Login and password right: a code was mailed.
    CodeSent,
    /// Unknown login or wrong password.
    BadCredentials,
    /// The account is locked (after failures, or by an administrator).
    Locked,
    /// The account is disabled or not activated yet.
    NotAllowed,
    /// The client address is over its failure budget.
    RateLimited,
    /// A wrong code.
    CodeWrong,
    /// The code expired.
    CodeExpired,
    /// Too many wrong codes: the sign-in ended.
    CodeAttemptsExhausted,
    /// A code or terms answer without a sign-in in progress (ended, expired, replayed).
    NoTransaction,
    /// The terms were declined: signed out.
    TermsDeclined,
    /// Signed in: a session was started.
    Success,
}

impl SignIn {
    /// Every outcome, in declaration order (so `outcome as usize` indexes this list).
    const ALL: [SignIn; 11] = [
        SignIn::CodeSent,
        SignIn::BadCredentials,
        SignIn::Locked,
        SignIn::NotAllowed,
        SignIn::RateLimited,
        SignIn::CodeWrong,
        SignIn::CodeExpired,
        SignIn::CodeAttemptsExhausted,
        SignIn::NoTransaction,
        SignIn::TermsDeclined,
        SignIn::Success,
    ];

    /// The `outcome` label.
    pub const fn label(self) -> &'static str {
        match self {
            SignIn::CodeSent => "code_sent",
            SignIn::BadCredentials => "bad_credentials",
            SignIn::Locked => "locked",
            SignIn::NotAllowed => "not_allowed",
            SignIn::RateLimited => "rate_limited",
            SignIn::CodeWrong => "code_wrong",
            SignIn::CodeExpired => "code_expired",
            SignIn::CodeAttemptsExhausted => "code_attempts_exhausted",
            SignIn::NoTransaction => "no_transaction",
            SignIn::TermsDeclined => "terms_declined",
            SignIn::Success => "success",
        }
    }
}

/// Outcome of one imported row (real runs only; a dry run changes nothing), in
/// the order of the `outcome` values of [`Registry`]'s import family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportRow {
    /// A new account.
    Created,
    /// An account not yet activated took the file's e-mail or name.
    Updated,
    /// Already imported as is.
    Unchanged,
    /// Refused (invalid, duplicate, unreadable).
    Rejected,
}

/// Every mail kind (`crate::mail::Message::kind`), plus `other` for a kind
/// read from the outbox that this version does not know.
pub const MAIL_KINDS: [&str; 7] =
    ["activation", "activation_reminder", "password_reset", "login_number", "one_time_code", "account_locked", "other"];

/// Every table retention deletes from (`store::retention::Sweep::table`), in sweep order.
pub const RETENTION_DELETED_TABLES: [&str; 14] = [
    "authorization_codes",
    "authorization_requests",
    "login_transactions",
    "refresh_tokens",
    "grants",
    "sessions",
    "revoked_access_tokens",
    "rate_limits",
    "mail_outbox",
    "backchannel_deliveries",
    "activation_tokens",
    "email_changes",
    "consents",
    "audit_events",
];

/// Every table whose client addresses retention erases (`store::retention::Erasure::table`).
pub const RETENTION_ERASED_TABLES: [&str; 3] = ["sessions", "login_transactions", "terms_acceptances"];

/// One counter per value of a single label, the values fixed at compile time.
struct Family<const K: usize> {
    name: &'static str,
    help: &'static str,
    label: &'static str,
    values: [&'static str; K],
    counts: [AtomicU64; K],
}

impl<const K: usize> Family<K> {
    const fn new(name: &'static str, help: &'static str, label: &'static str, values: [&'static str; K]) -> Self {
        Self { name, help, label, values, counts: [const { AtomicU64::new(0) }; K] }
    }

    fn add(&self, index: usize, n: u64) {
        if let Some(count) = self.counts.get(index) {
            count.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// A plain counter without labels.
struct Total {
    name: &'static str,
    help: &'static str,
    count: AtomicU64,
}

/// Requests of one route, method and status class: a latency histogram whose
/// count is also the request counter.
#[derive(Default)]
struct HttpSeries {
    /// Non-cumulative: `buckets[i]` counts latencies in (bound[i-1], bound[i]].
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// Series of one route template, by (method, status class). Keyed by route
/// first so that a lookup borrows the route instead of allocating a key.
type RouteSeries = BTreeMap<(&'static str, &'static str), HttpSeries>;

/// Every metric of one running provider.
pub struct Registry {
    http: RwLock<BTreeMap<String, RouteSeries>>,
    sign_in: Family<11>,
    mails_queued: Family<7>,
    mails_sent: Family<7>,
    mails_failed: Family<7>,
    mails_given_up: Family<7>,
    import_rows: Family<4>,
    campaign_invitations: Total,
    retention_deleted: Family<14>,
    retention_erased: Family<3>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// Every counter at zero.
    pub const fn new() -> Self {
        Registry {
            http: RwLock::new(BTreeMap::new()),
            sign_in: Family::new(
                "kuke_id_sign_in_total",
                "Sign-in attempts by outcome (password step, code step, terms step, success).",
                "outcome",
                sign_in_labels(),
            ),
            mails_queued: Family::new(
                "kuke_id_mails_queued_total",
                "Mails written to the outbox, by kind.",
                "kind",
                MAIL_KINDS,
            ),
            mails_sent: Family::new(
                "kuke_id_mails_sent_total",
                "Mails delivered by this node, by kind.",
                "kind",
                MAIL_KINDS,
            ),
            mails_failed: Family::new(
                "kuke_id_mails_failed_total",
                "Failed delivery attempts on this node, by kind (retried unless given up).",
                "kind",
                MAIL_KINDS,
            ),
            mails_given_up: Family::new(
                "kuke_id_mails_given_up_total",
                "Mails given up after a permanent failure or the last attempt, by kind.",
                "kind",
                MAIL_KINDS,
            ),
            import_rows: Family::new(
                "kuke_id_import_rows_total",
                "Rows of real (not dry-run) imports, by outcome.",
                "outcome",
                ["created", "updated", "unchanged", "rejected"],
            ),
            campaign_invitations: Total {
                name: "kuke_id_campaign_invitations_total",
                help: "Activation mails queued by the activation campaign.",
                count: AtomicU64::new(0),
            },
            retention_deleted: Family::new(
                "kuke_id_retention_deleted_total",
                "Rows deleted by the retention job of this node, by table.",
                "table",
                RETENTION_DELETED_TABLES,
            ),
            retention_erased: Family::new(
                "kuke_id_retention_erased_total",
                "Rows whose client address and user agent the retention job of this node erased, by table.",
                "table",
                RETENTION_ERASED_TABLES,
            ),
        }
    }
}

const fn sign_in_labels() -> [&'static str; 11] {
    let mut labels = [""; 11];
    let mut i = 0;
    while i < labels.len() {
        labels[i] = SignIn::ALL[i].label();
        i += 1;
    }
    labels
}

fn mail_kind_index(kind: &str) -> usize {
    MAIL_KINDS.iter().position(|k| *k == kind).unwrap_or(MAIL_KINDS.len() - 1)
}

impl Registry {
    /// Counts a sign-in outcome.
    pub fn sign_in(&self, outcome: SignIn) {
        self.sign_in.add(outcome as usize, 1);
    }

    /// Counts a mail written to the outbox. Counted when the row is written: should
    /// the surrounding transaction roll back later (an internal error), it still counts.
    pub fn mail_queued(&self, kind: &str) {
        self.mails_queued.add(mail_kind_index(kind), 1);
    }

    /// Counts a mail delivered.
    pub fn mail_sent(&self, kind: &str) {
        self.mails_sent.add(mail_kind_index(kind), 1);
    }

    /// Counts rows deleted by retention from `table` (a name outside the list is not counted).
    pub fn retention_deleted(&self, table: &str, n: u64) {
        if let Some(index) = RETENTION_DELETED_TABLES.iter().position(|t| *t == table) {
            self.retention_deleted.add(index, n);
        }
    }

    /// Counts rows of `table` whose client address and user agent retention erased.
    pub fn retention_erased(&self, table: &str, n: u64) {
        if let Some(index) = RETENTION_ERASED_TABLES.iter().position(|t| *t == table) {
            self.retention_erased.add(index, n);
        }
    }

    /// Counts a failed delivery attempt, and the mail as given up when it will not be retried.
    pub fn mail_failed(&self, kind: &str, given_up: bool) {
        self.mails_failed.add(mail_kind_index(kind), 1);
        if given_up {
            self.mails_given_up.add(mail_kind_index(kind), 1);
        }
    }

    /// Counts imported rows by outcome.
    pub fn import_rows(&self, outcome: ImportRow, n: u64) {
        self.import_rows.add(outcome as usize, n);
    }

    /// Counts activation mails queued by the campaign.
    pub fn campaign_invitations(&self, n: u64) {
        self.campaign_invitations.count.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one answered request: `route` is the matched route template (or
    /// [`UNMATCHED_ROUTE`]), `method` and `status` as sent.
    pub fn http_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let key = (method_label(method), status_class(status));
        let record = |series: &HttpSeries| {
            let seconds = elapsed.as_secs_f64();
            let bucket = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(LATENCY_BUCKETS.len());
            // Above the last bound only `count` grows: that is the +Inf bucket.
            if let Some(slot) = series.buckets.get(bucket) {
                slot.fetch_add(1, Ordering::Relaxed);
            }
            series.count.fetch_add(1, Ordering::Relaxed);
            series.sum_micros.fetch_add(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
        };
        // The common case, a known series, only takes the read lock.
        if let Some(series) =
            self.http.read().unwrap_or_else(PoisonError::into_inner).get(route).and_then(|r| r.get(&key))
        {
            record(series);
            return;
        }
        let mut map = self.http.write().unwrap_or_else(PoisonError::into_inner);
        record(map.entry(route.to_string()).or_default().entry(key).or_default());
    }
}

/// Methods outside the usual ones share one label, so a client cannot create series.
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_methods_and_statuses_share_labels() {
        assert_eq!(method_label("BREW"), "other");
        assert_eq!(status_class(599), "5xx");
        assert_eq!(status_class(101), "1xx");
    }

    #[test]
    fn enum_order_matches_the_label_values() {
        for (index, outcome) in SignIn::ALL.iter().enumerate() {
            assert_eq!(*outcome as usize, index);
            assert_eq!(Registry::new().sign_in.values[index], outcome.label());
        }
        let registry = Registry::new();
        assert_eq!(registry.import_rows.values[ImportRow::Rejected as usize], "rejected");
        assert_eq!(registry.import_rows.values[ImportRow::Updated as usize], "updated");
    }

    #[test]
    fn an_unknown_mail_kind_counts_as_other() {
        assert_eq!(MAIL_KINDS[mail_kind_index("carrier_pigeon")], "other");
        assert_eq!(MAIL_KINDS[mail_kind_index("one_time_code")], "one_time_code");
    }
}
