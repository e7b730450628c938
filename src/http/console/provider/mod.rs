//! The console's provider pages, for `idp-admin`: relying parties, signing
//! keys, terms and the audit trail.

use axum::Router;

use crate::state::AppState;

/// Routes of the provider pages.
pub fn router() -> Router<AppState> {
    Router::new()
}
