//! The conformance runner (conformance/) against kuke-id: every Basic OP, Config OP
//! and RP-Initiated Logout OP check it implements must pass. The clients are
//! registered as every client is by default, requiring PKCE, so the runner sends it.

use std::time::Duration;

use kuke_id_conformance::{ClientConfig, Config, KukeIdTestSupport, run};

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

backend_tests! {
    async fn every_conformance_check_passes(app) {
        let report = run_against(&app).await;
        println!("{report}");
        assert_eq!(report.failed, 0, "{report}");
    }
}
