//! RP-Initiated Logout 1.0 at `/logout`.

use crate::support::TestApp;
use crate::support::fixtures::{CHALLENGE, TestClient, query_param, redirect_location};

async fn signed_in_with_tokens(app: &TestApp, scope: &str) -> (TestClient, serde_json::Value) {
    let user = app.active_user().await;
    let client = app.client().await;
    app.sign_in(&user).await;
    let code = app.code(&client, &[("scope", scope)]).await;
    let tokens = app.redeem(&client, &code).await;
    (client, tokens)
}

async fn session_is_gone(app: &TestApp, client: &TestClient) -> bool {
    let params = [
        ("response_type", "code"),
        ("scope", "openid"),
        ("prompt", "none"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let location = redirect_location(&app.authorize(client, &params).await);
    query_param(&location, "error").as_deref() == Some("login_required")
}

/// The claims of a JWT, read without checking it.
fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64"))
        .expect("json")
}

fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.url("/logout")).expect("url");
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

backend_tests! {
    async fn valid_hint_and_registered_uri_end_the_session_and_redirect_with_state(app) {
        let (client, tokens) = signed_in_with_tokens(&app, "openid").await;
        let url = logout_url(&app, &[("id_token_hint", tokens["id_token"].as_str().expect("id")), ("post_logout_redirect_uri", &client.post_logout_redirect_uri), ("state", "bye")]);
        let response = app.http.get(url).send().await.expect("GET");
        let location = redirect_location(&response);
        assert!(location.as_str().starts_with(&client.post_logout_redirect_uri));
        assert_eq!(query_param(&location, "state").as_deref(), Some("bye"));
        assert!(session_is_gone(&app, &client).await);
    }

    async fn refresh_token_without_offline_access_dies_with_the_session(app) {
        let (client, tokens) = signed_in_with_tokens(&app, "openid").await;
        let url = logout_url(&app, &[("id_token_hint", tokens["id_token"].as_str().expect("id"))]);
        let logout = app.http.get(url).send().await.expect("GET");
        assert_eq!(logout.status(), 200, "the valid hint signs out at once");
        assert!(session_is_gone(&app, &client).await, "the logout happened");
        let response = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().expect("rt"))]).await;
        assert_eq!(response.status(), 400);
    }

    async fn refresh_token_with_offline_access_survives_logout(app) {
        let (client, tokens) = signed_in_with_tokens(&app, "openid offline_access").await;
        let url = logout_url(&app, &[("id_token_hint", tokens["id_token"].as_str().expect("id"))]);
        let logout = app.http.get(url).send().await.expect("GET");
        assert_eq!(logout.status(), 200, "the valid hint signs out at once");
        assert!(session_is_gone(&app, &client).await, "the logout happened");
        let response = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().expect("rt"))]).await;
        assert_eq!(response.status(), 200);
    }

    async fn unregistered_post_logout_redirect_uri_is_never_followed(app) {
        let (_, tokens) = signed_in_with_tokens(&app, "openid").await;
        let url = logout_url(&app, &[("id_token_hint", tokens["id_token"].as_str().expect("id")), ("post_logout_redirect_uri", "https://evil.example/")]);
        let response = app.http.get(url).send().await.expect("GET");
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
    }

    async fn post_logout_redirect_uri_without_a_client_is_refused(app) {
        let url = logout_url(&app, &[("post_logout_redirect_uri", "http://127.0.0.1:9/bye")]);
        let response = app.http.get(url).send().await.expect("GET");
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
    }

    async fn forged_hint_gets_an_error_page(app) {
        let url = logout_url(&app, &[("id_token_hint", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")]);
        let response = app.http.get(url).send().await.expect("GET");
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
    }

    async fn an_access_token_is_not_an_id_token_hint(app) {
        let (client, tokens) = signed_in_with_tokens(&app, "openid").await;
        let access_token = tokens["access_token"].as_str().expect("access token");
        let response = app.http.get(logout_url(&app, &[("id_token_hint", access_token)])).send().await.expect("GET");
        assert_eq!(response.status(), 400);
        assert!(!session_is_gone(&app, &client).await);
    }

    async fn a_logout_token_is_not_an_id_token_hint(app) {
        let (client, tokens) = signed_in_with_tokens(&app, "openid").await;
        // What a relying party's back-channel logout endpoint receives: signed by
        // kuke-id, naming the person and the session, but not an ID token.
        let claims = claims_of(tokens["id_token"].as_str().expect("id token"));
        let logout_token = kuke_id::tokens::id_token::logout_token(
            &app.state.keys(),
            &app.base,
            &client.id,
            claims["sub"].as_str().expect("sub"),
            claims["sid"].as_str().expect("sid"),
            app.clock.now().unix_timestamp(),
            kuke_id::domain::signing_alg::SigningAlg::Rs256,
        )
        .expect("logout token");
        let response = app.http.get(logout_url(&app, &[("id_token_hint", &logout_token)])).send().await.expect("GET");
        assert_eq!(response.status(), 400);
        assert!(!session_is_gone(&app, &client).await);
    }

    async fn without_a_hint_the_user_is_asked_to_confirm(app) {
        let (client, _) = signed_in_with_tokens(&app, "openid").await;
        let response = app.http.get(logout_url(&app, &[("client_id", &client.id), ("post_logout_redirect_uri", &client.post_logout_redirect_uri)])).send().await.expect("GET");
        assert_eq!(response.status(), 200);
        let html = response.text().await.expect("html");
        assert!(html.contains("action=\"&#x2f;logout&#x2f;confirm\"") || html.contains("action=\"/logout/confirm\""), "{html}");
        assert!(!session_is_gone(&app, &client).await, "nothing happens before confirmation");
        let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf field").to_string();
        let confirmed = app.http.post(app.url("/logout/confirm")).form(&[("csrf", csrf.as_str()), ("client_id", client.id.as_str()), ("post_logout_redirect_uri", client.post_logout_redirect_uri.as_str())]).send().await.expect("POST");
        assert!(redirect_location(&confirmed).as_str().starts_with(&client.post_logout_redirect_uri));
        assert!(session_is_gone(&app, &client).await);
    }

    async fn confirmation_without_the_csrf_token_is_refused(app) {
        let (client, _) = signed_in_with_tokens(&app, "openid").await;
        let response = app.http.post(app.url("/logout/confirm")).form(&[("client_id", client.id.as_str())]).send().await.expect("POST");
        assert_eq!(response.status(), 403);
        assert!(!session_is_gone(&app, &client).await);
    }

    async fn logout_clears_the_session_cookie(app) {
        let (_, tokens) = signed_in_with_tokens(&app, "openid").await;
        let response = app.http.get(logout_url(&app, &[("id_token_hint", tokens["id_token"].as_str().expect("id"))])).send().await.expect("GET");
        let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap_or_default().to_string()).collect();
        assert!(cookies.iter().any(|c| c.starts_with("kuke_session=;") && c.contains("Max-Age=0")), "{cookies:?}");
    }
}

backend_tests! {
    async fn logout_of_an_idle_expired_session_still_ends_it_and_its_grants(app) {
        let (_, tokens) = signed_in_with_tokens(&app, "openid").await;
        app.clock.advance(std::time::Duration::from_secs(61 * 60));

        let url = logout_url(&app, &[("id_token_hint", tokens["id_token"].as_str().expect("id"))]);
        let response = app.http.get(url).send().await.expect("GET");
        assert!(response.status().is_success() || response.status().is_redirection());

        use sea_orm::{EntityTrait, PaginatorTrait, QueryFilter, ColumnTrait};
        use kuke_id::store::entities::{grants, sessions};
        let conn = app.state.store.conn();
        let open = sessions::Entity::find().filter(sessions::Column::EndedAt.is_null()).count(conn).await.expect("count");
        assert_eq!(open, 0, "the stale session row ended");
        let live = grants::Entity::find().filter(grants::Column::RevokedAt.is_null()).count(conn).await.expect("count");
        assert_eq!(live, 0, "its grant was revoked");
        let cookies: Vec<String> = response.headers().get_all("set-cookie").iter().map(|c| c.to_str().expect("ascii").to_string()).collect();
        assert!(cookies.iter().any(|c| c.starts_with("kuke_login=;")), "the sign-in cookie is cleared too: {cookies:?}");
    }
}

backend_tests! {
    async fn a_new_sign_in_in_the_same_browser_ends_the_previous_session(app) {
        let first = app.activated_user().await;
        app.sign_in_form(&first.login, crate::support::journey::GOOD_PASSWORD, None).await;
        let code = app.code_of(&first, 0).await;
        app.submit_code(&code).await;
        let second = app.activated_user().await;

        app.sign_in_form(&second.login, crate::support::journey::GOOD_PASSWORD, None).await;
        let code = app.code_of(&second, 0).await;
        app.submit_code(&code).await;

        use sea_orm::{EntityTrait, QueryFilter, ColumnTrait};
        use kuke_id::store::entities::sessions;
        let rows = sessions::Entity::find().filter(sessions::Column::UserId.eq(first.id)).all(app.state.store.conn()).await.expect("query");
        assert_eq!(rows.len(), 1);
        assert!(rows[0].ended_at.is_some(), "the first person's session ended when the second signed in");
    }
}
