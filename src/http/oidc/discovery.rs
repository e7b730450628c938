//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::flows::discovery;
use crate::state::AppState;

/// The provider metadata, cacheable for a few minutes.
pub async fn get(State(state): State<AppState>) -> impl IntoResponse {
    let metadata = discovery::metadata(&state.settings.issuer, &state.keys());
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(metadata))
}
