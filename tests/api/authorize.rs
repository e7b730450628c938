//! `/authorize`: every rule, one test each (raw HTTP).

use crate::support::fixtures::{CHALLENGE, ClientSpec, TestClient, query_param, redirect_location};
use kuke_id::domain::client::ClientKind;

const PKCE: [(&str, &str); 2] = [("code_challenge", CHALLENGE), ("code_challenge_method", "S256")];

fn with_pkce<'a>(params: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = params.to_vec();
    all.extend(PKCE);
    all
}

backend_tests! {
    async fn unknown_client_gets_an_error_page_and_no_redirect(app) {
        let response = app.get("/authorize?client_id=nobody&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=code&scope=openid").await;
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
        assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
    }

    async fn unregistered_redirect_uri_gets_an_error_page_and_no_redirect(app) {
        let client = app.client().await;
        let url = format!("/authorize?client_id={}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=code&scope=openid", client.id);
        let response = app.get(&url).await;
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
    }

    async fn missing_redirect_uri_gets_an_error_page(app) {
        let client = app.client().await;
        let response = app.get(&format!("/authorize?client_id={}&response_type=code&scope=openid", client.id)).await;
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
    }

    async fn missing_response_type_is_redirected_as_invalid_request_with_state_and_iss(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &[("scope", "openid"), ("state", "xyz")]).await);
        assert!(location.as_str().starts_with(&client.redirect_uri));
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
        assert_eq!(query_param(&location, "state").as_deref(), Some("xyz"));
        assert_eq!(query_param(&location, "iss").as_deref(), Some(app.base.as_str()));
        assert!(query_param(&location, "error_description").is_some());
    }

    async fn token_response_type_is_unsupported(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &[("response_type", "token"), ("scope", "openid")]).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("unsupported_response_type"));
    }

    async fn scope_without_openid_is_invalid_scope(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &[("response_type", "code"), ("scope", "profile")]).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_scope"));
    }

    async fn a_scope_of_more_than_a_hundred_values_is_invalid_scope(app) {
        let client = app.client().await;
        let scope = vec!["openid"; 101].join(" ");
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", &scope)])).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_scope"));
        assert!(query_param(&location, "error_description").is_some_and(|d| d.contains("100")), "{location}");
    }

    async fn a_scope_of_a_hundred_values_is_granted_without_its_repeats(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let scope = ["openid", "email"].repeat(50).join(" ");
        let code = app.code(&client, &[("scope", &scope)]).await;
        let tokens = app.redeem(&client, &code).await;
        assert_eq!(tokens["scope"], "openid email");
    }

    async fn public_client_without_pkce_is_refused(app) {
        let client = app.client_with(ClientSpec { kind: ClientKind::Public, ..Default::default() }).await;
        let location = redirect_location(&app.authorize(&client, &[("response_type", "code"), ("scope", "openid")]).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    }

    async fn a_confidential_client_registered_by_default_without_code_challenge_is_invalid_request(app) {
        let token = app.admin_token("admin:clients").await;
        let redirect_uri = "http://127.0.0.1:9/cb/default-pkce";
        let registered = app.http.post(app.url("/admin/api/v1/clients")).bearer_auth(&token)
            .json(&serde_json::json!({"name": "Portal", "redirect_uris": [redirect_uri], "first_party": true}))
            .send().await.expect("POST");
        assert_eq!(registered.status(), 201);
        let body: serde_json::Value = registered.json().await.expect("json");
        let client = TestClient {
            id: body["id"].as_str().expect("id").to_string(),
            secret: body["client_secret"].as_str().map(str::to_string),
            redirect_uri: redirect_uri.to_string(),
            post_logout_redirect_uri: String::new(),
        };
        let location = redirect_location(&app.authorize(&client, &[("response_type", "code"), ("scope", "openid"), ("state", "s")]).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
        assert!(query_param(&location, "error_description").is_some_and(|d| d.contains("PKCE")), "{location}");
        assert!(query_param(&location, "code").is_none());
    }

    async fn plain_pkce_is_refused(app) {
        let client = app.client().await;
        let params = [("response_type", "code"), ("scope", "openid"), ("code_challenge", CHALLENGE), ("code_challenge_method", "plain")];
        let location = redirect_location(&app.authorize(&client, &params).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    }

    async fn request_objects_are_not_supported(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &[("response_type", "code"), ("scope", "openid"), ("request", "eyJ.x.y")]).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("request_not_supported"));
        let location = redirect_location(&app.authorize(&client, &[("response_type", "code"), ("scope", "openid"), ("request_uri", "https://x/r")]).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("request_uri_not_supported"));
    }

    async fn repeated_parameter_is_invalid_request(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &[("response_type", "code"), ("scope", "openid"), ("state", "a"), ("state", "b")]).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    }

    async fn unknown_response_mode_is_invalid_request(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &[("response_type", "code"), ("scope", "openid"), ("response_mode", "fragment")]).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    }

    async fn negative_max_age_is_invalid_request(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("max_age", "-5")])).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    }

    async fn forged_id_token_hint_is_invalid_request(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("id_token_hint", "eyJhbGciOiJub25lIn0.e30.")])).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    }

    async fn an_access_token_as_id_token_hint_is_invalid_request(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let tokens = app.redeem(&client, &code).await;
        let access_token = tokens["access_token"].as_str().expect("access token");
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("id_token_hint", access_token)])).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    }

    async fn prompt_none_without_a_session_is_login_required(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("prompt", "none"), ("state", "s")])).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("login_required"));
        assert_eq!(query_param(&location, "state").as_deref(), Some("s"));
    }

    async fn prompt_none_with_other_values_is_invalid_request(app) {
        let client = app.client().await;
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("prompt", "none login")])).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    }

    async fn prompt_none_for_a_third_party_client_without_consent_is_consent_required(app) {
        let user = app.active_user().await;
        let client = app.client_with(ClientSpec { first_party: false, ..Default::default() }).await;
        app.sign_in(&user).await;
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("prompt", "none")])).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("consent_required"));
    }

    async fn prompt_none_with_a_session_returns_a_code(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("prompt", "none")])).await);
        assert!(query_param(&location, "code").is_some(), "{location}");
    }

    async fn without_a_session_the_browser_goes_to_the_sign_in_page(app) {
        let client = app.client().await;
        let response = app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("login_hint", "123456")])).await;
        let location = response.headers()["location"].to_str().expect("ascii").to_string();
        assert!(location.starts_with("/login?request="), "{location}");
        let page = app.get(&location).await;
        assert_eq!(page.status(), 200);
    }

    async fn after_sign_in_the_parked_request_resumes_with_a_code(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        let response = app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("state", "st")])).await;
        let location = response.headers()["location"].to_str().expect("ascii").to_string();
        let handle = location.trim_start_matches("/login?request=").to_string();
        let resumed = app.http.post(app.url("/test-support/sign-in")).form(&[("login", user.login.as_str()), ("request", handle.as_str())]).send().await.expect("sign in");
        let resume = resumed.headers()["location"].to_str().expect("ascii").to_string();
        let done = redirect_location(&app.get(&resume).await);
        assert!(query_param(&done, "code").is_some(), "{done}");
        assert_eq!(query_param(&done, "state").as_deref(), Some("st"));
        let replay = app.get(&resume).await;
        assert_eq!(replay.status(), 400, "a parked request yields one code only");
    }

    async fn prompt_login_asks_for_sign_in_despite_a_session(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let response = app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("prompt", "login")])).await;
        assert!(response.headers()["location"].to_str().expect("ascii").starts_with("/login?request="));
    }

    async fn max_age_exceeded_asks_for_sign_in(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        app.clock.advance(std::time::Duration::from_secs(120));
        let response = app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("max_age", "60")])).await;
        assert!(response.headers()["location"].to_str().expect("ascii").starts_with("/login?request="));
        let fresh = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("max_age", "600")])).await);
        assert!(query_param(&fresh, "code").is_some());
    }

    async fn idle_session_is_no_session(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        app.clock.advance(std::time::Duration::from_secs(61 * 60));
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("prompt", "none")])).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("login_required"));
    }

    async fn id_token_hint_of_another_user_with_prompt_none_is_login_required(app) {
        let alice = app.active_user().await;
        let bob = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&alice).await;
        let code = app.code(&client, &[]).await;
        let alice_id_token = app.redeem(&client, &code).await["id_token"].as_str().expect("id").to_string();
        app.sign_in(&bob).await;
        let location = redirect_location(&app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("prompt", "none"), ("id_token_hint", &alice_id_token)])).await);
        assert_eq!(query_param(&location, "error").as_deref(), Some("login_required"));
    }

    async fn form_post_mode_answers_with_an_auto_submitting_form(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let response = app.authorize(&client, &with_pkce(&[("response_type", "code"), ("scope", "openid"), ("response_mode", "form_post"), ("state", "fp")])).await;
        assert_eq!(response.status(), 200);
        let csp = response.headers()["content-security-policy"].to_str().expect("ascii").to_string();
        assert!(csp.contains("script-src 'sha256-"), "{csp}");
        // minijinja escapes '/' in attributes; browsers decode it.
        let html = response.text().await.expect("body").replace("&#x2f;", "/");
        assert!(html.contains(&format!("action=\"{}\"", client.redirect_uri)));
        assert!(html.contains("name=\"code\""));
        assert!(html.contains("value=\"fp\""));
    }

    async fn post_to_authorize_works_like_get(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let mut form = vec![("client_id", client.id.as_str()), ("redirect_uri", client.redirect_uri.as_str()), ("response_type", "code"), ("scope", "openid")];
        form.extend(PKCE);
        let response = app.http.post(app.url("/authorize")).form(&form).send().await.expect("POST");
        assert!(query_param(&redirect_location(&response), "code").is_some());
    }

    async fn unknown_scopes_are_ignored(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[("scope", "openid address phone")]).await;
        let tokens = app.redeem(&client, &code).await;
        assert_eq!(tokens["scope"], "openid");
    }

    async fn resume_with_an_unknown_handle_is_an_error_page(app) {
        let response = app.get("/authorize/resume?request=nope").await;
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
    }
}
