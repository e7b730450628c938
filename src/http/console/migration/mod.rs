//! The console's migration pages, for `idp-admin`: the import (upload, dry-run
//! report, apply), the activation campaign and re-inviting expired links.

use axum::Router;

use crate::state::AppState;

/// Routes of the migration pages.
pub fn router() -> Router<AppState> {
    Router::new()
}
