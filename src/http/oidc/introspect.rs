//! `POST /introspect` (RFC 7662) and `POST /revoke` (RFC 7009): both need an
//! authenticated confidential client and a `token` form field.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{client_auth, oauth_error};
use crate::domain::client::Client;
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::flows::{self, client_auth::AuthFailure};
use crate::http::form;
use crate::state::AppState;

/// `POST /introspect`.
pub async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (client, token) = match authenticated(&state, &headers, &body).await {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    match flows::introspect::introspect(&state, &client, &token).await {
        Ok(answer) => {
            let mut response = Json(answer).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => oauth_error::internal(&error),
    }
}

/// `POST /revoke`: 200 with an empty body, also for unknown tokens (RFC 7009 §2.2).
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (client, token) = match authenticated(&state, &headers, &body).await {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    match flows::revoke::revoke(&state, &client, &token).await {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(error) => oauth_error::internal(&error),
    }
}

async fn authenticated(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(Client, String), Response> {
    if !form::is_form(headers) {
        return Err(oauth_error::response(
            &OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"),
            false,
        ));
    }
    let Some(fields) = form::parse(body) else {
        return Err(oauth_error::response(&OAuthError::invalid_request("the body is not valid UTF-8"), false));
    };
    let Ok(presented) = client_auth::presented(headers, &fields) else {
        return Err(oauth_error::response(
            &OAuthError::new(ErrorCode::InvalidClient, "malformed Authorization header"),
            true,
        ));
    };
    let client = match flows::client_auth::authenticate(state, &presented, false).await {
        Ok(Ok(client)) => client,
        Ok(Err(AuthFailure { error, basic })) => return Err(oauth_error::response(&error, basic)),
        Err(error) => return Err(oauth_error::internal(&error)),
    };
    match form::first(&fields, "token") {
        Some(token) => Ok((client, token.to_string())),
        None => Err(oauth_error::response(&OAuthError::invalid_request("token is required"), false)),
    }
}
