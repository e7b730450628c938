//! The HTTP layer: the only code that knows axum, headers and status codes.

pub mod account;
pub mod admin;
pub mod assets;
pub mod console;
pub mod cookies;
pub mod drain;
pub mod edge;
pub mod error_page;
pub mod errors;
pub mod form;
pub mod health;
pub mod internal_error;
pub mod journey;
pub mod metrics;
pub mod oidc;
pub mod render;
pub mod server;
#[cfg(feature = "test-support")]
pub mod test_support;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderName;
use axum::middleware;
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;

use crate::domain::endpoints;
use crate::state::AppState;

/// Header carrying the request id (taken from the caller when present, else generated).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: routes plus the middleware every response passes through.
/// `apps` are routes wired in by `app` beside the provider's own (the demo relying
/// party): they pass through the same middleware, yet `http` does not know them.
pub fn router(state: AppState, apps: Router<AppState>) -> Router {
    let settings = state.settings.clone();
    let counters = state.metrics.clone();
    let routes = Router::new()
        .route(endpoints::HEALTHZ, get(health::healthz))
        .route(endpoints::READYZ, get(health::readyz))
        .route(endpoints::ASSETS, get(assets::get))
        .merge(journey::router())
        .merge(account::router())
        .merge(oidc::router())
        .merge(console::router())
        .merge(apps);
    #[cfg(feature = "test-support")]
    let routes = routes.route(test_support::SIGN_IN, axum::routing::post(test_support::sign_in));
    // Switched off, the path is simply unknown (404), like any other.
    let routes = if settings.metrics_enabled { routes.route(endpoints::METRICS, get(metrics::get)) } else { routes };
    let routes = routes
        .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes))
        .layer(DefaultBodyLimit::max(settings.body_limit_bytes))
        .merge(admin::router(&state))
        .merge(console::migration::upload_router())
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes.max(settings.import_body_limit_bytes)))
        .with_state(state);

    let edge = std::sync::Arc::new(edge::Edge {
        metrics: counters,
        drain: drain::DrainBudget::for_limit(settings.body_limit_bytes),
        body_limit: settings.body_limit_bytes,
        import_body_limit: settings.import_body_limit_bytes,
        request_timeout: settings.request_timeout,
        https: settings.is_https(),
    });
    routes.layer(middleware::from_fn_with_state(edge, edge::every_request))
}

/// How long in-flight requests may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
