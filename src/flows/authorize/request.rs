//! A validated authorization request, as stored while the user signs in.

use serde::{Deserialize, Serialize};

use crate::domain::oauth::error::OAuthError;
use crate::domain::oauth::prompt::{self, Prompt};

/// OAuth 2.0 Multiple Response Type / Form Post response modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// Parameters in the redirect URI's query.
    Query,
    /// Parameters POSTed by an auto-submitted form (OAuth 2.0 Form Post Response Mode).
    FormPost,
}

/// The parameters that survive validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    /// Client.
    pub client_id: String,
    /// Exact registered redirect URI.
    pub redirect_uri: String,
    /// How to answer.
    pub response_mode: ResponseMode,
    /// Granted scope (known scopes only), space-separated.
    pub scope: String,
    /// Opaque client value, returned as is.
    pub state: Option<String>,
    /// Replay protection for the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// Raw prompt value.
    pub prompt: Option<String>,
    /// Maximum authentication age in seconds.
    pub max_age: Option<i64>,
    /// Prefills the login field.
    pub login_hint: Option<String>,
    /// Preferred languages.
    pub ui_locales: Option<String>,
    /// Requested authentication context classes.
    pub acr_values: Option<String>,
    /// `sub` of a valid `id_token_hint`.
    pub hint_subject: Option<String>,
    /// The account that consented during this request. Consent belongs to a person:
    /// it lets only that person's sign-in skip the consent page, never whoever
    /// finishes the request (a parked request's handle can be sent to anyone).
    #[serde(default)]
    pub consented_by: Option<uuid::Uuid>,
    /// Arrival time, unix milliseconds.
    pub created_at_ms: i64,
}

impl AuthRequest {
    /// The parsed prompt (validated when the request was accepted).
    pub fn prompt(&self) -> Prompt {
        prompt::parse(self.prompt.as_deref()).unwrap_or_default()
    }
}

/// Where an authorization request ends.
#[derive(Debug)]
pub enum Outcome {
    /// Not redirectable (unknown client or redirect URI): show a page, never redirect.
    ErrorPage(PageError),
    /// Answer the client at its redirect URI.
    Respond(ClientResponse),
    /// The user must sign in; the handle resumes the request afterwards.
    SignIn {
        /// Opaque handle of the stored request.
        handle: String,
        /// Login number to prefill.
        login_hint: Option<String>,
        /// Preferred languages.
        ui_locales: Option<String>,
    },
    /// The user must consent.
    Consent {
        /// Opaque handle of the stored request.
        handle: String,
    },
}

/// Why no redirect is possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// `client_id` missing or repeated.
    MissingClientId,
    /// No such client.
    UnknownClient,
    /// `redirect_uri` missing or repeated.
    MissingRedirectUri,
    /// Not one of the client's registered redirect URIs.
    UnregisteredRedirectUri,
    /// The stored request is unknown, finished or expired.
    RequestExpired,
    /// Server failure.
    Internal,
}

/// A response delivered to the client's redirect URI.
#[derive(Debug, Clone)]
pub struct ClientResponse {
    /// Where.
    pub redirect_uri: String,
    /// How.
    pub mode: ResponseMode,
    /// What: `code`/`error`…, `state`, `iss`.
    pub params: Vec<(String, String)>,
}

impl ClientResponse {
    /// A redirectable error (RFC 6749 §4.1.2.1, RFC 9207 `iss`).
    pub fn error(request: &Redirect<'_>, error: &OAuthError) -> Self {
        let mut params = vec![
            ("error".to_string(), error.code.as_str().to_string()),
            ("error_description".to_string(), error.description.clone()),
        ];
        push_common(&mut params, request);
        Self { redirect_uri: request.redirect_uri.to_string(), mode: request.mode, params }
    }

    /// A successful code response.
    pub fn code(request: &Redirect<'_>, code: String) -> Self {
        let mut params = vec![("code".to_string(), code)];
        push_common(&mut params, request);
        Self { redirect_uri: request.redirect_uri.to_string(), mode: request.mode, params }
    }
}

/// What is needed to answer a client: where, how, its state, our issuer.
#[derive(Debug, Clone, Copy)]
pub struct Redirect<'a> {
    /// Validated redirect URI.
    pub redirect_uri: &'a str,
    /// Response mode.
    pub mode: ResponseMode,
    /// The request's state.
    pub state: Option<&'a str>,
    /// Our issuer (RFC 9207).
    pub issuer: &'a str,
}

fn push_common(params: &mut Vec<(String, String)>, request: &Redirect<'_>) {
    if let Some(state) = request.state {
        params.push(("state".into(), state.to_string()));
    }
    params.push(("iss".into(), request.issuer.to_string()));
}
