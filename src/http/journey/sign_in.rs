//! `GET /login?request=…`: the sign-in page.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use crate::flows::authorize;
use crate::http::oidc::authorize::ResumeQuery;
use crate::http::render::PageContext;
use crate::state::AppState;

/// Shows the sign-in form for a parked authorization request.
pub async fn get(State(state): State<AppState>, mut page: PageContext, Query(query): Query<ResumeQuery>) -> Response {
    let handle = query.request.unwrap_or_default();
    match authorize::sign_in_view(&state, &handle).await {
        Ok(Some(request)) => {
            page.prefer(request.ui_locales.as_deref());
            page.page("pages/sign_in.html", context! { handle, login_hint => request.login_hint }).into_response()
        }
        Ok(None) => page.error(StatusCode::BAD_REQUEST, "error_expired_request").into_response(),
        Err(error) => {
            tracing::error!(%error, "sign-in page failed");
            page.error(StatusCode::INTERNAL_SERVER_ERROR, "error_internal").into_response()
        }
    }
}
