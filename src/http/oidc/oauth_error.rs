//! OAuth JSON error responses (RFC 6749 §5.2, RFC 6750 §3, RFC 7009 §2.2.1).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::oauth::error::{ErrorCode, OAuthError};

/// The JSON error; `basic` adds `WWW-Authenticate: Basic` to a 401.
pub fn response(error: &OAuthError, basic: bool) -> Response {
    let status = match error.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = json!({"error": error.code.as_str(), "error_description": error.description});
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    // §5.2: a 401 must name the scheme the client tried; a client that sent its
    // credentials in the form still learns that Basic is accepted.
    if status == StatusCode::UNAUTHORIZED {
        let _ = basic;
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"kuke-id\""));
    }
    response
}

/// `server_error` after logging the cause.
pub fn internal(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "internal error");
    response(&OAuthError::server_error(), false)
}
