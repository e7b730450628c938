//! `POST /token` (RFC 6749 §3.2, OIDC Core §3.1.3).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{client_auth, oauth_error};
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::flows::token::{self, TokenError};
use crate::http::form;
use crate::state::AppState;

/// Exchanges a grant for tokens.
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !form::is_form(&headers) {
        return oauth_error::response(
            &OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"),
            false,
        );
    }
    let Some(fields) = form::parse(&body) else {
        return oauth_error::response(&OAuthError::invalid_request("the body is not valid UTF-8"), false);
    };
    let Ok(presented) = client_auth::presented(&headers, &fields) else {
        return oauth_error::response(
            &OAuthError::new(ErrorCode::InvalidClient, "malformed Authorization header"),
            true,
        );
    };
    match token::exchange(&state, presented, &fields).await {
        Ok(tokens) => {
            let mut response = Json(tokens).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(TokenError::OAuth { error, basic }) => oauth_error::response(&error, basic),
        Err(TokenError::Internal(error)) => oauth_error::internal(&error),
    }
}
