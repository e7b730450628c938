//! The HTTP layer: the only code that knows axum, headers and status codes.

pub mod account;
pub mod admin;
pub mod assets;
pub mod console;
pub mod cookies;
pub mod drain;
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
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

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

    let hsts = settings.is_https().then(|| HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
    });
    // `Router::layer` wraps each route after routing, so `metrics::track` sees the
    // matched route template; it times everything below it. Outside it, the
    // drain reads what a handler left of the body before the answer goes out.
    let layers = ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(
            drain::DrainBudget::for_limit(settings.body_limit_bytes),
            drain::drain_unread_body,
        ))
        .layer(middleware::from_fn_with_state(counters, metrics::track))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(middleware::from_fn(internal_error::with_request_id))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(CatchPanicLayer::custom(errors::panic_response))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, hsts))
        .layer(middleware::from_fn(errors::in_the_shape_of_their_api))
        .layer(middleware::from_fn_with_state(
            (settings.body_limit_bytes, settings.import_body_limit_bytes),
            declared_length_limit,
        ))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, settings.request_timeout));
    routes.layer(layers)
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Refuses a declared body larger than the limit of its route before routing:
/// only the admin import (and the console's upload of one) accepts large bodies. (Bodies without a declared length
/// are held to the same limits by the per-route layers.)
async fn declared_length_limit(
    axum::extract::State((small, large)): axum::extract::State<(usize, usize)>,
    request: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // The console's import upload holds its body to the import limit itself,
    // and answers an oversized file with its form and a message, not JSON.
    if path == endpoints::CONSOLE_IMPORT {
        return next.run(request).await;
    }
    let admin = path.starts_with(admin::PREFIX);
    let import = admin && path.strip_prefix(admin::PREFIX) == Some("/imports");
    let limit = if import { large } else { small };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return errors::too_large(admin);
    }
    next.run(request).await
}

/// How long in-flight requests may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
