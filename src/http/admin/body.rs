//! Request bodies, paging and timestamps shared by every admin route: a JSON
//! body must say so and parse, every list answers with its total, and times go
//! in and out as RFC 3339.

use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::problem::Problem;

/// Parses a JSON body; an empty body reads as `{}` so optional-only bodies may be left out.
pub fn json<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Problem> {
    if body.is_empty() {
        return serde_json::from_slice(b"{}")
            .map_err(|e| Problem::bad_request(format!("a JSON body is required: {e}")));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| Problem::bad_request(format!("invalid JSON body: {e}")))
}

/// `page` (from 1) and `per_page` (1 to 500, default 50) of a list.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct Paging {
    page: Option<u64>,
    per_page: Option<u64>,
}

impl Paging {
    /// The 1-based page.
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1).max(1)
    }

    /// Items per page.
    pub fn per_page(&self) -> u64 {
        self.per_page.unwrap_or(50).clamp(1, 500)
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        (self.page() - 1).saturating_mul(self.per_page())
    }

    /// The list answer: total, page, per_page and the items.
    pub fn answer(&self, total: u64, items: Vec<Value>) -> Value {
        json!({"total": total, "page": self.page(), "per_page": self.per_page(), "items": items})
    }
}

/// For `Option<Option<T>>` fields of a PATCH body: absent stays `None`, `null`
/// becomes `Some(None)` (remove the value), a value `Some(Some(v))`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Reads the RFC 3339 time in field `name` (e.g. `2026-12-01T00:00:00Z`), in UTC:
/// both databases then compare stored times in one offset. Unparseable is a 400.
pub fn parse_time(name: &str, value: &str) -> Result<OffsetDateTime, Problem> {
    OffsetDateTime::parse(value.trim(), &Rfc3339)
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .map_err(|_| Problem::bad_request(format!("{name} must be an RFC 3339 time like 2026-12-01T00:00:00Z")))
}

/// Writes a time as RFC 3339 (UTC, as stored).
pub fn time(value: OffsetDateTime) -> Value {
    value.format(&Rfc3339).map(Value::String).unwrap_or(Value::Null)
}
