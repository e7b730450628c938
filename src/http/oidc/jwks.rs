//! `GET /jwks`: the public signing keys (RFC 7517): the active ones, the next
//! ones (signing soon) and replaced ones not yet retired.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::flows::discovery;
use crate::state::AppState;

/// `Cache-Control` of the set: [`crate::config::JWKS_MAX_AGE_SECS`] (checked by a test below).
const CACHE_CONTROL: &str = "public, max-age=300";

/// The JWK set, cacheable for [`crate::config::JWKS_MAX_AGE_SECS`]: a rotated key is published
/// longer than that before it signs, so a cached set always knows the signing key.
pub async fn get(State(state): State<AppState>) -> impl IntoResponse {
    let (_, set) = discovery::published(&state);
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, CACHE_CONTROL)], Bytes::from_owner(set))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cache_lifetime_is_the_configured_one() {
        assert_eq!(super::CACHE_CONTROL, format!("public, max-age={}", crate::config::JWKS_MAX_AGE_SECS));
    }
}
