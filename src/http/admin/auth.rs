//! Who calls the admin API: a bearer access token issued by kuke-id whose scope
//! includes the route's scope or `admin`. Machine clients get such tokens through
//! `client_credentials`; people get them through the normal journey, and their
//! token counts only while the account holds the `idp-admin` role and may sign in
//! (checked on every call, so taking the role away takes effect at once).
//! No token is 401; a wrong scope or a person without the role is 403.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use uuid::Uuid;

use super::problem::Problem;
use crate::domain::audit::Actor;
use crate::domain::oauth::scope;
use crate::http::journey::ClientOrigin;
use crate::state::AppState;
use crate::store;

/// What every admin request carries before its token is checked.
#[derive(Debug, Clone)]
pub struct Caller {
    token: Option<String>,
    ip: Option<String>,
    request_id: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(ClientOrigin(origin)) = ClientOrigin::from_request_parts(parts, state).await;
        Ok(Self {
            token: bearer(&parts.headers),
            ip: origin.ip,
            request_id: parts.headers.get(crate::http::REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_string),
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .filter(|token| !token.is_empty())
}

impl Caller {
    /// Checks the bearer token for `required` (or `admin`); answers who holds it.
    pub async fn require(&self, state: &AppState, required: &str) -> Result<Actor, Problem> {
        let token = self.token.as_deref().ok_or_else(|| {
            Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", "a bearer access token is required")
        })?;
        let claims = crate::flows::access::check(state, token).await?.ok_or_else(|| {
            Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", "the access token is invalid or expired")
        })?;
        if !scope::contains(&claims.scope, required) && !scope::contains(&claims.scope, "admin") {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                format!("the token lacks the {required} scope"),
            ));
        }
        // A grant id marks a token issued to a person; client_credentials tokens have none.
        let name = if claims.gid.is_some() {
            let user_id = Uuid::parse_str(&claims.sub).ok();
            let user = match user_id {
                Some(id) => store::users::find(state.store.conn(), id).await?,
                None => None,
            };
            match user {
                Some(user) if user.idp_admin && user.can_sign_in() => format!("user:{}", user.id),
                _ => {
                    return Err(Problem::new(
                        StatusCode::FORBIDDEN,
                        "Forbidden",
                        "the account does not hold the idp-admin role",
                    ));
                }
            }
        } else {
            format!("client:{}", claims.client_id)
        };
        Ok(Actor { name, ip: self.ip.clone(), request_id: self.request_id.clone() })
    }
}
