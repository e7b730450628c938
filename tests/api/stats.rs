//! The migration funnel counts each account in its furthest state.

use kuke_id::flows::stats;

use crate::support::journey::GOOD_PASSWORD;

backend_tests! {
    async fn the_funnel_follows_accounts_through_the_journey(app) {
        app.publish_terms("v1").await;
        let _waiting = app.imported_user().await;
        let invited = app.imported_user().await;
        app.activation_link(&invited, 0).await;
        let expired = app.imported_user().await;
        app.activation_link(&expired, 0).await;
        let done = app.activated_user().await;
        app.sign_in_form(&done.login, GOOD_PASSWORD, None).await;
        app.submit_code(&app.code_of(&done, 0).await).await;
        let (_, _, csrf) = app.page("/terms").await;
        app.submit("/terms", &csrf, &[("statement", "yes"), ("decision", "accept")]).await;
        // The expired account's link dies; the invited one gets a fresh link later.
        app.clock.advance(std::time::Duration::from_secs(73 * 3600));
        app.activation_link(&invited, 1).await;

        let funnel = stats::migration(&app.state.store, &app.clock).await.expect("stats").overall;
        assert_eq!(funnel.total, 4);
        assert_eq!(funnel.imported, 1);
        assert_eq!(funnel.invited, 1);
        assert_eq!(funnel.link_expired, 1);
        assert_eq!(funnel.password_set, 1);
        assert_eq!(funnel.first_sign_in_done, 1);
        assert_eq!(funnel.terms_accepted, 1);
    }
}

#[test]
fn the_stats_command_prints_the_funnel() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}/db.sqlite?mode=rwc", dir.path().display());
    let keys = dir.path().join("keys").display().to_string();
    let env = [("KUKE_ID_DATABASE_URL", db.as_str()), ("KUKE_ID_KEYS_DIR", keys.as_str())];
    let file = dir.path().join("a.csv");
    std::fs::write(&file, "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\nE1,e1@example.com,A,B,O1,ACME,user\n").expect("write");
    assert_eq!(crate::support::cli::run(dir.path(), &env, &["migrate"]).code, 0, "only migrate creates the database");
    assert_eq!(crate::support::cli::run(dir.path(), &env, &["import", file.to_str().expect("utf-8")]).code, 0);
    let out = crate::support::cli::run(dir.path(), &env, &["stats", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(json["overall"]["imported"], 1);
    assert_eq!(json["organizations"]["ACME"]["total"], 1);
}
