//! The admin API under `/admin/api/v1`: JSON, errors as RFC 9457 problem details,
//! every route behind a bearer access token issued by kuke-id itself with an
//! admin scope (`admin` grants all). The route table below is the single source
//! of both the router and the OpenAPI document.

pub mod audit;
pub mod auth;
pub mod body;
pub mod clients;
pub mod imports;
pub mod keys;
pub mod openapi;
pub mod organizations;
pub mod problem;
pub mod terms;
pub mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use uuid::Uuid;

use self::problem::Problem;
use tower_http::limit::RequestBodyLimitLayer;

use crate::state::AppState;

/// Prefix of every admin route.
pub const PREFIX: &str = "/admin/api/v1";

/// One documented route.
pub struct RouteDoc {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path below [`PREFIX`].
    pub path: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Scope required (besides `admin`), `None` for public.
    pub scope: Option<&'static str>,
}

/// Every admin route.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc { method: "get", path: "/openapi.json", summary: "This OpenAPI 3.1 document", scope: None },
    RouteDoc {
        method: "get",
        path: "/stats/migration",
        summary: "Migration funnel, overall and per organisation",
        scope: Some("admin:stats"),
    },
    RouteDoc {
        method: "post",
        path: "/imports",
        summary: "Import Ekstranet accounts (CSV or JSON array; ?dry_run=true validates only)",
        scope: Some("admin:users"),
    },
    RouteDoc {
        method: "get",
        path: "/users",
        summary: "Search accounts (status, organization_id, role, login, email, q; page, per_page)",
        scope: Some("admin:users"),
    },
    RouteDoc { method: "get", path: "/users/{id}", summary: "One account", scope: Some("admin:users") },
    RouteDoc {
        method: "patch",
        path: "/users/{id}",
        summary: "Change name, e-mail, role, organisation (idp_admin needs the admin scope)",
        scope: Some("admin:users"),
    },
    RouteDoc {
        method: "delete",
        path: "/users/{id}",
        summary: "Delete an account: personal data anonymised, audit trail kept",
        scope: Some("admin:users"),
    },
    RouteDoc { method: "post", path: "/users/{id}/lock", summary: "Lock until unlocked", scope: Some("admin:users") },
    RouteDoc {
        method: "post",
        path: "/users/{id}/unlock",
        summary: "Unlock (also lifts a lock after failed attempts)",
        scope: Some("admin:users"),
    },
    RouteDoc {
        method: "post",
        path: "/users/{id}/disable",
        summary: "Disable: no sign-in, sessions and tokens revoked",
        scope: Some("admin:users"),
    },
    RouteDoc { method: "post", path: "/users/{id}/enable", summary: "Enable again", scope: Some("admin:users") },
    RouteDoc {
        method: "post",
        path: "/users/{id}/reset",
        summary: "Revoke sessions and tokens, forget the password, mail a fresh activation link",
        scope: Some("admin:users"),
    },
    RouteDoc {
        method: "post",
        path: "/users/{id}/activation",
        summary: "Mail a new activation link (earlier links void) to an account not yet active",
        scope: Some("admin:users"),
    },
    RouteDoc { method: "get", path: "/users/{id}/sessions", summary: "Open sessions", scope: Some("admin:users") },
    RouteDoc {
        method: "delete",
        path: "/users/{id}/sessions",
        summary: "End every session (back-channel logout)",
        scope: Some("admin:users"),
    },
    RouteDoc {
        method: "delete",
        path: "/users/{id}/sessions/{session_id}",
        summary: "End one session (back-channel logout)",
        scope: Some("admin:users"),
    },
    RouteDoc {
        method: "get",
        path: "/organizations",
        summary: "Organisations (q; page, per_page) with their account counts",
        scope: Some("admin:users"),
    },
    RouteDoc { method: "post", path: "/organizations", summary: "Create an organisation", scope: Some("admin:users") },
    RouteDoc { method: "get", path: "/organizations/{id}", summary: "One organisation", scope: Some("admin:users") },
    RouteDoc {
        method: "patch",
        path: "/organizations/{id}",
        summary: "Rename, or change the Ekstranet id",
        scope: Some("admin:users"),
    },
    RouteDoc {
        method: "get",
        path: "/organizations/external/{external_id}",
        summary: "One organisation by its Ekstranet id",
        scope: Some("admin:users"),
    },
    RouteDoc {
        method: "post",
        path: "/activations",
        summary: "Send activation links to accounts never invited (all, one organisation, or a list)",
        scope: Some("admin:users"),
    },
    RouteDoc {
        method: "get",
        path: "/terms",
        summary: "Published terms versions, newest first, the one in force marked current",
        scope: Some("admin:terms"),
    },
    RouteDoc {
        method: "post",
        path: "/terms",
        summary: "Publish a terms version ({version, title, body, body_en?, effective_at?}); 409 when the version \
                  exists",
        scope: Some("admin:terms"),
    },
    RouteDoc {
        method: "get",
        path: "/terms/{version}/acceptances",
        summary: "Acceptances of a version (page, per_page) with counts of accepted and not yet accepted",
        scope: Some("admin:terms"),
    },
    RouteDoc {
        method: "get",
        path: "/audit",
        summary: "Audit trail, newest first (from, to: RFC 3339; actor; subject; action, a prefix when it ends \
                  with a dot; page, per_page)",
        scope: Some("admin:audit"),
    },
    RouteDoc {
        method: "get",
        path: "/clients",
        summary: "List clients (page, per_page)",
        scope: Some("admin:clients"),
    },
    RouteDoc {
        method: "post",
        path: "/clients",
        summary: "Register a client (S256 PKCE required unless require_pkce is false); a confidential client's \
                  secret is answered once",
        scope: Some("admin:clients"),
    },
    RouteDoc { method: "get", path: "/clients/{id}", summary: "One client", scope: Some("admin:clients") },
    RouteDoc {
        method: "patch",
        path: "/clients/{id}",
        summary: "Change a client (name, URIs, first_party, require_pkce, id_token_alg, scopes, backchannel URI)",
        scope: Some("admin:clients"),
    },
    RouteDoc {
        method: "delete",
        path: "/clients/{id}",
        summary: "Remove a client with everything issued to it",
        scope: Some("admin:clients"),
    },
    RouteDoc {
        method: "post",
        path: "/clients/{id}/secret",
        summary: "Rotate the secret (answered once); the old one stays valid for grace_seconds",
        scope: Some("admin:clients"),
    },
    RouteDoc {
        method: "get",
        path: "/keys",
        summary: "Signing keys: kid, alg, created, state",
        scope: Some("admin:keys"),
    },
    RouteDoc {
        method: "post",
        path: "/keys/rotate",
        summary: "New active signing key for alg (every algorithm when omitted)",
        scope: Some("admin:keys"),
    },
    RouteDoc {
        method: "post",
        path: "/keys/{kid}/retire",
        summary: "Stop publishing a key that no longer signs (the active key: 409)",
        scope: Some("admin:keys"),
    },
];

