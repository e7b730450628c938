//! The checks. Each one is the essence of the conformance suite's module of
//! the same name (Basic OP, Config OP and RP-Initiated Logout OP plans),
//! automated end to end; a few extra discovery and binding checks carry
//! names of their own (no `oidcc-` prefix).

mod basic;
mod discovery;
mod flow;
mod logout;
mod plumbing;
mod requests;
mod support;

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

use self::flow::*;
use self::support::*;

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
}
