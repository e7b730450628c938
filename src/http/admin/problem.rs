//! RFC 9457 problem details: the one place the admin API's errors take their
//! wire shape.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::internal_error;

/// A problem response.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    title: &'static str,
    detail: String,
}

impl Problem {
    /// A problem with a status, a short title and a detail sentence.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, title, detail: detail.into() }
    }

    /// 400.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    /// 409: the change clashes with what is stored.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", detail)
    }

    /// 403: the caller is known but may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", detail)
    }

    /// 422: well-formed, but a rule refuses it.
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable content", detail)
    }

    /// 500 (503 while the database is out of reach), after logging the cause
    /// chain (see [`internal_error`]).
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        internal_error::log(error, "admin API");
        if internal_error::unavailable(error) {
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable",
                "the database is unavailable; try again shortly",
            );
        }
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "internal error")
    }

    /// Re-states another layer's error response (an extractor's rejection, a
    /// fallback) as problem details, keeping its status, its explanation and the
    /// headers that matter (`Allow`, `WWW-Authenticate`).
    pub async fn restate(response: Response) -> Response {
        let (parts, body) = response.into_parts();
        let text = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
        let explanation = serde_json::from_slice::<serde_json::Value>(&text)
            .ok()
            .and_then(|json| json["error_description"].as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&text).trim().to_string());
        let title = parts.status.canonical_reason().unwrap_or("Error");
        let detail = if explanation.is_empty() { title.to_lowercase() } else { explanation };
        let mut problem = Self::new(parts.status, title, detail).into_response();
        for name in [header::ALLOW, header::WWW_AUTHENTICATE] {
            if let Some(value) = parts.headers.get(&name) {
                problem.headers_mut().insert(name, value.clone());
            }
        }
        problem
    }
}

impl From<crate::flows::Internal> for Problem {
    fn from(error: crate::flows::Internal) -> Self {
        Self::internal(&error)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"kuke-id admin\""));
        }
        response
    }
}
