//! A self-contained OpenID Connect OP conformance runner.
//!
//! It performs, by itself, the essence of the OpenID Foundation conformance
//! suite's **Basic OP**, **Config OP** and **RP-Initiated Logout OP** plans
//! against any issuer, playing both the relying party and the user's
//! browser. Checks are named after the suite's test modules where one exists.
//!
//! ```no_run
//! # async fn demo() {
//! use kuke_id_conformance::{ClientConfig, Config, NodeOidcProvider, run};
//! let config = Config::new(
//!     "http://127.0.0.1:3100",
//!     ClientConfig {
//!         client_id: "conformance-client".into(),
//!         client_secret: "secret".into(),
//!         redirect_uri: "http://127.0.0.1:9/callback".into(),
//!         post_logout_redirect_uri: Some("http://127.0.0.1:9/logged-out".into()),
//!     },
//! );
//! let report = run(&config, &NodeOidcProvider::default()).await;
//! assert_eq!(report.failed, 0, "{report}");
//! # }
//! ```

mod auth;
mod browser;
mod checks;
mod html;
mod oidc;

use std::fmt;
use std::time::Duration;

pub use auth::{Authenticator, Confirmed, KukeIdTestSupport, LoginDriver, NodeOidcProvider};
pub use checks::CHECKS;

/// One registered client at the OP under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The client's `client_id`.
    pub client_id: String,
    /// Its secret (client_secret_basic and client_secret_post).
    pub client_secret: String,
    /// A registered redirect URI. Nothing needs to listen there: the runner
    /// reads the authorization response off the redirect and never follows it.
    pub redirect_uri: String,
    /// A registered post_logout_redirect_uri; the logout checks that need
    /// one are skipped without it.
    pub post_logout_redirect_uri: Option<String>,
}

/// What to test and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// The issuer URL, exactly as the OP must state it in discovery.
    pub issuer: String,
    /// The main client.
    pub client: ClientConfig,
    /// A second client, for the checks that a grant bound to one client
    /// cannot be used by another; those checks are skipped without it.
    pub second_client: Option<ClientConfig>,
    /// How long `oidcc-codereuse-30seconds` waits before reusing the code
    /// (the suite waits 30 s; CI can use a couple of seconds).
    pub code_reuse_wait: Duration,
    /// Run only the checks with these names (all when `None`).
    pub only: Option<Vec<String>>,
    /// Timeout of every single HTTP request.
    pub request_timeout: Duration,
    /// Send S256 PKCE with every authorization request, as an OP that requires
    /// it of every client (kuke-id by default, OAuth 2.1) needs. The suite's
    /// Basic OP plan sends none except in its PKCE test, hence off by default.
    pub pkce: bool,
}

impl Config {
    /// A configuration with defaults: no second client, the suite's 30 s
    /// code reuse wait, all checks, 15 s per request, no PKCE outside the PKCE checks.
    pub fn new(issuer: impl Into<String>, client: ClientConfig) -> Self {
        Self {
            issuer: issuer.into(),
            client,
            second_client: None,
            code_reuse_wait: Duration::from_secs(30),
            only: None,
            request_timeout: Duration::from_secs(15),
            pkce: false,
        }
    }
}

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The OP behaved as required.
    Pass,
    /// It did not; the reason says how.
    Fail(String),
    /// The check does not apply (the OP does not advertise the feature, or
    /// the configuration lacks what the check needs).
    Skip(String),
}

/// One check's name and verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The check's name (the suite's module name where one exists).
    pub name: String,
    /// Its verdict.
    pub outcome: Outcome,
}

impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line per check, whatever the reason text holds.
        let flat = |s: &str| s.replace(['\n', '\r'], " ");
        match &self.outcome {
            Outcome::Pass => write!(f, "PASS {}", self.name),
            Outcome::Fail(why) => write!(f, "FAIL {}: {}", self.name, flat(why)),
            Outcome::Skip(why) => write!(f, "SKIP {}: {}", self.name, flat(why)),
        }
    }
}

/// All verdicts of a run. Its `Display` prints one line per check and the
/// closing `N passed, M failed, K skipped` line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Verdicts in the order the checks ran.
    pub results: Vec<CheckResult>,
    /// How many passed.
    pub passed: usize,
    /// How many failed.
    pub failed: usize,
    /// How many were skipped.
    pub skipped: usize,
}

impl Report {
    /// Adds a verdict and counts it.
    pub fn push(&mut self, result: CheckResult) {
        match result.outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail(_) => self.failed += 1,
            Outcome::Skip(_) => self.skipped += 1,
        }
        self.results.push(result);
    }

    /// Whether nothing failed.
    pub fn success(&self) -> bool {
        self.failed == 0
    }

    /// The verdict of the check `name`, if it ran.
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.results.iter().find(|r| r.name == name).map(|r| &r.outcome)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for result in &self.results {
            writeln!(f, "{result}")?;
        }
        write!(f, "{} passed, {} failed", self.passed, self.failed)?;
        if self.skipped > 0 {
            write!(f, ", {} skipped", self.skipped)?;
        }
        Ok(())
    }
}

/// Installs rustls' ring crypto provider for the process (reqwest is built
/// without one and would panic otherwise). Safe to call more than once.
pub fn install_crypto_provider() {
    // An Err only means another provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Runs every check (or those in [`Config::only`]) against the OP and
/// returns the verdicts. Never panics on OP misbehaviour: every problem is a
/// `Fail` line.
pub async fn run<A: Authenticator>(config: &Config, auth: &A) -> Report {
    install_crypto_provider();
    checks::run_all(config, auth).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_and_summary() {
        let mut report = Report::default();
        for (name, outcome) in [
            ("a", Outcome::Pass),
            ("b", Outcome::Fail("bad\nthing".into())),
            ("c", Outcome::Skip("not advertised".into())),
        ] {
            report.push(CheckResult { name: name.into(), outcome });
        }
        assert_eq!(
            report.to_string(),
            "PASS a\nFAIL b: bad thing\nSKIP c: not advertised\n1 passed, 1 failed, 1 skipped"
        );
        assert!(!report.success());
    }
}
