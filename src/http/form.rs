//! Reading `application/x-www-form-urlencoded` bodies ourselves, so that a wrong
//! content type or a malformed body becomes the protocol's own error instead of
//! axum's plain-text rejection.

use axum::http::{HeaderMap, header};

/// Whether the request declares a form body.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// Parses a form body into name/value pairs; `None` when it is not UTF-8.
pub fn parse(body: &[u8]) -> Option<Vec<(String, String)>> {
    std::str::from_utf8(body).ok()?;
    Some(url::form_urlencoded::parse(body).into_owned().collect())
}

/// Parses a query string into name/value pairs.
pub fn query(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect()
}

/// The first value of `name`.
pub fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}
