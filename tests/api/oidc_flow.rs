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
        assert_eq!(claims.email().map(|e| e.as_str().to_string()), Some(user.email.clone()));
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

    async fn id_and_access_tokens_of_every_algorithm_verify_against_the_jwks(app) {
        use kuke_id::domain::signing_alg::SigningAlg;
        let user = app.active_user().await;
        app.sign_in(&user).await;
        for (alg, expected) in [(SigningAlg::Rs256, jsonwebtoken::Algorithm::RS256), (SigningAlg::Es256, jsonwebtoken::Algorithm::ES256), (SigningAlg::EdDsa, jsonwebtoken::Algorithm::EdDSA)] {
            let client = app.client_with(crate::support::fixtures::ClientSpec { alg, ..Default::default() }).await;
            let code = app.code(&client, &[]).await;
            let body = app.redeem(&client, &code).await;
            let id_token = body["id_token"].as_str().expect("id_token");
            assert_eq!(jsonwebtoken::decode_header(id_token).expect("header").alg, expected);
            let claims = app.verified(id_token, Some(&client.id)).await;
            assert_eq!(claims["sub"], user.id.to_string());
            let access = app.verified(body["access_token"].as_str().expect("access_token"), None).await;
            assert_eq!(access["sub"], user.id.to_string());
        }
    }
}
