//! `GET|POST /login`: "Login" + "Hasło" → "WYŚLIJ KOD".

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{ClientOrigin, CsrfForm, LOGIN_COOKIE, form_page, form_page_with_status, go_to};
use crate::domain::secret::Password;
use crate::flows::authorize;
use crate::flows::journey::sign_in::{self, SignIn};
use crate::http::render::PageContext;
use crate::http::{cookies, form};
use crate::state::AppState;

/// Query of the sign-in page.
#[derive(serde::Deserialize)]
pub struct SignInQuery {
    request: Option<String>,
    notice: Option<String>,
}

/// The sign-in form; with `request`, for a parked authorization request (its
/// `login_hint` prefills the login, its `ui_locales` choose the language).
pub async fn get(
    State(state): State<AppState>,
    jar: CookieJar,
    mut page: PageContext,
    Query(query): Query<SignInQuery>,
) -> Response {
    let mut login_hint = None;
    let handle = query.request.filter(|h| !h.is_empty());
    if let Some(handle) = &handle {
        match authorize::sign_in_view(&state, handle).await {
            Ok(Some(request)) => {
                page.prefer(request.ui_locales.as_deref());
                login_hint = request.login_hint.filter(|h| crate::domain::login_number::is_well_formed(h));
            }
            Ok(None) => return page.error(StatusCode::BAD_REQUEST, "error_expired_request").into_response(),
            Err(error) => {
                return page.internal(&error, "sign-in page failed");
            }
        }
    }
    let notice = query.notice.filter(|n| n == "sign_in_restart");
    form_page(&state, &jar, &page, "pages/sign_in.html", context! { handle, login_hint, notice, error => None::<&str> })
}

/// Checks the credentials and mails the code.
pub async fn post(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let login = form::first(&fields, "login").unwrap_or_default();
    let password = Password::new(form::first(&fields, "password").unwrap_or_default());
    let handle = form::first(&fields, "request").map(str::to_string);
    let again = |error: &str, status| {
        form_page_with_status(
            &state,
            &jar,
            &page,
            "pages/sign_in.html",
            context! { handle => handle.clone(), login_hint => login, error, notice => None::<&str> },
            status,
        )
    };
    match sign_in::submit(&state, login, &password, handle.as_deref(), &origin, page.lang).await {
        Ok(SignIn::CodeSent { handle, step }) => {
            let mut response = go_to(step);
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookies::set(LOGIN_COOKIE, &handle, state.settings.is_https()));
            response
        }
        Ok(SignIn::Refused) => again("sign_in_failed", StatusCode::UNAUTHORIZED),
        Ok(SignIn::TooMany) => again("too_many", StatusCode::TOO_MANY_REQUESTS),
        Err(error) => page.internal(&error, "sign-in failed"),
    }
}
