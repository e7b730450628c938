//! `GET|POST /userinfo` (OIDC Core §5.3) with RFC 6750 bearer-token errors.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::oauth_error::{self, bearer_challenge};
use crate::flows::userinfo::{self, UserinfoError};
use crate::http::form;
use crate::state::AppState;

/// `GET /userinfo`: token in the Authorization header.
pub async fn get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(&state, bearer(&headers)).await
}

/// `POST /userinfo`: token in the header or the form body (RFC 6750 §2.2), not both.
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let from_body = form::is_form(&headers)
        .then(|| form::parse(&body))
        .flatten()
        .and_then(|fields| form::first(&fields, "access_token").map(str::to_string));
    match (bearer(&headers), from_body) {
        (Some(_), Some(_)) => {
            bearer_challenge(StatusCode::BAD_REQUEST, Some(("invalid_request", "send the token once")))
        }
        (Some(token), None) => answer(&state, Some(token)).await,
        (None, Some(token)) => answer(&state, Some(Ok(token))).await,
        (None, None) => answer(&state, None).await,
    }
}

/// The bearer token of the Authorization header: `Err` when the header is not Bearer.
fn bearer(headers: &HeaderMap) -> Option<Result<String, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let Some((scheme, token)) = value.to_str().ok().and_then(|v| v.split_once(' ')) else {
        return Some(Err(()));
    };
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Some(Err(()));
    }
    Some(Ok(token.trim().to_string()))
}

async fn answer(state: &AppState, token: Option<Result<String, ()>>) -> Response {
    let token = match token {
        None => return bearer_challenge(StatusCode::UNAUTHORIZED, None),
        Some(Err(())) => {
            return bearer_challenge(StatusCode::BAD_REQUEST, Some(("invalid_request", "use the Bearer scheme")));
        }
        Some(Ok(token)) => token,
    };
    match userinfo::claims(state, &token).await {
        Ok(claims) => {
            let mut response = Json(claims).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(UserinfoError::InvalidToken) => bearer_challenge(
            StatusCode::UNAUTHORIZED,
            Some(("invalid_token", "the access token is invalid or expired")),
        ),
        Err(UserinfoError::InsufficientScope) => bearer_challenge(
            StatusCode::FORBIDDEN,
            Some(("insufficient_scope", "the token was not issued for the openid scope")),
        ),
        Err(UserinfoError::Internal(error)) => oauth_error::bearer_internal(&error, "userinfo"),
    }
}
