//! `/admin/sign-in`, `/admin/callback`, `/admin/logout`, `/admin/signed-out`:
//! the console as a relying party of kuke-id (OIDC Core §3.1 with PKCE;
//! RP-Initiated Logout 1.0 to sign out).

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{SESSION_COOKIE, SIGN_IN_COOKIE, clear_cookie, cookie, set_cookie};
use crate::domain::endpoints;
use crate::flows::console::sign_in::{self, CallbackError, Finished};
use crate::flows::console::{self, CONSOLE_CLIENT_ID, Visitor};
use crate::http::journey::{CsrfForm, form_page};
use crate::http::render::PageContext;
use crate::state::AppState;

/// The sign-in page: one button, which starts the sign-in by POST (no state
/// changes on GET). A signed-in staff member goes straight to the console.
pub async fn page(State(state): State<AppState>, jar: CookieJar, page: PageContext) -> Response {
    let secure = state.settings.is_https();
    match console::staff::visitor(&state, cookie(&jar, SESSION_COOKIE, secure).as_deref()).await {
        Ok(Visitor::Staff(_)) => Redirect::to(endpoints::CONSOLE).into_response(),
        Ok(_) => form_page(&state, &jar, &page, "console/sign_in.html", context! {}),
        Err(error) => page.internal(&error, "reading the console session failed"),
    }
}

/// Starts a sign-in: the browser goes to kuke-id's authorization endpoint.
pub async fn start(State(state): State<AppState>, page: PageContext, _form: CsrfForm) -> Response {
    match sign_in::start(&state, page.lang).await {
        Ok(started) => {
            let mut response = Redirect::to(&started.authorize_path).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SIGN_IN_COOKIE, &started.cookie, "Lax", state.settings.is_https()),
            );
            response
        }
        Err(error) => page.internal(&error, "starting a console sign-in failed"),
    }
}

/// The redirect URI: redeems the code and opens the console session.
pub async fn callback(State(state): State<AppState>, jar: CookieJar, page: PageContext, uri: Uri) -> Response {
    let secure = state.settings.is_https();
    let params = crate::http::form::query(uri.query());
    let pending = cookie(&jar, SIGN_IN_COOKIE, secure);
    let mut response = match sign_in::finish(&state, pending.as_deref(), &params).await {
        Ok(Finished::Staff { cookie }) => {
            let mut response = Redirect::to(endpoints::CONSOLE).into_response();
            response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &cookie, "Strict", secure));
            response
        }
        Ok(Finished::NotStaff) => {
            page.page("console/not_staff.html", context! {}).with_status(StatusCode::FORBIDDEN).into_response()
        }
        Err(CallbackError::Internal(error)) => return page.internal(&error, "finishing a console sign-in failed"),
        Err(error) => {
            tracing::info!(%error, "console sign-in refused");
            let message = match error {
                CallbackError::Refused(_) => "console_error_refused",
                _ => "console_error_sign_in",
            };
            page.page("console/sign_in_failed.html", context! { message })
                .with_status(StatusCode::BAD_REQUEST)
                .into_response()
        }
    };
    response.headers_mut().append(header::SET_COOKIE, clear_cookie(SIGN_IN_COOKIE, "Lax", secure));
    response
}

/// Signs out of the console, then out of kuke-id (RP-Initiated Logout 1.0):
/// the browser goes to the end-session endpoint with the console's ID token as
/// the hint and comes back to `/admin/signed-out`.
pub async fn logout(State(state): State<AppState>, jar: CookieJar, page: PageContext, _form: CsrfForm) -> Response {
    let secure = state.settings.is_https();
    let hint = match console::staff::sign_out(&state, cookie(&jar, SESSION_COOKIE, secure).as_deref()).await {
        Ok(hint) => hint,
        Err(error) => return page.internal(&error, "ending a console session failed"),
    };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(hint) = &hint {
        query.append_pair("id_token_hint", hint);
    }
    query
        .append_pair("client_id", CONSOLE_CLIENT_ID)
        .append_pair("post_logout_redirect_uri", &endpoints::url(&state.settings.issuer, endpoints::CONSOLE_SIGNED_OUT))
        .append_pair("ui_locales", page.lang.code());
    let mut response = Redirect::to(&format!("{}?{}", endpoints::END_SESSION, query.finish())).into_response();
    response.headers_mut().append(header::SET_COOKIE, clear_cookie(SESSION_COOKIE, "Strict", secure));
    response
}

/// After kuke-id signed the browser out.
pub async fn signed_out(page: PageContext) -> Response {
    page.page("console/signed_out.html", context! {}).into_response()
}
