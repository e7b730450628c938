//! `GET /metrics`: Prometheus text exposition format 0.0.4, for operators'
//! scrapers (not under `/admin`: scrapers present a static token, not an OAuth
//! token). With `metrics_token` set, the scraper must send
//! `Authorization: Bearer <token>`. (Every request is counted by
//! [`super::edge`].)

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::state::AppState;

/// The content type of the 0.0.4 text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves the metrics.
pub async fn get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.settings.metrics_token
        && !presented_token_matches(&headers, expected.expose())
    {
        let mut response = (StatusCode::UNAUTHORIZED, "a valid bearer token is required\n").into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
        return response;
    }
    let gauges = crate::flows::metrics::gauges(&state).await;
    let mut response = state.metrics.render(gauges).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Compares digests, not the strings: equal lengths, compared in constant time,
/// so neither the token's bytes nor its length leak through timing.
fn presented_token_matches(headers: &HeaderMap, expected: &str) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(presented) = presented else { return false };
    Sha256::digest(presented.as_bytes()).ct_eq(&Sha256::digest(expected.as_bytes())).into()
}
