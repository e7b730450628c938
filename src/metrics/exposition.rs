//! The text exposition format 0.0.4 of a [`Registry`]: `# HELP` and
//! `# TYPE` lines, then one line per series; histograms as cumulative `_bucket`
//! lines with `le`, then `_sum` and `_count`.

use std::fmt::Write;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use super::{Family, LATENCY_BUCKETS, Registry, Total};

impl<const K: usize> Family<K> {
    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        for (value, count) in self.values.iter().zip(&self.counts) {
            let _ = writeln!(out, "{}{{{}=\"{value}\"}} {}", self.name, self.label, count.load(Ordering::Relaxed));
        }
    }
}

impl Total {
    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        let _ = writeln!(out, "{} {}", self.name, self.count.load(Ordering::Relaxed));
    }
}

/// Values read from the database at scrape time; `None` when the read failed
/// (the series are then left out rather than reported as zero).
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Mails waiting for delivery (not sent, not given up), on all nodes.
    pub outbox_pending: Option<u64>,
    /// Mails given up, on all nodes.
    pub outbox_failed: Option<u64>,
    /// What this process has asked of its database and its password hasher.
    pub work: Work,
    /// SQLite's heap in this process, in bytes; `None` on PostgreSQL.
    pub sqlite_memory: Option<u64>,
    /// The most SQLite's heap has held at once since start; `None` on PostgreSQL.
    pub sqlite_memory_peak: Option<u64>,
}

/// Counters kept outside the registry, by the pool and the hasher, read at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Work {
    /// Statements sent to the database (not counting `BEGIN` and `COMMIT`).
    pub db_statements: u64,
    /// Transactions opened.
    pub db_transactions: u64,
    /// Seconds spent waiting for statements, `BEGIN` and `COMMIT`.
    pub db_seconds: f64,
    /// argon2id hashes and verifications done.
    pub password_hashes: u64,
    /// Seconds those took on their threads.
    pub password_seconds: f64,
}

impl Work {
    fn render(&self, out: &mut String) {
        let counts = [
            (
                "kuke_id_db_statements_total",
                "Statements sent to the database (BEGIN and COMMIT not counted).",
                self.db_statements,
            ),
            ("kuke_id_db_transactions_total", "Database transactions opened.", self.db_transactions),
            ("kuke_id_password_hashes_total", "argon2id hashes and verifications done.", self.password_hashes),
        ];
        for (name, help, value) in counts {
            header(out, name, help, "counter");
            let _ = writeln!(out, "{name} {value}");
        }
        let seconds = [
            (
                "kuke_id_db_seconds_total",
                "Time spent waiting for the database (statements, BEGIN, COMMIT).",
                self.db_seconds,
            ),
            ("kuke_id_password_hash_seconds_total", "CPU time argon2id took on its threads.", self.password_seconds),
        ];
        for (name, help, value) in seconds {
            header(out, name, help, "counter");
            let _ = writeln!(out, "{name} {value}");
        }
    }
}

impl Registry {
    /// The exposition text (format 0.0.4) of every metric.
    pub fn render(&self, gauges: Gauges) -> String {
        let mut out = String::with_capacity(8 * 1024);
        header(&mut out, "kuke_id_build_info", "The running version.", "gauge");
        let _ = writeln!(out, "kuke_id_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        self.render_http(&mut out);
        self.sign_in.render(&mut out);
        self.mails_queued.render(&mut out);
        self.mails_sent.render(&mut out);
        self.mails_failed.render(&mut out);
        self.mails_given_up.render(&mut out);
        self.import_rows.render(&mut out);
        self.campaign_invitations.render(&mut out);
        self.retention_deleted.render(&mut out);
        self.retention_erased.render(&mut out);
        gauges.work.render(&mut out);
        for (name, help, value) in [
            ("kuke_id_mail_outbox_pending", "Mails waiting in the outbox (all nodes).", gauges.outbox_pending),
            ("kuke_id_mail_outbox_failed", "Mails given up, kept in the outbox (all nodes).", gauges.outbox_failed),
            (
                "kuke_id_sqlite_memory_bytes",
                "Memory SQLite holds in this process (page caches, prepared statements, schemas).",
                gauges.sqlite_memory,
            ),
            (
                "kuke_id_sqlite_memory_peak_bytes",
                "The most memory SQLite has held at once since the process started.",
                gauges.sqlite_memory_peak,
            ),
        ] {
            if let Some(value) = value {
                header(&mut out, name, help, "gauge");
                let _ = writeln!(out, "{name} {value}");
            }
        }
        out
    }

    fn render_http(&self, out: &mut String) {
        let map = self.http.read().unwrap_or_else(PoisonError::into_inner);
        header(
            out,
            "kuke_id_http_requests_total",
            "HTTP requests by route template, method and status class.",
            "counter",
        );
        let series = || {
            map.iter().flat_map(|(route, by_status)| {
                by_status.iter().map(move |((method, status), series)| {
                    (format!("route=\"{}\",method=\"{method}\",status=\"{status}\"", escape(route)), series)
                })
            })
        };
        for (labels, series) in series() {
            let _ = writeln!(out, "kuke_id_http_requests_total{{{labels}}} {}", series.count.load(Ordering::Relaxed));
        }
        header(
            out,
            "kuke_id_http_request_duration_seconds",
            "HTTP request latency by route template, method and status class.",
            "histogram",
        );
        for (labels, series) in series() {
            let mut cumulative = 0;
            for (bound, slot) in LATENCY_BUCKETS.iter().zip(&series.buckets) {
                cumulative += slot.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "kuke_id_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = series.count.load(Ordering::Relaxed);
            let sum = series.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "kuke_id_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}");
            let _ = writeln!(out, "kuke_id_http_request_duration_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "kuke_id_http_request_duration_seconds_count{{{labels}}} {count}");
        }
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Label values escape backslash, double quote and newline (format 0.0.4).
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::SignIn;

    fn line_value(text: &str, prefix: &str) -> Option<u64> {
        text.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
    }

    #[test]
    fn a_request_lands_in_its_latency_bucket_and_every_larger_one() {
        let registry = Registry::new();
        let route = "/unit-test/histogram";
        registry.http_request(route, "GET", 204, Duration::from_millis(30));
        let text = registry.render(Gauges::default());
        let labels = "route=\"/unit-test/histogram\",method=\"GET\",status=\"2xx\"";
        let bucket = |le: &str| {
            line_value(&text, &format!("kuke_id_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}}"))
        };
        assert_eq!(bucket("0.025"), Some(0));
        assert_eq!(bucket("0.05"), Some(1));
        assert_eq!(bucket("+Inf"), Some(1));
        assert_eq!(line_value(&text, &format!("kuke_id_http_requests_total{{{labels}}}")), Some(1));
    }

    #[test]
    fn every_sign_in_outcome_has_its_own_series() {
        let registry = Registry::new();
        for outcome in SignIn::ALL {
            registry.sign_in(outcome);
            let text = registry.render(Gauges::default());
            let series = format!("kuke_id_sign_in_total{{outcome=\"{}\"}}", outcome.label());
            assert_eq!(line_value(&text, &series), Some(1), "{series}");
        }
    }

    #[test]
    fn gauges_are_left_out_when_unknown() {
        assert!(!Registry::new().render(Gauges::default()).contains("kuke_id_mail_outbox_pending"));
        let text =
            Registry::new().render(Gauges { outbox_pending: Some(3), outbox_failed: Some(0), ..Gauges::default() });
        assert_eq!(line_value(&text, "kuke_id_mail_outbox_pending "), Some(3));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
