//! The token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3): authenticate the
//! client, then dispatch on `grant_type`.

mod authorization_code;
mod client_credentials;
mod refresh_token;

use serde::Serialize;
use uuid::Uuid;

use super::Internal;
use super::client_auth::{self, AuthFailure, Presented};
use crate::domain::client::Client;
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::domain::oauth::grant_type::GrantType;
use crate::domain::secret::RefreshToken;
use crate::state::AppState;
use crate::tokens::access_token::{self, AccessClaims};
use crate::tokens::jwt::JwtError;

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// JWT access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access-token lifetime in seconds.
    pub expires_in: i64,
    /// Granted scope.
    pub scope: String,
    /// ID token (user grants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Refresh token (clients allowed the refresh grant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Why no tokens were issued.
#[derive(Debug)]
pub enum TokenError {
    /// An OAuth error for the client.
    OAuth {
        /// The error.
        error: OAuthError,
    },
    /// Server failure.
    Internal(Internal),
}

impl From<Internal> for TokenError {
    fn from(error: Internal) -> Self {
        TokenError::Internal(error)
    }
}

impl From<crate::store::StoreError> for TokenError {
    fn from(error: crate::store::StoreError) -> Self {
        TokenError::Internal(Internal(error))
    }
}

impl From<OAuthError> for TokenError {
    fn from(error: OAuthError) -> Self {
        TokenError::OAuth { error }
    }
}

impl From<JwtError> for TokenError {
    fn from(error: JwtError) -> Self {
        tracing::error!(%error, "cannot sign a token");
        TokenError::OAuth { error: OAuthError::server_error() }
    }
}

/// Exchanges a grant for tokens.
pub async fn exchange(
    state: &AppState,
    presented: Presented,
    form: &[(String, String)],
) -> Result<TokenResponse, TokenError> {
    let field = |name: &str| single(form, name);
    let grant_type = field("grant_type")?;
    let client = match client_auth::authenticate(state, &presented, true).await? {
        Ok(client) => client,
        Err(AuthFailure { error }) => return Err(TokenError::OAuth { error }),
    };
    let grant_type = grant_type.ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let Some(grant_type) = GrantType::parse(grant_type) else {
        return Err(OAuthError::new(ErrorCode::UnsupportedGrantType, "grant_type is not supported").into());
    };
    if !client.allows(grant_type) {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "client may not use this grant type").into());
    }
    match grant_type {
        GrantType::AuthorizationCode => {
            authorization_code::exchange(
                state,
                &client,
                field("code")?,
                field("redirect_uri")?,
                field("code_verifier")?,
            )
            .await
        }
        GrantType::RefreshToken => {
            let token = field("refresh_token")?.map(RefreshToken::new);
            refresh_token::exchange(state, &client, token, field("scope")?).await
        }
        GrantType::ClientCredentials => client_credentials::exchange(state, &client, field("scope")?).await,
    }
}

/// A form field that must not be repeated (RFC 6749 §3.2).
fn single<'a>(form: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, TokenError> {
    let mut values = form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(OAuthError::invalid_request(format!("parameter '{name}' is repeated")).into());
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// Signs an access token for a user grant or a client.
fn access_token(
    state: &AppState,
    client: &Client,
    subject: &str,
    scope: &str,
    auth_time: Option<i64>,
    grant: Option<Uuid>,
) -> Result<(String, i64), TokenError> {
    let now = state.clock.now().unix_timestamp();
    let ttl = i64::try_from(state.settings.access_token_ttl.as_secs()).unwrap_or(300);
    let claims = AccessClaims {
        iss: state.settings.issuer.clone(),
        sub: subject.to_string(),
        aud: state.settings.issuer.clone(),
        client_id: client.id.clone(),
        iat: now,
        exp: now + ttl,
        jti: Uuid::new_v4().simple().to_string(),
        scope: scope.to_string(),
        auth_time,
        gid: grant.map(|g| g.to_string()),
    };
    Ok((access_token::issue(&state.keys(), &claims)?, ttl))
}

/// How the user authenticated, as recorded on a code or a grant.
struct Authentication<'a> {
    /// Issue time of the tokens (the flow's "now").
    issued_at: i64,
    /// When.
    auth_time: i64,
    /// The authorization request's nonce (codes only).
    nonce: Option<&'a str>,
    /// Context class.
    acr: Option<&'a str>,
    /// Methods, as the stored JSON list.
    amr_json: Option<&'a str>,
    /// Browser session (`sid`).
    session: Option<Uuid>,
}

/// Signs the ID token that accompanies `access` for `user`.
fn id_token(
    state: &AppState,
    client: &Client,
    user: &crate::domain::user::User,
    scope: &str,
    access: &str,
    authentication: Authentication<'_>,
) -> Result<String, TokenError> {
    let amr: Vec<String> = authentication.amr_json.and_then(|a| serde_json::from_str(a).ok()).unwrap_or_default();
    let sid = authentication.session.map(|s| s.to_string());
    let subject = user.subject();
    Ok(crate::tokens::id_token::issue(
        &state.keys(),
        crate::tokens::id_token::IdTokenInput {
            issuer: &state.settings.issuer,
            subject: &subject,
            client_id: &client.id,
            issued_at: authentication.issued_at,
            ttl_secs: i64::try_from(state.settings.id_token_ttl.as_secs()).unwrap_or(300),
            auth_time: authentication.auth_time,
            nonce: authentication.nonce,
            acr: authentication.acr,
            amr: &amr,
            sid: sid.as_deref(),
            access_token: Some(access),
            user_claims: crate::domain::user::claims_for(user, scope),
            alg: client.id_token_alg,
        },
    )?)
}
