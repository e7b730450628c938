//! The console's migration pages, for `idp-admin`: the import (upload, dry-run
//! report, apply), the activation campaign and re-inviting expired links.

pub mod campaign;
pub mod import;
pub mod multipart;

use axum::Router;
use axum::routing::{get, post};

use crate::domain::endpoints;
use crate::state::AppState;

/// Routes of the migration pages, under the ordinary body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(endpoints::CONSOLE_IMPORT_UPLOAD, get(import::report))
        .route(endpoints::CONSOLE_IMPORT_APPLY, post(import::apply))
        .route(endpoints::CONSOLE_CAMPAIGN, get(campaign::page))
        .route(endpoints::CONSOLE_CAMPAIGN_CONFIRM, post(campaign::confirm))
        .route(endpoints::CONSOLE_CAMPAIGN_START, post(campaign::start))
        .route(endpoints::CONSOLE_CAMPAIGN_PROGRESS, get(campaign::progress))
}

/// The import form and its upload, whose body may be as large as the admin
/// API's import (`import_body_limit_bytes`, enforced by the handler): mounted
/// beside the admin API, outside the ordinary body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new().route(endpoints::CONSOLE_IMPORT, get(import::page).post(import::upload))
}
