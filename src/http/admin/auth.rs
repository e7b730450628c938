//! Who calls the admin API: a bearer access token issued by kuke-id whose scope
//! includes the route's scope or `admin`. Machine clients get such tokens through
//! `client_credentials`; people get them through the normal journey, and their
//! token counts only while the account holds the `idp-admin` role and may sign in
//! (checked on every call, so taking the role away takes effect at once).
//! No token is 401; a wrong scope or a person without the role is 403. The
//! decision is `flows::admin_access`'s; this file only maps it to HTTP.
//!
//! The check runs once per request, in [`require_scope`], which the router puts
//! in front of every scoped route of the table; the handler receives the
//! admitted caller as [`Admin`].

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::Problem;
use crate::domain::audit::Actor;
use crate::flows::admin_access::{self, Denied};
use crate::http::journey::ClientOrigin;
use crate::state::AppState;

/// What [`require_scope`] needs: the state and the scope of its route.
#[derive(Clone)]
pub struct Guard {
    state: AppState,
    scope: &'static str,
}

impl Guard {
    /// The guard of a route requiring `scope`.
    pub fn new(state: AppState, scope: &'static str) -> Self {
        Self { state, scope }
    }
}

/// Admits the caller for the route's scope, or answers the problem (and audits
/// the denial) without running the handler.
pub async fn require_scope(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(caller) = Caller::from_request_parts(&mut parts, &guard.state).await;
    match caller.require(&guard.state, guard.scope).await {
        Ok(actor) => {
            parts.extensions.insert(Admin(actor));
            next.run(Request::from_parts(parts, body)).await
        }
        Err(problem) => problem.into_response(),
    }
}

/// The caller [`require_scope`] admitted, for handlers that record who acted.
#[derive(Debug, Clone)]
pub struct Admin(pub Actor);

/// A handler asked for [`Admin`] on a route without a scope check.
#[derive(Debug, thiserror::Error)]
#[error("the route has no scope check, so no admitted caller")]
struct Unguarded;

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Admin>().cloned().ok_or_else(|| Problem::internal(&Unguarded))
    }
}

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
        let admitted = match self.token.as_deref() {
            Some(token) => admin_access::admit(state, token, required).await?,
            None => Err(Denied::NoToken),
        };
        let denied = match admitted {
            Ok(admitted) => {
                return Ok(Actor {
                    name: admitted.name,
                    ip: self.ip.clone(),
                    request_id: self.request_id.clone(),
                    authority: admitted.authority,
                });
            }
            Err(denied) => denied,
        };
        admin_access::record_denial(state, &denied, required, self.ip.as_deref(), self.request_id.as_deref()).await?;
        Err(match denied {
            Denied::NoToken => {
                Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", "a bearer access token is required")
            }
            Denied::InvalidToken => {
                Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", "the access token is invalid or expired")
            }
            Denied::MissingScope(scope) => {
                Problem::new(StatusCode::FORBIDDEN, "Forbidden", format!("the token lacks the {scope} scope"))
            }
            Denied::NotAnAdministrator => {
                Problem::new(StatusCode::FORBIDDEN, "Forbidden", "the account does not hold the idp-admin role")
            }
        })
    }
}
