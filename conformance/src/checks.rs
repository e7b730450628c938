//! The checks. Each one is the essence of the conformance suite's module of
//! the same name (Basic OP, Config OP and RP-Initiated Logout OP plans),
//! automated end to end; a few extra discovery and binding checks carry
//! names of their own (no `oidcc-` prefix).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Map, Value, json};
use sha2::Digest as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use url::Url;

use crate::auth::Authenticator;
use crate::browser::{Browser, Landing, Start};
use crate::oidc::{
    self, ClientAuth, Discovery, IdTokenRules, NonceRule, Tokens, b64, expect_token_error, expect_tokens, random_token,
    token_request,
};
use crate::{CheckResult, ClientConfig, Config, Outcome, Report};

/// Every check, in the order they run. Logout checks come last because they
/// end sessions (each check uses its own browser anyway).
pub const CHECKS: &[&str] = &[
    // Config OP plan (and the first module of the other two plans).
    "oidcc-discovery-endpoint-verification",
    "discovery-issuer-exact-match",
    "discovery-jwks",
    "discovery-id-token-rs256",
    "discovery-endpoints-https",
    "discovery-rfc9207-iss",
    // Basic OP plan.
    "oidcc-server",
    "oidcc-response-type-missing",
    "oidcc-userinfo-get",
    "oidcc-userinfo-post-header",
    "oidcc-userinfo-post-body",
    "oidcc-ensure-request-without-nonce-succeeds-for-code-flow",
    "oidcc-scope-profile",
    "oidcc-scope-email",
    "oidcc-scope-address",
    "oidcc-scope-phone",
    "oidcc-scope-all",
    "oidcc-ensure-other-scope-order-succeeds",
    "oidcc-display-page",
    "oidcc-display-popup",
    "oidcc-prompt-login",
    "oidcc-prompt-none-not-logged-in",
    "oidcc-prompt-none-logged-in",
    "oidcc-max-age-1",
    "oidcc-max-age-10000",
    "oidcc-ensure-request-with-unknown-parameter-succeeds",
    "oidcc-id-token-hint",
    "oidcc-login-hint",
    "oidcc-ui-locales",
    "oidcc-claims-locales",
    "oidcc-ensure-request-with-acr-values-succeeds",
    "oidcc-codereuse",
    "oidcc-codereuse-30seconds",
    "oidcc-ensure-registered-redirect-uri",
    "oidcc-server-client-secret-post",
    "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
    "oidcc-claims-essential",
    "oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported",
    "oidcc-ensure-post-request-succeeds",
    "oidcc-refresh-token",
    "oidcc-ensure-request-with-valid-pkce-succeeds",
    "pkce-wrong-verifier-rejected",
    "code-bound-to-client",
    // RP-Initiated Logout OP plan.
    "oidcc-rp-initiated-logout",
    "oidcc-rp-initiated-logout-no-state",
    "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-modified-id-token-hint",
    "oidcc-rp-initiated-logout-bad-id-token-hint",
    "oidcc-rp-initiated-logout-no-id-token-hint",
    "oidcc-rp-initiated-logout-no-params",
    "oidcc-rp-initiated-logout-only-state",
    "oidcc-rp-initiated-logout-no-post-logout-redirect-uri",
];

/// Claims that each standard scope asks for (OIDC Core §5.4).
const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];
const EMAIL_CLAIMS: &[&str] = &["email", "email_verified"];
const ADDRESS_CLAIMS: &[&str] = &["address"];
const PHONE_CLAIMS: &[&str] = &["phone_number", "phone_number_verified"];

type CheckOutcome = Result<Outcome, String>;

