//! `GET|POST /terms`: the "regulamin", the "oświadczenie" checkbox and "ZAPISZ".

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{ClientOrigin, CsrfForm, LOGIN_COOKIE, finished, form_page_with_status, go_to, login_handle, restart};
use crate::flows::authorize;
use crate::flows::journey::terms::{self, TermsAnswer};
use crate::http::render::{Lang, PageContext};
use crate::http::{cookies, form};
use crate::state::AppState;

async fn show(state: &AppState, jar: &CookieJar, page: &PageContext, error: bool) -> Response {
    match terms::pending(state, login_handle(jar, state.settings.is_https()).as_deref()).await {
        Ok(Some(terms)) => {
            let (body, text_lang) = terms::text_for(&terms, page.lang);
            let paragraphs: Vec<String> =
                body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect();
            // The stored title is Polish: other readers get the catalogue's heading.
            let title = if page.lang == Lang::Pl { terms.title.clone() } else { page.lang.text("terms_title") };
            let status = if error { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            form_page_with_status(
                state,
                jar,
                page,
                "pages/terms.html",
                context! {
                    terms_title => title,
                    paragraphs,
                    text_lang => text_lang.code(),
                    binding_polish => text_lang != page.lang,
                    error,
                },
                status,
            )
        }
        Ok(None) => restart(),
        Err(error) => page.internal(&error, "terms page failed"),
    }
}

/// The terms to accept.
pub async fn get(State(state): State<AppState>, jar: CookieJar, page: PageContext) -> Response {
    show(&state, &jar, &page, false).await
}

/// Accept (with the statement ticked) or decline.
pub async fn post(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let accept = form::first(&fields, "decision") == Some("accept");
    let ticked = form::first(&fields, "statement") == Some("yes");
    match terms::answer(&state, login_handle(&jar, state.settings.is_https()).as_deref(), accept, ticked, &origin).await
    {
        Ok(TermsAnswer::Complete(done)) => finished(&state, &jar, page, done).await,
        Ok(TermsAnswer::Step(step)) => go_to(step),
        Ok(TermsAnswer::NotTicked) => show(&state, &jar, &page, true).await,
        Ok(TermsAnswer::Declined(request)) => {
            let mut response = match request {
                Some(id) => {
                    let outcome =
                        authorize::deny_after_sign_in(&state, id, "the user declined the terms of service").await;
                    super::super::oidc::authorize::respond(page, outcome)
                }
                None => page.page("pages/logged_out.html", context! {}).into_response(),
            };
            response.headers_mut().append(header::SET_COOKIE, cookies::clear(LOGIN_COOKIE, state.settings.is_https()));
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Ok(TermsAnswer::NoTransaction) => restart(),
        Err(error) => page.internal(&error, "terms answer failed"),
    }
}
