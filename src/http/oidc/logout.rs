//! `GET|POST /logout` (RP-Initiated Logout 1.0 §2) and `POST /logout/confirm`.
//! `GET /logout/confirm` exists only for the language switch of the signed-out
//! page, which links to its own address.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use crate::domain::endpoints;
use crate::flows::logout::{self, LogoutOutcome, LogoutParams};
use crate::http::journey::CsrfForm;
use crate::http::render::PageContext;
use crate::http::{cookies, form};
use crate::state::AppState;

/// `GET|POST /logout`.
pub async fn end_session(
    State(state): State<AppState>,
    jar: CookieJar,
    mut page: PageContext,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = if method == Method::POST {
        match form::is_form(&headers).then(|| form::parse(&body)).flatten() {
            Some(pairs) => pairs,
            None => {
                return page.error(StatusCode::BAD_REQUEST, "error_logout_invalid").into_response();
            }
        }
    } else {
        form::query(uri.query())
    };
    let params = params_of(&pairs);
    page.prefer(params.ui_locales.as_deref());
    let outcome =
        logout::logout(&state, params, cookies::session(&jar, state.settings.is_https()).as_deref(), false).await;
    respond(&state, &jar, page, outcome)
}

/// `GET /logout/confirm`: back to the end-session endpoint, which answers in the
/// person's real state (signed out, or asked again) and in the chosen language.
pub async fn confirm_page(uri: Uri) -> Redirect {
    match uri.query() {
        Some(query) => Redirect::to(&format!("{}?{query}", endpoints::END_SESSION)),
        None => Redirect::to(endpoints::END_SESSION),
    }
}

/// `POST /logout/confirm`: the user confirmed on our page.
pub async fn confirm(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    CsrfForm(pairs): CsrfForm,
) -> Response {
    let outcome =
        logout::logout(&state, params_of(&pairs), cookies::session(&jar, state.settings.is_https()).as_deref(), true)
            .await;
    respond(&state, &jar, page, outcome)
}

fn params_of(pairs: &[(String, String)]) -> LogoutParams {
    let get = |name| form::first(pairs, name).map(str::to_string);
    LogoutParams {
        id_token_hint: get("id_token_hint"),
        client_id: get("client_id"),
        post_logout_redirect_uri: get("post_logout_redirect_uri"),
        state: get("state"),
        ui_locales: get("ui_locales"),
    }
}

fn respond(
    state: &AppState,
    jar: &CookieJar,
    page: PageContext,
    outcome: Result<LogoutOutcome, crate::flows::Internal>,
) -> Response {
    let secure = state.settings.is_https();
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            return page.internal(&error, "logout failed");
        }
    };
    let mut response = match outcome {
        LogoutOutcome::Redirect(uri) => Redirect::to(&uri).into_response(),
        LogoutOutcome::SignedOut => page.page("pages/logged_out.html", context! {}).into_response(),
        LogoutOutcome::Invalid(_) => {
            return page.error(StatusCode::BAD_REQUEST, "error_logout_invalid").into_response();
        }
        LogoutOutcome::Confirm(params) => {
            let (csrf, set_cookie) = cookies::csrf_token(jar, secure);
            let mut response = page
                .page(
                    "pages/logout_confirm.html",
                    context! {
                        csrf,
                        client_id => params.client_id,
                        post_logout_redirect_uri => params.post_logout_redirect_uri,
                        state => params.state,
                        // "Cancel" goes back to the portal (or the demo) when one is known.
                        cancel_url => state.settings.portal_url.clone().or_else(|| {
                            state.demo_mode.then(|| endpoints::url(&state.settings.issuer, endpoints::DEMO))
                        }),
                    },
                )
                .into_response();
            if let Some(cookie) = set_cookie {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            return response;
        }
    };
    response.headers_mut().append(header::SET_COOKIE, cookies::clear(cookies::SESSION, secure));
    response.headers_mut().append(header::SET_COOKIE, cookies::clear(crate::http::journey::LOGIN_COOKIE, secure));
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}
