//! Consent for third-party clients.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::TestApp;
use crate::support::fixtures::{CHALLENGE, ClientSpec, TestClient, query_param, redirect_location};

const PARAMS: [(&str, &str); 5] = [
    ("response_type", "code"),
    ("scope", "openid email"),
    ("state", "c"),
    ("code_challenge", CHALLENGE),
    ("code_challenge_method", "S256"),
];

async fn third_party(app: &TestApp) -> TestClient {
    let user = app.active_user().await;
    let client = app.client_with(ClientSpec { first_party: false, ..Default::default() }).await;
    app.sign_in(&user).await;
    client
}

/// Follows /authorize to the consent page; returns (handle, csrf, html).
async fn consent_page(app: &TestApp, client: &TestClient, extra: &[(&str, &str)]) -> (String, String, String) {
    let mut params = PARAMS.to_vec();
    params.extend_from_slice(extra);
    let response = app.authorize(client, &params).await;
    let location = response.headers()["location"].to_str().expect("ascii").to_string();
    assert!(location.starts_with("/consent?request="), "{location}");
    let handle = location.trim_start_matches("/consent?request=").to_string();
    let html = app.get(&location).await.text().await.expect("html");
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    (handle, csrf, html)
}

backend_tests! {
    async fn third_party_client_gets_a_consent_page_listing_the_scopes(app) {
        let client = third_party(&app).await;
        let (_, _, html) = consent_page(&app, &client, &[]).await;
        assert!(html.contains("adresu e-mail"), "scopes listed in Polish by default");
        assert!(html.contains("Test RP"));
    }

    async fn allowing_returns_a_code_and_is_remembered(app) {
        let client = third_party(&app).await;
        let (handle, csrf, _) = consent_page(&app, &client, &[]).await;
        let response = app.http.post(app.url("/consent")).form(&[("csrf", csrf.as_str()), ("request", handle.as_str()), ("decision", "allow")]).send().await.expect("POST");
        assert!(query_param(&redirect_location(&response), "code").is_some());
        let again = redirect_location(&app.authorize(&client, &PARAMS).await);
        assert!(query_param(&again, "code").is_some(), "consent remembered");
    }

    async fn denying_returns_access_denied(app) {
        let client = third_party(&app).await;
        let (handle, csrf, _) = consent_page(&app, &client, &[]).await;
        let response = app.http.post(app.url("/consent")).form(&[("csrf", csrf.as_str()), ("request", handle.as_str()), ("decision", "deny")]).send().await.expect("POST");
        let location = redirect_location(&response);
        assert_eq!(query_param(&location, "error").as_deref(), Some("access_denied"));
        assert_eq!(query_param(&location, "state").as_deref(), Some("c"));
    }

    async fn consent_without_csrf_token_is_refused(app) {
        let client = third_party(&app).await;
        let (handle, _, _) = consent_page(&app, &client, &[]).await;
        let response = app.http.post(app.url("/consent")).form(&[("request", handle.as_str()), ("decision", "allow")]).send().await.expect("POST");
        assert_eq!(response.status(), 403);
    }

    async fn prompt_consent_asks_again(app) {
        let client = third_party(&app).await;
        let (handle, csrf, _) = consent_page(&app, &client, &[]).await;
        allow(&app, &handle, &csrf).await;
        let remembered = redirect_location(&app.authorize(&client, &PARAMS).await);
        assert!(query_param(&remembered, "code").is_some(), "without prompt=consent the answer is remembered");
        consent_page(&app, &client, &[("prompt", "consent")]).await;
    }

    async fn a_consent_withdrawn_through_the_admin_api_is_asked_again(app) {
        let client = third_party(&app).await;
        let (handle, csrf, _) = consent_page(&app, &client, &[]).await;
        allow(&app, &handle, &csrf).await;
        let user_id = user_id(&app).await;
        let token = app.admin_token("admin:users").await;
        let listed: serde_json::Value = app.http.get(app.url(&format!("/admin/api/v1/users/{user_id}/consents"))).bearer_auth(&token).send().await.expect("GET").json().await.expect("json");
        assert_eq!(listed["total"], 1);
        assert_eq!(listed["items"][0]["client_id"], client.id.as_str());
        assert_eq!(listed["items"][0]["scope"], "openid email");

        let consent = format!("/admin/api/v1/users/{user_id}/consents/{}", client.id);
        assert_eq!(app.http.delete(app.url(&consent)).bearer_auth(&token).send().await.expect("DELETE").status(), 204);
        consent_page(&app, &client, &[]).await;
        assert_eq!(app.http.delete(app.url(&consent)).bearer_auth(&token).send().await.expect("DELETE").status(), 404, "nothing left to withdraw");
        assert_eq!(kuke_id::store::audit::count_action(app.state.store.conn(), "user.consent_revoked").await.expect("count"), 1);
    }

    async fn withdrawing_a_consent_ends_the_tokens_issued_under_it(app) {
        let client = third_party(&app).await;
        let (handle, csrf, _) = consent_page(&app, &client, &[]).await;
        let response = app.http.post(app.url("/consent")).form(&[("csrf", csrf.as_str()), ("request", handle.as_str()), ("decision", "allow")]).send().await.expect("POST");
        let code = query_param(&redirect_location(&response), "code").expect("code");
        let tokens = app.redeem(&client, &code).await;
        let access = tokens["access_token"].as_str().expect("access token").to_string();
        let app = &app;
        let userinfo = |access: String| async move { app.http.get(app.url("/userinfo")).bearer_auth(access).send().await.expect("GET").status() };
        assert_eq!(userinfo(access.clone()).await, 200);

        let token = app.admin_token("admin:users").await;
        let consent = format!("/admin/api/v1/users/{}/consents/{}", user_id(app).await, client.id);
        assert_eq!(app.http.delete(app.url(&consent)).bearer_auth(&token).send().await.expect("DELETE").status(), 204);
        assert_eq!(userinfo(access).await, 401, "the access token died with its grant");
    }

    async fn first_party_client_skips_consent(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let location = redirect_location(&app.authorize(&client, &PARAMS).await);
        assert!(query_param(&location, "code").is_some());
    }
}