/// The admin router (mounted by [`crate::http::router`]). Imports get their own,
/// large body limit (100 000 rows are megabytes); every other route the small one.
pub fn router(limit: usize, import_limit: usize) -> Router<AppState> {
    let imports = Router::new()
        .route(&format!("{PREFIX}/imports"), post(imports::post))
        .layer(RequestBodyLimitLayer::new(import_limit))
        .layer(DefaultBodyLimit::max(import_limit));
    Router::new()
        .route(&format!("{PREFIX}/openapi.json"), get(openapi::get))
        .route(&format!("{PREFIX}/stats/migration"), get(users::stats))
        .route(&format!("{PREFIX}/users"), get(users::list))
        .route(&format!("{PREFIX}/users/{{id}}"), get(users::get).patch(users::update).delete(users::delete))
        .route(&format!("{PREFIX}/users/{{id}}/{{action}}"), post(users::act))
        .route(&format!("{PREFIX}/users/{{id}}/sessions"), get(users::sessions).delete(users::end_sessions))
        .route(&format!("{PREFIX}/users/{{id}}/sessions/{{session_id}}"), axum::routing::delete(users::end_session))
        .route(&format!("{PREFIX}/organizations"), get(organizations::list).post(organizations::create))
        .route(&format!("{PREFIX}/organizations/{{id}}"), get(organizations::get).patch(organizations::update))
        .route(&format!("{PREFIX}/organizations/external/{{external_id}}"), get(organizations::get_external))
        .route(&format!("{PREFIX}/activations"), post(users::activations))
        .route(&format!("{PREFIX}/terms"), get(terms::list).post(terms::publish))
        .route(&format!("{PREFIX}/terms/{{version}}/acceptances"), get(terms::acceptances))
        .route(&format!("{PREFIX}/audit"), get(audit::list))
        .route(&format!("{PREFIX}/clients"), get(clients::list).post(clients::create))
        .route(&format!("{PREFIX}/clients/{{id}}"), get(clients::get).patch(clients::update).delete(clients::delete))
        .route(&format!("{PREFIX}/clients/{{id}}/secret"), post(clients::rotate_secret))
        .route(&format!("{PREFIX}/keys"), get(keys::list))
        .route(&format!("{PREFIX}/keys/rotate"), post(keys::rotate))
        .route(&format!("{PREFIX}/keys/{{kid}}/retire"), post(keys::retire))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(DefaultBodyLimit::max(limit))
        .merge(imports)
}

/// A path id that must be a UUID (400 otherwise).
pub fn uuid(text: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(text).map_err(|_| Problem::bad_request("the id is not a UUID"))
}
