//! HTML pages: embedded minijinja templates (HTML auto-escaped by extension),
//! message catalogues per language, and the per-request context every page needs.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::{Environment, Value, context};

pub use crate::i18n::Lang;

/// Cookie remembering the chosen language.
pub const LANG_COOKIE: &str = "kuke_lang";

/// Every page template, embedded in the binary (name relative to `templates/`).
macro_rules! page_templates {
    ($($name:literal),* $(,)?) => {
        /// Names of the embedded page templates.
        pub const TEMPLATE_NAMES: &[&str] = &[$($name),*];
        fn template_sources() -> Vec<(&'static str, &'static str)> {
            vec![$(($name, include_str!(concat!("../../templates/", $name)))),*]
        }
    };
}

page_templates!(
    "layout.html",
    "console/base.html",
    "console/sign_in.html",
    "console/sign_in_failed.html",
    "console/signed_out.html",
    "console/not_staff.html",
    "console/forbidden.html",
    "console/not_found.html",
    "console/dashboard.html",
    "console/people.html",
    "console/person.html",
    "console/confirm.html",
    "console/edit.html",
    "console/organizations.html",
    "console/organization.html",
    "pages/error.html",
    "pages/consent.html",
    "pages/form_post.html",
    "pages/logout_confirm.html",
    "pages/logged_out.html",
    "pages/sign_in.html",
    "pages/demo.html",
    "pages/set_password.html",
    "pages/new_password_fields.html",
    "pages/password_set.html",
    "pages/activation_invalid.html",
    "pages/request_link_form.html",
    "pages/request_link.html",
    "pages/link_requested.html",
    "pages/one_time_code.html",
    "pages/terms.html",
    "pages/welcome.html",
    "pages/dev_mail.html",
    "pages/dev_mail_one.html",
    "pages/email_confirm.html",
    "pages/account.html",
    "pages/account_password.html",
    "pages/account_authenticator.html",
    "pages/account_authenticator_setup.html",
    "pages/account_recovery_codes.html",
    "pages/account_sessions.html",
    "pages/account_reauth.html",
    "pages/account_done.html",
    // The console's provider pages (clients, keys, terms, audit).
    "console/clients/list.html",
    "console/clients/form.html",
    "console/clients/client.html",
    "console/clients/secret.html",
    "console/clients/rotate.html",
    "console/clients/delete.html",
    "console/clients/missing.html",
    "console/keys/list.html",
    "console/keys/rotate.html",
    "console/keys/retire.html",
    "console/keys/missing.html",
    "console/terms/list.html",
    "console/terms/form.html",
    "console/terms/confirm.html",
    "console/terms/report.html",
    "console/terms/missing.html",
    "console/audit/search.html",
    // The console's migration pages (import, campaign).
    "console/migration/import.html",
    "console/migration/report.html",
    "console/migration/upload_gone.html",
    "console/migration/campaign.html",
    "console/migration/campaign_confirm.html",
    "console/migration/progress.html",
);

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in template_sources() {
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(%error, template = name, "template does not parse");
        }
    }
    env
});

/// What every page needs from its request: language, request id, query.
#[derive(Debug, Clone)]
pub struct PageContext {
    /// Negotiated language.
    pub lang: Lang,
    /// `X-Request-Id`, shown on error pages.
    pub request_id: Option<String>,
    /// The query string without `lang`, for the language switch links.
    query_without_lang: String,
    /// The language was chosen explicitly (`?lang=`): remember it in a cookie.
    chosen: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let chosen = pairs.iter().find(|(k, _)| k == "lang").and_then(|(_, v)| Lang::parse(v));
        let ui_locales = pairs.iter().find(|(k, _)| k == "ui_locales").and_then(|(_, v)| Lang::from_list(v));
        let cookie = CookieJar::from_headers(&parts.headers).get(LANG_COOKIE).and_then(|c| Lang::parse(c.value()));
        let accept = accept_language(&parts.headers);
        let lang = chosen.or(ui_locales).or(cookie).or(accept).unwrap_or_default();
        let query_without_lang = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter(|(k, _)| k != "lang"))
            .finish();
        let request_id = parts.headers.get(super::REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_string);
        Ok(Self { lang, request_id, query_without_lang, chosen: chosen.is_some() })
    }
}

fn accept_language(headers: &HeaderMap) -> Option<Lang> {
    let header = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    header.split(',').find_map(Lang::parse)
}

impl PageContext {
    /// Uses `lang` when the request itself named a language only indirectly (e.g. a
    /// stored authorization request's `ui_locales`).
    pub fn prefer(&mut self, ui_locales: Option<&str>) {
        if !self.chosen
            && let Some(lang) = ui_locales.and_then(Lang::from_list)
        {
            self.lang = lang;
        }
    }

    /// Renders `template` with `values` into a page response.
    pub fn page(&self, template: &str, values: Value) -> Page {
        let mut links = HashMap::new();
        for lang in [Lang::Pl, Lang::En] {
            let mut query = self.query_without_lang.clone();
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str("lang=");
            query.push_str(lang.code());
            links.insert(lang.code(), query);
        }
        let base = context! {
            lang => self.lang.code(),
            t => self.lang.catalogue_value(),
            request_id => self.request_id.clone(),
            query_for_lang => links,
        };
        let html = TEMPLATES
            .get_template(template)
            .and_then(|t| t.render(context! { ..values, ..base }))
            .unwrap_or_else(|error| {
                super::internal_error::log(&error, &format!("rendering {template}"));
                "<!doctype html><title>Error</title><p>Internal error.</p>".to_string()
            });
        Page { html, status: StatusCode::OK, remember_lang: self.chosen.then_some(self.lang), csp: None }
    }
}

/// A rendered page: never cached, never framed.
pub struct Page {
    html: String,
    status: StatusCode,
    remember_lang: Option<Lang>,
    csp: Option<String>,
}

impl Page {
    /// Sets the status code.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Replaces the default Content-Security-Policy (e.g. the form_post page's script hash).
    pub fn with_csp(mut self, csp: String) -> Self {
        self.csp = Some(csp);
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, Html(self.html)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(csp) = self.csp.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        if let Some(lang) = self.remember_lang
            && let Ok(cookie) =
                HeaderValue::from_str(&format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code()))
        {
            headers.append(header::SET_COOKIE, cookie);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for name in TEMPLATE_NAMES {
            assert!(TEMPLATES.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let keys = |lang: Lang| {
            let mut k: Vec<String> =
                lang.catalogue().as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            k.sort();
            k
        };
        assert_eq!(keys(Lang::Pl), keys(Lang::En));
        assert!(!keys(Lang::Pl).is_empty());
    }

    #[test]
    fn ui_locales_pick_the_first_supported_language() {
        assert_eq!(Lang::from_list("de en-GB pl"), Some(Lang::En));
        assert_eq!(Lang::from_list("fr"), None);
    }
}
