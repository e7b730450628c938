//! `GET|POST /activate/resend` and `/password/forgot`: a fresh link by e-mail,
//! with the same answer whether the address is known or not. Opened from a
//! sign-in in progress, the browser remembers that sign-in, so the password set
//! through the mailed link leads back into it.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{ClientOrigin, CsrfForm, form_page, form_page_with_status, resume};
use crate::flows::journey::request_link::{self, Requested};
use crate::http::form;
use crate::http::render::PageContext;
use crate::state::AppState;

/// Query of the form: the sign-in it was opened from, if any.
#[derive(serde::Deserialize)]
pub struct FromSignIn {
    request: Option<String>,
}

/// The request form.
pub async fn get(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    Query(query): Query<FromSignIn>,
) -> Response {
    let handle = query.request.filter(|h| resume::is_well_formed(h));
    form_page(&state, &jar, &page, "pages/request_link.html", context! { too_many => false, handle })
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
    let handle = form::first(&fields, "request").filter(|h| resume::is_well_formed(h)).map(str::to_string);
    match request_link::request(&state, email, &origin, page.lang).await {
        Ok(Requested::Accepted) => {
            let mut response = page.page("pages/link_requested.html", context! {}).into_response();
            if let Some(handle) = handle {
                resume::remember(&mut response, &handle, state.settings.is_https());
            }
            response
        }
        Ok(Requested::TooMany) => form_page_with_status(
            &state,
            &jar,
            &page,
            "pages/request_link.html",
            context! { too_many => true, handle },
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(error) => page.internal(&error, "link request failed"),
    }
}
