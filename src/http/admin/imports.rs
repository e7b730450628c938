//! `POST /admin/api/v1/imports[?dry_run=true]`: a CSV (`text/csv`) or JSON array
//! (`application/json`) of Ekstranet accounts; answers the per-row report.
//!
//! The body may be tens of megabytes, so it is read only after the caller's
//! token and scope are checked (by the route's scope check, before this
//! handler runs): a stranger's upload is refused unread.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth::Admin;
use super::problem::Problem;
use crate::flows::import::{self, Format, ImportError};
use crate::state::AppState;

/// Query of the import.
#[derive(Debug, serde::Deserialize)]
pub struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

/// Imports the body.
pub async fn post(
    State(state): State<AppState>,
    Admin(admin): Admin,
    headers: HeaderMap,
    Query(query): Query<ImportQuery>,
    body: Body,
) -> Response {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let format = if content_type.starts_with("text/csv") {
        Format::Csv
    } else if content_type.starts_with("application/json") {
        Format::Json
    } else {
        return Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send text/csv or application/json",
        )
        .into_response();
    };
    let body = match read(body, state.settings.import_body_limit_bytes).await {
        Ok(body) => body,
        Err(problem) => return problem.into_response(),
    };
    match import::import_served(&state, &admin, body.as_ref(), format, query.dry_run).await {
        Ok(report) => Json(report).into_response(),
        Err(ImportError::Store(error)) => Problem::internal(&error).into_response(),
        Err(error) => Problem::bad_request(error.to_string()).into_response(),
    }
}

/// Reads the whole body, at most `limit` bytes (413 beyond, like every other route).
async fn read(body: Body, limit: usize) -> Result<Bytes, Problem> {
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(cause) = source {
            if cause.is::<http_body_util::LengthLimitError>() {
                return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", "request body is too large");
            }
            source = cause.source();
        }
        Problem::bad_request("the request body could not be read")
    })
}
