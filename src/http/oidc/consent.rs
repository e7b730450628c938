//! `GET|POST /consent`: third-party clients ask the user before receiving data.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::authorize::{ResumeQuery, respond};
use crate::flows::authorize;
use crate::http::journey::CsrfForm;
use crate::http::render::PageContext;
use crate::http::{cookies, form};
use crate::state::AppState;

/// `GET /consent?request=…`.
pub async fn get(
    State(state): State<AppState>,
    jar: CookieJar,
    mut page: PageContext,
    Query(query): Query<ResumeQuery>,
) -> Response {
    let handle = query.request.unwrap_or_default();
    let view = match authorize::consent::view(&state, &handle).await {
        Ok(Some(view)) => view,
        Ok(None) => {
            return page.error(StatusCode::BAD_REQUEST, "error_expired_request").into_response();
        }
        Err(error) => {
            return page.internal(&error, "consent page failed");
        }
    };
    page.prefer(view.ui_locales.as_deref());
    let (csrf, set_cookie) = cookies::csrf_token(&jar, state.settings.is_https());
    let mut response = page
        .page("pages/consent.html", context! { client_name => view.client_name, scopes => view.scopes, csrf, handle })
        .into_response();
    if let Some(cookie) = set_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /consent`: allow or deny.
pub async fn post(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let handle = form::first(&fields, "request").unwrap_or_default();
    let allow = form::first(&fields, "decision") == Some("allow");
    let outcome =
        authorize::consent::answer(&state, handle, allow, cookies::session(&jar, state.settings.is_https()).as_deref())
            .await;
    respond(page, outcome)
}