/// Allows a parked request; the client gets its code.
async fn allow(app: &TestApp, handle: &str, csrf: &str) {
    let response = app
        .http
        .post(app.url("/consent"))
        .form(&[("csrf", csrf), ("request", handle), ("decision", "allow")])
        .send()
        .await
        .expect("POST");
    assert!(query_param(&redirect_location(&response), "code").is_some(), "allowing answers a code");
}

/// The id of the only account of a fresh TestApp.
async fn user_id(app: &TestApp) -> uuid::Uuid {
    use kuke_id::store::entities::users;
    use sea_orm::EntityTrait;
    users::Entity::find().one(app.state.store.conn()).await.expect("db").expect("a user").id
}

backend_tests! {
    async fn a_consent_given_before_the_sign_in_it_waits_for_never_reaches_the_person_who_signs_in(app) {
        // The attacker, signed in as account A in their own browser, parks a request
        // that needs a fresh sign-in and answers its consent page.
        let attacker_account = app.active_user().await;
        let client = app.client_with(ClientSpec { first_party: false, ..Default::default() }).await;
        let attacker = app.new_browser();
        let signed_in = attacker.post(app.url("/test-support/sign-in")).form(&[("login", attacker_account.login.as_str())]).send().await.expect("sign in");
        assert_eq!(signed_in.status(), 204);
        let mut url = url::Url::parse(&app.url("/authorize")).expect("url");
        url.query_pairs_mut().append_pair("client_id", &client.id).append_pair("redirect_uri", &client.redirect_uri);
        url.query_pairs_mut().extend_pairs(PARAMS).append_pair("prompt", "login");
        let parked = attacker.get(url).send().await.expect("authorize");
        let location = parked.headers()["location"].to_str().expect("ascii").to_string();
        let handle = location.split("request=").nth(1).expect("handle").to_string();
        let page = attacker.get(app.url(&format!("/consent?request={handle}"))).send().await.expect("GET").text().await.expect("html");
        let csrf = crate::support::journey::hidden(&page, "csrf").expect("csrf");
        let answer = attacker.post(app.url("/consent")).form(&[("csrf", csrf.as_str()), ("request", handle.as_str()), ("decision", "allow")]).send().await.expect("POST");
        assert!(answer.status().is_client_error(), "a consent for a request awaiting a sign-in is refused: {}", answer.status());

        // The victim signs in on the genuine pages through the attacker's handle.
        let victim = app.activated_user().await;
        app.sign_in_form(&victim.login, crate::support::journey::GOOD_PASSWORD, Some(&handle)).await;
        let code = app.code_of(&victim, 0).await;
        let finished = app.submit_code(&code).await;

        let next = finished.headers().get("location").map(|l| l.to_str().expect("ascii").to_string()).unwrap_or_default();
        assert!(!next.starts_with(&client.redirect_uri), "no code reaches the client without the victim's consent: {next}");
        let codes = kuke_id::store::entities::authorization_codes::Entity::find()
            .filter(kuke_id::store::entities::authorization_codes::Column::UserId.eq(victim.id))
            .count(app.state.store.conn())
            .await
            .expect("count");
        assert_eq!(codes, 0, "no code was issued for the victim");
        let consent = kuke_id::store::consents::find(app.state.store.conn(), victim.id, &client.id).await.expect("db");
        assert!(consent.is_none(), "no consent was recorded for the victim");
    }
}
