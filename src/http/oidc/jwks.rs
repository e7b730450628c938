//! `GET /jwks`: the public signing keys (RFC 7517), active and not yet retired.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::state::AppState;

/// The JWK set; short cache so that a rotation is seen quickly.
pub async fn get(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(state.keys().jwks()))
}
