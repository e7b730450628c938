//! `POST /admin/api/v1/imports[?dry_run=true]`: a CSV (`text/csv`) or JSON array
//! (`application/json`) of Ekstranet accounts; answers the per-row report.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::auth::Caller;
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
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Response {
    let admin = match caller.require(&state, "admin:users").await {
        Ok(admin) => admin,
        Err(problem) => return problem.into_response(),
    };
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let format = if content_type.starts_with("text/csv") {
        Format::Csv
    } else if content_type.starts_with("application/json") {
        Format::Json
    } else {
        return Problem::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send text/csv or application/json",
        )
        .into_response();
    };
    match import::import(&state.store, &state.clock, &admin, body.as_ref(), format, query.dry_run).await {
        Ok(report) => Json(report).into_response(),
        Err(ImportError::Store(error)) => Problem::internal(&error).into_response(),
        Err(error) => Problem::bad_request(error.to_string()).into_response(),
    }
}
