//! Extracting client credentials from a request (RFC 6749 §2.3.1).

use axum::http::{HeaderMap, header};
use axum::response::Response;
use base64::Engine;

use super::oauth_error;
use crate::domain::client::Client;
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::domain::secret::ClientSecret;
use crate::flows::{self, client_auth::AuthFailure, client_auth::Presented};
use crate::http::form;
use crate::state::AppState;

/// The Authorization header is present but is not valid Basic credentials.
#[derive(Debug)]
pub struct MalformedAuthorization;

/// Reads Basic credentials and the form's client fields.
pub fn presented(headers: &HeaderMap, fields: &[(String, String)]) -> Result<Presented, MalformedAuthorization> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value.to_str().map_err(|_| MalformedAuthorization)?;
            let Some((scheme, encoded)) = value.split_once(' ') else {
                return Err(MalformedAuthorization);
            };
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(MalformedAuthorization);
            }
            let decoded =
                base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| MalformedAuthorization)?;
            let decoded = String::from_utf8(decoded).map_err(|_| MalformedAuthorization)?;
            let (id, secret) = decoded.split_once(':').ok_or(MalformedAuthorization)?;
            // §2.3.1: both parts are form-urlencoded before being joined.
            Some((form_decode(id), ClientSecret::new(form_decode(secret))))
        }
    };
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    Ok(Presented { basic, form_id: field("client_id"), form_secret: field("client_secret").map(ClientSecret::new) })
}

fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// The authenticated client and the `token` form field that introspection and
/// revocation both need (RFC 7662 §2.1, RFC 7009 §2.1); the OAuth error response
/// when either is missing.
pub async fn client_and_token(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Client, String), Response> {
    let fields = form_fields(headers, body).map_err(|error| oauth_error::response(&error))?;
    let Ok(presented) = presented(headers, &fields) else {
        return Err(malformed_authorization());
    };
    let client = match flows::client_auth::authenticate(state, &presented, false).await {
        Ok(Ok(client)) => client,
        Ok(Err(AuthFailure { error })) => return Err(oauth_error::response(&error)),
        Err(error) => return Err(oauth_error::internal(&error, "client authentication")),
    };
    match form::first(&fields, "token") {
        Some(token) => Ok((client, token.to_string())),
        None => Err(oauth_error::response(&OAuthError::invalid_request("token is required"))),
    }
}

/// The form body of a token-endpoint-like request (RFC 6749 §3.2), or why it is refused.
pub fn form_fields(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    if !form::is_form(headers) {
        return Err(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"));
    }
    form::parse(body).ok_or_else(|| OAuthError::invalid_request("the body is not valid UTF-8"))
}

/// The answer to an Authorization header that is not valid Basic credentials.
pub fn malformed_authorization() -> Response {
    oauth_error::response(&OAuthError::new(ErrorCode::InvalidClient, "malformed Authorization header"))
}

#[cfg(test)]
mod properties;
