//! `GET|POST /authorize` (OIDC Core §3.1.2.1) and `GET /authorize/resume`. The
//! flow decides; this file turns its outcome into a redirect, a form_post page
//! or an error page (never a redirect to an unvalidated URI).

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use base64::Engine;
use minijinja::context;
use sha2::{Digest, Sha256};

use crate::domain::endpoints;
use crate::flows::authorize::{
    self,
    request::{ClientResponse, Outcome, ResponseMode},
};
use crate::http::render::PageContext;
use crate::http::{cookies, form};
use crate::state::AppState;

/// `GET /authorize`.
pub async fn get(State(state): State<AppState>, jar: CookieJar, page: PageContext, uri: Uri) -> Response {
    let pairs = form::query(uri.query());
    let outcome = authorize::start(&state, pairs, cookies::session(&jar, state.settings.is_https()).as_deref()).await;
    respond(page, outcome)
}

/// `POST /authorize` (form-encoded, OIDC Core §3.1.2.1).
pub async fn post(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = if form::is_form(&headers) { form::parse(&body) } else { None };
    let Some(pairs) = pairs else {
        return page.error(StatusCode::BAD_REQUEST, "error_unknown_client").into_response();
    };
    let outcome = authorize::start(&state, pairs, cookies::session(&jar, state.settings.is_https()).as_deref()).await;
    respond(page, outcome)
}

/// Query of the resume step.
#[derive(serde::Deserialize)]
pub struct ResumeQuery {
    /// The parked request's handle.
    pub request: Option<String>,
}

/// `GET /authorize/resume?request=…`: continue after sign-in or consent.
pub async fn resume(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    Query(query): Query<ResumeQuery>,
) -> Response {
    let handle = query.request.unwrap_or_default();
    let outcome =
        authorize::resume(&state, &handle, cookies::session(&jar, state.settings.is_https()).as_deref()).await;
    respond(page, outcome)
}

/// Turns any authorization outcome into the browser's response.
pub fn respond(page: PageContext, outcome: Result<Outcome, crate::flows::Internal>) -> Response {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            return page.internal(&error, "authorization request failed");
        }
    };
    match outcome {
        Outcome::ErrorPage(error) => page.authorization_error(error).into_response(),
        Outcome::Respond(response) => to_client(&page, response),
        Outcome::SignIn { handle, .. } => see_other(&format!("{}?request={handle}", endpoints::SIGN_IN)),
        Outcome::Consent { handle } => see_other(&format!("{}?request={handle}", endpoints::CONSENT)),
    }
}

fn see_other(location: &str) -> Response {
    let mut response = Redirect::to(location).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

/// The inline script of the form_post page, and the CSP hash that allows exactly it.
const AUTO_SUBMIT: &str = "document.forms[0].submit();";
static AUTO_SUBMIT_CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(AUTO_SUBMIT.as_bytes()));
    format!("default-src 'none'; script-src 'sha256-{hash}'; frame-ancestors 'none'; base-uri 'none'")
});

fn to_client(page: &PageContext, response: ClientResponse) -> Response {
    match response.mode {
        ResponseMode::Query => {
            let Ok(mut url) = url::Url::parse(&response.redirect_uri) else {
                return page.error(StatusCode::BAD_REQUEST, "error_bad_redirect").into_response();
            };
            url.query_pairs_mut().extend_pairs(response.params.iter());
            see_other(url.as_str())
        }
        ResponseMode::FormPost => page
            .page("pages/form_post.html", context! { action => response.redirect_uri, params => response.params })
            .with_csp(AUTO_SUBMIT_CSP.clone())
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_template_script_is_the_hashed_one() {
        let template = include_str!("../../../templates/pages/form_post.html");
        assert!(template.contains(&format!("<script>{}</script>", super::AUTO_SUBMIT)));
    }
}
