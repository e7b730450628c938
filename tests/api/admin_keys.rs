//! The admin API's signing keys: list, rotate, retire; staged rotation as the
//! admin API shows it (a rotated key is `next` until the publish-ahead time).

use serde_json::{Value, json};

use crate::support::TestApp;

async fn list(app: &TestApp, token: &str) -> Value {
    let response = app.http.get(app.url("/admin/api/v1/keys")).bearer_auth(token).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn rotate(app: &TestApp, token: &str, alg: &str) -> reqwest::Response {
    app.http
        .post(app.url("/admin/api/v1/keys/rotate"))
        .bearer_auth(token)
        .json(&json!({"alg": alg}))
        .send()
        .await
        .expect("POST")
}

async fn retire(app: &TestApp, token: &str, kid: &str) -> reqwest::Response {
    app.http.post(app.url(&format!("/admin/api/v1/keys/{kid}/retire"))).bearer_auth(token).send().await.expect("POST")
}

/// The kid of the key of `alg` in `state`.
fn kid_of(keys: &Value, alg: &str, state: &str) -> Option<String> {
    keys["items"].as_array()?.iter().find(|k| k["alg"] == alg && k["state"] == state)?["kid"]
        .as_str()
        .map(str::to_string)
}

/// Moves the clock past the default publish-ahead time (600 s), when a rotated
/// key starts to sign. Access tokens from before have expired by then.
fn after_publish_ahead(app: &TestApp) {
    app.clock.advance(std::time::Duration::from_secs(601));
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let jwks = app.get_json("/jwks").await;
    jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str().map(str::to_string)).collect()
}

