//! `POST /admin/api/v1/imports[?dry_run=true]`: a CSV (`text/csv`) or JSON array
//! (`application/json`) of Ekstranet accounts; answers the per-row report,
//! streamed a few hundred rows at a time.
//!
//! The body may be tens of megabytes, so it is read only after the caller's
//! token and scope are checked (by the route's scope check, before this
//! handler runs): a stranger's upload is refused unread.

use axum::body::Body;
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
    let body = match read(&headers, body, state.settings.import_body_limit_bytes).await {
        Ok(body) => body,
        Err(problem) => return problem.into_response(),
    };
    let imported = import::import_served(&state, &admin, &body, format, query.dry_run).await;
    // The file is no longer needed while its report is written out.
    drop(body);
    match imported {
        Ok(report) => ([(header::CONTENT_TYPE, "application/json")], Body::new(ReportBody(report.into_json_chunks())))
            .into_response(),
        Err(ImportError::Store(error)) => Problem::internal(&error).into_response(),
        Err(error) => Problem::bad_request(error.to_string()).into_response(),
    }
}

/// Reads the whole body, at most `limit` bytes (413 beyond, like every other
/// route), into one buffer sized from `Content-Length` when it is given, so a
/// large file is held once rather than as chunks plus their copy.
async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, Problem> {
    use http_body_util::BodyExt;
    let too_large = || Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", "request body is too large");
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    if announced > limit {
        return Err(too_large());
    }
    let mut buffer = Vec::with_capacity(announced);
    let mut body = http_body_util::Limited::new(body, limit);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error.as_ref());
            while let Some(cause) = source {
                if cause.is::<http_body_util::LengthLimitError>() {
                    return too_large();
                }
                source = cause.source();
            }
            Problem::bad_request("the request body could not be read")
        })?;
        if let Ok(data) = frame.into_data() {
            buffer.extend_from_slice(&data);
        }
    }
    Ok(buffer)
}

/// The report as a response body, written a few hundred rows at a time: the
/// whole JSON document (6 MB for 100 000 rows) is never held at once.
struct ReportBody(import::JsonChunks);

impl http_body::Body for ReportBody {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.0.next().map(|chunk| Ok(http_body::Frame::data(chunk.into()))))
    }
}
