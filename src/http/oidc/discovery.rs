//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::flows::discovery;
use crate::state::AppState;

/// The provider metadata, cacheable for a few minutes.
pub async fn get(State(state): State<AppState>) -> impl IntoResponse {
    let (document, _) = discovery::published(&state);
    (
        [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")],
        Bytes::from_owner(document),
    )
}