backend_tests! {
    async fn keys_are_listed_with_public_facts_only(app) {
        let token = app.admin_token("admin:keys").await;
        let keys = list(&app, &token).await;
        assert_eq!(keys["total"], 3);
        for key in keys["items"].as_array().expect("items") {
            assert_eq!(key["state"], "active");
            assert!(key["kid"].is_string() && key["created"].is_string());
            let mut fields: Vec<&String> = key.as_object().expect("object").keys().collect();
            fields.sort();
            assert_eq!(fields, ["alg", "created", "kid", "retires", "signs_from", "state"], "nothing private");
        }
    }

    async fn a_rotated_key_is_next_until_the_publish_ahead_time_then_active_and_the_old_one_stays_published(app) {
        let token = app.admin_token("admin:keys").await;
        let old = kid_of(&list(&app, &token).await, "ES256", "active").expect("active ES256");
        let response = rotate(&app, &token, "ES256").await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        let new = body["items"][0]["kid"].as_str().expect("new kid").to_string();
        assert_eq!(body["items"][0]["state"], "next");
        let keys = list(&app, &token).await;
        assert_eq!(kid_of(&keys, "ES256", "next"), Some(new.clone()));
        assert_eq!(kid_of(&keys, "ES256", "active"), Some(old.clone()));
        after_publish_ahead(&app);
        let keys = list(&app, &app.admin_token("admin:keys").await).await;
        assert_eq!(kid_of(&keys, "ES256", "active"), Some(new));
        assert_eq!(kid_of(&keys, "ES256", "published"), Some(old));
    }

    async fn the_jwks_shows_the_new_key_right_after_rotation(app) {
        let token = app.admin_token("admin:keys").await;
        let body: Value = rotate(&app, &token, "EdDSA").await.json().await.expect("json");
        let new = body["items"][0]["kid"].as_str().expect("new kid").to_string();
        assert!(jwks_kids(&app).await.contains(&new));
    }

    async fn new_tokens_are_signed_with_the_new_key_once_its_publish_ahead_time_has_passed(app) {
        let token = app.admin_token("admin:keys").await;
        let old = kid_of(&list(&app, &token).await, "ES256", "active").expect("active ES256");
        // Access tokens are ES256.
        let body: Value = rotate(&app, &token, "ES256").await.json().await.expect("json");
        let new = body["items"][0]["kid"].as_str().expect("new kid").to_string();
        let before = app.admin_token("admin:keys").await;
        assert_eq!(jsonwebtoken::decode_header(&before).expect("JWT header").kid, Some(old), "not yet");
        after_publish_ahead(&app);
        let fresh = app.admin_token("admin:keys").await;
        assert_eq!(jsonwebtoken::decode_header(&fresh).expect("JWT header").kid, Some(new));
    }

    async fn a_rotation_without_alg_renews_every_algorithm(app) {
        let token = app.admin_token("admin:keys").await;
        let response = app.http.post(app.url("/admin/api/v1/keys/rotate")).bearer_auth(&token).send().await.expect("POST");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["items"].as_array().map(Vec::len), Some(3));
        assert_eq!(list(&app, &token).await["total"], 6);
        assert!(body["items"].as_array().expect("items").iter().all(|key| key["state"] == "next"));
    }

    async fn an_unknown_algorithm_is_refused_with_422(app) {
        let token = app.admin_token("admin:keys").await;
        assert_eq!(rotate(&app, &token, "HS256").await.status(), 422);
    }

    async fn a_retired_key_leaves_the_jwks(app) {
        let token = app.admin_token("admin:keys").await;
        let old = kid_of(&list(&app, &token).await, "RS256", "active").expect("active RS256");
        rotate(&app, &token, "RS256").await;
        after_publish_ahead(&app);
        let token = app.admin_token("admin:keys").await;
        let response = retire(&app, &token, &old).await;
        assert_eq!(response.status(), 204);
        assert!(!jwks_kids(&app).await.contains(&old));
        assert_eq!(kid_of(&list(&app, &token).await, "RS256", "retired"), Some(old));
    }

    async fn retiring_the_active_key_is_a_409(app) {
        let token = app.admin_token("admin:keys").await;
        let active = kid_of(&list(&app, &token).await, "RS256", "active").expect("active RS256");
        let response = retire(&app, &token, &active).await;
        assert_eq!(response.status(), 409);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        assert!(jwks_kids(&app).await.contains(&active));
        assert_eq!(kuke_id::store::audit::count_action(app.state.store.conn(), "key.retired").await.expect("count"), 0);
    }

    async fn retiring_the_next_key_or_the_one_still_signing_before_it_is_a_409(app) {
        let token = app.admin_token("admin:keys").await;
        let old = kid_of(&list(&app, &token).await, "EdDSA", "active").expect("active EdDSA");
        let body: Value = rotate(&app, &token, "EdDSA").await.json().await.expect("json");
        let new = body["items"][0]["kid"].as_str().expect("new kid").to_string();
        assert_eq!(retire(&app, &token, &new).await.status(), 409);
        assert_eq!(retire(&app, &token, &old).await.status(), 409, "it signs until the next key takes over");
        let kids = jwks_kids(&app).await;
        assert!(kids.contains(&new) && kids.contains(&old));
    }

    async fn a_replaced_key_stays_published_until_its_tokens_have_expired_then_retires_itself(app) {
        let token = app.admin_token("admin:keys").await;
        let old = kid_of(&list(&app, &token).await, "RS256", "active").expect("active RS256");
        rotate(&app, &token, "RS256").await;
        after_publish_ahead(&app);
        assert!(jwks_kids(&app).await.contains(&old), "ID tokens it signed may still be in use");
        // The longest token lifetime is 300 s by default.
        app.clock.advance(std::time::Duration::from_secs(301));
        assert!(!jwks_kids(&app).await.contains(&old), "gone from the JWK set on time, on every node");
        kuke_id::flows::keys::maintain(&app.state).await.expect("key maintenance");
        let keys = list(&app, &app.admin_token("admin:keys").await).await;
        assert_eq!(kid_of(&keys, "RS256", "retired"), Some(old));
        let actors = kuke_id::store::audit::actors_of(app.state.store.conn(), "key.retired").await.expect("actors");
        assert_eq!(actors, ["system"]);
    }

    async fn keys_are_not_rotated_automatically_by_default(app) {
        app.clock.advance(std::time::Duration::from_secs(400 * 86_400));
        kuke_id::flows::keys::maintain(&app.state).await.expect("key maintenance");
        assert_eq!(list(&app, &app.admin_token("admin:keys").await).await["total"], 3);
    }

    async fn retiring_an_unknown_key_is_a_404(app) {
        let token = app.admin_token("admin:keys").await;
        assert_eq!(retire(&app, &token, "no-such-kid").await.status(), 404);
    }

    async fn a_token_without_the_keys_scope_is_403(app) {
        let token = app.admin_token("admin:clients").await;
        let response = app.http.get(app.url("/admin/api/v1/keys")).bearer_auth(&token).send().await.expect("GET");
        assert_eq!(response.status(), 403);
        assert_eq!(rotate(&app, &token, "RS256").await.status(), 403);
    }

    async fn key_changes_are_audited_with_the_api_caller(app) {
        let token = app.admin_token("admin:keys").await;
        let old = kid_of(&list(&app, &token).await, "ES256", "active").expect("active ES256");
        rotate(&app, &token, "ES256").await;
        after_publish_ahead(&app);
        let token = app.admin_token("admin:keys").await;
        assert_eq!(retire(&app, &token, &old).await.status(), 204);
        for action in ["key.rotated", "key.retired"] {
            let actors = kuke_id::store::audit::actors_of(app.state.store.conn(), action).await.expect("actors");
            assert_eq!(actors.len(), 1, "{action}");
            assert!(actors[0].starts_with("client:"), "{action}: {actors:?}");
        }
    }
}

backend_tests! {
    settings = "key_rotation_days = 1";

    async fn with_key_rotation_days_every_algorithm_is_rotated_once_per_period_by_one_node(app) {
        kuke_id::flows::keys::maintain(&app.state).await.expect("key maintenance");
        assert_eq!(list(&app, &app.admin_token("admin:keys").await).await["total"], 3, "not due yet");
        app.clock.advance(std::time::Duration::from_secs(86_400 + 60));
        // Two rounds, as two nodes would run them: the second finds the rotation done.
        kuke_id::flows::keys::maintain(&app.state).await.expect("key maintenance");
        kuke_id::flows::keys::maintain(&app.state).await.expect("key maintenance");
        let keys = list(&app, &app.admin_token("admin:keys").await).await;
        assert_eq!(keys["total"], 6);
        for alg in ["RS256", "ES256", "EdDSA"] {
            let next = kid_of(&keys, alg, "next").expect("a next key");
            assert!(jwks_kids(&app).await.contains(&next), "published before it signs");
        }
        let actors = kuke_id::store::audit::actors_of(app.state.store.conn(), "key.rotated").await.expect("actors");
        assert_eq!(actors, ["system", "system", "system"]);
    }
}
