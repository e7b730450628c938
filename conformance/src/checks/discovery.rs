//! Config OP plan: the discovery document and its keys.

use super::*;

impl<A: Authenticator> Ctx<'_, A> {
    pub(super) fn discovery_verification(&self) -> CheckOutcome {
        let d = &self.disc;
        let mut problems = Vec::new();
        for key in [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
        ] {
            if !d.has(key) {
                problems.push(format!("{key} missing"));
            }
        }
        if !d.strings("response_types_supported").iter().any(|t| t == "code") {
            problems.push("response_types_supported lacks \"code\"".to_owned());
        }
        let subjects = d.strings("subject_types_supported");
        if subjects.is_empty() || subjects.iter().any(|s| s != "public" && s != "pairwise") {
            problems.push(format!("subject_types_supported {subjects:?} must list public and/or pairwise"));
        }
        if d.has("scopes_supported") && !d.strings("scopes_supported").iter().any(|s| s == "openid") {
            problems.push("scopes_supported lacks openid".to_owned());
        }
        if d.has("grant_types_supported")
            && !d.strings("grant_types_supported").iter().any(|g| g == "authorization_code")
        {
            problems.push("grant_types_supported lacks authorization_code".to_owned());
        }
        if d.has("response_modes_supported") && !d.strings("response_modes_supported").iter().any(|m| m == "query") {
            problems.push("response_modes_supported lacks query".to_owned());
        }
        if !d.token_auth_supported("client_secret_basic") {
            problems.push("token_endpoint_auth_methods_supported lacks client_secret_basic".to_owned());
        }
        if d.userinfo_endpoint.is_none() {
            problems.push("userinfo_endpoint missing (the Basic OP profile uses it)".to_owned());
        }
        if d.strings("id_token_signing_alg_values_supported").iter().any(|a| a == "none") {
            problems.push("id_token_signing_alg_values_supported offers none".to_owned());
        }
        if d.has("claims_parameter_supported")
            && d.raw.get("claims_parameter_supported").and_then(Value::as_bool).is_none()
        {
            problems.push("claims_parameter_supported is not a boolean".to_owned());
        }
        if let Err(e) = self.jwks() {
            problems.push(e);
        }
        verdict(problems)
    }

    pub(super) fn discovery_issuer(&self) -> CheckOutcome {
        match self.disc.raw.get("issuer").and_then(Value::as_str) {
            Some(issuer) if issuer == self.config.issuer => Ok(Outcome::Pass),
            other => Ok(Outcome::Fail(format!("discovery issuer {other:?} is not exactly {:?}", self.config.issuer))),
        }
    }

    pub(super) fn discovery_jwks(&self) -> CheckOutcome {
        let jwks = self.jwks()?;
        let keys = jwks.get("keys").and_then(Value::as_array).ok_or("JWKS has no keys array")?;
        if keys.is_empty() {
            return Ok(Outcome::Fail("JWKS is empty".into()));
        }
        let mut problems = Vec::new();
        let mut kids = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let field = |name: &str| key.get(name).and_then(Value::as_str);
            let kid = field("kid");
            match kid {
                Some(kid) if kids.contains(&kid) => problems.push(format!("kid {kid:?} used twice")),
                Some(kid) => kids.push(kid),
                None => problems.push(format!("key {i} has no kid")),
            }
            if field("kty").is_none() {
                problems.push(format!("key {i} has no kty"));
            }
            if field("use").is_none() {
                problems.push(format!("key {i} has no use"));
            }
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                if key.get(private).is_some() {
                    problems.push(format!("key {i} publishes private member {private}"));
                }
            }
        }
        let has_rsa_sig = keys.iter().any(|k| {
            k.get("kty").and_then(Value::as_str) == Some("RSA")
                && k.get("use").and_then(Value::as_str) != Some("enc")
                && serde_json::from_value::<jsonwebtoken::jwk::Jwk>(k.clone())
                    .ok()
                    .and_then(|jwk| jsonwebtoken::DecodingKey::from_jwk(&jwk).ok())
                    .is_some()
        });
        if !has_rsa_sig {
            problems.push("no usable RSA signing key for RS256".into());
        }
        verdict(problems)
    }

    pub(super) fn discovery_rs256(&self) -> CheckOutcome {
        let algs = self.disc.strings("id_token_signing_alg_values_supported");
        if algs.iter().any(|a| a == "RS256") {
            Ok(Outcome::Pass)
        } else {
            Ok(Outcome::Fail(format!("id_token_signing_alg_values_supported {algs:?} lacks RS256")))
        }
    }

    pub(super) fn discovery_https(&self) -> CheckOutcome {
        let mut problems = Vec::new();
        let mut urls: Vec<(String, String)> = vec![("issuer".into(), self.config.issuer.clone())];
        for (key, value) in &self.disc.raw {
            if (key.ends_with("_endpoint") || key.ends_with("_uri") || key == "issuer")
                && let Some(s) = value.as_str()
            {
                urls.push((key.clone(), s.to_owned()));
            }
        }
        for (key, value) in urls {
            match Url::parse(&value) {
                Ok(url) if url.scheme() == "https" => {}
                Ok(url) if url.scheme() == "http" && is_loopback(&url) => {}
                Ok(url) => problems.push(format!("{key} {url} is neither https nor loopback http")),
                Err(e) => problems.push(format!("{key} {value:?}: {e}")),
            }
            if key == "issuer"
                && let Ok(url) = Url::parse(&value)
                && (url.query().is_some() || url.fragment().is_some())
            {
                problems.push("issuer has a query or fragment".into());
            }
        }
        verdict(problems)
    }

    pub(super) async fn rfc9207(&self) -> CheckOutcome {
        if !self.disc.iss_in_responses() {
            return Ok(Outcome::Skip("authorization_response_iss_parameter_supported not advertised".into()));
        }
        // Success response.
        let browser = self.browser()?;
        let callback = self.authorize(&browser, &self.flow()).await?;
        callback.code()?;
        // Error response (no session, prompt=none).
        let fresh = self.browser()?;
        let mut flow = self.flow();
        flow.set("prompt", "none");
        let callback = self.authorize(&fresh, &flow).await?;
        if callback.error().is_none() {
            return Ok(Outcome::Fail("prompt=none without a session did not return an error".into()));
        }
        // Both went through check_response_params, which demands iss.
        Ok(Outcome::Pass)
    }
}
