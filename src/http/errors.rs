//! The generic fallbacks: unknown routes (404), wrong methods (405), oversized
//! bodies (413) and panics (500), each in the shape of the API it hit: RFC 9457
//! problems below the admin API, OAuth-style JSON elsewhere.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::admin::{self, problem::Problem};
use super::internal_error;
use super::render::PageContext;

/// An OAuth-style JSON error: `{"error": "...", "error_description": "..."}`.
#[derive(Debug, Serialize)]
struct JsonError {
    /// Machine-readable code.
    error: &'static str,
    /// Sentence for the developer reading it.
    error_description: &'static str,
    #[serde(skip)]
    status: StatusCode,
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut response = (status, Json(self)).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
        response
    }
}

/// Answer for a path no route serves: a page in the pages' style for a browser
/// (it asks for `text/html`), JSON for API clients.
pub async fn not_found(page: PageContext, headers: HeaderMap, uri: Uri) -> Response {
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if browser && !uri.path().starts_with(admin::PREFIX) {
        return page.error(StatusCode::NOT_FOUND, "error_not_found").into_response();
    }
    not_found_json()
}

/// The JSON 404, for callers that are not browsers.
pub fn not_found_json() -> Response {
    JsonError { status: StatusCode::NOT_FOUND, error: "not_found", error_description: "no such endpoint" }
        .into_response()
}

/// Answer for a method the path does not accept.
pub async fn method_not_allowed() -> Response {
    JsonError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        error: "method_not_allowed",
        error_description: "this endpoint does not accept that method",
    }
    .into_response()
}

/// A panic in a handler becomes an opaque 500 (logged once), never a dropped connection.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    internal_error::log_panic(payload.as_ref());
    JsonError { status: StatusCode::INTERNAL_SERVER_ERROR, error: "server_error", error_description: "internal error" }
        .into_response()
}

/// 413 in the shape of the caller's API: problem+json for the admin API, JSON elsewhere.
pub fn too_large(admin: bool) -> Response {
    if admin {
        return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", "request body is too large")
            .into_response();
    }
    JsonError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        error: "payload_too_large",
        error_description: "request body is too large",
    }
    .into_response()
}

/// Errors in the shape of their API. The body-limit layer answers 413 with a bare
/// text body, and axum's extractors (a query or path that does not parse) and
/// fallbacks answer in text or OAuth-style JSON; below the admin API every error
/// becomes RFC 9457 problem details, elsewhere a 413 gets the JSON shape.
/// `admin`: the request was below the admin API's prefix.
pub async fn in_the_shape_of_their_api(admin: bool, response: Response) -> Response {
    // Every response passes here: read the header in place, allocate nothing.
    let content_type = response.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes()).unwrap_or_default();
    let json_like = content_type.starts_with(b"application/");
    let problem = content_type.starts_with(b"application/problem+json");
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !json_like {
        return too_large(admin);
    }
    let failed = response.status().is_client_error() || response.status().is_server_error();
    if admin && failed && !problem {
        return Problem::restate(response).await;
    }
    response
}
