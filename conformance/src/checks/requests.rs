//! Basic OP plan: request objects, claims, POSTed requests and tokens
//! (refresh, PKCE, code bound to its client).

use super::*;

impl<A: Authenticator> Ctx<'_, A> {
    /// Unsigned (alg none) request object, by value or by reference: either
    /// processed correctly, or rejected with a request-object error.
    pub(super) async fn request_object(&self, by_reference: bool) -> CheckOutcome {
        let supports_none =
            self.disc.strings("request_object_signing_alg_values_supported").iter().any(|a| a == "none");
        let supported = supports_none
            && if by_reference {
                // OIDC Discovery: request_uri_parameter_supported defaults to true.
                self.disc.flag("request_uri_parameter_supported", true)
            } else {
                self.disc.flag("request_parameter_supported", false)
            };
        let flow = self.flow();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(flow.client.client_id));
        claims.insert("aud".into(), json!(self.config.issuer));
        for (k, v) in &flow.params {
            claims.insert(k.clone(), json!(v));
        }
        let jwt = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(Value::Object(claims).to_string().as_bytes()));
        // The outer request repeats what OAuth requires outside the object
        // (and the state, so that an error can be matched to this request);
        // the nonce travels only inside, proving the object was read.
        let mut outer = flow.clone();
        outer.params.retain(|(k, _)| k != "nonce");
        let server = if by_reference {
            let (url, handle) = serve_request_object(jwt).await?;
            outer.set("request_uri", url.as_str());
            Some(handle)
        } else {
            outer.set("request", jwt);
            None
        };
        let browser = self.browser()?;
        let landing = self.authorize_landing(&browser, &outer, false, &[]).await;
        if let Some(handle) = server {
            handle.abort();
        }
        let rejections: &[&str] = if by_reference {
            &["request_uri_not_supported", "invalid_request_uri", "invalid_request_object", "invalid_request"]
        } else {
            &["request_not_supported", "invalid_request_object", "invalid_request"]
        };
        match landing? {
            Landing::Stop { params, .. } => {
                self.check_response_params(&flow, &params)?;
                let callback = Callback { params, interactions: 0 };
                match callback.error() {
                    Some(error) if supported => {
                        Ok(Outcome::Fail(format!("OP advertises unsigned request objects but rejected one: {error}")))
                    }
                    Some(error) if rejections.contains(&error) => Ok(Outcome::Pass),
                    Some(error) => Ok(Outcome::Fail(format!("rejected with {error}, expected one of {rejections:?}"))),
                    None => {
                        // Processed: the nonce from inside the object must
                        // come back in the ID token.
                        let code = callback.code()?;
                        self.redeem(&browser, &flow, &code, ClientAuth::Basic, &[]).await?;
                        Ok(Outcome::Pass)
                    }
                }
            }
            Landing::Page { status, .. } if !supported && status >= 400 => Ok(Outcome::Pass),
            other => Ok(Outcome::Fail(format!("request object neither processed nor rejected: {}", describe(&other)))),
        }
    }

    pub(super) async fn claims_essential(&self) -> CheckOutcome {
        if !self.disc.flag("claims_parameter_supported", false) {
            return Ok(Outcome::Skip("claims_parameter_supported is not true".into()));
        }
        let browser = self.browser()?;
        let mut flow = self.flow();
        flow.set("claims", json!({"userinfo": {"name": {"essential": true}}}).to_string());
        let (session, _) = self.login(&browser, &flow).await?;
        if self.disc.userinfo_endpoint.is_some() {
            self.userinfo_claims(browser.http(), &session, UserinfoMethod::Get).await?;
        }
        Ok(Outcome::Pass)
    }

    pub(super) async fn post_request(&self) -> CheckOutcome {
        let browser = self.browser()?;
        let flow = self.flow();
        let callback = self.authorize_with(&browser, &flow, true).await?;
        let code = callback.code()?;
        self.redeem(&browser, &flow, &code, ClientAuth::Basic, &[]).await?;
        Ok(Outcome::Pass)
    }

    pub(super) async fn refresh_token(&self) -> CheckOutcome {
        if !self.disc.strings("grant_types_supported").iter().any(|g| g == "refresh_token") {
            return Ok(Outcome::Skip("grant_types_supported does not list refresh_token".into()));
        }
        let browser = self.browser()?;
        let mut flow = self.flow();
        if self.disc.scope_supported("offline_access") && self.disc.has("scopes_supported") {
            // OIDC Core §11: offline_access only counts with prompt=consent.
            flow.set("scope", "openid offline_access");
            flow.set("prompt", "consent");
        }
        let (session, _) = self.login(&browser, &flow).await?;
        let Some(refresh) = session.tokens.refresh_token.clone() else {
            return Ok(Outcome::Fail("no refresh_token issued although the grant is advertised".into()));
        };
        if let Some(second) = &self.config.second_client {
            let raw = token_request(
                browser.http(),
                &self.disc.token_endpoint,
                second,
                ClientAuth::Basic,
                &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            )
            .await?;
            if raw.status == 200 {
                return Ok(Outcome::Fail("another client could use this client's refresh token".into()));
            }
            expect_token_error(&raw, &["invalid_grant"]).map_err(|e| format!("refresh with the second client: {e}"))?;
        }
        let raw = token_request(
            browser.http(),
            &self.disc.token_endpoint,
            &flow.client,
            ClientAuth::Basic,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await?;
        let tokens = expect_tokens(raw).map_err(|e| format!("refresh: {e}"))?;
        if let Some(id_token) = &tokens.id_token {
            // OIDC Core §12.2: same iss, sub, aud; auth_time unchanged.
            let claims = oidc::validate_id_token(
                id_token,
                &self.config.issuer,
                self.jwks()?,
                &self.disc,
                &IdTokenRules {
                    client_id: &flow.client.client_id,
                    nonce: NonceRule::Any,
                    require_auth_time: false,
                    access_token: Some(&tokens.access_token),
                },
            )
            .map_err(|e| format!("refreshed ID token: {e}"))?;
            if claims.get("sub") != session.claims.get("sub") {
                return Ok(Outcome::Fail("refreshed ID token has another sub".into()));
            }
            if claims.get("auth_time").is_some() && claims.get("auth_time") != session.claims.get("auth_time") {
                return Ok(Outcome::Fail("refreshed ID token changed auth_time".into()));
            }
        }
        if self.disc.userinfo_endpoint.is_some() {
            let refreshed = Session { tokens, id_token: session.id_token.clone(), claims: session.claims.clone() };
            self.userinfo_claims(browser.http(), &refreshed, UserinfoMethod::Get)
                .await
                .map_err(|e| format!("refreshed access token at userinfo: {e}"))?;
        }
        Ok(Outcome::Pass)
    }

    pub(super) async fn pkce(&self, valid: bool) -> CheckOutcome {
        let s256 = self.disc.strings("code_challenge_methods_supported").iter().any(|m| m == "S256");
        if !valid && !s256 {
            return Ok(Outcome::Skip("code_challenge_methods_supported does not list S256".into()));
        }
        let browser = self.browser()?;
        let mut flow = self.flow();
        flow.set_pkce(random_token(32));
        let code = self.authorize(&browser, &flow).await?.code()?;
        if valid {
            self.redeem(&browser, &flow, &code, ClientAuth::Basic, &[]).await?;
            return Ok(Outcome::Pass);
        }
        let wrong = random_token(32);
        let raw = token_request(
            browser.http(),
            &self.disc.token_endpoint,
            &flow.client,
            ClientAuth::Basic,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &flow.client.redirect_uri),
                ("code_verifier", &wrong),
            ],
        )
        .await?;
        if raw.status == 200 {
            return Ok(Outcome::Fail("a wrong code_verifier was accepted".into()));
        }
        expect_token_error(&raw, &["invalid_grant"])?;
        Ok(Outcome::Pass)
    }

    pub(super) async fn code_bound_to_client(&self) -> CheckOutcome {
        let Some(second) = &self.config.second_client else {
            return Ok(Outcome::Skip("no second client configured".into()));
        };
        let browser = self.browser()?;
        let flow = self.flow();
        let code = self.authorize(&browser, &flow).await?.code()?;
        let raw =
            token_request(browser.http(), &self.disc.token_endpoint, second, ClientAuth::Basic, &flow.code_form(&code))
                .await?;
        if raw.status == 200 {
            return Ok(Outcome::Fail("another client redeemed this client's code".into()));
        }
        expect_token_error(&raw, &["invalid_grant"])?;
        Ok(Outcome::Pass)
    }
}
