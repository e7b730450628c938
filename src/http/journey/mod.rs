//! The hosted pages of the first-login journey, in journey order. Handlers only
//! read the form, call one flow and render its outcome.

pub mod activate;
pub mod confirm_email;
pub mod dev_mail;
pub mod one_time_code;
pub mod request_link;
pub mod resume;
pub mod sign_in;
pub mod terms;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use minijinja::Value;

use crate::domain::endpoints;
use crate::domain::journey::JourneyStep;
use crate::flows::authorize;
use crate::flows::journey::Origin;
use crate::flows::journey::finish::Finished;
use crate::http::cookies;
use crate::http::render::PageContext;
use crate::state::AppState;

/// Cookie naming the browser's sign-in in progress.
pub const LOGIN_COOKIE: &str = "kuke_login";

/// Routes of the journey pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(endpoints::ACTIVATE, get(activate::get).post(activate::post))
        .route(endpoints::EMAIL_CONFIRM, get(confirm_email::get).post(confirm_email::post))
        .route(endpoints::ACTIVATE_RESEND, get(request_link::get).post(request_link::post))
        .route(endpoints::PASSWORD_FORGOT, get(request_link::get).post(request_link::post))
        .route(endpoints::SIGN_IN, get(sign_in::get).post(sign_in::post))
        .route(endpoints::SIGN_IN_CODE, get(one_time_code::get).post(one_time_code::post))
        .route(endpoints::SIGN_IN_CODE_RESEND, get(one_time_code::resend_page).post(one_time_code::resend))
        .route(endpoints::TERMS, get(terms::get).post(terms::post))
        .route(endpoints::DEV_MAIL, get(dev_mail::get))
        .route(endpoints::DEV_MAIL_ONE, get(dev_mail::one))
        .route(endpoints::DEV_MAIL_HTML, get(dev_mail::html))
}

/// The client's address and user agent.
pub struct ClientOrigin(pub Origin);

impl FromRequestParts<AppState> for ClientOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let forwarded = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let ip = peer.map(|peer| state.settings.proxies.client_address(peer, forwarded).to_string());
        // Bounded: a user agent is stored with sign-ins and sessions.
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect());
        Ok(Self(Origin { ip, user_agent }))
    }
}

/// A form page: the CSRF token is added to `values` and its cookie set if new.
pub fn form_page(state: &AppState, jar: &CookieJar, page: &PageContext, template: &str, values: Value) -> Response {
    form_page_with_status(state, jar, page, template, values, StatusCode::OK)
}

/// [`form_page`] with a status code (errors re-render the form with 400/429).
pub fn form_page_with_status(
    state: &AppState,
    jar: &CookieJar,
    page: &PageContext,
    template: &str,
    values: Value,
    status: StatusCode,
) -> Response {
    let (csrf, set_cookie) = cookies::csrf_token(jar, state.settings.is_https());
    let values = minijinja::context! { csrf, ..values };
    let mut response = page.page(template, values).with_status(status).into_response();
    if let Some(cookie) = set_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A form body whose CSRF token matched its cookie: every journey, consent and
/// logout form is read through this extractor. A wrong content type, a body that
/// is not UTF-8 or a missing/wrong token is answered with an error page.
pub struct CsrfForm(pub Vec<(String, String)>);

impl axum::extract::FromRequest<AppState> for CsrfForm {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let jar = CookieJar::from_headers(&parts.headers);
        let Ok(page) = PageContext::from_request_parts(&mut parts, state).await;
        let bytes = axum::body::to_bytes(body, state.settings.body_limit_bytes)
            .await
            .map_err(|_| page.error(StatusCode::PAYLOAD_TOO_LARGE, "error_csrf").into_response())?;
        checked_form(&jar, state.settings.is_https(), &page, &parts.headers, &bytes)
            .map(CsrfForm)
            .map_err(|response| *response)
    }
}

/// Parses a form body and checks its CSRF token; `Err` is the response to send.
pub fn checked_form(
    jar: &CookieJar,
    secure: bool,
    page: &PageContext,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, Box<Response>> {
    let Some(fields) = super::form::is_form(headers).then(|| super::form::parse(body)).flatten() else {
        return Err(Box::new(page.error(StatusCode::BAD_REQUEST, "error_csrf").into_response()));
    };
    if !cookies::csrf_ok(jar, secure, super::form::first(&fields, "csrf")) {
        return Err(Box::new(page.error(StatusCode::FORBIDDEN, "error_csrf").into_response()));
    }
    Ok(fields)
}

/// After the last step: set the session cookie, forget the sign-in cookie, and go
/// back to the relying party — or show "Gotowe! Witamy w Portalu Klienta."
pub async fn finished(state: &AppState, jar: &CookieJar, page: PageContext, finished: Finished) -> Response {
    let secure = state.settings.is_https();
    // A new sign-in in this browser ends the session it had (another person's,
    // perhaps), with everything bound to it.
    if let Some(previous) = cookies::session(jar, state.settings.is_https())
        && let Err(error) = crate::flows::journey::finish::end_previous(state, &previous).await
    {
        return page.internal(&error, "ending the previous session failed");
    }
    let mut response = match finished.authorization_request_id {
        Some(id) => {
            let outcome = authorize::resume_after_sign_in(state, id, &finished.cookie).await;
            super::oidc::authorize::respond(page, outcome)
        }
        // A sign-in that began at an account page goes back there.
        None if super::account::return_target(jar, secure).is_some() => {
            let target = super::account::return_target(jar, secure).unwrap_or(super::account::Target::Overview);
            Redirect::to(target.path()).into_response()
        }
        None => {
            let portal = state
                .settings
                .portal_url
                .clone()
                .or_else(|| state.demo_mode.then(|| endpoints::url(&state.settings.issuer, endpoints::DEMO)));
            page.page("pages/welcome.html", minijinja::context! { portal_url => portal }).into_response()
        }
    };
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, cookies::set(cookies::SESSION, &finished.cookie, secure));
    headers.append(header::SET_COOKIE, cookies::clear(LOGIN_COOKIE, secure));
    if super::account::return_target(jar, secure).is_some() {
        headers.append(header::SET_COOKIE, cookies::clear(super::account::RETURN_COOKIE, secure));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Sends the browser to the page of a journey step.
pub fn go_to(step: JourneyStep) -> Response {
    let page = match step {
        JourneyStep::Code => endpoints::SIGN_IN_CODE,
        JourneyStep::Terms => endpoints::TERMS,
    };
    Redirect::to(page).into_response()
}

/// Back to the sign-in page: the sign-in in progress ended (or never began).
pub fn restart() -> Response {
    Redirect::to(endpoints::SIGN_IN_RESTART).into_response()
}

/// The sign-in cookie's value.
pub fn login_handle(jar: &CookieJar, secure: bool) -> Option<String> {
    cookies::get(jar, LOGIN_COOKIE, secure)
}
