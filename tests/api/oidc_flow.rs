//! The positive flows, driven by the openidconnect crate as a real relying party.

use openidconnect::{OAuth2TokenResponse, TokenResponse};

use crate::support::rp::{relying_party, sign_in_flow, userinfo};

backend_tests! {
    async fn discovery_code_pkce_id_token_and_userinfo_work_end_to_end(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let (rp, http) = relying_party(&app, &client).await;
        let signed_in = sign_in_flow(&app, &rp, &http, &["profile", "email", "organization", "role"]).await;
        assert_eq!(signed_in.subject, user.id.to_string(), "sub is the opaque account id");
        let claims = userinfo(&rp, &http, &signed_in.access_token).await;
        assert_eq!(claims.subject().as_str(), user.id.to_string());
        assert_eq!(claims.email().map(|e| e.as_str().to_string()), Some(format!("user{}@example.com", user.login)));
        assert_eq!(claims.given_name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()), Some("Anna".to_string()));
    }

    async fn refresh_rotates_the_refresh_token(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let (rp, http) = relying_party(&app, &client).await;
        let signed_in = sign_in_flow(&app, &rp, &http, &[]).await;
        let refresh = signed_in.refresh_token.expect("refresh token");
        let refreshed = rp.exchange_refresh_token(&refresh).expect("endpoint").request_async(&http).await.expect("refresh");
        let second = refreshed.refresh_token().expect("a new refresh token");
        assert_ne!(second.secret(), refresh.secret());
        assert!(refreshed.id_token().is_some());
        let again = rp.exchange_refresh_token(second).expect("endpoint").request_async(&http).await;
        assert!(again.is_ok(), "the rotated token works once");
    }

    async fn es256_client_gets_es256_id_tokens(app) {
        let user = app.active_user().await;
        let client = app.client_with(crate::support::fixtures::ClientSpec { alg: kuke_id::domain::signing_alg::SigningAlg::Es256, ..Default::default() }).await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let body = app.redeem(&client, &code).await;
        let header = jsonwebtoken::decode_header(body["id_token"].as_str().expect("id_token")).expect("header");
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    }
}
