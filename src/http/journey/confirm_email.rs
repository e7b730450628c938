//! `GET|POST /email/confirm`: confirming a new e-mail address from the mailed
//! link. The GET only shows a button: mail scanners that open links must not be
//! able to confirm an address on the owner's behalf.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{ClientOrigin, CsrfForm, form_page, form_page_with_status};
use crate::flows::journey::confirm_email::{self, Confirmation};
use crate::http::form;
use crate::http::render::PageContext;
use crate::state::AppState;

/// Query of the link.
#[derive(serde::Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

/// Shows the confirmation button.
pub async fn get(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    Query(query): Query<LinkQuery>,
) -> Response {
    let token: String = query.token.unwrap_or_default().chars().take(64).collect();
    form_page(&state, &jar, &page, "pages/email_confirm.html", context! { token, outcome => "form" })
}

/// Confirms the address.
pub async fn post(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let token = form::first(&fields, "token").unwrap_or_default();
    let (outcome, status) = match confirm_email::confirm(&state, token, &origin).await {
        Ok(Confirmation::Confirmed) => ("confirmed", StatusCode::OK),
        Ok(Confirmation::Invalid) => ("invalid", StatusCode::GONE),
        Ok(Confirmation::Throttled) => ("throttled", StatusCode::TOO_MANY_REQUESTS),
        Err(error) => return page.internal(&error, "confirming an e-mail address failed"),
    };
    form_page_with_status(&state, &jar, &page, "pages/email_confirm.html", context! { outcome }, status)
}
