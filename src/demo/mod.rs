//! The built-in demo relying party (`/demo`, only with `serve --demo`): the
//! openidconnect crate talking to kuke-id over HTTP like any outside client, so
//! a newcomer sees the whole round trip — sign-in, ID-token claims, userinfo,
//! sign-out. Its state lives in memory: it is a single-node demonstration.

mod pages;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use tokio::sync::OnceCell;

use crate::domain::endpoints;
use crate::rp_http::RpHttp;

pub use pages::{DemoAccount, DemoState, NextStep, Web, router};

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// How long a started sign-in or a demo session is kept.
const TTL: Duration = Duration::from_secs(3600);

/// The demo relying party.
pub struct DemoRp {
    issuer: String,
    client_id: String,
    client_secret: String,
    http: RpHttp,
    client: OnceCell<Client>,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, SignedIn>>,
}

struct Pending {
    csrf: String,
    nonce: Nonce,
    verifier: String,
    at: Instant,
}

/// What the demo shows after a sign-in.
#[derive(Clone)]
pub struct SignedIn {
    /// ID-token claims, pretty JSON.
    pub id_token_claims: String,
    /// The userinfo answer, pretty JSON.
    pub userinfo: String,
    /// The raw ID token (for the logout hint).
    pub id_token: String,
    at: Instant,
}

/// Why the demo could not complete a step.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Talking to kuke-id failed.
    #[error("{0}")]
    Provider(String),
    /// The callback does not belong to a sign-in started here.
    #[error("unknown or expired sign-in; start again")]
    UnknownState,
    /// kuke-id answered with an OAuth error.
    #[error("kuke-id answered: {0}")]
    Refused(String),
}

fn provider(error: impl std::fmt::Display) -> DemoError {
    DemoError::Provider(error.to_string())
}

impl DemoRp {
    /// A demo RP for the `demo` client with its current secret.
    pub fn new(issuer: &str, client_id: &str, client_secret: &str) -> Result<Self, DemoError> {
        Ok(Self {
            issuer: issuer.to_string(),
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            http: RpHttp::new().map_err(provider)?,
            client: OnceCell::new(),
            pending: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// The issuer this relying party signs in with.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Discovery happens on first use: the server must already be listening.
    async fn client(&self) -> Result<&Client, DemoError> {
        self.client
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.issuer.clone()).map_err(provider)?;
                let metadata = CoreProviderMetadata::discover_async(issuer, &self.http).await.map_err(provider)?;
                let redirect =
                    RedirectUrl::new(endpoints::url(&self.issuer, endpoints::DEMO_CALLBACK)).map_err(provider)?;
                Ok(CoreClient::from_provider_metadata(
                    metadata,
                    ClientId::new(self.client_id.clone()),
                    Some(ClientSecret::new(self.client_secret.clone())),
                )
                .set_redirect_uri(redirect))
            })
            .await
    }

    /// Starts a sign-in; returns the browser's key and the authorization URL.
    pub async fn start(&self) -> Result<(String, String), DemoError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request =
            client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
        for scope in ["profile", "email", "organization", "role"] {
            request = request.add_scope(Scope::new(scope.to_string()));
        }
        let (url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
        let key = crate::tokens::opaque::random_token();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, p| p.at.elapsed() < TTL);
        pending.insert(
            key.clone(),
            Pending { csrf: csrf.secret().clone(), nonce, verifier: verifier.secret().clone(), at: Instant::now() },
        );
        Ok((key, url.to_string()))
    }

    /// Finishes a sign-in from the callback's parameters.
    pub async fn finish(&self, key: &str, params: &HashMap<String, String>) -> Result<String, DemoError> {
        let pending =
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(key).ok_or(DemoError::UnknownState)?;
        if params.get("state") != Some(&pending.csrf) {
            return Err(DemoError::UnknownState);
        }
        if let Some(error) = params.get("error") {
            return Err(DemoError::Refused(format!(
                "{error}: {}",
                params.get("error_description").map(String::as_str).unwrap_or("")
            )));
        }
        let code = params.get("code").ok_or(DemoError::UnknownState)?;
        let client = self.client().await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .map_err(provider)?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(provider)?;
        let id_token = tokens.id_token().ok_or_else(|| provider("no ID token"))?;
        // Verified first; shown from the token itself, since the typed claims keep
        // only the standard ones and kuke-id's organization and role would vanish.
        id_token.claims(&client.id_token_verifier(), &pending.nonce).map_err(provider)?;
        let claims = payload(&id_token.to_string()).ok_or_else(|| provider("an unreadable ID token"))?;
        let userinfo: openidconnect::UserInfoClaims<KukeClaims, openidconnect::core::CoreGenderClaim> = client
            .user_info(tokens.access_token().clone(), None)
            .map_err(provider)?
            .request_async(&self.http)
            .await
            .map_err(provider)?;
        let signed_in = SignedIn {
            id_token_claims: serde_json::to_string_pretty(&claims).unwrap_or_default(),
            userinfo: serde_json::to_string_pretty(&userinfo).unwrap_or_default(),
            id_token: id_token.to_string(),
            at: Instant::now(),
        };
        let session = crate::tokens::opaque::random_token();
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| s.at.elapsed() < TTL);
        sessions.insert(session.clone(), signed_in);
        Ok(session)
    }

    /// The demo session of a browser.
    pub fn session(&self, key: &str) -> Option<SignedIn> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    /// Forgets a demo session; returns the end-session URL to send the browser to.
    pub fn sign_out(&self, key: &str) -> String {
        let session = self.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(session) = session {
            query.append_pair("id_token_hint", &session.id_token);
        }
        query
            .append_pair("client_id", &self.client_id)
            .append_pair("post_logout_redirect_uri", &endpoints::url(&self.issuer, endpoints::DEMO));
        format!("{}/logout?{}", self.issuer, query.finish())
    }
}

/// kuke-id's own claims (scopes `organization` and `role`), which the demo asks
/// for and shows.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
struct KukeClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organization: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<String>>,
}

impl openidconnect::AdditionalClaims for KukeClaims {}

/// The claims of a compact JWT whose signature was checked already.
fn payload(jwt: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let encoded = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).ok()?;
    serde_json::from_slice(&bytes).ok()
}
