//! JSON error bodies for non-page endpoints, and the fallbacks for unknown routes,
//! oversized bodies and panics.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An OAuth-style JSON error: `{"error": "...", "error_description": "..."}`.
#[derive(Debug, Serialize)]
pub struct JsonError {
    /// Machine-readable code.
    pub error: &'static str,
    /// Sentence for the developer reading it.
    pub error_description: String,
    #[serde(skip)]
    status: StatusCode,
}

impl JsonError {
    /// An error with a status code.
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self { error, error_description: description.into(), status }
    }
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut response = (status, Json(self)).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
        response
    }
}

/// Answer for a path no route serves.
pub async fn not_found() -> JsonError {
    JsonError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// Answer for a method the path does not accept.
pub async fn method_not_allowed() -> JsonError {
    JsonError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not accept that method")
}

/// A panic in a handler becomes an opaque 500 (logged by the panic hook), never a dropped connection.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    JsonError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error").into_response()
}

/// Logs an internal failure with its cause chain and answers an opaque 500.
pub fn internal(error: &(dyn std::error::Error + 'static)) -> JsonError {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "internal error");
    JsonError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error")
}
