//! `POST /token` (RFC 6749 §3.2, OIDC Core §3.1.3).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{client_auth, oauth_error};
use crate::flows::token::{self, TokenError};
use crate::state::AppState;

/// Exchanges a grant for tokens.
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let fields = match client_auth::form_fields(&headers, &body) {
        Ok(fields) => fields,
        Err(error) => return oauth_error::response(&error),
    };
    let Ok(presented) = client_auth::presented(&headers, &fields) else {
        return client_auth::malformed_authorization();
    };
    match token::exchange(&state, presented, &fields).await {
        Ok(tokens) => {
            let mut response = Json(tokens).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(TokenError::OAuth { error }) => oauth_error::response(&error),
        Err(TokenError::Internal(error)) => oauth_error::internal(&error, "token exchange"),
    }
}
