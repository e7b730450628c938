//! `GET|POST /login/code` ("Kod autoryzacyjny" → "ZALOGUJ SIĘ") and
//! `POST /login/code/resend` (its GET, reached only by the language switch of
//! the page it answers, goes back to the code page).

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Redirect, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{ClientOrigin, CsrfForm, finished, form_page, form_page_with_status, go_to, login_handle, restart};
use crate::domain::endpoints;
use crate::domain::secret::OneTimeCode;
use crate::flows::journey::one_time_code::{self, CodeCheck, CodeSource, Resend};
use crate::http::form;
use crate::http::render::PageContext;
use crate::state::AppState;

/// What the page asks for: `app` (an authenticator code), `fallback` (a code
/// may be mailed instead) and `mailed` (one was).
fn source_values(source: Option<CodeSource>) -> minijinja::Value {
    match source {
        Some(CodeSource::App { fallback, mailed }) => context! { app => true, fallback, mailed },
        _ => context! { app => false, fallback => false, mailed => false },
    }
}

/// The code form, while a sign-in waits for its code.
pub async fn get(State(state): State<AppState>, jar: CookieJar, page: PageContext) -> Response {
    match one_time_code::source(&state, login_handle(&jar, state.settings.is_https()).as_deref()).await {
        Ok(Some(source)) => form_page(
            &state,
            &jar,
            &page,
            "pages/one_time_code.html",
            context! { error => None::<String>, notice => None::<String>, ..source_values(Some(source)) },
        ),
        Ok(None) => restart(),
        Err(error) => page.internal(&error, "code page failed"),
    }
}

/// Checks the code.
pub async fn post(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let typed = OneTimeCode::new(form::first(&fields, "code").unwrap_or_default());
    let handle = login_handle(&jar, state.settings.is_https());
    let (error, status) = match one_time_code::submit(&state, handle.as_deref(), &typed, &origin, page.lang).await {
        Ok(CodeCheck::Complete(done)) => return finished(&state, &jar, page, done).await,
        Ok(CodeCheck::Step(step)) => return go_to(step),
        Ok(CodeCheck::Wrong { left }) => {
            (page.lang.text("code_wrong").replace("{left}", &left.to_string()), StatusCode::BAD_REQUEST)
        }
        Ok(CodeCheck::Expired) => (page.lang.text("code_expired"), StatusCode::BAD_REQUEST),
        Ok(CodeCheck::TooMany) => (page.lang.text("too_many"), StatusCode::TOO_MANY_REQUESTS),
        Ok(CodeCheck::Ended | CodeCheck::NoTransaction) => return restart(),
        Err(error) => return page.internal(&error, "code check failed"),
    };
    // The page again, asking for what it asked for: these answers leave the
    // sign-in at this step, so it is read only when the page is shown again.
    let source = match one_time_code::source(&state, handle.as_deref()).await {
        Ok(source) => source,
        Err(error) => return page.internal(&error, "code check failed"),
    };
    let values = context! { error, notice => None::<String>, ..source_values(source) };
    form_page_with_status(&state, &jar, &page, "pages/one_time_code.html", values, status)
}

/// Sends a new code.
pub async fn resend(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    CsrfForm(_): CsrfForm,
) -> Response {
    let handle = login_handle(&jar, state.settings.is_https());
    let result = one_time_code::resend(&state, handle.as_deref(), page.lang).await;
    let source = match one_time_code::source(&state, handle.as_deref()).await {
        Ok(source) => source,
        Err(error) => return page.internal(&error, "code resend failed"),
    };
    // A refused resend is about the button, not the code: the code field stays as it was.
    let show = |notice: Option<String>, resend_error: Option<String>, status| {
        let values = context! { error => None::<String>, resend_error, notice, ..source_values(source) };
        form_page_with_status(&state, &jar, &page, "pages/one_time_code.html", values, status)
    };
    match result {
        Ok(Resend::Sent) => show(Some(page.lang.text("code_resent")), None, StatusCode::OK),
        Ok(Resend::TooSoon(seconds)) => show(
            None,
            Some(page.lang.text("code_too_soon").replace("{seconds}", &seconds.to_string())),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Ok(Resend::LimitReached) => show(None, Some(page.lang.text("code_limit")), StatusCode::TOO_MANY_REQUESTS),
        Ok(Resend::NotOffered) => show(None, Some(page.lang.text("account_fallback_off")), StatusCode::FORBIDDEN),
        Ok(Resend::NoTransaction) => restart(),
        Err(error) => page.internal(&error, "code resend failed"),
    }
}

/// `GET /login/code/resend`: the code page, in the language the switch asked for.
pub async fn resend_page(uri: Uri) -> Redirect {
    match uri.query() {
        Some(query) => Redirect::to(&format!("{}?{query}", endpoints::SIGN_IN_CODE)),
        None => Redirect::to(endpoints::SIGN_IN_CODE),
    }
}
