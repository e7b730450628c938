//! The admin API under `/admin/api/v1`: JSON, errors as RFC 9457 problem details,
//! every route behind a bearer access token issued by kuke-id itself with an
//! admin scope (`admin` grants all). The route table ([`routes::ROUTES`]) is the
//! single source of the router, of each route's scope check and of the OpenAPI
//! document.

pub mod audit;
pub mod auth;
pub mod body;
pub mod clients;
pub mod imports;
pub mod keys;
pub mod openapi;
pub mod organizations;
pub mod problem;
pub mod retention;
pub mod routes;
pub mod terms;
pub mod users;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware;
use axum::routing::{MethodFilter, MethodRouter};
use tower_http::limit::RequestBodyLimitLayer;
use uuid::Uuid;

use self::auth::Guard;
use self::problem::Problem;
use crate::state::AppState;

pub use routes::ROUTES;

/// Prefix of every admin route.
pub const PREFIX: &str = "/admin/api/v1";

/// The HTTP method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET` (and so `HEAD`).
    Get,
    /// `POST`.
    Post,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// Lower-case name, as OpenAPI keys operations.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Patch => MethodFilter::PATCH,
            Method::Delete => MethodFilter::DELETE,
        }
    }
}

/// One admin route: a row of [`ROUTES`].
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path below [`PREFIX`].
    pub path: &'static str,
    /// Scope required (besides `admin`), `None` for public.
    pub scope: Option<&'static str>,
    /// Status of a successful answer.
    pub status: StatusCode,
    /// One-line summary.
    pub summary: &'static str,
    /// The handler, mounted for the method it is given.
    pub handler: fn(MethodFilter) -> MethodRouter<AppState>,
    /// Takes the large body limit of imports instead of the small one.
    pub large_body: bool,
}

impl Route {
    /// A route with the small body limit.
    pub const fn new(
        method: Method,
        path: &'static str,
        scope: Option<&'static str>,
        status: StatusCode,
        handler: fn(MethodFilter) -> MethodRouter<AppState>,
    ) -> Self {
        Self { method, path, scope, status, summary: "", handler, large_body: false }
    }

    /// A route whose body may be as large as an import.
    pub const fn large(
        method: Method,
        path: &'static str,
        scope: Option<&'static str>,
        status: StatusCode,
        handler: fn(MethodFilter) -> MethodRouter<AppState>,
    ) -> Self {
        Self { large_body: true, ..Self::new(method, path, scope, status, handler) }
    }

    /// Sets the summary.
    pub const fn summary(self, summary: &'static str) -> Self {
        Self { summary, ..self }
    }

    /// The handler behind the scope check of its row: no token or a token
    /// without the scope is answered (and a denial audited) before any
    /// extractor of the handler runs, so before its body is read or parsed.
    fn method_router(&self, state: &AppState) -> MethodRouter<AppState> {
        let handler = (self.handler)(self.method.filter());
        match self.scope {
            Some(scope) => handler
                .route_layer(middleware::from_fn_with_state(Guard::new(state.clone(), scope), auth::require_scope)),
            None => handler,
        }
    }
}

/// The admin router (mounted by [`crate::http::router`]), built from [`ROUTES`].
/// Imports get their own, large body limit (100 000 rows are megabytes); every
/// other route the small one.
pub fn router(state: &AppState) -> Router<AppState> {
    let (limit, import_limit) = (state.settings.body_limit_bytes, state.settings.import_body_limit_bytes);
    let mount = |large: bool| {
        ROUTES.iter().filter(|route| route.large_body == large).fold(Router::new(), |router, route| {
            router.route(&format!("{PREFIX}{}", route.path), route.method_router(state))
        })
    };
    let large = mount(true).layer(RequestBodyLimitLayer::new(import_limit)).layer(DefaultBodyLimit::max(import_limit));
    mount(false).layer(RequestBodyLimitLayer::new(limit)).layer(DefaultBodyLimit::max(limit)).merge(large)
}

/// The last segment of the matched route's path (`lock` of `/users/{id}/lock`):
/// the action of a route that shares its handler with its siblings.
#[derive(Debug)]
pub struct RouteAction(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RouteAction {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let matched = MatchedPath::from_request_parts(parts, state).await.ok();
        let action = matched.as_ref().and_then(|m| m.as_str().rsplit('/').next()).unwrap_or_default();
        Ok(Self(action.to_string()))
    }
}

/// A path id that must be a UUID (400 otherwise).
pub fn uuid(text: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(text).map_err(|_| Problem::bad_request("the id is not a UUID"))
}
