//! `/userinfo` and RFC 6750 errors.

use crate::support::fixtures::ClientSpec;

async fn user_tokens(app: &crate::support::TestApp, scope: &str) -> serde_json::Value {
    let user = app.active_user().await;
    let client = app.client().await;
    app.sign_in(&user).await;
    let code = app.code(&client, &[("scope", scope)]).await;
    app.redeem(&client, &code).await
}

backend_tests! {
    async fn missing_token_is_401_with_a_bearer_challenge(app) {
        let response = app.get("/userinfo").await;
        assert_eq!(response.status(), 401);
        let challenge = response.headers()["www-authenticate"].to_str().expect("ascii").to_string();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        assert!(!challenge.contains("error="), "RFC 6750 §3.1: no error code without a token");
    }

    async fn garbage_token_is_invalid_token(app) {
        let response = app.http.get(app.url("/userinfo")).bearer_auth("not-a-token").send().await.expect("GET");
        assert_eq!(response.status(), 401);
        assert!(response.headers()["www-authenticate"].to_str().expect("ascii").contains("error=\"invalid_token\""));
    }

    async fn token_in_a_post_body_is_accepted(app) {
        let tokens = user_tokens(&app, "openid").await;
        let response = app.http.post(app.url("/userinfo")).form(&[("access_token", tokens["access_token"].as_str().expect("at"))]).send().await.expect("POST");
        assert_eq!(response.status(), 200);
    }

    async fn openid_scope_alone_releases_only_sub(app) {
        let tokens = user_tokens(&app, "openid").await;
        let claims: serde_json::Value = app.http.get(app.url("/userinfo")).bearer_auth(tokens["access_token"].as_str().expect("at")).send().await.expect("GET").json().await.expect("json");
        assert_eq!(claims.as_object().map(|o| o.len()), Some(1));
        assert!(claims["sub"].is_string());
    }

    async fn expired_token_is_invalid_token(app) {
        let tokens = user_tokens(&app, "openid").await;
        app.clock.advance(std::time::Duration::from_secs(400));
        let response = app.http.get(app.url("/userinfo")).bearer_auth(tokens["access_token"].as_str().expect("at")).send().await.expect("GET");
        assert_eq!(response.status(), 401);
    }

    async fn an_id_token_is_not_an_access_token(app) {
        let tokens = user_tokens(&app, "openid").await;
        let response = app.http.get(app.url("/userinfo")).bearer_auth(tokens["id_token"].as_str().expect("id")).send().await.expect("GET");
        assert_eq!(response.status(), 401);
    }

    async fn client_credentials_token_is_insufficient_scope(app) {
        let client = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin:audit".into()]), ..Default::default() }).await;
        let body: serde_json::Value = app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.expect("json");
        let response = app.http.get(app.url("/userinfo")).bearer_auth(body["access_token"].as_str().expect("at")).send().await.expect("GET");
        assert_eq!(response.status(), 403);
        assert!(response.headers()["www-authenticate"].to_str().expect("ascii").contains("insufficient_scope"));
    }

    async fn non_bearer_scheme_is_invalid_request(app) {
        let response = app.http.get(app.url("/userinfo")).header("authorization", "Basic abc").send().await.expect("GET");
        assert_eq!(response.status(), 400);
    }
}
