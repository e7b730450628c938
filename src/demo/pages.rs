//! The demo relying party's pages.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use minijinja::context;

use crate::domain::endpoints;
use crate::http::cookies;
use crate::http::render::PageContext;
use crate::state::AppState;

const PENDING: &str = "kuke_demo_pending";
const SESSION: &str = "kuke_demo";

/// Routes of the demo app.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(endpoints::DEMO, get(home))
        .route(endpoints::DEMO_LOGIN, get(login))
        .route(endpoints::DEMO_CALLBACK, get(callback))
        .route(endpoints::DEMO_LOGOUT, post(logout))
}

async fn home(State(state): State<AppState>, jar: CookieJar, page: PageContext) -> Response {
    let Some(demo) = state.demo.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let session = jar.get(SESSION).and_then(|c| demo.session(c.value()));
    page.page(
        "pages/demo.html",
        context! {
            signed_in => session.is_some(),
            id_token_claims => session.as_ref().map(|s| s.id_token_claims.clone()),
            userinfo => session.as_ref().map(|s| s.userinfo.clone()),
            error => None::<String>,
        },
    )
    .into_response()
}

async fn login(State(state): State<AppState>, page: PageContext) -> Response {
    let Some(demo) = state.demo.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match demo.start().await {
        Ok((key, url)) => {
            let mut response = Redirect::to(&url).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookies::set(PENDING, &key, state.settings.is_https()));
            response
        }
        Err(error) => failure(&page, &error.to_string()),
    }
}

async fn callback(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(demo) = state.demo.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let key = jar.get(PENDING).map(|c| c.value().to_string()).unwrap_or_default();
    match demo.finish(&key, &params).await {
        Ok(session) => {
            let secure = state.settings.is_https();
            let mut response = Redirect::to(endpoints::DEMO).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookies::set(SESSION, &session, secure));
            response.headers_mut().append(header::SET_COOKIE, cookies::clear(PENDING, secure));
            response
        }
        Err(error) => failure(&page, &error.to_string()),
    }
}

async fn logout(State(state): State<AppState>, jar: CookieJar) -> Response {
    let Some(demo) = state.demo.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let key = jar.get(SESSION).map(|c| c.value().to_string()).unwrap_or_default();
    let mut response = Redirect::to(&demo.sign_out(&key)).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookies::clear(SESSION, state.settings.is_https()));
    response
}

fn failure(page: &PageContext, message: &str) -> Response {
    page.page("pages/demo.html", context! { signed_in => false, error => message })
        .with_status(StatusCode::BAD_GATEWAY)
        .into_response()
}
