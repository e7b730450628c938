//! `POST /revoke` (RFC 7009): an authenticated confidential client revokes one
//! of its refresh or access tokens.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{client_auth, oauth_error};
use crate::flows;
use crate::state::AppState;

/// `POST /revoke`: 200 with an empty body, also for unknown tokens (RFC 7009 §2.2).
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (client, token) = match client_auth::client_and_token(&state, &headers, &body).await {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    match flows::revoke::revoke(&state, &client, &token).await {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(error) => oauth_error::internal(&error, "revocation"),
    }
}
