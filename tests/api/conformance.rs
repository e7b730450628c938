//! The conformance runner (conformance/) against kuke-id: every Basic OP, Config OP
//! and RP-Initiated Logout OP check it implements must pass. The clients are
//! registered as every client is by default, requiring PKCE, so the runner sends it.
//!
//! The expected verdicts are pinned by name: a check that skips because discovery
//! stopped advertising a feature (say, `end_session_endpoint`) fails this test
//! instead of passing silently.

use std::time::Duration;

use kuke_id_conformance::{CHECKS, ClientConfig, Config, KukeIdTestSupport, Outcome, run};

use crate::support::TestApp;
use crate::support::fixtures::TestClient;

fn config_of(client: &TestClient) -> ClientConfig {
    ClientConfig {
        client_id: client.id.clone(),
        client_secret: client.secret.clone().unwrap_or_default(),
        redirect_uri: client.redirect_uri.clone(),
        post_logout_redirect_uri: Some(client.post_logout_redirect_uri.clone()),
    }
}

async fn run_against(app: &TestApp) -> kuke_id_conformance::Report {
    let user = app.active_user().await;
    let client = app.client().await;
    let second = app.client().await;
    let mut config = Config::new(app.base.clone(), config_of(&client));
    config.second_client = Some(config_of(&second));
    config.code_reuse_wait = Duration::from_secs(2);
    config.pkce = true;
    let issuer = url::Url::parse(&app.base).expect("issuer");
    run(&config, &KukeIdTestSupport { issuer, login: user.login }).await
}

/// The checks that do not apply to kuke-id, and why: it offers no address or
/// phone claims and no `claims` request parameter.
const EXPECTED_SKIPS: &[&str] = &["oidcc-scope-address", "oidcc-scope-phone", "oidcc-claims-essential"];

backend_tests! {
    async fn every_conformance_check_passes_except_the_pinned_skips(app) {
        let report = run_against(&app).await;
        println!("{report}");
        assert_eq!(report.failed, 0, "{report}");
        let names = |wanted: fn(&Outcome) -> bool| -> Vec<&str> {
            report.results.iter().filter(|r| wanted(&r.outcome)).map(|r| r.name.as_str()).collect()
        };
        assert_eq!(names(|o| matches!(o, Outcome::Skip(_))), EXPECTED_SKIPS, "{report}");
        let expected_passes: Vec<&str> = CHECKS.iter().copied().filter(|c| !EXPECTED_SKIPS.contains(c)).collect();
        assert_eq!(names(|o| matches!(o, Outcome::Pass)), expected_passes, "{report}");
        assert_eq!(report.passed, 50, "the runner has 53 checks; 50 apply to kuke-id");
    }
}
