//! `/jwks`: public signing keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// RFC 7638 §3: SHA-256 over the required members in lexicographic order.
fn thumbprint(key: &serde_json::Value) -> String {
    let canonical = match key["kty"].as_str() {
        Some("RSA") => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            key["e"].as_str().unwrap_or_default(),
            key["n"].as_str().unwrap_or_default()
        ),
        Some("EC") => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            key["crv"].as_str().unwrap_or_default(),
            key["x"].as_str().unwrap_or_default(),
            key["y"].as_str().unwrap_or_default()
        ),
        Some("OKP") => format!(
            r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#,
            key["crv"].as_str().unwrap_or_default(),
            key["x"].as_str().unwrap_or_default()
        ),
        other => panic!("unexpected kty {other:?}"),
    };
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

backend_tests! {
    async fn publishes_an_rsa_an_ec_and_an_ed25519_key(app) {
        let jwks = app.get_json("/jwks").await;
        let kinds: Vec<_> = jwks["keys"].as_array().expect("keys").iter()
            .map(|k| (k["kty"].as_str().unwrap_or_default().to_string(), k["alg"].as_str().unwrap_or_default().to_string()))
            .collect();
        assert!(kinds.contains(&("RSA".into(), "RS256".into())));
        assert!(kinds.contains(&("EC".into(), "ES256".into())));
        assert!(kinds.contains(&("OKP".into(), "EdDSA".into())));
    }

    async fn rsa_key_has_at_least_2048_bits(app) {
        let jwks = app.get_json("/jwks").await;
        let rsa = jwks["keys"].as_array().expect("keys").iter().find(|k| k["kty"] == "RSA").expect("rsa key");
        let n = URL_SAFE_NO_PAD.decode(rsa["n"].as_str().expect("n")).expect("base64url");
        assert!(n.len() * 8 >= 2048);
    }

    async fn kid_is_the_rfc7638_thumbprint(app) {
        let jwks = app.get_json("/jwks").await;
        for key in jwks["keys"].as_array().expect("keys") {
            assert_eq!(key["kid"].as_str().expect("kid"), thumbprint(key));
        }
    }

    async fn private_parts_are_never_published(app) {
        let jwks = app.get_json("/jwks").await;
        for key in jwks["keys"].as_array().expect("keys") {
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(key.get(private).is_none(), "{private} published");
            }
        }
    }

    async fn keys_survive_a_restart(app) {
        let before = app.get_json("/jwks").await;
        // A second start on the same settings and data, as after a restart.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let settings = (*app.state.settings).clone();
        let restarted = kuke_id::app::App::build_on(settings, app.clock.clone(), listener).await.expect("a second start");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(restarted.serve(async {
            let _ = stopped.await;
        }));
        let after: serde_json::Value = app.http.get(format!("http://{addr}/jwks")).send().await.expect("GET").json().await.expect("json");
        let _ = stop.send(());
        server.await.expect("the second server ends").expect("cleanly");
        let kids = |v: &serde_json::Value| {
            let mut k: Vec<_> = v["keys"].as_array().expect("keys").iter().map(|k| k["kid"].to_string()).collect();
            k.sort();
            k
        };
        assert!(!kids(&before).is_empty());
        assert_eq!(kids(&before), kids(&after));
    }
}

backend_tests! {
    async fn the_jwks_may_be_cached_for_less_than_a_rotated_key_waits_before_signing(app) {
        let response = app.get("/jwks").await;
        assert_eq!(response.headers()["cache-control"], "public, max-age=300");
        assert!(app.state.settings.key_publish_ahead > std::time::Duration::from_secs(300));
    }

    async fn a_relying_party_caching_the_jwks_knows_every_signing_key_after_a_rotation(app) {
        let kids = |jwks: &serde_json::Value| -> Vec<String> {
            jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str().map(str::to_string)).collect()
        };
        let signing_kid = |token: &str| jsonwebtoken::decode_header(token).expect("header").kid.expect("kid");
        let cached = kids(&app.get_json("/jwks").await);
        let actor = kuke_id::domain::audit::Actor::cli();
        let alg = Some(kuke_id::domain::signing_alg::SigningAlg::Es256);
        kuke_id::flows::keys::rotate_here(&app.state, &actor, alg).await.expect("rotate");
        // Until its cache expires, the relying party sees only keys it knows.
        app.clock.advance(std::time::Duration::from_secs(299));
        assert!(cached.contains(&signing_kid(&app.admin_token("admin:keys").await)));
        // It then fetches the set again, and knows the new key before it signs.
        app.clock.advance(std::time::Duration::from_secs(2));
        let refreshed = kids(&app.get_json("/jwks").await);
        app.clock.advance(std::time::Duration::from_secs(300));
        let new_kid = signing_kid(&app.admin_token("admin:keys").await);
        assert!(!cached.contains(&new_kid), "the rotated key signs now");
        assert!(refreshed.contains(&new_kid));
    }
}
