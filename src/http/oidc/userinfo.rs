//! `GET|POST /userinfo` (OIDC Core §5.3) with RFC 6750 bearer-token errors.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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
        (Some(_), Some(_)) => challenge(StatusCode::BAD_REQUEST, Some(("invalid_request", "send the token once"))),
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
        None => return challenge(StatusCode::UNAUTHORIZED, None),
        Some(Err(())) => {
            return challenge(StatusCode::BAD_REQUEST, Some(("invalid_request", "use the Bearer scheme")));
        }
        Some(Ok(token)) => token,
    };
    match userinfo::claims(state, &token).await {
        Ok(claims) => {
            let mut response = Json(claims).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(UserinfoError::InvalidToken) => {
            challenge(StatusCode::UNAUTHORIZED, Some(("invalid_token", "the access token is invalid or expired")))
        }
        Err(UserinfoError::InsufficientScope) => challenge(
            StatusCode::FORBIDDEN,
            Some(("insufficient_scope", "the token was not issued for the openid scope")),
        ),
        Err(UserinfoError::Internal(error)) => {
            tracing::error!(%error, "userinfo failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(serde_json::json!({"error": "server_error"}))).into_response()
        }
    }
}

/// RFC 6750 §3: `WWW-Authenticate: Bearer` with the error, if any.
fn challenge(status: StatusCode, error: Option<(&str, &str)>) -> Response {
    let value = match error {
        None => "Bearer realm=\"kuke-id\"".to_string(),
        Some((code, description)) => {
            format!("Bearer realm=\"kuke-id\", error=\"{code}\", error_description=\"{description}\"")
        }
    };
    let body = match error {
        None => {
            serde_json::json!({"error": "invalid_request", "error_description": "an access token is required"})
        }
        Some((code, description)) => {
            serde_json::json!({"error": code, "error_description": description})
        }
    };
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
