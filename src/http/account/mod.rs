//! The account area ("Moje konto" / "My account"): hosted pages for the
//! signed-in person, in the journey's style. A visit without a session starts the
//! normal sign-in and comes back here afterwards (a cookie names the page; the
//! finished sign-in clears it); sensitive changes ask for a fresh sign-in first
//! ([`crate::flows::account::is_fresh`]). Handlers read the form, call one flow
//! and render its outcome.

pub mod authenticator;
pub mod overview;
pub mod password;
pub mod qr;
pub mod sessions;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use minijinja::context;

use crate::domain::endpoints;
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::http::cookies;
use crate::http::render::PageContext;
use crate::state::AppState;

/// Cookie naming the account page to come back to after signing in.
pub const RETURN_COOKIE: &str = "kuke_account_return";

/// Routes of the account pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(endpoints::ACCOUNT, get(overview::get))
        .route(endpoints::ACCOUNT_PASSWORD, get(password::get).post(password::post))
        .route(endpoints::ACCOUNT_AUTHENTICATOR, get(authenticator::get).post(authenticator::begin))
        .route(endpoints::ACCOUNT_AUTHENTICATOR_CONFIRM, get(to_authenticator).post(authenticator::confirm))
        .route(endpoints::ACCOUNT_AUTHENTICATOR_REMOVE, get(to_authenticator).post(authenticator::remove))
        .route(endpoints::ACCOUNT_RECOVERY_CODES, get(to_authenticator).post(authenticator::renew_recovery_codes))
        .route(endpoints::ACCOUNT_SESSIONS, get(sessions::get))
        .route(endpoints::ACCOUNT_SESSIONS_END, get(to_sessions).post(sessions::end_one))
        .route(endpoints::ACCOUNT_SESSIONS_END_OTHERS, get(to_sessions).post(sessions::end_others))
        .route(endpoints::ACCOUNT_REAUTH, get(reauth))
}

/// The GET of a form's address, reached only by the language switch of the page
/// the form answered: back to the page the form belongs to, in that language.
fn back_to(page: &str, uri: &Uri) -> Response {
    match uri.query() {
        Some(query) => Redirect::to(&format!("{page}?{query}")).into_response(),
        None => Redirect::to(page).into_response(),
    }
}

async fn to_authenticator(uri: Uri) -> Response {
    back_to(endpoints::ACCOUNT_AUTHENTICATOR, &uri)
}

async fn to_sessions(uri: Uri) -> Response {
    back_to(endpoints::ACCOUNT_SESSIONS, &uri)
}

/// An account page a sign-in may come back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The overview.
    Overview,
    /// Change the password.
    Password,
    /// The authenticator app.
    Authenticator,
    /// The sessions.
    Sessions,
}

impl Target {
    /// The page's path.
    pub fn path(self) -> &'static str {
        match self {
            Target::Overview => endpoints::ACCOUNT,
            Target::Password => endpoints::ACCOUNT_PASSWORD,
            Target::Authenticator => endpoints::ACCOUNT_AUTHENTICATOR,
            Target::Sessions => endpoints::ACCOUNT_SESSIONS,
        }
    }

    /// The name in the return cookie and the re-authentication link.
    pub fn name(self) -> &'static str {
        match self {
            Target::Overview => "overview",
            Target::Password => "password",
            Target::Authenticator => "authenticator",
            Target::Sessions => "sessions",
        }
    }

    /// The page named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        [Target::Overview, Target::Password, Target::Authenticator, Target::Sessions]
            .into_iter()
            .find(|t| t.name() == name)
    }
}

/// The page a finished sign-in should return to (and forget), if the sign-in
/// began at an account page.
pub fn return_target(jar: &CookieJar, secure: bool) -> Option<Target> {
    cookies::get(jar, RETURN_COOKIE, secure).as_deref().and_then(Target::parse)
}

/// To the sign-in page, remembering to come back to `target`.
fn sign_in_then(state: &AppState, target: Target) -> Response {
    let mut response = Redirect::to(endpoints::SIGN_IN).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookies::set(RETURN_COOKIE, target.name(), state.settings.is_https()));
    response
}

/// The signed-in person and their session, or the response that starts a
/// sign-in coming back to `target`.
pub(crate) async fn signed_in(
    state: &AppState,
    jar: &CookieJar,
    page: &PageContext,
    target: Target,
) -> Result<(Session, User), Response> {
    let cookie = cookies::session(jar, state.settings.is_https());
    match crate::flows::session::current(state, cookie.as_deref()).await {
        Ok(Some(signed_in)) => Ok(signed_in),
        Ok(None) => Err(sign_in_then(state, target)),
        Err(error) => Err(page.internal(&error, "account session lookup failed")),
    }
}

/// `None` when the session's sign-in is fresh enough for a sensitive change;
/// otherwise the page asking to sign in again (status 403 for a form post).
pub(crate) fn require_fresh(
    state: &AppState,
    page: &PageContext,
    session: &Session,
    target: Target,
    status: axum::http::StatusCode,
) -> Option<Response> {
    if crate::flows::account::is_fresh(session, state.clock.now()) {
        return None;
    }
    let minutes = crate::flows::account::REAUTH_WINDOW.whole_minutes();
    let values = context! { target => target.name(), minutes };
    Some(page.page("pages/account_reauth.html", values).with_status(status).into_response())
}

/// Query of the re-authentication link.
#[derive(serde::Deserialize)]
pub struct ReauthQuery {
    to: Option<String>,
}

/// `GET /account/reauth?to=…`: signs in again, then back to the page.
pub async fn reauth(State(state): State<AppState>, Query(query): Query<ReauthQuery>) -> Response {
    let target = query.to.as_deref().and_then(Target::parse).unwrap_or(Target::Overview);
    sign_in_then(&state, target)
}

/// Attaches `Cache-Control: no-store` (pages with secrets or personal data).
pub(crate) fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_round_trips_through_its_name() {
        for target in [Target::Overview, Target::Password, Target::Authenticator, Target::Sessions] {
            assert_eq!(Target::parse(target.name()), Some(target));
        }
        assert_eq!(Target::parse("https://evil.example"), None);
    }
}
