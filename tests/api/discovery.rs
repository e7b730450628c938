//! `/.well-known/openid-configuration` (OIDC Discovery 1.0).

backend_tests! {
    async fn issuer_is_exactly_the_configured_one(app) {
        let metadata = app.get_json("/.well-known/openid-configuration").await;
        assert_eq!(metadata["issuer"], app.base.as_str());
    }

    async fn jwks_uri_points_at_a_served_jwk_set(app) {
        let metadata = app.get_json("/.well-known/openid-configuration").await;
        let jwks_uri = metadata["jwks_uri"].as_str().expect("jwks_uri");
        let response = app.http.get(jwks_uri).send().await.expect("GET jwks");
        assert_eq!(response.status(), 200);
    }

    async fn signing_algorithms_match_the_published_keys(app) {
        let metadata = app.get_json("/.well-known/openid-configuration").await;
        let jwks = app.get_json("/jwks").await;
        let mut advertised: Vec<_> = metadata["id_token_signing_alg_values_supported"]
            .as_array().expect("algs").iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect();
        let mut published: Vec<_> = jwks["keys"].as_array().expect("keys").iter()
            .map(|k| k["alg"].as_str().unwrap_or_default().to_string()).collect();
        advertised.sort();
        published.sort();
        published.dedup();
        assert_eq!(advertised, published);
        assert!(advertised.contains(&"RS256".to_string()), "RS256 is required by OIDC Core");
    }

    async fn discovery_is_json(app) {
        let response = app.get("/.well-known/openid-configuration").await;
        let content_type = response.headers()["content-type"].to_str().expect("ascii").to_string();
        assert!(content_type.starts_with("application/json"), "{content_type}");
    }
}
