//! Basic OP plan: requests, scopes, prompts and redirect rules.

use super::*;

impl<A: Authenticator> Ctx<'_, A> {
    /// A full code flow with `tweak` applied to the request.
    pub(super) async fn simple(&self, tweak: impl FnOnce(&mut Flow)) -> CheckOutcome {
        let browser = self.browser()?;
        let mut flow = self.flow();
        tweak(&mut flow);
        self.login(&browser, &flow).await?;
        Ok(Outcome::Pass)
    }

    pub(super) async fn response_type_missing(&self) -> CheckOutcome {
        let browser = self.browser()?;
        let mut flow = self.flow();
        flow.remove("response_type");
        match self.authorize_landing(&browser, &flow, false, &[]).await? {
            Landing::Stop { params, .. } => {
                if params.contains_key("code") {
                    return Ok(Outcome::Fail("OP issued a code without response_type".into()));
                }
                match params.get("error").map(String::as_str) {
                    Some("invalid_request" | "unsupported_response_type") => {
                        self.check_response_params(&flow, &params)?;
                        Ok(Outcome::Pass)
                    }
                    other => Ok(Outcome::Fail(format!(
                        "error {other:?}, expected invalid_request or unsupported_response_type"
                    ))),
                }
            }
            // Without a usable response_type the OP may refuse to redirect
            // and show an error page instead; the suite accepts that too.
            Landing::Page { status, .. } if status >= 400 => Ok(Outcome::Pass),
            other => Ok(Outcome::Fail(format!("expected an error, OP {}", describe(&other)))),
        }
    }

    pub(super) async fn userinfo_check(&self, method: UserinfoMethod) -> CheckOutcome {
        if self.disc.userinfo_endpoint.is_none() {
            return Ok(Outcome::Skip("no userinfo_endpoint advertised".into()));
        }
        let browser = self.browser()?;
        let (session, _) = self.login(&browser, &self.flow()).await?;
        self.userinfo_claims(browser.http(), &session, method).await?;
        Ok(Outcome::Pass)
    }

    pub(super) async fn scope_check(&self, scopes: &[&str]) -> CheckOutcome {
        let supported: Vec<&str> = scopes.iter().copied().filter(|s| self.disc.scope_supported(s)).collect();
        if supported.is_empty() {
            return Ok(Outcome::Skip(format!("scopes_supported does not list {}", scopes.join("/"))));
        }
        let browser = self.browser()?;
        let scope = format!("openid {}", supported.join(" "));
        let flow = self.flow_for(&self.config.client, &scope);
        let (session, _) = self.login(&browser, &flow).await?;
        let mut released = session.claims.clone();
        if self.disc.userinfo_endpoint.is_some() {
            let from_userinfo = self.userinfo_claims(browser.http(), &session, UserinfoMethod::Get).await?;
            released.extend(from_userinfo);
        }
        let mut missing = Vec::new();
        for scope in supported {
            let claims = match scope {
                "profile" => PROFILE_CLAIMS,
                "email" => EMAIL_CLAIMS,
                "address" => ADDRESS_CLAIMS,
                _ => PHONE_CLAIMS,
            };
            if !claims.iter().any(|c| released.contains_key(*c)) {
                missing.push(scope);
            }
        }
        if missing.is_empty() {
            Ok(Outcome::Pass)
        } else {
            Ok(Outcome::Fail(format!("no claim of scope(s) {missing:?} in the ID token or userinfo")))
        }
    }

    pub(super) async fn scope_order(&self) -> CheckOutcome {
        let Some(other) = ["email", "profile"].into_iter().find(|s| self.disc.scope_supported(s)) else {
            return Ok(Outcome::Skip("neither email nor profile scope advertised".into()));
        };
        let browser = self.browser()?;
        let flow = self.flow_for(&self.config.client, &format!("{other} openid"));
        self.login(&browser, &flow).await?;
        Ok(Outcome::Pass)
    }

    pub(super) async fn prompt_login(&self) -> CheckOutcome {
        let browser = self.browser()?;
        let (first, _) = self.login(&browser, &self.flow()).await?;
        // auth_time has one-second resolution: make the second one differ.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let mut flow = self.flow();
        flow.set("prompt", "login");
        let (second, callback) = self.login(&browser, &flow).await?;
        if callback.interactions == 0 {
            return Ok(Outcome::Fail("prompt=login did not show a login page to a signed-in user".into()));
        }
        if second.sub() != first.sub() {
            return Ok(Outcome::Fail("sub changed between the two logins".into()));
        }
        if let (Some(a), Some(b)) = (first.auth_time(), second.auth_time())
            && b <= a
        {
            return Ok(Outcome::Fail(format!(
                "auth_time {b} after prompt=login is not later than the first login's {a}"
            )));
        }
        Ok(Outcome::Pass)
    }

    pub(super) async fn prompt_none_not_logged_in(&self) -> CheckOutcome {
        let browser = self.browser()?;
        let mut flow = self.flow();
        flow.set("prompt", "none");
        let callback = self.authorize(&browser, &flow).await?;
        if callback.interactions > 0 {
            return Ok(Outcome::Fail("prompt=none showed a login page".into()));
        }
        match callback.error() {
            Some("login_required" | "interaction_required") => Ok(Outcome::Pass),
            Some(other) => Ok(Outcome::Fail(format!("error {other}, expected login_required or interaction_required"))),
            None => Ok(Outcome::Fail("prompt=none without a session returned a code".into())),
        }
    }

    /// prompt=none in a signed-in browser (with the first ID token as
    /// id_token_hint when `hint`) must succeed silently for the same user.
    pub(super) async fn second_silent(&self, hint: bool) -> CheckOutcome {
        let browser = self.browser()?;
        let (first, _) = self.login(&browser, &self.flow()).await?;
        let mut flow = self.flow();
        flow.set("prompt", "none");
        if hint {
            flow.set("id_token_hint", first.id_token.clone());
        }
        let (second, callback) = self.login(&browser, &flow).await?;
        if callback.interactions > 0 {
            return Ok(Outcome::Fail("prompt=none showed a login page".into()));
        }
        if second.sub() != first.sub() {
            return Ok(Outcome::Fail("sub changed in the silent authorization".into()));
        }
        Ok(Outcome::Pass)
    }

    pub(super) async fn max_age(&self, max_age: u32) -> CheckOutcome {
        let browser = self.browser()?;
        let (first, _) = self.login(&browser, &self.flow()).await?;
        if max_age == 1 {
            // Let the first authentication get older than max_age.
            tokio::time::sleep(Duration::from_millis(2100)).await;
        }
        let mut flow = self.flow();
        flow.set("max_age", max_age.to_string());
        let (second, callback) = self.login(&browser, &flow).await?;
        let Some(second_time) = second.auth_time() else {
            return Ok(Outcome::Fail("auth_time missing although max_age was sent".into()));
        };
        if second.sub() != first.sub() {
            return Ok(Outcome::Fail("sub changed in the second authorization".into()));
        }
        match (max_age, first.auth_time()) {
            (1, Some(first_time)) if second_time <= first_time => Ok(Outcome::Fail(format!(
                "max_age=1 did not re-authenticate: auth_time {second_time} is not later than {first_time}"
            ))),
            (1, None) if callback.interactions == 0 => {
                Ok(Outcome::Fail("max_age=1 did not re-authenticate the user".into()))
            }
            (1, _) => Ok(Outcome::Pass),
            (_, Some(first_time)) if second_time != first_time => Ok(Outcome::Fail(format!(
                "max_age={max_age}: auth_time {second_time} differs from the original {first_time} although no re-authentication was needed"
            ))),
            _ => Ok(Outcome::Pass),
        }
    }

    pub(super) async fn code_reuse(&self, wait: Duration) -> CheckOutcome {
        let browser = self.browser()?;
        let flow = self.flow();
        let callback = self.authorize(&browser, &flow).await?;
        let code = callback.code()?;
        let session = self.redeem(&browser, &flow, &code, ClientAuth::Basic, &[]).await?;
        tokio::time::sleep(wait).await;
        let form = flow.code_form(&code);
        let raw =
            token_request(browser.http(), &self.disc.token_endpoint, &flow.client, ClientAuth::Basic, &form).await?;
        if raw.status == 200 {
            return Ok(Outcome::Fail("the code was accepted a second time".into()));
        }
        expect_token_error(&raw, &["invalid_grant"])?;
        // RFC 6749 §4.1.2: tokens issued from a replayed code should be
        // revoked; the suite checks this after its wait.
        if !wait.is_zero() && self.disc.userinfo_endpoint.is_some() {
            let raw = self.userinfo(browser.http(), &session.tokens.access_token, UserinfoMethod::Get).await?;
            if raw.status == 200 {
                return Ok(Outcome::Fail("the access token from the replayed code still works at userinfo".into()));
            }
        }
        Ok(Outcome::Pass)
    }

    pub(super) async fn unregistered_redirect_uri(&self) -> CheckOutcome {
        let browser = self.browser()?;
        let mut flow = self.flow();
        let mut bad = Self::redirect_uri(&flow.client)?;
        let path = format!("{}/unregistered-{}", bad.path().trim_end_matches('/'), random_token(6));
        bad.set_path(&path);
        flow.set("redirect_uri", bad.as_str());
        match self.authorize_landing(&browser, &flow, false, std::slice::from_ref(&bad)).await? {
            Landing::Page { status, .. } if status >= 400 => Ok(Outcome::Pass),
            // A 2xx page is an error page only if it asks nothing of the user:
            // a form there means the OP went on with the request (a login page).
            Landing::Page { body, .. } if crate::html::first_post_form(&body).is_none() => Ok(Outcome::Pass),
            other => Ok(Outcome::Fail(format!(
                "OP must show an error page for an unregistered redirect_uri, but {}",
                describe(&other)
            ))),
        }
    }

    pub(super) async fn client_secret_post(&self) -> CheckOutcome {
        if !self.disc.token_auth_supported("client_secret_post") {
            return Ok(Outcome::Skip("client_secret_post not in token_endpoint_auth_methods_supported".into()));
        }
        let browser = self.browser()?;
        let flow = self.flow();
        let code = self.authorize(&browser, &flow).await?.code()?;
        self.redeem(&browser, &flow, &code, ClientAuth::Post, &[]).await?;
        Ok(Outcome::Pass)
    }
}