/// Runs the selected checks and collects the report.
pub(crate) async fn run_all<A: Authenticator>(config: &Config, auth: &A) -> Report {
    let mut report = Report::default();
    let selected: Vec<&str> = match &config.only {
        None => CHECKS.to_vec(),
        Some(only) => {
            for name in only {
                if !CHECKS.contains(&name.as_str()) {
                    report.push(CheckResult {
                        name: name.clone(),
                        outcome: Outcome::Fail("no check of that name".to_owned()),
                    });
                }
            }
            CHECKS.iter().copied().filter(|c| only.iter().any(|o| o == c)).collect()
        }
    };
    let ctx = match Ctx::load(config, auth).await {
        Ok(ctx) => ctx,
        Err(why) => {
            for name in selected {
                report.push(CheckResult {
                    name: name.to_owned(),
                    outcome: Outcome::Fail(format!("discovery unavailable: {why}")),
                });
            }
            return report;
        }
    };
    for name in selected {
        let outcome = ctx.run_one(name).await.unwrap_or_else(Outcome::Fail);
        report.push(CheckResult { name: name.to_owned(), outcome });
    }
    report
}

/// An authorization request under construction.
#[derive(Debug, Clone)]
struct Flow {
    client: ClientConfig,
    params: Vec<(String, String)>,
    state: Option<String>,
    nonce: Option<String>,
    max_age: bool,
    /// The PKCE verifier of the challenge sent, redeemed with the code.
    verifier: Option<String>,
}

impl Flow {
    fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.params.retain(|(k, _)| k != key);
        self.params.push((key.to_owned(), value.into()));
        if key == "max_age" {
            self.max_age = true;
        }
        self
    }

    fn remove(&mut self, key: &str) -> &mut Self {
        self.params.retain(|(k, _)| k != key);
        match key {
            "state" => self.state = None,
            "nonce" => self.nonce = None,
            _ => {}
        }
        self
    }

    fn nonce_rule(&self) -> NonceRule {
        self.nonce.clone().map_or(NonceRule::Absent, NonceRule::Equals)
    }

    /// Sends an S256 challenge of `verifier` from now on.
    fn set_pkce(&mut self, verifier: String) -> &mut Self {
        self.set("code_challenge", b64(&sha2::Sha256::digest(verifier.as_bytes())));
        self.set("code_challenge_method", "S256");
        self.verifier = Some(verifier);
        self
    }

    /// A token request for `code` as this flow redeems it: with its redirect
    /// URI and, when PKCE was sent, the verifier.
    fn code_form<'a>(&'a self, code: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.client.redirect_uri.as_str()),
        ];
        if let Some(verifier) = &self.verifier {
            form.push(("code_verifier", verifier));
        }
        form
    }
}

/// The authorization response that reached the client's redirect_uri.
#[derive(Debug)]
struct Callback {
    params: HashMap<String, String>,
    interactions: usize,
}

impl Callback {
    fn error(&self) -> Option<&str> {
        self.params.get("error").map(String::as_str)
    }

    fn code(&self) -> Result<String, String> {
        if let Some(error) = self.error() {
            return Err(format!(
                "authorization failed: error={error} error_description={:?}",
                self.params.get("error_description").map_or("", String::as_str)
            ));
        }
        self.params.get("code").cloned().ok_or_else(|| "authorization response has neither code nor error".to_owned())
    }
}

/// A completed sign-in: tokens and validated ID token claims.
#[derive(Debug, Clone)]
struct Session {
    tokens: Tokens,
    id_token: String,
    claims: Map<String, Value>,
}

impl Session {
    fn sub(&self) -> &str {
        self.claims.get("sub").and_then(Value::as_str).unwrap_or("")
    }

    fn auth_time(&self) -> Option<i64> {
        self.claims.get("auth_time").and_then(Value::as_i64)
    }
}

fn short(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s: String = flat.chars().take(160).collect();
    if s.len() < flat.len() {
        s.push('…');
    }
    s
}

fn describe(landing: &Landing) -> String {
    match landing {
        Landing::Stop { url, .. } => format!("redirected to {url}"),
        Landing::Page { url, status, body, .. } => format!("stopped at {url} ({status}): {}", short(body)),
        Landing::Elsewhere { url } => format!("redirected off the OP to {url}"),
    }
}

struct Ctx<'a, A> {
    config: &'a Config,
    auth: &'a A,
    issuer: Url,
    disc: Discovery,
    jwks: Result<Value, String>,
}

