//! Signing in to the admin console: the console is a relying party of kuke-id
//! itself (OIDC Core §3.1, authorization code with PKCE, RFC 7636). The browser
//! goes through the same journey as for any client, with `prompt=login` so that
//! a staff member always proves who they are afresh; the code is redeemed
//! in-process through the token endpoint's own flow, and the ID token is checked
//! as any relying party must (§3.1.3.7: issuer, audience, expiry, nonce).
//!
//! Nothing is kept in memory: the sign-in in progress is a database row named by
//! a cookie, so the callback may reach any node. The cookie's value doubles as
//! the PKCE verifier (43 base64url characters, RFC 7636 §4.1); only its hash is
//! stored.

use serde::Deserialize;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::client::CONSOLE_CLIENT_ID;
use crate::domain::endpoints;
use crate::domain::oauth::pkce;
use crate::flows::Internal;
use crate::flows::client_auth::Presented;
use crate::flows::token::{self, TokenError};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store;
use crate::tokens::jwt::{self, Expect};
use crate::tokens::{id_token, opaque};

/// How long a started sign-in may take (the journey includes an e-mailed code).
const SIGN_IN_TTL: time::Duration = time::Duration::minutes(30);

/// A started sign-in: the cookie to set and where to send the browser.
#[derive(Debug)]
pub struct Started {
    /// Value of the sign-in cookie (also the PKCE verifier).
    pub cookie: String,
    /// The authorization request (a path on this provider).
    pub authorize_path: String,
}

/// A finished sign-in.
#[derive(Debug)]
pub enum Finished {
    /// A staff member: the console session cookie's value.
    Staff {
        /// Value of the console session cookie.
        cookie: String,
    },
    /// The person signed in, but holds no staff role (recorded as denied).
    NotStaff,
}

/// Why a callback could not sign anyone in.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// No sign-in of this browser is waiting (expired, used, or another browser's).
    #[error("no sign-in of this browser is waiting for this answer")]
    UnknownSignIn,
    /// kuke-id answered with an OAuth error (e.g. `access_denied`).
    #[error("the provider answered {0}")]
    Refused(String),
    /// The code or the ID token did not check out.
    #[error("the answer does not check out: {0}")]
    Invalid(&'static str),
    /// Storage failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<store::StoreError> for CallbackError {
    fn from(error: store::StoreError) -> Self {
        Self::Internal(Internal(error))
    }
}

/// Starts a sign-in: records it and builds the authorization request.
pub async fn start(state: &AppState, lang: Lang) -> Result<Started, Internal> {
    let now = state.clock.now();
    super::staff::forget_expired(state, now).await?;
    let cookie = opaque::random_token();
    let csrf_state = opaque::random_token();
    let nonce = opaque::random_token();
    store::console_sessions::insert_pending(
        state.store.conn(),
        &opaque::hash(&cookie),
        &csrf_state,
        &nonce,
        now,
        now + SIGN_IN_TTL,
    )
    .await?;
    let redirect_uri = endpoints::url(&state.settings.issuer, endpoints::CONSOLE_CALLBACK);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", CONSOLE_CLIENT_ID)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", "openid")
        .append_pair("state", &csrf_state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce::challenge_of(&cookie))
        .append_pair("code_challenge_method", "S256")
        .append_pair("prompt", "login")
        .append_pair("ui_locales", lang.code())
        .finish();
    Ok(Started { cookie, authorize_path: format!("{}?{query}", endpoints::AUTHORIZE) })
}

/// The claims of the console's ID token it reads.
#[derive(Debug, Deserialize)]
struct ConsoleIdClaims {
    sub: String,
    nonce: Option<String>,
    sid: Option<String>,
}

/// Finishes a sign-in from the callback's query: checks `state` against the
/// browser's sign-in, redeems the code and checks the ID token, then opens a
/// console session bound to the kuke-id session the code came from.
pub async fn finish(
    state: &AppState,
    cookie: Option<&str>,
    params: &[(String, String)],
) -> Result<Finished, CallbackError> {
    let now = state.clock.now();
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let cookie = cookie.filter(|c| c.len() == 43).ok_or(CallbackError::UnknownSignIn)?;
    let pending = store::console_sessions::take_pending(state.store.conn(), &opaque::hash(cookie), now)
        .await?
        .ok_or(CallbackError::UnknownSignIn)?;
    let expected_state = pending.state.unwrap_or_default();
    let state_matches: bool = param("state").is_some_and(|s| s.as_bytes().ct_eq(expected_state.as_bytes()).into());
    if !state_matches {
        return Err(CallbackError::UnknownSignIn);
    }
    // RFC 9207: the answer names its issuer; it must be this provider.
    if param("iss").is_some_and(|iss| iss != state.settings.issuer) {
        return Err(CallbackError::Invalid("iss"));
    }
    if let Some(error) = param("error") {
        return Err(CallbackError::Refused(error.chars().take(64).collect()));
    }
    let code = param("code").ok_or(CallbackError::Invalid("code"))?;
    let redirect_uri = endpoints::url(&state.settings.issuer, endpoints::CONSOLE_CALLBACK);
    let form: Vec<(String, String)> = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", cookie),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let presented = Presented { form_id: Some(CONSOLE_CLIENT_ID.to_string()), ..Presented::default() };
    let tokens = match token::exchange(state, presented, &form).await {
        Ok(tokens) => tokens,
        Err(TokenError::OAuth { .. }) => return Err(CallbackError::Invalid("code")),
        Err(TokenError::Internal(internal)) => return Err(internal.into()),
    };
    let raw = tokens.id_token.ok_or(CallbackError::Invalid("id_token"))?;
    let expect = Expect {
        typ: Some(id_token::TYP),
        issuer: &state.settings.issuer,
        audience: Some(CONSOLE_CLIENT_ID),
        now: Some(now.unix_timestamp()),
    };
    let claims: ConsoleIdClaims =
        jwt::verify(&state.keys(), &raw, &expect).map_err(|_| CallbackError::Invalid("id_token"))?;
    let expected_nonce = pending.nonce.unwrap_or_default();
    if !claims.nonce.is_some_and(|n| bool::from(n.as_bytes().ct_eq(expected_nonce.as_bytes()))) {
        return Err(CallbackError::Invalid("nonce"));
    }
    let user_id = Uuid::parse_str(&claims.sub).map_err(|_| CallbackError::Invalid("sub"))?;
    let session_id = claims.sid.and_then(|sid| Uuid::parse_str(&sid).ok()).ok_or(CallbackError::Invalid("sid"))?;
    let session = store::sessions::find(state.store.conn(), session_id)
        .await?
        .filter(|s| s.user_id == user_id && s.is_valid(now, state.settings.session_idle))
        .ok_or(CallbackError::Invalid("sid"))?;
    let Some(user) = store::users::find(state.store.conn(), user_id).await? else {
        return Err(CallbackError::Invalid("sub"));
    };
    if user.staff_role().is_none() {
        super::staff::record_denial(state, user_id, "not_staff", endpoints::CONSOLE_CALLBACK, None).await?;
        return Ok(Finished::NotStaff);
    }
    let console_cookie = opaque::random_token();
    let tx = state.store.begin().await?;
    store::console_sessions::insert_session(
        tx.conn(),
        &opaque::hash(&console_cookie),
        user_id,
        session.id,
        &raw,
        now,
        session.expires_at,
    )
    .await?;
    let mut event = crate::domain::audit::AuditEvent::new(format!("user:{user_id}"), "console.signed_in", None);
    event.subject_user_id = Some(user_id);
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    Ok(Finished::Staff { cookie: console_cookie })
}
