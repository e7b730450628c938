//! `/token`: client authentication, each grant, and every way to get it wrong.

use crate::support::fixtures::{ClientSpec, VERIFIER};
use kuke_id::domain::client::ClientKind;

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("json error");
    (status, body["error"].as_str().unwrap_or_default().to_string())
}

backend_tests! {
    async fn successful_response_is_not_cacheable_and_has_bearer_tokens(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let response = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri), ("code_verifier", VERIFIER)]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 300);
        let header = jsonwebtoken::decode_header(body["access_token"].as_str().expect("at")).expect("jwt");
        assert_eq!(header.typ.as_deref(), Some("at+jwt"), "RFC 9068");
    }

    async fn id_token_carries_the_required_claims(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[("scope", "openid organization role")]).await;
        let body = app.redeem(&client, &code).await;
        let token = body["id_token"].as_str().expect("id_token");
        let payload = token.split('.').nth(1).expect("payload");
        use base64::Engine;
        let claims: serde_json::Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json");
        for claim in ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash", "sid"] {
            assert!(claims.get(claim).is_some(), "missing {claim}: {claims}");
        }
        assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]));
        assert_eq!(claims["organization"]["name"], "ACME Sp. z o.o.");
        assert_eq!(claims["role"], "administrator");
        assert_eq!(claims["nonce"], "n1");
    }

    async fn wrong_content_type_is_invalid_request(app) {
        let response = app.http.post(app.url("/token")).json(&serde_json::json!({"grant_type": "client_credentials"})).send().await.expect("POST");
        assert_eq!(error_of(response).await, (400, "invalid_request".into()));
    }

    async fn missing_client_authentication_is_invalid_client_with_a_challenge(app) {
        let response = app.http.post(app.url("/token")).form(&[("grant_type", "client_credentials")]).send().await.expect("POST");
        assert!(response.headers().get("www-authenticate").is_some());
        assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    }

    async fn wrong_secret_is_invalid_client_with_basic_challenge(app) {
        let client = app.client().await;
        let response = app.http.post(app.url("/token")).basic_auth(&client.id, Some("wrong")).form(&[("grant_type", "authorization_code"), ("code", "x")]).send().await.expect("POST");
        assert!(response.headers()["www-authenticate"].to_str().expect("ascii").starts_with("Basic"));
        assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    }

    async fn unknown_client_is_invalid_client(app) {
        let response = app.http.post(app.url("/token")).basic_auth("ghost", Some("secret")).form(&[("grant_type", "client_credentials")]).send().await.expect("POST");
        assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    }

    async fn a_sixty_thousand_character_client_id_is_invalid_client(app) {
        let id = "a".repeat(60_000);
        let response = app.http.post(app.url("/token")).form(&[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", "secret")]).send().await.expect("POST");
        assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    }

    async fn a_client_id_breaking_the_registration_rules_is_invalid_client_in_basic_credentials_too(app) {
        let response = app.http.post(app.url("/token")).basic_auth("rp with spaces", Some("secret")).form(&[("grant_type", "client_credentials")]).send().await.expect("POST");
        assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    }

    async fn client_ids_breaking_the_rules_are_not_cached(app) {
        for id in ["a".repeat(60_000), "a".repeat(129), "quote\"d".to_string(), "tab\tbed".to_string()] {
            let response = app.http.post(app.url("/token")).form(&[("grant_type", "client_credentials"), ("client_id", &id)]).send().await.expect("POST");
            assert_eq!(response.status(), 401);
        }
        assert!(app.state.clients.is_empty(), "{} entries cached", app.state.clients.len());
    }

    async fn malformed_basic_header_is_invalid_client(app) {
        let response = app.http.post(app.url("/token")).header("authorization", "Basic !!!").form(&[("grant_type", "client_credentials")]).send().await.expect("POST");
        assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    }

    async fn two_authentication_methods_are_invalid_request(app) {
        let client = app.client().await;
        let secret = client.secret.clone().expect("secret");
        let response = app.http.post(app.url("/token")).basic_auth(&client.id, Some(&secret))
            .form(&[("grant_type", "authorization_code"), ("client_secret", secret.as_str())]).send().await.expect("POST");
        assert_eq!(error_of(response).await.1, "invalid_request");
    }

    async fn client_secret_post_authenticates(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let secret = client.secret.clone().expect("secret");
        let response = app.http.post(app.url("/token")).form(&[
            ("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri),
            ("code_verifier", VERIFIER), ("client_id", &client.id), ("client_secret", &secret),
        ]).send().await.expect("POST");
        assert_eq!(response.status(), 200);
    }

    async fn public_client_redeems_with_pkce_and_no_secret(app) {
        let user = app.active_user().await;
        let client = app.client_with(ClientSpec { kind: ClientKind::Public, ..Default::default() }).await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let response = app.http.post(app.url("/token")).form(&[
            ("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri),
            ("code_verifier", VERIFIER), ("client_id", &client.id),
        ]).send().await.expect("POST");
        assert_eq!(response.status(), 200);
    }

    async fn unknown_grant_type_is_unsupported_grant_type(app) {
        let client = app.client().await;
        let response = app.token(&client, &[("grant_type", "password"), ("username", "a"), ("password", "b")]).await;
        assert_eq!(error_of(response).await, (400, "unsupported_grant_type".into()));
    }

    async fn repeated_parameter_is_invalid_request(app) {
        let client = app.client().await;
        let response = app.token(&client, &[("grant_type", "authorization_code"), ("code", "a"), ("code", "b")]).await;
        assert_eq!(error_of(response).await, (400, "invalid_request".into()));
    }

    async fn unknown_code_is_invalid_grant(app) {
        let client = app.client().await;
        let response = app.token(&client, &[("grant_type", "authorization_code"), ("code", "nope"), ("redirect_uri", &client.redirect_uri)]).await;
        assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
    }

    async fn second_redemption_fails_and_revokes_the_tokens_of_the_first(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let first = app.redeem(&client, &code).await;
        let again = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri), ("code_verifier", VERIFIER)]).await;
        assert_eq!(error_of(again).await, (400, "invalid_grant".into()));
        let userinfo = app.http.get(app.url("/userinfo")).bearer_auth(first["access_token"].as_str().expect("at")).send().await.expect("GET");
        assert_eq!(userinfo.status(), 401, "access token of the first redemption is revoked");
        let refresh = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().expect("rt"))]).await;
        assert_eq!(error_of(refresh).await.1, "invalid_grant", "refresh token of the first redemption is revoked");
    }

    async fn code_of_another_client_is_invalid_grant(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        let other = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let response = app.token(&other, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri), ("code_verifier", VERIFIER)]).await;
        assert_eq!(error_of(response).await.1, "invalid_grant");
    }

    async fn different_redirect_uri_is_invalid_grant(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let response = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/other"), ("code_verifier", VERIFIER)]).await;
        assert_eq!(error_of(response).await.1, "invalid_grant");
    }

    async fn wrong_code_verifier_is_invalid_grant(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let wrong = "A".repeat(43);
        let response = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri), ("code_verifier", &wrong)]).await;
        assert_eq!(error_of(response).await.1, "invalid_grant");
    }

    async fn missing_code_verifier_is_invalid_grant(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let response = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri)]).await;
        assert_eq!(error_of(response).await.1, "invalid_grant");
    }

    async fn verifier_for_a_code_without_challenge_is_invalid_grant(app) {
        let user = app.active_user().await;
        let client = app.client_with(ClientSpec { require_pkce: false, ..Default::default() }).await;
        app.sign_in(&user).await;
        let response = app.authorize(&client, &[("response_type", "code"), ("scope", "openid")]).await;
        let location = crate::support::fixtures::redirect_location(&response);
        let code = crate::support::fixtures::query_param(&location, "code").expect("code");
        let response = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri), ("code_verifier", VERIFIER)]).await;
        assert_eq!(error_of(response).await.1, "invalid_grant", "PKCE downgrade");
    }

    async fn a_client_registered_with_the_pkce_opt_out_redeems_a_code_without_code_verifier(app) {
        let user = app.active_user().await;
        let client = app.client_with(ClientSpec { require_pkce: false, ..Default::default() }).await;
        app.sign_in(&user).await;
        let response = app.authorize(&client, &[("response_type", "code"), ("scope", "openid"), ("nonce", "n1")]).await;
        let location = crate::support::fixtures::redirect_location(&response);
        let code = crate::support::fixtures::query_param(&location, "code").expect("code");
        let response = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri)]).await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        assert!(body["id_token"].is_string() && body["access_token"].is_string());
    }

    async fn code_older_than_sixty_seconds_is_invalid_grant(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        app.clock.advance(std::time::Duration::from_secs(61));
        let response = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri), ("code_verifier", VERIFIER)]).await;
        assert_eq!(error_of(response).await.1, "invalid_grant");
    }

    async fn client_credentials_issues_an_access_token_for_registered_scopes(app) {
        let client = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin:users".into()]), ..Default::default() }).await;
        let response = app.token(&client, &[("grant_type", "client_credentials"), ("scope", "admin:users")]).await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["scope"], "admin:users");
        assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    }

    async fn client_credentials_with_an_unregistered_scope_is_invalid_scope(app) {
        let client = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin:users".into()]), ..Default::default() }).await;
        let response = app.token(&client, &[("grant_type", "client_credentials"), ("scope", "admin")]).await;
        assert_eq!(error_of(response).await.1, "invalid_scope");
    }

    async fn client_credentials_with_more_than_a_hundred_scope_values_is_invalid_scope(app) {
        let client = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin:users".into()]), ..Default::default() }).await;
        let scope = vec!["admin:users"; 101].join(" ");
        let response = app.token(&client, &[("grant_type", "client_credentials"), ("scope", &scope)]).await;
        assert_eq!(error_of(response).await, (400, "invalid_scope".into()));
    }

    async fn client_without_client_credentials_is_unauthorized_client(app) {
        let client = app.client().await;
        let response = app.token(&client, &[("grant_type", "client_credentials")]).await;
        assert_eq!(error_of(response).await.1, "unauthorized_client");
    }

    async fn reusing_a_rotated_refresh_token_revokes_the_whole_family(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let first = app.redeem(&client, &code).await;
        let old = first["refresh_token"].as_str().expect("rt").to_string();
        let rotated: serde_json::Value = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &old)]).await.json().await.expect("json");
        let new = rotated["refresh_token"].as_str().expect("new rt").to_string();
        let reuse = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &old)]).await;
        assert_eq!(error_of(reuse).await.1, "invalid_grant");
        let after = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &new)]).await;
        assert_eq!(error_of(after).await.1, "invalid_grant", "the newest token of the family is revoked too");
    }

    async fn refresh_with_a_wider_scope_is_invalid_scope(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[("scope", "openid")]).await;
        let first = app.redeem(&client, &code).await;
        let response = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().expect("rt")), ("scope", "openid email")]).await;
        assert_eq!(error_of(response).await.1, "invalid_scope");
    }

    async fn refresh_with_more_than_a_hundred_scope_values_is_invalid_scope(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[("scope", "openid")]).await;
        let first = app.redeem(&client, &code).await;
        let scope = vec!["openid"; 101].join(" ");
        let response = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().expect("rt")), ("scope", &scope)]).await;
        assert_eq!(error_of(response).await, (400, "invalid_scope".into()));
    }

    async fn another_clients_refresh_token_is_refused_and_stays_valid(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        let thief = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let tokens = app.redeem(&client, &code).await;
        let refresh = tokens["refresh_token"].as_str().expect("rt");
        let stolen = app.token(&thief, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(error_of(stolen).await.1, "invalid_grant");
        let owner = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(owner.status(), 200);
    }
}

backend_tests! {
    async fn a_redeemed_code_replayed_by_another_client_does_not_end_the_owners_tokens(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        let other = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let tokens = app.redeem(&client, &code).await;

        let replay = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", client.redirect_uri.as_str()), ("code_verifier", VERIFIER)];
        let response = app.token(&other, &replay).await;

        assert_eq!(error_of(response).await.1, "invalid_grant");
        let refresh = tokens["refresh_token"].as_str().expect("rt");
        let refreshed = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(refreshed.status(), 200, "the owner's grant lives on");
    }

    async fn a_redeemed_code_replayed_by_its_own_client_revokes_what_it_produced(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let tokens = app.redeem(&client, &code).await;

        let replay = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", client.redirect_uri.as_str()), ("code_verifier", VERIFIER)];
        app.token(&client, &replay).await;

        let refresh = tokens["refresh_token"].as_str().expect("rt");
        let refreshed = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(refreshed.status(), 400);
    }
}
