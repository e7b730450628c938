//! The authenticator app ("Aplikacja uwierzytelniająca"): `GET
//! /account/authenticator` shows whether one is in use; `POST` starts a setup
//! (QR code and key, shown only now); `POST …/confirm` checks a current code and
//! shows the recovery codes once; `POST …/remove` removes the app; `POST
//! /account/recovery-codes` renews the codes. Every one needs a fresh sign-in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{Target, no_store, qr, require_fresh, signed_in};
use crate::domain::endpoints;
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::flows::account::{self, authenticator as flow};
use crate::http::form;
use crate::http::journey::{ClientOrigin, CsrfForm, form_page, form_page_with_status};
use crate::http::render::PageContext;
use crate::state::AppState;

/// The signed-in person with a fresh sign-in, or the response to send instead.
async fn fresh(
    state: &AppState,
    jar: &CookieJar,
    page: &PageContext,
    status: StatusCode,
) -> Result<(Session, User), Response> {
    let (session, user) = signed_in(state, jar, page, Target::Authenticator).await?;
    match require_fresh(state, page, &session, Target::Authenticator, status) {
        Some(response) => Err(response),
        None => Ok((session, user)),
    }
}

/// Whether an app is in use, and the buttons that change it.
pub async fn get(State(state): State<AppState>, jar: CookieJar, page: PageContext) -> Response {
    let (_, user) = match fresh(&state, &jar, &page, StatusCode::OK).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    match account::overview(&state, &user).await {
        Ok(overview) => no_store(form_page(
            &state,
            &jar,
            &page,
            "pages/account_authenticator.html",
            context! { active => overview.authenticator, recovery_codes_left => overview.recovery_codes_left },
        )),
        Err(error) => page.internal(&error, "authenticator page failed"),
    }
}

fn setup_page(
    state: &AppState,
    jar: &CookieJar,
    page: &PageContext,
    setup: &flow::Setup,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let values = context! {
        qr => qr::svg(&setup.otpauth_url),
        key => setup.secret.typed_form(),
        error,
    };
    no_store(form_page_with_status(state, jar, page, "pages/account_authenticator_setup.html", values, status))
}

/// Starts a setup: a new secret, shown as a QR code and as a key to type.
pub async fn begin(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    CsrfForm(_): CsrfForm,
) -> Response {
    let (_, user) = match fresh(&state, &jar, &page, StatusCode::FORBIDDEN).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    match flow::begin(&state, &user).await {
        Ok(setup) => setup_page(&state, &jar, &page, &setup, None, StatusCode::OK),
        Err(error) => page.internal(&error, "authenticator setup failed"),
    }
}

/// Confirms the setup with a current code; shows the recovery codes once.
pub async fn confirm(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let (_, user) = match fresh(&state, &jar, &page, StatusCode::FORBIDDEN).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let typed = form::first(&fields, "code").unwrap_or_default();
    let actor = account::actor(&user, &origin);
    match flow::confirm(&state, &user, &actor, typed, page.lang).await {
        Ok(flow::Confirmed::Done { recovery_codes }) => codes_page(&page, recovery_codes, true),
        Ok(flow::Confirmed::Wrong) => match flow::pending(&state, &user).await {
            Ok(Some(setup)) => setup_page(
                &state,
                &jar,
                &page,
                &setup,
                Some(page.lang.text("account_setup_code_wrong")),
                StatusCode::BAD_REQUEST,
            ),
            Ok(None) => Redirect::to(endpoints::ACCOUNT_AUTHENTICATOR).into_response(),
            Err(error) => page.internal(&error, "authenticator setup failed"),
        },
        Ok(flow::Confirmed::NoSetup) => Redirect::to(endpoints::ACCOUNT_AUTHENTICATOR).into_response(),
        Err(error) => page.internal(&error, "authenticator confirmation failed"),
    }
}

fn codes_page(page: &PageContext, codes: Vec<String>, added: bool) -> Response {
    no_store(page.page("pages/account_recovery_codes.html", context! { codes, added }).into_response())
}

/// Removes the app (and its recovery codes).
pub async fn remove(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(_): CsrfForm,
) -> Response {
    let (_, user) = match fresh(&state, &jar, &page, StatusCode::FORBIDDEN).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let actor = account::actor(&user, &origin);
    match flow::remove(&state, &user, &actor, page.lang).await {
        Ok(true) => no_store(
            page.page(
                "pages/account_done.html",
                context! { message => page.lang.text("account_authenticator_removed") },
            )
            .into_response(),
        ),
        Ok(false) => Redirect::to(endpoints::ACCOUNT_AUTHENTICATOR).into_response(),
        Err(error) => page.internal(&error, "authenticator removal failed"),
    }
}

/// New recovery codes (the old ones stop working).
pub async fn renew_recovery_codes(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(_): CsrfForm,
) -> Response {
    let (_, user) = match fresh(&state, &jar, &page, StatusCode::FORBIDDEN).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let actor = account::actor(&user, &origin);
    match flow::renew_recovery_codes(&state, &user, &actor).await {
        Ok(Some(codes)) => codes_page(&page, codes, false),
        Ok(None) => Redirect::to(endpoints::ACCOUNT_AUTHENTICATOR).into_response(),
        Err(error) => page.internal(&error, "recovery code renewal failed"),
    }
}
