//! The admin API's terms routes: listing, publishing, and the acceptance report.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::journey::GOOD_PASSWORD;

// A copy of `admin.rs`'s helper; it may move to the fixtures later.

async fn publish(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.http.post(app.url("/admin/api/v1/terms")).bearer_auth(token).json(&body).send().await.expect("POST")
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).bearer_auth(token).send().await.expect("GET")
}

/// Signs `user` in through the pages and accepts the terms in force.
async fn sign_in_and_accept(app: &TestApp, user: &crate::support::fixtures::TestUser) {
    let signed = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
    assert_eq!(signed.headers()["location"], "/login/code");
    let code = app.code_of(user, 0).await;
    let after_code = app.submit_code(&code).await;
    assert_eq!(after_code.headers()["location"], "/terms");
    let (_, _, csrf) = app.page("/terms").await;
    let accepted = app.submit("/terms", &csrf, &[("statement", "yes"), ("decision", "accept")]).await;
    assert_eq!(accepted.status(), 200);
}

backend_tests! {
    async fn published_versions_are_listed_newest_first_with_the_one_in_force_marked(app) {
        let token = app.admin_token("admin:terms").await;
        let first = publish(&app, &token, json!({"version": "2026-11", "title": "Regulamin", "body": "Treść."})).await;
        assert_eq!(first.status(), 201);
        let created: Value = first.json().await.expect("json");
        assert_eq!((created["version"].as_str(), created["current"].as_bool()), (Some("2026-11"), Some(true)));
        let later = json!({"version": "2027-01", "title": "Regulamin 2027", "body": "Nowa treść.", "effective_at": "2027-01-01T00:00:00+01:00"});
        assert_eq!(publish(&app, &token, later).await.status(), 201);

        let listed: Value = get(&app, &token, "/admin/api/v1/terms").await.json().await.expect("json");
        let items = listed["items"].as_array().expect("items");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["version"], "2027-01");
        assert_eq!(items[0]["effective_at"], "2026-12-31T23:00:00Z", "stored and shown in UTC");
        assert_eq!(items[0]["current"], false, "not in force before its effective time");
        assert_eq!(items[1]["version"], "2026-11");
        assert_eq!(items[1]["current"], true);
        assert!(items[1]["published_at"].is_string());
    }

    async fn a_version_published_with_an_english_text_is_listed_as_having_one(app) {
        let token = app.admin_token("admin:terms").await;
        let english = json!({"version": "v1", "title": "Regulamin", "body": "Treść.", "body_en": "Text."});
        let created = publish(&app, &token, english).await;
        assert_eq!(created.status(), 201);
        assert_eq!(created.json::<Value>().await.expect("json")["has_english_text"], true);
        app.clock.advance(std::time::Duration::from_secs(1));
        let polish_only = json!({"version": "v2", "title": "Regulamin", "body": "Nowa treść."});
        assert_eq!(publish(&app, &token, polish_only).await.status(), 201);

        let listed: Value = get(&app, &token, "/admin/api/v1/terms").await.json().await.expect("json");
        let english: Vec<(&str, bool)> = listed["items"].as_array().expect("items").iter()
            .filter_map(|i| Some((i["version"].as_str()?, i["has_english_text"].as_bool()?)))
            .collect();
        assert_eq!(english, [("v2", false), ("v1", true)]);
        let stored = kuke_id::store::terms::find_version(app.state.store.conn(), "v1").await.expect("read").expect("v1");
        assert_eq!(stored.body_en.as_deref(), Some("Text."));
    }

    async fn publishing_an_empty_english_text_is_422(app) {
        let token = app.admin_token("admin:terms").await;
        let response = publish(&app, &token, json!({"version": "v1", "title": "Regulamin", "body": "Treść.", "body_en": " "})).await;
        assert_eq!(response.status(), 422);
    }

    async fn publishing_a_taken_version_is_409(app) {
        let token = app.admin_token("admin:terms").await;
        let terms = json!({"version": "v1", "title": "Regulamin", "body": "Treść."});
        assert_eq!(publish(&app, &token, terms.clone()).await.status(), 201);
        let again = publish(&app, &token, terms).await;
        assert_eq!(again.status(), 409);
        assert_eq!(again.headers()["content-type"], "application/problem+json");
    }

    async fn publishing_an_empty_title_is_422(app) {
        let token = app.admin_token("admin:terms").await;
        let response = publish(&app, &token, json!({"version": "v1", "title": "  ", "body": "Treść."})).await;
        assert_eq!(response.status(), 422);
    }

    async fn publishing_with_an_unreadable_effective_time_is_400(app) {
        let token = app.admin_token("admin:terms").await;
        let response = publish(&app, &token, json!({"version": "v1", "title": "T", "body": "B", "effective_at": "tomorrow"})).await;
        assert_eq!(response.status(), 400);
    }

    async fn the_acceptance_report_counts_who_accepted_and_who_has_not_yet(app) {
        let token = app.admin_token("admin:terms").await;
        assert_eq!(publish(&app, &token, json!({"version": "v1", "title": "Regulamin", "body": "Treść."})).await.status(), 201);
        let accepting = app.activated_user().await;
        let _waiting = app.activated_user().await;
        sign_in_and_accept(&app, &accepting).await;

        let report: Value = get(&app, &token, "/admin/api/v1/terms/v1/acceptances").await.json().await.expect("json");
        assert_eq!(report["version"], "v1");
        assert_eq!(report["accepted"], 1);
        assert_eq!(report["not_yet_accepted"], 1);
        assert_eq!(report["total"], 1);
        let item = &report["items"][0];
        assert_eq!(item["user_id"], accepting.id.to_string());
        assert_eq!(item["login"], accepting.login);
        assert!(item["accepted_at"].is_string());
        assert_eq!(item["ip"], "127.0.0.1");
    }

    async fn the_report_of_an_unknown_version_is_404(app) {
        let token = app.admin_token("admin:terms").await;
        assert_eq!(get(&app, &token, "/admin/api/v1/terms/nope/acceptances").await.status(), 404);
    }

    async fn a_token_without_the_terms_scope_is_403(app) {
        let token = app.admin_token("admin:users").await;
        assert_eq!(get(&app, &token, "/admin/api/v1/terms").await.status(), 403);
        let response = publish(&app, &token, json!({"version": "v1", "title": "T", "body": "B"})).await;
        assert_eq!(response.status(), 403);
    }
}
