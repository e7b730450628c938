//! The console's provider pages, for `idp-admin`: relying parties, signing
//! keys, terms and the audit trail. Each page calls the admin API's flows with
//! the staff member as the actor, so the same audit events are written.

pub mod audit;
pub mod clients;
pub mod keys;
pub mod terms;

use axum::Router;
use axum::routing::get;

use crate::domain::endpoints;
use crate::state::AppState;

/// Routes of the provider pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(endpoints::CONSOLE_CLIENTS, get(clients::list))
        .route(endpoints::CONSOLE_CLIENT_NEW, get(clients::new_form).post(clients::register))
        .route(endpoints::CONSOLE_CLIENT, get(clients::show))
        .route(endpoints::CONSOLE_CLIENT_EDIT, get(clients::edit_form).post(clients::save))
        .route(endpoints::CONSOLE_CLIENT_SECRET, get(clients::rotate_form).post(clients::rotate))
        .route(endpoints::CONSOLE_CLIENT_DELETE, get(clients::delete_form).post(clients::delete))
        .route(endpoints::CONSOLE_KEYS, get(keys::list))
        .route(endpoints::CONSOLE_KEYS_ROTATE, get(keys::rotate_form).post(keys::rotate))
        .route(endpoints::CONSOLE_KEY_RETIRE, get(keys::retire_form).post(keys::retire))
        .route(endpoints::CONSOLE_TERMS, get(terms::list))
        .route(endpoints::CONSOLE_TERMS_NEW, get(terms::new_form).post(terms::publish))
        .route(endpoints::CONSOLE_TERMS_VERSION, get(terms::report))
        .route(endpoints::CONSOLE_TERMS_CSV, get(terms::csv))
        .route(endpoints::CONSOLE_AUDIT, get(audit::search))
}

/// A path segment with everything but the unreserved characters escaped, for
/// links and redirects built from stored names (a terms version, a client id).
pub fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The page number asked for (`?page=`, from 1), and the offset of a page of `per_page`.
pub fn page_of(query: &[(String, String)], per_page: u64) -> (u64, u64) {
    let page =
        crate::http::form::first(query, "page").and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).clamp(1, 100_000);
    (page, (page - 1) * per_page)
}
