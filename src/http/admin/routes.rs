//! Every admin route, once: method, path, scope, success status, handler and
//! summary. [`super::router`] and the OpenAPI document ([`super::openapi`]) are
//! both built from this table, so a route cannot be served undocumented, nor
//! documented unserved, nor served without its scope.

use axum::http::StatusCode;
use axum::routing::on;

use super::Method::{Delete, Get, Patch, Post};
use super::{Route, audit, clients, imports, keys, openapi, organizations, retention, terms, users};

/// No token needed.
const PUBLIC: Option<&str> = None;
/// Accounts, organisations, imports and activations.
const USERS: Option<&str> = Some("admin:users");
/// The migration funnel.
const STATS: Option<&str> = Some("admin:stats");
/// Terms versions and acceptances.
const TERMS: Option<&str> = Some("admin:terms");
/// The audit trail.
const AUDIT: Option<&str> = Some("admin:audit");
/// Relying parties.
const CLIENTS: Option<&str> = Some("admin:clients");
/// Signing keys.
const KEYS: Option<&str> = Some("admin:keys");
/// Everything (operations that concern every kind of data).
const FULL: Option<&str> = Some("admin");

/// Every admin route.
pub const ROUTES: &[Route] = &[
    Route::new(Get, "/openapi.json", PUBLIC, StatusCode::OK, |m| on(m, openapi::get))
        .summary("This OpenAPI 3.1 document"),
    Route::new(Get, "/stats/migration", STATS, StatusCode::OK, |m| on(m, users::stats))
        .summary("Migration funnel, overall and per organisation"),
    Route::large(Post, "/imports", USERS, StatusCode::OK, |m| on(m, imports::post))
        .summary("Import Ekstranet accounts (CSV or JSON array; ?dry_run=true validates only)"),
    Route::new(Get, "/users", USERS, StatusCode::OK, |m| on(m, users::list))
        .summary("Search accounts (status, organization_id, role, login, email, q; page, per_page)"),
    Route::new(Get, "/users/{id}", USERS, StatusCode::OK, |m| on(m, users::get))
        .summary("One account"),
    Route::new(Patch, "/users/{id}", USERS, StatusCode::OK, |m| on(m, users::update))
        .summary("Change name, e-mail, role, organisation (idp_admin, idp_helpdesk need the admin scope)"),
    Route::new(Delete, "/users/{id}", USERS, StatusCode::NO_CONTENT, |m| on(m, users::delete))
        .summary("Delete an account: personal data anonymised, audit trail kept"),
    Route::new(Post, "/users/{id}/lock", USERS, StatusCode::OK, |m| on(m, users::act))
        .summary("Lock until unlocked"),
    Route::new(Post, "/users/{id}/unlock", USERS, StatusCode::OK, |m| on(m, users::act))
        .summary("Unlock (also lifts a lock after failed attempts)"),
    Route::new(Post, "/users/{id}/disable", USERS, StatusCode::OK, |m| on(m, users::act))
        .summary("Disable: no sign-in, sessions and tokens revoked"),
    Route::new(Post, "/users/{id}/enable", USERS, StatusCode::OK, |m| on(m, users::act))
        .summary("Enable again"),
    Route::new(Post, "/users/{id}/reset", USERS, StatusCode::OK, |m| on(m, users::act))
        .summary("Revoke sessions and tokens, forget the password, mail a fresh activation link"),
    Route::new(Post, "/users/{id}/activation", USERS, StatusCode::OK, |m| on(m, users::act))
        .summary("Mail a new activation link (earlier links void) to an account not yet active"),
    Route::new(Get, "/users/{id}/sessions", USERS, StatusCode::OK, |m| on(m, users::sessions))
        .summary("Open sessions"),
    Route::new(Delete, "/users/{id}/sessions", USERS, StatusCode::NO_CONTENT, |m| on(m, users::end_sessions))
        .summary("End every session (back-channel logout)"),
    Route::new(Delete, "/users/{id}/sessions/{session_id}", USERS, StatusCode::NO_CONTENT, |m| on(m, users::end_session))
        .summary("End one session (back-channel logout)"),
    Route::new(Get, "/users/{id}/consents", USERS, StatusCode::OK, |m| on(m, users::consents))
        .summary("Clients the account has allowed, with their scopes"),
    Route::new(Delete, "/users/{id}/consents/{client_id}", USERS, StatusCode::NO_CONTENT, |m| on(m, users::revoke_consent))
        .summary("Withdraw a consent; the client's grants for the account are revoked"),
    Route::new(Delete, "/users/{id}/authenticator", USERS, StatusCode::NO_CONTENT, |m| on(m, users::reset_authenticator))
        .summary("Remove the account's authenticator app and recovery codes (help desk reset; the owner is mailed)"),
    Route::new(Get, "/organizations", USERS, StatusCode::OK, |m| on(m, organizations::list))
        .summary("Organisations (q; page, per_page) with their account counts"),
    Route::new(Post, "/organizations", USERS, StatusCode::CREATED, |m| on(m, organizations::create))
        .summary("Create an organisation"),
    Route::new(Get, "/organizations/{id}", USERS, StatusCode::OK, |m| on(m, organizations::get))
        .summary("One organisation"),
    Route::new(Patch, "/organizations/{id}", USERS, StatusCode::OK, |m| on(m, organizations::update))
        .summary("Rename, or change the Ekstranet id"),
    Route::new(Get, "/organizations/external/{external_id}", USERS, StatusCode::OK, |m| on(m, organizations::get_external))
        .summary("One organisation by its Ekstranet id"),
    Route::new(Post, "/activations", USERS, StatusCode::OK, |m| on(m, users::activations))
        .summary("Send activation links to accounts never invited (all, one organisation, or a list)"),
    Route::new(Get, "/terms", TERMS, StatusCode::OK, |m| on(m, terms::list))
        .summary("Published terms versions, newest first, the one in force marked current"),
    Route::new(Post, "/terms", TERMS, StatusCode::CREATED, |m| on(m, terms::publish))
        .summary("Publish a terms version ({version, title, body, body_en?, effective_at?}); 409 when the version exists"),
    Route::new(Get, "/terms/{version}/acceptances", TERMS, StatusCode::OK, |m| on(m, terms::acceptances))
        .summary("Acceptances of a version (page, per_page) with counts of accepted and not yet accepted"),
    Route::new(Post, "/retention/run", FULL, StatusCode::OK, |m| on(m, retention::run))
        .summary("Run the retention job now: rows deleted and addresses erased, per table"),
    Route::new(Get, "/audit", AUDIT, StatusCode::OK, |m| on(m, audit::list))
        .summary("Audit trail, newest first (from, to: RFC 3339; actor; subject; action, a prefix when it ends with a dot; page, per_page)"),
    Route::new(Get, "/clients", CLIENTS, StatusCode::OK, |m| on(m, clients::list))
        .summary("List clients (page, per_page)"),
    Route::new(Post, "/clients", CLIENTS, StatusCode::CREATED, |m| on(m, clients::create))
        .summary("Register a client (S256 PKCE required unless require_pkce is false); a confidential client's secret is answered once"),
    Route::new(Get, "/clients/{id}", CLIENTS, StatusCode::OK, |m| on(m, clients::get))
        .summary("One client"),
    Route::new(Patch, "/clients/{id}", CLIENTS, StatusCode::OK, |m| on(m, clients::update))
        .summary("Change a client (name, URIs, first_party, require_pkce, id_token_alg, scopes, backchannel URI)"),
    Route::new(Delete, "/clients/{id}", CLIENTS, StatusCode::NO_CONTENT, |m| on(m, clients::delete))
        .summary("Remove a client with everything issued to it"),
    Route::new(Post, "/clients/{id}/secret", CLIENTS, StatusCode::OK, |m| on(m, clients::rotate_secret))
        .summary("Rotate the secret (answered once); the old one stays valid for grace_seconds"),
    Route::new(Get, "/keys", KEYS, StatusCode::OK, |m| on(m, keys::list))
        .summary("Signing keys: kid, alg, created, signs_from, retires, state"),
    Route::new(Post, "/keys/rotate", KEYS, StatusCode::OK, |m| on(m, keys::rotate))
        .summary("New signing key for alg (every algorithm when omitted): published now, signs after the publish-ahead time"),
    Route::new(Post, "/keys/{kid}/retire", KEYS, StatusCode::NO_CONTENT, |m| on(m, keys::retire))
        .summary("Stop publishing a key that no longer signs (the active or next key: 409)"),
];
