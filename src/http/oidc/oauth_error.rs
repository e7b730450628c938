//! OAuth error responses, the one place they take their wire shape: the JSON
//! error of the token, introspection and revocation endpoints (RFC 6749 §5.2,
//! RFC 7009 §2.2.1) and the bearer-token challenge of userinfo (RFC 6750 §3).

use std::error::Error;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::http::internal_error;

/// The JSON error, with the status its code calls for.
pub fn response(error: &OAuthError) -> Response {
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
    // §5.2: a 401 must name the scheme the client tried. Basic is the only
    // header scheme we accept, and a client that sent its credentials in the
    // form still learns that Basic is accepted, so every 401 names it.
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"kuke-id\""));
    }
    response
}

/// `server_error` after logging the failure (see [`internal_error`]);
/// `temporarily_unavailable` (503) while the database is out of reach.
pub fn internal(error: &(dyn Error + 'static), doing: &str) -> Response {
    internal_error::log(error, doing);
    if internal_error::unavailable(error) {
        return response(&OAuthError::new(ErrorCode::TemporarilyUnavailable, "try again shortly"));
    }
    response(&OAuthError::server_error())
}

/// RFC 6750 §3: `WWW-Authenticate: Bearer` with the error code and description,
/// if any (none: the request carried no token at all).
pub fn bearer_challenge(status: StatusCode, error: Option<(&str, &str)>) -> Response {
    let value = match error {
        None => "Bearer realm=\"kuke-id\"".to_string(),
        Some((code, description)) => {
            format!("Bearer realm=\"kuke-id\", error=\"{code}\", error_description=\"{description}\"")
        }
    };
    let body = match error {
        None => json!({"error": "invalid_request", "error_description": "an access token is required"}),
        Some((code, description)) => json!({"error": code, "error_description": description}),
    };
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A bearer-protected resource's opaque 500 (503 while the database is out of
/// reach), after logging the failure.
pub fn bearer_internal(error: &(dyn Error + 'static), doing: &str) -> Response {
    internal_error::log(error, doing);
    if internal_error::unavailable(error) {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": "temporarily_unavailable"}))).into_response();
    }
    (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "server_error"}))).into_response()
}