impl<'a, A: Authenticator> Ctx<'a, A> {
    async fn load(config: &'a Config, auth: &'a A) -> Result<Self, String> {
        let issuer = Url::parse(&config.issuer).map_err(|e| format!("issuer {:?}: {e}", config.issuer))?;
        let browser = Browser::new(config.request_timeout)?;
        let raw = fetch_json(browser.http(), &discovery_url(&config.issuer)?).await?;
        let disc = Discovery::parse(raw)?;
        let jwks = fetch_json(browser.http(), &disc.jwks_uri).await.map(Value::Object);
        Ok(Self { config, auth, issuer, disc, jwks })
    }

    async fn run_one(&self, name: &str) -> CheckOutcome {
        match name {
            "oidcc-discovery-endpoint-verification" => self.discovery_verification(),
            "discovery-issuer-exact-match" => self.discovery_issuer(),
            "discovery-jwks" => self.discovery_jwks(),
            "discovery-id-token-rs256" => self.discovery_rs256(),
            "discovery-endpoints-https" => self.discovery_https(),
            "discovery-rfc9207-iss" => self.rfc9207().await,
            "oidcc-server" => self.simple(|_| {}).await,
            "oidcc-response-type-missing" => self.response_type_missing().await,
            "oidcc-userinfo-get" => self.userinfo_check(UserinfoMethod::Get).await,
            "oidcc-userinfo-post-header" => self.userinfo_check(UserinfoMethod::PostHeader).await,
            "oidcc-userinfo-post-body" => self.userinfo_check(UserinfoMethod::PostBody).await,
            "oidcc-ensure-request-without-nonce-succeeds-for-code-flow" => {
                self.simple(|f| {
                    f.remove("nonce");
                })
                .await
            }
            "oidcc-scope-profile" => self.scope_check(&["profile"]).await,
            "oidcc-scope-email" => self.scope_check(&["email"]).await,
            "oidcc-scope-address" => self.scope_check(&["address"]).await,
            "oidcc-scope-phone" => self.scope_check(&["phone"]).await,
            "oidcc-scope-all" => self.scope_check(&["profile", "email", "address", "phone"]).await,
            "oidcc-ensure-other-scope-order-succeeds" => self.scope_order().await,
            "oidcc-display-page" => self.simple(|f| set(f, "display", "page")).await,
            "oidcc-display-popup" => self.simple(|f| set(f, "display", "popup")).await,
            "oidcc-prompt-login" => self.prompt_login().await,
            "oidcc-prompt-none-not-logged-in" => self.prompt_none_not_logged_in().await,
            "oidcc-prompt-none-logged-in" => self.second_silent(false).await,
            "oidcc-id-token-hint" => self.second_silent(true).await,
            "oidcc-max-age-1" => self.max_age(1).await,
            "oidcc-max-age-10000" => self.max_age(10000).await,
            "oidcc-ensure-request-with-unknown-parameter-succeeds" => {
                let value = random_token(8);
                self.simple(move |f| set(f, "extra_unknown_parameter", &value)).await
            }
            "oidcc-login-hint" => self.simple(|f| set(f, "login_hint", "conformance-user@example.invalid")).await,
            "oidcc-ui-locales" => self.simple(|f| set(f, "ui_locales", "se")).await,
            "oidcc-claims-locales" => self.simple(|f| set(f, "claims_locales", "se")).await,
            "oidcc-ensure-request-with-acr-values-succeeds" => self.simple(|f| set(f, "acr_values", "1 2")).await,
            "oidcc-codereuse" => self.code_reuse(Duration::ZERO).await,
            "oidcc-codereuse-30seconds" => self.code_reuse(self.config.code_reuse_wait).await,
            "oidcc-ensure-registered-redirect-uri" => self.unregistered_redirect_uri().await,
            "oidcc-server-client-secret-post" => self.client_secret_post().await,
            "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported" => {
                self.request_object(false).await
            }
            "oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported" => {
                self.request_object(true).await
            }
            "oidcc-claims-essential" => self.claims_essential().await,
            "oidcc-ensure-post-request-succeeds" => self.post_request().await,
            "oidcc-refresh-token" => self.refresh_token().await,
            "oidcc-ensure-request-with-valid-pkce-succeeds" => self.pkce(true).await,
            "pkce-wrong-verifier-rejected" => self.pkce(false).await,
            "code-bound-to-client" => self.code_bound_to_client().await,
            "oidcc-rp-initiated-logout" => self.logout_success(true).await,
            "oidcc-rp-initiated-logout-no-state" => self.logout_success(false).await,
            "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri" => {
                self.logout_refused(LogoutVariant::BadRedirect).await
            }
            "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri" => {
                self.logout_refused(LogoutVariant::QueryAdded).await
            }
            "oidcc-rp-initiated-logout-modified-id-token-hint" => {
                self.logout_refused(LogoutVariant::ModifiedHint).await
            }
            "oidcc-rp-initiated-logout-bad-id-token-hint" => self.logout_refused(LogoutVariant::ForeignHint).await,
            "oidcc-rp-initiated-logout-no-id-token-hint" => self.logout_refused(LogoutVariant::NoHint).await,
            "oidcc-rp-initiated-logout-no-params" => self.logout_page(false, false).await,
            "oidcc-rp-initiated-logout-only-state" => self.logout_page(false, true).await,
            "oidcc-rp-initiated-logout-no-post-logout-redirect-uri" => self.logout_page(true, true).await,
            other => Err(format!("no check named {other}")),
        }
    }

