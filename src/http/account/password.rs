//! `GET|POST /account/password`: "Zmiana hasła" — the current password and the
//! new one twice, with the checklist of "Ustawienie hasła". Needs a fresh sign-in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{Target, no_store, require_fresh, signed_in};
use crate::domain::password::Rule;
use crate::domain::secret::Password;
use crate::flows::account::password::{self, Change};
use crate::http::form;
use crate::http::journey::{ClientOrigin, CsrfForm, form_page_with_status};
use crate::http::render::PageContext;
use crate::state::AppState;

fn checklist() -> Vec<&'static str> {
    Rule::CHECKLIST.iter().map(|r| r.key()).collect()
}

fn form(
    state: &AppState,
    jar: &CookieJar,
    page: &PageContext,
    errors: Vec<&'static str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let values = context! { checklist => checklist(), errors, error };
    no_store(form_page_with_status(state, jar, page, "pages/account_password.html", values, status))
}

/// The form (or the page asking to sign in again).
pub async fn get(State(state): State<AppState>, jar: CookieJar, page: PageContext) -> Response {
    let (session, _) = match signed_in(&state, &jar, &page, Target::Password).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if let Some(response) = require_fresh(&state, &page, &session, Target::Password, StatusCode::OK) {
        return response;
    }
    form(&state, &jar, &page, Vec::new(), None, StatusCode::OK)
}

/// Changes the password.
pub async fn post(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let (session, user) = match signed_in(&state, &jar, &page, Target::Password).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if let Some(response) = require_fresh(&state, &page, &session, Target::Password, StatusCode::FORBIDDEN) {
        return response;
    }
    let field = |name| Password::new(form::first(&fields, name).unwrap_or_default());
    let (current, new, repeated) = (field("current_password"), field("password"), field("password_repeat"));
    match password::change(&state, &session, &user, (&current, &new, &repeated), &origin, page.lang).await {
        Ok(Change::Done) => no_store(
            page.page("pages/account_done.html", context! { message => page.lang.text("account_password_changed") })
                .into_response(),
        ),
        Ok(Change::WrongCurrent) => form(
            &state,
            &jar,
            &page,
            Vec::new(),
            Some(page.lang.text("account_current_password_wrong")),
            StatusCode::BAD_REQUEST,
        ),
        Ok(Change::Refused(broken)) => {
            let errors: Vec<&'static str> = broken.iter().map(|r| r.key()).collect();
            form(&state, &jar, &page, errors, None, StatusCode::BAD_REQUEST)
        }
        Ok(Change::TooMany) => {
            form(&state, &jar, &page, Vec::new(), Some(page.lang.text("too_many")), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(error) => page.internal(&error, "password change failed"),
    }
}
