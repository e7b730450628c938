//! The OpenID Connect protocol endpoints.

pub mod discovery;
pub mod jwks;

use axum::Router;
use axum::routing::get;

use super::state::AppState;
use crate::domain::endpoints;

/// Routes of the protocol endpoints.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(endpoints::DISCOVERY, get(discovery::get))
        .route(endpoints::JWKS, get(jwks::get))
}