    // ----- plumbing ---------------------------------------------------

    fn browser(&self) -> Result<Browser, String> {
        Browser::new(self.config.request_timeout)
    }

    fn jwks(&self) -> Result<&Value, String> {
        self.jwks.as_ref().map_err(|e| format!("JWKS unavailable: {e}"))
    }

    fn redirect_uri(client: &ClientConfig) -> Result<Url, String> {
        Url::parse(&client.redirect_uri).map_err(|e| format!("redirect_uri {:?}: {e}", client.redirect_uri))
    }

    fn flow_for(&self, client: &ClientConfig, scope: &str) -> Flow {
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

    fn flow(&self) -> Flow {
        self.flow_for(&self.config.client, "openid")
    }

    fn authorization_url(&self, flow: &Flow) -> Url {
        let mut url = self.disc.authorization_endpoint.clone();
        url.query_pairs_mut().extend_pairs(flow.params.iter());
        url
    }

    /// Sends the browser with `flow` to the authorization endpoint (GET, or
    /// a form POST) and returns where it ended. `extra_stops` are other
    /// client-side URLs at which to stop.
    async fn authorize_landing(
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
    fn check_response_params(&self, flow: &Flow, params: &HashMap<String, String>) -> Result<(), String> {
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

    async fn authorize_with(&self, browser: &Browser, flow: &Flow, post: bool) -> Result<Callback, String> {
        match self.authorize_landing(browser, flow, post, &[]).await? {
            Landing::Stop { params, interactions, .. } => {
                self.check_response_params(flow, &params)?;
                Ok(Callback { params, interactions })
            }
            other => Err(format!("authorization did not return to the redirect_uri: {}", describe(&other))),
        }
    }

    async fn authorize(&self, browser: &Browser, flow: &Flow) -> Result<Callback, String> {
        self.authorize_with(browser, flow, false).await
    }

    /// Redeems `code` and validates the tokens, including the ID token.
    async fn redeem(
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
    async fn login(&self, browser: &Browser, flow: &Flow) -> Result<(Session, Callback), String> {
        let callback = self.authorize(browser, flow).await?;
        let code = callback.code()?;
        let session = self.redeem(browser, flow, &code, ClientAuth::Basic, &[]).await?;
        Ok((session, callback))
    }

    /// Calls the userinfo endpoint and checks it answers with claims.
    async fn userinfo(
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

    async fn userinfo_claims(
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
    async fn expect_logged_out(&self, browser: &Browser) -> Result<(), String> {
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

    // ----- discovery ----------------------------------------------------

    fn discovery_verification(&self) -> CheckOutcome {
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

    fn discovery_issuer(&self) -> CheckOutcome {
        match self.disc.raw.get("issuer").and_then(Value::as_str) {
            Some(issuer) if issuer == self.config.issuer => Ok(Outcome::Pass),
            other => Ok(Outcome::Fail(format!("discovery issuer {other:?} is not exactly {:?}", self.config.issuer))),
        }
    }

    fn discovery_jwks(&self) -> CheckOutcome {
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

    fn discovery_rs256(&self) -> CheckOutcome {
        let algs = self.disc.strings("id_token_signing_alg_values_supported");
        if algs.iter().any(|a| a == "RS256") {
            Ok(Outcome::Pass)
        } else {
            Ok(Outcome::Fail(format!("id_token_signing_alg_values_supported {algs:?} lacks RS256")))
        }
    }

    fn discovery_https(&self) -> CheckOutcome {
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

    async fn rfc9207(&self) -> CheckOutcome {
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

    // ----- Basic OP -----------------------------------------------------

    /// A full code flow with `tweak` applied to the request.
    async fn simple(&self, tweak: impl FnOnce(&mut Flow)) -> CheckOutcome {
        let browser = self.browser()?;
        let mut flow = self.flow();
        tweak(&mut flow);
        self.login(&browser, &flow).await?;
        Ok(Outcome::Pass)
    }

    async fn response_type_missing(&self) -> CheckOutcome {
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

    async fn userinfo_check(&self, method: UserinfoMethod) -> CheckOutcome {
        if self.disc.userinfo_endpoint.is_none() {
            return Ok(Outcome::Skip("no userinfo_endpoint advertised".into()));
        }
        let browser = self.browser()?;
        let (session, _) = self.login(&browser, &self.flow()).await?;
        self.userinfo_claims(browser.http(), &session, method).await?;
        Ok(Outcome::Pass)
    }

    async fn scope_check(&self, scopes: &[&str]) -> CheckOutcome {
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

    async fn scope_order(&self) -> CheckOutcome {
        let Some(other) = ["email", "profile"].into_iter().find(|s| self.disc.scope_supported(s)) else {
            return Ok(Outcome::Skip("neither email nor profile scope advertised".into()));
        };
        let browser = self.browser()?;
        let flow = self.flow_for(&self.config.client, &format!("{other} openid"));
        self.login(&browser, &flow).await?;
        Ok(Outcome::Pass)
    }

    async fn prompt_login(&self) -> CheckOutcome {
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

    async fn prompt_none_not_logged_in(&self) -> CheckOutcome {
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
    async fn second_silent(&self, hint: bool) -> CheckOutcome {
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

    async fn max_age(&self, max_age: u32) -> CheckOutcome {
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

    async fn code_reuse(&self, wait: Duration) -> CheckOutcome {
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

    async fn unregistered_redirect_uri(&self) -> CheckOutcome {
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

    async fn client_secret_post(&self) -> CheckOutcome {
        if !self.disc.token_auth_supported("client_secret_post") {
            return Ok(Outcome::Skip("client_secret_post not in token_endpoint_auth_methods_supported".into()));
        }
        let browser = self.browser()?;
        let flow = self.flow();
        let code = self.authorize(&browser, &flow).await?.code()?;
        self.redeem(&browser, &flow, &code, ClientAuth::Post, &[]).await?;
        Ok(Outcome::Pass)
    }

    /// Unsigned (alg none) request object, by value or by reference: either
    /// processed correctly, or rejected with a request-object error.
    async fn request_object(&self, by_reference: bool) -> CheckOutcome {
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

    async fn claims_essential(&self) -> CheckOutcome {
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

    async fn post_request(&self) -> CheckOutcome {
        let browser = self.browser()?;
        let flow = self.flow();
        let callback = self.authorize_with(&browser, &flow, true).await?;
        let code = callback.code()?;
        self.redeem(&browser, &flow, &code, ClientAuth::Basic, &[]).await?;
        Ok(Outcome::Pass)
    }

    async fn refresh_token(&self) -> CheckOutcome {
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

    async fn pkce(&self, valid: bool) -> CheckOutcome {
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

    async fn code_bound_to_client(&self) -> CheckOutcome {
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

    // ----- RP-Initiated Logout ----------------------------------------

    fn post_logout_uri(&self) -> Result<Option<Url>, String> {
        self.config
            .client
            .post_logout_redirect_uri
            .as_deref()
            .map(|u| Url::parse(u).map_err(|e| format!("post_logout_redirect_uri {u:?}: {e}")))
            .transpose()
    }

    fn end_session_url(&self, params: &[(&str, &str)]) -> Result<Url, String> {
        let mut url = self.disc.end_session_endpoint.clone().ok_or("no end_session_endpoint")?;
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params.iter());
        }
        Ok(url)
    }

    /// A signed-in browser and its session, ready to log out.
    async fn signed_in(&self) -> Result<(Browser, Session), String> {
        let browser = self.browser()?;
        let (session, _) = self.login(&browser, &self.flow()).await?;
        Ok((browser, session))
    }

    /// Logout preconditions: the endpoint (feature advertised) and, if
    /// `need_uri`, a configured post_logout_redirect_uri.
    fn logout_skip(&self, need_uri: bool) -> Result<Option<Outcome>, String> {
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
    async fn end_session_confirmed(
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
    async fn logout_success(&self, with_state: bool) -> CheckOutcome {
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
    async fn logout_refused(&self, variant: LogoutVariant) -> CheckOutcome {
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
    fn foreign_id_token(&self, session: &Session) -> Result<String, String> {
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
    async fn logout_page(&self, with_hint: bool, with_state: bool) -> CheckOutcome {
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

/// How the access token reaches the userinfo endpoint (RFC 6750 §2).
#[derive(Debug, Clone, Copy)]
enum UserinfoMethod {
    Get,
    PostHeader,
    PostBody,
}

/// What is wrong with a logout request in the "must not redirect" checks.
#[derive(Debug, Clone, Copy)]
enum LogoutVariant {
    BadRedirect,
    QueryAdded,
    ModifiedHint,
    ForeignHint,
    NoHint,
}

fn set(flow: &mut Flow, key: &str, value: &str) {
    flow.set(key, value);
}

fn verdict(problems: Vec<String>) -> CheckOutcome {
    if problems.is_empty() { Ok(Outcome::Pass) } else { Ok(Outcome::Fail(problems.join("; "))) }
}

fn is_html(content_type: &str) -> bool {
    content_type.to_ascii_lowercase().contains("text/html")
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn discovery_url(issuer: &str) -> Result<Url, String> {
    let text = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    Url::parse(&text).map_err(|e| format!("discovery URL {text:?}: {e}"))
}

async fn fetch_json(http: &reqwest::Client, url: &Url) -> Result<Map<String, Value>, String> {
    let response = http.get(url.clone()).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let raw = oidc::read_response(response).await?;
    if raw.status != 200 {
        return Err(format!("GET {url} answered {}", raw.status));
    }
    if !raw.content_type.to_ascii_lowercase().contains("json") {
        return Err(format!("GET {url}: Content-Type {:?} is not JSON", raw.content_type));
    }
    raw.json.ok_or_else(|| format!("GET {url}: body is not a JSON object"))
}

/// Serves `jwt` at a loopback URL for request_uri checks, for a bounded
/// number of fetches and time. The OP must be able to reach 127.0.0.1.
async fn serve_request_object(jwt: String) -> Result<(Url, tokio::task::JoinHandle<()>), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("binding a loopback port for request_uri: {e}"))?;
    let port = listener.local_addr().map_err(|e| format!("request_uri listener: {e}"))?.port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/request/{}.jwt", random_token(8)))
        .map_err(|e| format!("request_uri: {e}"))?;
    let handle = tokio::spawn(async move {
        for _ in 0..4 {
            let accepted = tokio::time::timeout(Duration::from_secs(30), listener.accept()).await;
            let Ok(Ok((mut socket, _))) = accepted else {
                break;
            };
            let mut buf = vec![0u8; 8192];
            // The request itself does not matter; read what arrives first.
            let _ = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/oauth-authz-req+jwt\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                jwt.len(),
                jwt
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    Ok((url, handle))
}
