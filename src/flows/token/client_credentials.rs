//! `client_credentials` (RFC 6749 §4.4): a machine client gets an access token
//! for the scopes it was registered with. Nothing is written to the database.

use super::{TokenError, TokenResponse, access_token};
use crate::domain::client::{Client, ClientKind};
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::domain::oauth::scope;
use crate::state::AppState;

pub(super) async fn exchange(
    state: &AppState,
    client: &Client,
    requested: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    if client.kind == ClientKind::Public {
        return Err(
            OAuthError::new(ErrorCode::UnauthorizedClient, "public clients cannot use client_credentials").into()
        );
    }
    let granted = match requested {
        None => client.scopes.clone(),
        Some(text) => {
            let requested = scope::parse_requested(text)?;
            if let Some(bad) = requested.iter().find(|s| !client.scopes.contains(s)) {
                let bad: String = bad.chars().take(64).collect();
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("scope '{bad}' is not allowed for this client"),
                )
                .into());
            }
            requested
        }
    };
    let scope = scope::join(&granted);
    let (access_token, expires_in) = access_token(state, client, &client.id, &scope, None, None)?;
    Ok(TokenResponse { access_token, token_type: "Bearer", expires_in, scope, id_token: None, refresh_token: None })
}
