//! `POST /introspect` (RFC 7662): an authenticated confidential client asks
//! whether a token is active and what it carries.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{client_auth, oauth_error};
use crate::flows;
use crate::state::AppState;

/// `POST /introspect`.
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (client, token) = match client_auth::client_and_token(&state, &headers, &body).await {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    match flows::introspect::introspect(&state, &client, &token).await {
        Ok(answer) => {
            let mut response = Json(answer).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => oauth_error::internal(&error, "introspection"),
    }
}
