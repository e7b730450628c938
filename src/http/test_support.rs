//! Compiled only with the `test-support` feature (integration tests, the
//! conformance run): signs a browser in without the hosted journey.
//! `POST /test-support/sign-in` with `login` (and optionally `request`, a parked
//! authorization request to resume).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use crate::domain::endpoints;
use crate::domain::session::ACR_TWO_FACTOR;
use crate::flows::accounts;
use crate::flows::session::{self, ClientInfo};
use crate::http::{cookies, form};
use crate::state::AppState;

/// Path of the test sign-in.
pub const SIGN_IN: &str = "/test-support/sign-in";

/// Signs the browser in as the account with `login`.
pub async fn sign_in(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap, body: Bytes) -> Response {
    let Some(fields) = form::is_form(&headers).then(|| form::parse(&body)).flatten() else {
        return (StatusCode::BAD_REQUEST, "form body expected").into_response();
    };
    let Some(login) = form::first(&fields, "login") else {
        return (StatusCode::BAD_REQUEST, "login is required").into_response();
    };
    let user = match accounts::find_by_login(&state, login).await {
        Ok(Some(user)) => user,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such login").into_response(),
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
    };
    let amr = vec!["pwd".to_string(), "otp".to_string()];
    let previous = cookies::session(&jar, state.settings.is_https());
    let established = match session::establish(
        &state,
        user.id,
        &amr,
        Some(ACR_TWO_FACTOR),
        previous.as_deref(),
        // The browser's user agent is kept as the journey keeps it (the account
        // area's session list shows it).
        ClientInfo {
            ip: None,
            user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
        },
    )
    .await
    {
        Ok(established) => established,
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
    };
    let mut response = match form::first(&fields, "request") {
        Some(handle) => Redirect::to(&format!("{}?request={handle}", endpoints::AUTHORIZE_RESUME)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookies::set(cookies::SESSION, &established.cookie, state.settings.is_https()));
    response
}
