//! The OpenID Connect protocol endpoints.

pub mod authorize;
pub mod client_auth;
pub mod consent;
pub mod discovery;
pub mod introspect;
pub mod jwks;
pub mod logout;
pub mod oauth_error;
pub mod revoke;
pub mod token;
pub mod userinfo;

use axum::Router;
use axum::routing::{get, post};

use crate::domain::endpoints;
use crate::state::AppState;

/// Routes of the protocol endpoints.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(endpoints::DISCOVERY, get(discovery::get))
        .route(endpoints::JWKS, get(jwks::get))
        .route(endpoints::AUTHORIZE, get(authorize::get).post(authorize::post))
        .route(endpoints::AUTHORIZE_RESUME, get(authorize::resume))
        .route(endpoints::CONSENT, get(consent::get).post(consent::post))
        .route(endpoints::TOKEN, post(token::post))
        .route(endpoints::USERINFO, get(userinfo::get).post(userinfo::post))
        .route(endpoints::INTROSPECT, post(introspect::post))
        .route(endpoints::REVOKE, post(revoke::post))
        .route(endpoints::END_SESSION, get(logout::end_session).post(logout::end_session))
        .route(endpoints::END_SESSION_CONFIRM, get(logout::confirm_page).post(logout::confirm))
}
