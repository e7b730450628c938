//! `/introspect` (RFC 7662) and `/revoke` (RFC 7009).

use crate::support::TestApp;
use crate::support::fixtures::TestClient;

async fn tokens(app: &TestApp) -> (TestClient, serde_json::Value) {
    let user = app.active_user().await;
    let client = app.client().await;
    app.sign_in(&user).await;
    let code = app.code(&client, &[]).await;
    let tokens = app.redeem(&client, &code).await;
    (client, tokens)
}

async fn post(app: &TestApp, path: &str, client: &TestClient, token: &str) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .expect("POST")
}

backend_tests! {
    async fn own_access_token_is_active(app) {
        let (client, tokens) = tokens(&app).await;
        let body: serde_json::Value = post(&app, "/introspect", &client, tokens["access_token"].as_str().expect("at")).await.json().await.expect("json");
        assert_eq!(body["active"], true);
        assert_eq!(body["client_id"], client.id.as_str());
    }

    async fn own_refresh_token_is_active(app) {
        let (client, tokens) = tokens(&app).await;
        let body: serde_json::Value = post(&app, "/introspect", &client, tokens["refresh_token"].as_str().expect("rt")).await.json().await.expect("json");
        assert_eq!(body["active"], true);
    }

    async fn another_clients_token_is_inactive(app) {
        let (_, tokens) = tokens(&app).await;
        let other = app.client().await;
        let body: serde_json::Value = post(&app, "/introspect", &other, tokens["access_token"].as_str().expect("at")).await.json().await.expect("json");
        assert_eq!(body, serde_json::json!({"active": false}));
    }

    async fn unknown_token_is_inactive(app) {
        let client = app.client().await;
        let body: serde_json::Value = post(&app, "/introspect", &client, "whatever").await.json().await.expect("json");
        assert_eq!(body, serde_json::json!({"active": false}));
    }

    async fn introspection_requires_client_authentication(app) {
        let response = app.http.post(app.url("/introspect")).form(&[("token", "x")]).send().await.expect("POST");
        assert_eq!(response.status(), 401);
    }

    async fn missing_token_parameter_is_invalid_request(app) {
        let client = app.client().await;
        let response = app.http.post(app.url("/introspect")).basic_auth(&client.id, client.secret.as_deref()).form(&[("x", "y")]).send().await.expect("POST");
        assert_eq!(response.status(), 400);
    }

    async fn revoking_an_unknown_token_is_200(app) {
        let client = app.client().await;
        assert_eq!(post(&app, "/revoke", &client, "unknown").await.status(), 200);
    }

    async fn revoked_refresh_token_kills_the_grant(app) {
        let (client, tokens) = tokens(&app).await;
        let refresh = tokens["refresh_token"].as_str().expect("rt");
        assert_eq!(post(&app, "/revoke", &client, refresh).await.status(), 200);
        let body: serde_json::Value = post(&app, "/introspect", &client, tokens["access_token"].as_str().expect("at")).await.json().await.expect("json");
        assert_eq!(body["active"], false, "access tokens of the grant die with it");
        let response = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(response.status(), 400);
    }

    async fn revoked_access_token_is_inactive(app) {
        let (client, tokens) = tokens(&app).await;
        let access = tokens["access_token"].as_str().expect("at");
        assert_eq!(post(&app, "/revoke", &client, access).await.status(), 200);
        let body: serde_json::Value = post(&app, "/introspect", &client, access).await.json().await.expect("json");
        assert_eq!(body["active"], false);
        let userinfo = app.http.get(app.url("/userinfo")).bearer_auth(access).send().await.expect("GET");
        assert_eq!(userinfo.status(), 401);
    }

    async fn revoking_another_clients_token_changes_nothing(app) {
        let (client, tokens) = tokens(&app).await;
        let other = app.client().await;
        let refresh = tokens["refresh_token"].as_str().expect("rt");
        assert_eq!(post(&app, "/revoke", &other, refresh).await.status(), 200);
        let response = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(response.status(), 200);
    }
}
