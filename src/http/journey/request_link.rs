//! `GET|POST /activate/resend` and `/password/forgot`: a fresh link by e-mail,
//! with the same answer whether the address is known or not.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{ClientOrigin, CsrfForm, form_page, form_page_with_status};
use crate::flows::journey::request_link::{self, Requested};
use crate::http::form;
use crate::http::render::PageContext;
use crate::state::AppState;

/// The request form.
pub async fn get(State(state): State<AppState>, jar: CookieJar, page: PageContext) -> Response {
    form_page(&state, &jar, &page, "pages/request_link.html", context! { too_many => false })
}

/// Sends a link if the address is ours; answers the same either way.
pub async fn post(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let email = form::first(&fields, "email").unwrap_or_default();
    match request_link::request(&state, email, &origin, page.lang).await {
        Ok(Requested::Accepted) => page.page("pages/link_requested.html", context! {}).into_response(),
        Ok(Requested::TooMany) => form_page_with_status(
            &state,
            &jar,
            &page,
            "pages/request_link.html",
            context! { too_many => true },
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(error) => page.internal(&error, "link request failed"),
    }
}
