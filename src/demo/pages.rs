//! The demo relying party's pages.
//!
//! The demo knows neither the web layer (`http`) nor the state of the provider:
//! it gets its own router state ([`DemoState`]) and reaches the shared page
//! layout and the cookie format through [`Web`], which `app` implements with the
//! web layer's page context. So `http` does not import the demo, and the demo
//! does not import `http`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use minijinja::{Value, context};

use super::{DemoError, DemoRp};
use crate::domain::endpoints;

const PENDING: &str = "kuke_demo_pending";
const SESSION: &str = "kuke_demo";

/// What the demo's routes share.
#[derive(Clone, Default)]
pub struct DemoState {
    /// The relying party; `None` outside demo mode (the pages then answer 404).
    pub rp: Option<Arc<DemoRp>>,
    /// The issuer is https: cookies are `Secure`.
    pub secure: bool,
    /// Where the demo account stands, for the page's "what next".
    pub account: Option<Arc<dyn DemoAccount>>,
}

/// What a newcomer should do next with the demo account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Not active yet: open the activation link mailed to `email`.
    Activate {
        /// The demo account's address.
        email: String,
    },
    /// Active: sign in with this login and the password chosen at activation.
    SignIn {
        /// The six-digit login.
        login: String,
    },
}

/// The demo account as the provider knows it (implemented by `app`, which may
/// read the provider's state; the demo itself may not).
pub trait DemoAccount: Send + Sync {
    /// The next step for the demo account, if it exists.
    fn next_step(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<NextStep>> + Send + '_>>;
    /// Whether mail is kept for `/dev/mail` (no SMTP server configured).
    fn mailbox(&self) -> bool;
}

/// What the demo's pages need from the provider's web layer, extracted per
/// request: pages rendered in the shared layout and language, and cookie headers
/// in the provider's format.
pub trait Web: FromRequestParts<DemoState, Rejection = Infallible> + Send + 'static {
    /// Renders `template` with `values` as a page answered with `status`.
    fn page(&self, template: &str, values: Value, status: StatusCode) -> Response;
    /// A `Set-Cookie` value.
    fn set_cookie(name: &str, value: &str, secure: bool) -> HeaderValue;
    /// A `Set-Cookie` value that deletes the cookie.
    fn clear_cookie(name: &str, secure: bool) -> HeaderValue;
}

/// Routes of the demo app, rendering through `W`.
pub fn router<W: Web>() -> Router<DemoState> {
    Router::new()
        .route(endpoints::DEMO, get(home::<W>))
        .route(endpoints::DEMO_LOGIN, get(login::<W>))
        .route(endpoints::DEMO_CALLBACK, get(callback::<W>))
        .route(endpoints::DEMO_LOGOUT, post(logout::<W>))
}

async fn home<W: Web>(State(state): State<DemoState>, headers: HeaderMap, jar: CookieJar, page: W) -> Response {
    let Some(demo) = state.rp.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(redirect) = at_issuer(demo.issuer(), &headers, endpoints::DEMO) {
        return redirect;
    }
    let session = jar.get(SESSION).and_then(|c| demo.session(c.value()));
    let (next, mailbox) = match (&state.account, &session) {
        (Some(account), None) => (account.next_step().await, account.mailbox()),
        _ => (None, false),
    };
    let (activate, login) = match next {
        Some(NextStep::Activate { email }) => (Some(email), None),
        Some(NextStep::SignIn { login }) => (None, Some(login)),
        None => (None, None),
    };
    page.page(
        "pages/demo.html",
        context! {
            activate,
            login,
            mailbox,
            signed_in => session.is_some(),
            id_token_claims => session.as_ref().map(|s| s.id_token_claims.clone()),
            userinfo => session.as_ref().map(|s| s.userinfo.clone()),
            error => None::<String>,
        },
        StatusCode::OK,
    )
}

async fn login<W: Web>(State(state): State<DemoState>, headers: HeaderMap, page: W) -> Response {
    let Some(demo) = state.rp.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(redirect) = at_issuer(demo.issuer(), &headers, endpoints::DEMO_LOGIN) {
        return redirect;
    }
    match demo.start().await {
        Ok((key, url)) => {
            let mut response = Redirect::to(&url).into_response();
            response.headers_mut().append(header::SET_COOKIE, W::set_cookie(PENDING, &key, state.secure));
            response
        }
        Err(error) => failure(&page, &error),
    }
}

async fn callback<W: Web>(
    State(state): State<DemoState>,
    jar: CookieJar,
    page: W,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(demo) = state.rp.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let key = jar.get(PENDING).map(|c| c.value().to_string()).unwrap_or_default();
    match demo.finish(&key, &params).await {
        Ok(session) => {
            let secure = state.secure;
            let mut response = Redirect::to(endpoints::DEMO).into_response();
            response.headers_mut().append(header::SET_COOKIE, W::set_cookie(SESSION, &session, secure));
            response.headers_mut().append(header::SET_COOKIE, W::clear_cookie(PENDING, secure));
            response
        }
        Err(error) => failure(&page, &error),
    }
}

async fn logout<W: Web>(State(state): State<DemoState>, jar: CookieJar) -> Response {
    let Some(demo) = state.rp.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let key = jar.get(SESSION).map(|c| c.value().to_string()).unwrap_or_default();
    let mut response = Redirect::to(&demo.sign_out(&key)).into_response();
    response.headers_mut().append(header::SET_COOKIE, W::clear_cookie(SESSION, state.secure));
    response
}

/// The demo page with what went wrong, in the page's language: a 400 when the
/// browser brought something stale or the sign-in was refused, a 502 when
/// kuke-id itself could not be reached or answered nonsense.
fn failure<W: Web>(page: &W, error: &DemoError) -> Response {
    let (status, key, detail) = match error {
        DemoError::UnknownState => (StatusCode::BAD_REQUEST, "demo_error_unknown_state", None),
        DemoError::Refused(detail) => (StatusCode::BAD_REQUEST, "demo_error_refused", Some(detail.clone())),
        DemoError::Provider(detail) => {
            tracing::warn!(error = %detail, "the demo relying party cannot talk to kuke-id");
            (StatusCode::BAD_GATEWAY, "demo_error_provider", None)
        }
    };
    page.page("pages/demo.html", context! { signed_in => false, error => key, detail }, status)
}

/// Sends the browser to the issuer's own address when it came by another name of
/// this machine (`127.0.0.1` for `localhost`, say): the sign-in's cookies belong
/// to the issuer's host, and a sign-in started elsewhere could never finish.
/// Only loopback names are compared, so a proxy that rewrites `Host` can never
/// make the demo redirect in a loop.
fn at_issuer(issuer: &str, headers: &HeaderMap, path: &str) -> Option<Response> {
    let issuer_host = url::Url::parse(issuer).ok()?.host_str()?.to_ascii_lowercase();
    let host = headers.get(header::HOST)?.to_str().ok()?.to_ascii_lowercase();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_string(),
        _ => host,
    };
    let loopback = |name: &str| matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    (loopback(&name) && loopback(&issuer_host) && name != issuer_host)
        .then(|| Redirect::to(&endpoints::url(issuer, path)).into_response())
}
