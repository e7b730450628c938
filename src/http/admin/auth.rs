//! Who calls the admin API: a bearer access token issued by kuke-id whose scope
//! includes the route's scope or `admin`. No token is 401; a wrong scope is 403.

use axum::http::{HeaderMap, StatusCode, header};

use super::problem::Problem;
use crate::domain::oauth::scope;
use crate::state::AppState;

/// An authenticated admin caller.
#[derive(Debug, Clone)]
pub struct Admin {
    /// Audit actor (`client:<id>`).
    pub actor: String,
}

/// Checks the request's bearer token for `required` (or `admin`).
pub async fn require(state: &AppState, headers: &HeaderMap, required: &str) -> Result<Admin, Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .ok_or_else(|| Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", "a bearer access token is required"))?;
    let claims =
        crate::flows::access::check(state, &token).await.map_err(|e| Problem::internal(&e))?.ok_or_else(|| {
            Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", "the access token is invalid or expired")
        })?;
    if !scope::contains(&claims.scope, required) && !scope::contains(&claims.scope, "admin") {
        return Err(Problem::new(StatusCode::FORBIDDEN, "Forbidden", format!("the token lacks the {required} scope")));
    }
    Ok(Admin { actor: format!("client:{}", claims.client_id) })
}
