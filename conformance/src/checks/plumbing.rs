//! The steps every check is made of: building requests, driving the browser,
//! redeeming codes and calling userinfo.

use super::*;

impl<A: Authenticator> Ctx<'_, A> {
    pub(super) fn browser(&self) -> Result<Browser, String> {
        Browser::new(self.config.request_timeout)
    }

    pub(super) fn jwks(&self) -> Result<&Value, String> {
        self.jwks.as_ref().map_err(|e| format!("JWKS unavailable: {e}"))
    }

    pub(super) fn redirect_uri(client: &ClientConfig) -> Result<Url, String> {
        Url::parse(&client.redirect_uri).map_err(|e| format!("redirect_uri {:?}: {e}", client.redirect_uri))
    }

    pub(super) fn flow_for(&self, client: &ClientConfig, scope: &str) -> Flow {
        let state = random_token(16);
        let nonce = random_token(16);
        let mut flow = Flow {
            params: vec![
                ("response_type".into(), "code".into()),
                ("client_id".into(), client.client_id.clone()),
                ("redirect_uri".into(), client.redirect_uri.clone()),
                ("scope".into(), scope.into()),
                ("state".into(), state.clone()),
                ("nonce".into(), nonce.clone()),
            ],
            client: client.clone(),
            state: Some(state),
            nonce: Some(nonce),
            max_age: false,
            verifier: None,
        };
        if self.config.pkce {
            flow.set_pkce(random_token(32));
        }
        flow
    }

    pub(super) fn flow(&self) -> Flow {
        self.flow_for(&self.config.client, "openid")
    }

    pub(super) fn authorization_url(&self, flow: &Flow) -> Url {
        let mut url = self.disc.authorization_endpoint.clone();
        url.query_pairs_mut().extend_pairs(flow.params.iter());
        url
    }

    /// Sends the browser with `flow` to the authorization endpoint (GET, or
    /// a form POST) and returns where it ended. `extra_stops` are other
    /// client-side URLs at which to stop.
    pub(super) async fn authorize_landing(
        &self,
        browser: &Browser,
        flow: &Flow,
        post: bool,
        extra_stops: &[Url],
    ) -> Result<Landing, String> {
        let mut stops = vec![Self::redirect_uri(&flow.client)?];
        stops.extend_from_slice(extra_stops);
        let start = if post {
            Start::PostForm(self.disc.authorization_endpoint.clone(), flow.params.clone())
        } else {
            Start::Get(self.authorization_url(flow))
        };
        browser.navigate(start, &self.issuer, &stops, self.auth).await
    }

    /// Checks the parameters every authorization response must carry: the
    /// state sent, and RFC 9207 `iss` when advertised (and correct if sent).
    pub(super) fn check_response_params(&self, flow: &Flow, params: &HashMap<String, String>) -> Result<(), String> {
        if let Some(state) = &flow.state {
            match params.get("state") {
                Some(got) if got == state => {}
                Some(got) => return Err(format!("state {got:?} is not the one sent")),
                None => return Err("state not returned in the authorization response".into()),
            }
        }
        match params.get("iss") {
            Some(iss) if *iss != self.config.issuer => {
                return Err(format!("iss {iss:?} in the authorization response is not the issuer (RFC 9207)"));
            }
            None if self.disc.iss_in_responses() => {
                return Err("authorization response lacks iss although discovery advertises authorization_response_iss_parameter_supported (RFC 9207)".into());
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) async fn authorize_with(&self, browser: &Browser, flow: &Flow, post: bool) -> Result<Callback, String> {
        match self.authorize_landing(browser, flow, post, &[]).await? {
            Landing::Stop { params, interactions, .. } => {
                self.check_response_params(flow, &params)?;
                Ok(Callback { params, interactions })
            }
            other => Err(format!("authorization did not return to the redirect_uri: {}", describe(&other))),
        }
    }

    pub(super) async fn authorize(&self, browser: &Browser, flow: &Flow) -> Result<Callback, String> {
        self.authorize_with(browser, flow, false).await
    }

    /// Redeems `code` and validates the tokens, including the ID token.
    pub(super) async fn redeem(
        &self,
        browser: &Browser,
        flow: &Flow,
        code: &str,
        auth: ClientAuth,
        extra: &[(&str, &str)],
    ) -> Result<Session, String> {
        let mut form = flow.code_form(code);
        // A check that sends its own verifier (or none) says so in `extra`.
        if extra.iter().any(|(k, _)| *k == "code_verifier") {
            form.retain(|(k, _)| *k != "code_verifier");
        }
        form.extend_from_slice(extra);
        let raw = token_request(browser.http(), &self.disc.token_endpoint, &flow.client, auth, &form).await?;
        let tokens = expect_tokens(raw)?;
        let id_token = tokens.id_token.clone().ok_or("no id_token in the token response to an openid request")?;
        let claims = oidc::validate_id_token(
            &id_token,
            &self.config.issuer,
            self.jwks()?,
            &self.disc,
            &IdTokenRules {
                client_id: &flow.client.client_id,
                nonce: flow.nonce_rule(),
                require_auth_time: flow.max_age,
                access_token: Some(&tokens.access_token),
            },
        )
        .map_err(|e| format!("ID token: {e}"))?;
        Ok(Session { tokens, id_token, claims })
    }

    /// Authorizes and redeems with client_secret_basic.
    pub(super) async fn login(&self, browser: &Browser, flow: &Flow) -> Result<(Session, Callback), String> {
        let callback = self.authorize(browser, flow).await?;
        let code = callback.code()?;
        let session = self.redeem(browser, flow, &code, ClientAuth::Basic, &[]).await?;
        Ok((session, callback))
    }

    /// Calls the userinfo endpoint and checks it answers with claims.
    pub(super) async fn userinfo(
        &self,
        http: &reqwest::Client,
        access_token: &str,
        method: UserinfoMethod,
    ) -> Result<oidc::RawResponse, String> {
        let endpoint = self.disc.userinfo_endpoint.clone().ok_or("no userinfo_endpoint")?;
        let request = match method {
            UserinfoMethod::Get => http.get(endpoint.clone()).bearer_auth(access_token),
            // No body at all, as the suite sends it: an empty body labelled
            // as a form is something some OPs refuse.
            UserinfoMethod::PostHeader => http.post(endpoint.clone()).bearer_auth(access_token),
            UserinfoMethod::PostBody => http.post(endpoint.clone()).form(&[("access_token", access_token)]),
        };
        let response = request
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("userinfo {endpoint}: {e}"))?;
        oidc::read_response(response).await
    }

    pub(super) async fn userinfo_claims(
        &self,
        http: &reqwest::Client,
        session: &Session,
        method: UserinfoMethod,
    ) -> Result<Map<String, Value>, String> {
        let raw = self.userinfo(http, &session.tokens.access_token, method).await?;
        if raw.status != 200 {
            return Err(format!("userinfo answered {}: {}", raw.status, short(&raw.text)));
        }
        if !raw.content_type.to_ascii_lowercase().starts_with("application/json") {
            return Err(format!("userinfo Content-Type {:?} is not application/json", raw.content_type));
        }
        let claims = raw.json.ok_or("userinfo body is not a JSON object")?;
        match claims.get("sub").and_then(Value::as_str) {
            Some(sub) if sub == session.sub() => Ok(claims),
            other => Err(format!("userinfo sub {other:?} differs from the ID token's {:?}", session.sub())),
        }
    }

    /// Whether the browser's SSO session is gone: prompt=none must come back
    /// with login_required (or interaction_required) without any login page.
    pub(super) async fn expect_logged_out(&self, browser: &Browser) -> Result<(), String> {
        let mut flow = self.flow();
        flow.set("prompt", "none");
        let callback = self.authorize(browser, &flow).await.map_err(|e| format!("after logout, prompt=none: {e}"))?;
        if callback.interactions > 0 {
            return Err("after logout, prompt=none showed a login page".into());
        }
        match callback.error() {
            Some("login_required" | "interaction_required") => Ok(()),
            Some(other) => Err(format!("after logout, prompt=none returned error {other}, expected login_required")),
            None => Err("session still active after logout: prompt=none returned a code".into()),
        }
    }
}
