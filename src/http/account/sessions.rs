//! "Moje sesje": `GET /account/sessions` lists where the account is signed in;
//! `POST …/end` ends one session and `POST …/end-others` every other one, each
//! with back-channel logout to the relying parties, then back to the list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{Target, no_store, signed_in};
use crate::domain::endpoints;
use crate::flows::account::{self, sessions as flow};
use crate::http::form;
use crate::http::journey::{ClientOrigin, CsrfForm, form_page};
use crate::http::render::PageContext;
use crate::state::AppState;

/// The list of sessions.
pub async fn get(State(state): State<AppState>, jar: CookieJar, page: PageContext) -> Response {
    let (session, user) = match signed_in(&state, &jar, &page, Target::Sessions).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    match flow::list(&state, &user, Some(session.id)).await {
        Ok(sessions) => {
            let others = sessions.iter().filter(|s| !s.current).count();
            no_store(form_page(
                &state,
                &jar,
                &page,
                "pages/account_sessions.html",
                context! { sessions => minijinja::Value::from(minijinja::value::Serde(&sessions)), others },
            ))
        }
        Err(error) => page.internal(&error, "session list failed"),
    }
}

/// Ends the session named by the form.
pub async fn end_one(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let (_, user) = match signed_in(&state, &jar, &page, Target::Sessions).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let Some(id) = form::first(&fields, "session").and_then(|s| uuid::Uuid::parse_str(s.trim()).ok()) else {
        return page.error(StatusCode::BAD_REQUEST, "account_session_unknown").into_response();
    };
    match flow::end_one(&state, &user, &account::actor(&user, &origin), id).await {
        Ok(true) => Redirect::to(endpoints::ACCOUNT_SESSIONS).into_response(),
        Ok(false) => page.error(StatusCode::NOT_FOUND, "account_session_unknown").into_response(),
        Err(error) => page.internal(&error, "ending a session failed"),
    }
}

/// Ends every session but this browser's.
pub async fn end_others(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(_): CsrfForm,
) -> Response {
    let (session, user) = match signed_in(&state, &jar, &page, Target::Sessions).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    match flow::end_others(&state, &user, &account::actor(&user, &origin), session.id).await {
        Ok(_) => Redirect::to(endpoints::ACCOUNT_SESSIONS).into_response(),
        Err(error) => page.internal(&error, "ending sessions failed"),
    }
}
