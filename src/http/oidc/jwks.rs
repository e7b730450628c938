//! `GET /jwks`: the public signing keys (RFC 7517): the active ones, the next
//! ones (signing soon) and replaced ones not yet retired.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::config::JWKS_MAX_AGE_SECS;
use crate::state::AppState;

/// The JWK set, cacheable for [`JWKS_MAX_AGE_SECS`]: a rotated key is published
/// longer than that before it signs, so a cached set always knows the signing key.
pub async fn get(State(state): State<AppState>) -> impl IntoResponse {
    let cache = format!("public, max-age={JWKS_MAX_AGE_SECS}");
    ([(header::CACHE_CONTROL, cache)], Json(state.keys().jwks()))
}
