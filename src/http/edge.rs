//! What every request passes through, in one middleware: its id, its log span,
//! its time limit, the declared-length check, the panic guard, errors in the
//! shape of their API, the security headers, its metrics and the drain of an
//! unread body.
//!
//! These were a dozen stacked layers, five of them boxing a future and cloning
//! the rest of the stack per request; a profile of the discovery document showed
//! the stack costing more than the handler. One function does the same steps in
//! the same order with one boxed future.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use tracing::Instrument;

use super::drain::{self, DrainBudget};
use super::{REQUEST_ID, admin, errors, internal_error};
use crate::metrics::{Registry, UNMATCHED_ROUTE};

/// The headers every answer carries unless its handler set them itself.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CONTENT_SECURITY_POLICY, "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
];

/// HSTS, sent only when the issuer is https.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The settings the edge applies, read once at start.
#[derive(Clone)]
pub struct Edge {
    /// Where requests are counted.
    pub metrics: Arc<Registry>,
    /// What is drained of a body the handler left unread.
    pub drain: DrainBudget,
    /// The body limit of every route but the import.
    pub body_limit: usize,
    /// The body limit of the admin import.
    pub import_body_limit: usize,
    /// How long a handler may take before the answer is 408.
    pub request_timeout: Duration,
    /// Whether answers carry HSTS.
    pub https: bool,
}

/// The middleware (see the module's documentation). `Router::layer` runs it
/// after routing, so the metrics see the matched route template.
pub async fn every_request(State(edge): State<Arc<Edge>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers_mut());
    let id_text = id.to_str().unwrap_or("-").to_string();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let path = request.uri().path();
    let span = tracing::info_span!("request", request_id = %id_text, method = %method, path = %path);
    let admin = path.starts_with(admin::PREFIX);
    let import = admin && path.strip_prefix(admin::PREFIX) == Some("/imports");
    let limit = if import { edge.import_body_limit } else { edge.body_limit };
    // The console's import upload holds its body to the import limit itself,
    // and answers an oversized file with its form and a message, not JSON.
    let console_upload = path == crate::domain::endpoints::CONSOLE_IMPORT;
    let over_limit = !console_upload && declared_length(request.headers()).is_some_and(|length| length > limit);

    let (request, unread) = drain::watch(request, edge.drain);
    let answer = async {
        let response = if over_limit {
            errors::too_large(admin)
        } else {
            let handled = AssertUnwindSafe(next.run(request)).catch_unwind();
            match tokio::time::timeout(edge.request_timeout, internal_error::scoped(id_text, handled)).await {
                Ok(Ok(response)) => response,
                Ok(Err(panic)) => errors::panic_response(panic),
                Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
            }
        };
        let response = errors::in_the_shape_of_their_api(admin, response).await;
        tracing::debug!(status = response.status().as_u16(), micros = started.elapsed().as_micros(), "answered");
        response
    };
    let mut response = answer.instrument(span).await;

    let headers = response.headers_mut();
    // Room for all of them at once: growing the map header by header rehashed it.
    headers.reserve(SECURITY_HEADERS.len() + 2);
    for (name, value) in SECURITY_HEADERS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if edge.https {
        headers.entry(header::STRICT_TRANSPORT_SECURITY).or_insert(HeaderValue::from_static(HSTS));
    }
    headers.entry(REQUEST_ID).or_insert(id);
    edge.metrics.http_request(
        route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str),
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    match unread {
        Some(unread) => unread.drain(response).await,
        None => response,
    }
}

/// The caller's request id, or a new one set on the request for the handlers.
fn request_id(headers: &mut HeaderMap) -> HeaderValue {
    if let Some(id) = headers.get(REQUEST_ID) {
        return id.clone();
    }
    let mut text = uuid::Uuid::encode_buffer();
    let generated = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
    let id = HeaderValue::from_str(generated).unwrap_or_else(|_| HeaderValue::from_static("-"));
    headers.insert(REQUEST_ID, id.clone());
    id
}

/// The body length the request declares, if it declares one.
fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// A router with one route, behind the edge.
    fn behind_the_edge(route: Router) -> Router {
        let edge = Arc::new(Edge {
            metrics: Arc::new(Registry::default()),
            drain: DrainBudget::for_limit(1024),
            body_limit: 1024,
            import_body_limit: 4096,
            request_timeout: Duration::from_millis(200),
            https: false,
        });
        route.layer(axum::middleware::from_fn_with_state(edge, every_request))
    }

    async fn answer(router: Router, request: axum::http::Request<Body>) -> Response {
        router.oneshot(request).await.expect("infallible")
    }

    fn get_request(path: &str) -> axum::http::Request<Body> {
        axum::http::Request::get(path).body(Body::empty()).expect("request")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_with_the_security_headers_and_its_request_id() {
        async fn panics() -> &'static str {
            panic!("a handler's bug")
        }
        let router = behind_the_edge(Router::new().route("/boom", get(panics)));
        let response = answer(router, get_request("/boom")).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(response.headers()[REQUEST_ID].len(), 36);
    }

    #[tokio::test]
    async fn a_handler_slower_than_the_time_limit_answers_408() {
        async fn sleeps() -> &'static str {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }
        let router = behind_the_edge(Router::new().route("/slow", get(sleeps)));
        let response = answer(router, get_request("/slow")).await;
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[tokio::test]
    async fn a_body_declared_over_the_limit_is_refused_before_the_handler_runs() {
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = Arc::clone(&ran);
        let router = behind_the_edge(Router::new().route(
            "/form",
            axum::routing::post(move || async move {
                seen.store(true, std::sync::atomic::Ordering::SeqCst);
                "read"
            }),
        ));
        let request = axum::http::Request::post("/form")
            .header(header::CONTENT_LENGTH, "2048")
            .body(Body::from(vec![b'a'; 2048]))
            .expect("request");
        let response = answer(router, request).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn a_caller_s_request_id_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_static("trace-me"));
        assert_eq!(request_id(&mut headers), "trace-me");
        assert_eq!(headers[REQUEST_ID], "trace-me");
    }

    #[test]
    fn a_missing_request_id_is_generated_and_set_on_the_request() {
        let mut headers = HeaderMap::new();
        let id = request_id(&mut headers);
        assert_eq!(id.len(), 36);
        assert_eq!(headers[REQUEST_ID], id);
    }

    #[test]
    fn a_declared_length_that_is_not_a_number_declares_nothing() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12x"));
        assert_eq!(declared_length(&headers), None);
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12"));
        assert_eq!(declared_length(&headers), Some(12));
    }
}
