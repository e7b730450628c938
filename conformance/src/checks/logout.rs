//! RP-Initiated Logout OP plan.

use super::*;

impl<A: Authenticator> Ctx<'_, A> {
    pub(super) fn post_logout_uri(&self) -> Result<Option<Url>, String> {
        self.config
            .client
            .post_logout_redirect_uri
            .as_deref()
            .map(|u| Url::parse(u).map_err(|e| format!("post_logout_redirect_uri {u:?}: {e}")))
            .transpose()
    }

    pub(super) fn end_session_url(&self, params: &[(&str, &str)]) -> Result<Url, String> {
        let mut url = self.disc.end_session_endpoint.clone().ok_or("no end_session_endpoint")?;
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params.iter());
        }
        Ok(url)
    }

    /// A signed-in browser and its session, ready to log out.
    pub(super) async fn signed_in(&self) -> Result<(Browser, Session), String> {
        let browser = self.browser()?;
        let (session, _) = self.login(&browser, &self.flow()).await?;
        Ok((browser, session))
    }

    /// Logout preconditions: the endpoint (feature advertised) and, if
    /// `need_uri`, a configured post_logout_redirect_uri.
    pub(super) fn logout_skip(&self, need_uri: bool) -> Result<Option<Outcome>, String> {
        if self.disc.end_session_endpoint.is_none() {
            return Ok(Some(Outcome::Skip("no end_session_endpoint advertised".into())));
        }
        if need_uri && self.post_logout_uri()?.is_none() {
            return Ok(Some(Outcome::Skip("no post_logout_redirect_uri configured for the client".into())));
        }
        Ok(None)
    }

    /// Sends the browser to the end-session endpoint; if the OP shows a page,
    /// lets the authenticator confirm the logout (as the user would) and
    /// follows on. Returns the final landing and whether a confirmation was
    /// submitted.
    pub(super) async fn end_session_confirmed(
        &self,
        browser: &Browser,
        url: Url,
        stops: &[Url],
    ) -> Result<(Landing, bool), String> {
        let landing = browser.navigate(Start::Get(url), &self.issuer, stops, self.auth).await?;
        // Only a 2xx page can be a confirmation prompt; error pages are final.
        let Landing::Page { url: page, body, status: 200..=299, .. } = &landing else {
            return Ok((landing, false));
        };
        let Some(next) = self
            .auth
            .confirm_logout(browser.http(), page, body)
            .await
            .map_err(|e| format!("confirming logout at {page}: {e}"))?
        else {
            return Ok((landing, false));
        };
        let next = match next {
            crate::auth::Confirmed::Redirect(next) => next,
            crate::auth::Confirmed::Page { url, status, content_type, body } => {
                return Ok((Landing::Page { url, status, content_type, body }, true));
            }
        };
        if stops.iter().any(|s| s.origin() == next.origin() && s.path() == next.path()) {
            return Ok((Landing::Stop { params: crate::browser::url_params(&next), url: next, interactions: 0 }, true));
        }
        if next.origin() != self.issuer.origin() {
            return Ok((Landing::Elsewhere { url: next }, true));
        }
        let landing = browser.navigate(Start::Get(next), &self.issuer, stops, self.auth).await?;
        Ok((landing, true))
    }

    /// Full logout with id_token_hint and post_logout_redirect_uri: the OP
    /// must come back to that URI (with the state when one was sent, none
    /// otherwise) and end the session.
    pub(super) async fn logout_success(&self, with_state: bool) -> CheckOutcome {
        if let Some(skip) = self.logout_skip(true)? {
            return Ok(skip);
        }
        let target = self.post_logout_uri()?.ok_or("no post_logout_redirect_uri")?;
        let (browser, session) = self.signed_in().await?;
        let state = random_token(12);
        let mut params =
            vec![("id_token_hint", session.id_token.as_str()), ("post_logout_redirect_uri", target.as_str())];
        if with_state {
            params.push(("state", state.as_str()));
        }
        let url = self.end_session_url(&params)?;
        let (landing, _) = self.end_session_confirmed(&browser, url, std::slice::from_ref(&target)).await?;
        let Landing::Stop { params: got, .. } = landing else {
            return Ok(Outcome::Fail(format!(
                "OP did not redirect to the post_logout_redirect_uri: {}",
                describe(&landing)
            )));
        };
        match (with_state, got.get("state")) {
            (true, Some(s)) if *s == state => {}
            (true, other) => {
                return Ok(Outcome::Fail(format!("state {other:?} after logout is not the one sent")));
            }
            (false, Some(s)) => {
                return Ok(Outcome::Fail(format!("state {s:?} returned although none was sent")));
            }
            (false, None) => {}
        }
        let registered: HashMap<String, String> = crate::browser::url_params(&target);
        let unexpected: Vec<&String> = got.keys().filter(|k| *k != "state" && !registered.contains_key(*k)).collect();
        if !unexpected.is_empty() {
            return Ok(Outcome::Fail(format!(
                "unexpected parameters {unexpected:?} added to the post_logout_redirect_uri"
            )));
        }
        self.expect_logged_out(&browser).await?;
        Ok(Outcome::Pass)
    }

    /// Logout requests the OP must not honour by redirecting back: it has to
    /// show a page (an error, or a confirmation) instead.
    pub(super) async fn logout_refused(&self, variant: LogoutVariant) -> CheckOutcome {
        if let Some(skip) = self.logout_skip(true)? {
            return Ok(skip);
        }
        let registered = self.post_logout_uri()?.ok_or("no post_logout_redirect_uri")?;
        let (browser, session) = self.signed_in().await?;
        let state = random_token(12);
        let mut uri = registered.clone();
        let mut hint = Some(session.id_token.clone());
        match variant {
            LogoutVariant::BadRedirect => {
                let path = format!("{}/unregistered", uri.path().trim_end_matches('/'));
                uri.set_path(&path);
            }
            LogoutVariant::QueryAdded => {
                uri.query_pairs_mut().append_pair("foo", "bar");
            }
            LogoutVariant::ModifiedHint => {
                let payload = session.id_token.split('.').nth(1).unwrap_or("");
                hint = Some(format!("{}.{payload}.", b64(br#"{"alg":"none"}"#)));
            }
            LogoutVariant::ForeignHint => {
                hint = Some(self.foreign_id_token(&session)?);
            }
            LogoutVariant::NoHint => hint = None,
        }
        let mut params = vec![("post_logout_redirect_uri", uri.as_str()), ("state", state.as_str())];
        if let Some(hint) = &hint {
            params.push(("id_token_hint", hint.as_str()));
        }
        let url = self.end_session_url(&params)?;
        let stops = [registered, uri.clone()];
        let landing = browser.navigate(Start::Get(url), &self.issuer, &stops, self.auth).await?;
        match landing {
            Landing::Page { content_type, .. } if is_html(&content_type) => Ok(Outcome::Pass),
            Landing::Page { content_type, status, .. } => {
                Ok(Outcome::Fail(format!("OP answered {status} with {content_type:?}, not a page for the user")))
            }
            other => Ok(Outcome::Fail(format!("OP must not redirect back, but {}", describe(&other)))),
        }
    }

    /// An ID token for the same user signed by someone else (HS256 with the
    /// client secret, as the suite does).
    pub(super) fn foreign_id_token(&self, session: &Session) -> Result<String, String> {
        let now = oidc::now();
        let claims = json!({
            "iss": self.config.issuer,
            "sub": session.sub(),
            "aud": self.config.client.client_id,
            "iat": now,
            "exp": now + 300,
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(self.config.client.client_secret.as_bytes()),
        )
        .map_err(|e| format!("signing a foreign ID token: {e}"))
    }

    /// Logout without a post_logout_redirect_uri (and with the hint and/or
    /// state as given): the OP must show a page, never redirect to the
    /// registered URI, and (once the user confirms) end the session.
    pub(super) async fn logout_page(&self, with_hint: bool, with_state: bool) -> CheckOutcome {
        if let Some(skip) = self.logout_skip(false)? {
            return Ok(skip);
        }
        let (browser, session) = self.signed_in().await?;
        let state = random_token(12);
        let mut params = Vec::new();
        if with_hint {
            params.push(("id_token_hint", session.id_token.as_str()));
        }
        if with_state {
            params.push(("state", state.as_str()));
        }
        let url = self.end_session_url(&params)?;
        let stops: Vec<Url> = self.post_logout_uri()?.into_iter().collect();
        let (landing, _) = self.end_session_confirmed(&browser, url, &stops).await?;
        match landing {
            Landing::Page { status, content_type, .. } if (200..300).contains(&status) && is_html(&content_type) => {}
            other => {
                return Ok(Outcome::Fail(format!("expected a 'logged out' page, but OP {}", describe(&other))));
            }
        }
        self.expect_logged_out(&browser).await?;
        Ok(Outcome::Pass)
    }
}
