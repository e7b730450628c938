//! Our CSS and logo, embedded in the binary: pages load nothing from elsewhere.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `GET /assets/{file}`.
pub async fn get(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "style.css" => (include_str!("../../templates/assets/style.css"), "text/css; charset=utf-8"),
        "console.css" => (include_str!("../../templates/assets/console.css"), "text/css; charset=utf-8"),
        "logo.svg" => (include_str!("../../templates/assets/logo.svg"), "image/svg+xml"),
        "password.js" => (include_str!("../../templates/assets/password.js"), "text/javascript; charset=utf-8"),
        "local_time.js" => (include_str!("../../templates/assets/local_time.js"), "text/javascript; charset=utf-8"),
        "terms.js" => (include_str!("../../templates/assets/terms.js"), "text/javascript; charset=utf-8"),
        _ => return super::errors::not_found_json(),
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], body)
        .into_response()
}
