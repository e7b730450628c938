//! Registering, listing and removing relying parties (CLI and admin API).

use crate::domain::audit::Actor;
use crate::domain::client::{self, Client, ClientKind, ClientRuleError};
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::store::{self, Store, StoreError};
use crate::tokens::opaque;

/// What an operator asks for when registering a client.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Wanted `client_id`; generated when `None`.
    pub id: Option<String>,
    /// Display name.
    pub name: String,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Public (no secret, PKCE) or confidential.
    pub kind: ClientKind,
    /// Skips consent.
    pub first_party: bool,
    /// PKCE even for a confidential client.
    pub require_pkce: bool,
    /// ID-token algorithm.
    pub id_token_alg: SigningAlg,
    /// Extra grant types (e.g. `client_credentials`).
    pub extra_grant_types: Vec<String>,
    /// Extra scopes beyond the OIDC ones (admin scopes).
    pub scopes: Vec<String>,
    /// OIDC Back-Channel Logout 1.0 endpoint.
    pub backchannel_logout_uri: Option<String>,
}

/// Why a registration failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// A rule of [`client`] refused it.
    #[error(transparent)]
    Rule(#[from] ClientRuleError),
    /// The client id is taken.
    #[error("a client with id '{0}' already exists")]
    Taken(String),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

/// A registered client and, for a confidential one, its secret — shown once, never stored.
#[derive(Debug)]
pub struct Registered {
    /// The stored client.
    pub client: Client,
    /// The plain secret.
    pub secret: Option<String>,
}

/// Registers a client; audited as `client.created`.
pub async fn register(
    store: &Store,
    clock: &Clock,
    actor: &Actor,
    request: Registration,
) -> Result<Registered, RegisterError> {
    let id = request.id.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    client::check_id(&id)?;
    client::check_name(&request.name)?;
    // A client that only asks for client_credentials is a machine: it never sees a browser.
    let machine_only = request.redirect_uris.is_empty()
        && !request.extra_grant_types.is_empty()
        && request.extra_grant_types.iter().all(|g| g == "client_credentials");
    if !machine_only && request.redirect_uris.is_empty() {
        return Err(ClientRuleError::NoRedirectUri.into());
    }
    for uri in request.redirect_uris.iter().chain(&request.post_logout_redirect_uris) {
        client::check_redirect_uri(uri)?;
    }
    let secret = (request.kind == ClientKind::Confidential).then(opaque::random_token);
    let mut grant_types = if machine_only { Vec::new() } else { client::default_grant_types(request.kind) };
    for grant in request.extra_grant_types {
        if !grant_types.contains(&grant) {
            grant_types.push(grant);
        }
    }
    let registered = Client {
        id: id.clone(),
        name: request.name.trim().to_string(),
        kind: request.kind,
        first_party: request.first_party,
        require_pkce: request.require_pkce || request.kind == ClientKind::Public,
        redirect_uris: request.redirect_uris,
        post_logout_redirect_uris: request.post_logout_redirect_uris,
        grant_types,
        scopes: request.scopes,
        id_token_alg: request.id_token_alg,
        backchannel_logout_uri: request.backchannel_logout_uri,
        secret_hash: secret.as_deref().map(opaque::hash),
    };
    let now = clock.now();
    let tx = store.begin().await.map_err(RegisterError::Store)?;
    store::clients::insert(tx.conn(), &registered, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => RegisterError::Taken(id.clone()),
        other => RegisterError::Store(other),
    })?;
    let event = actor.event("client.created", Some(id.clone())).with_details(serde_json::json!({
        "name": registered.name,
        "public": registered.kind == ClientKind::Public,
        "first_party": registered.first_party,
        "redirect_uris": registered.redirect_uris,
    }));
    store::audit::record(tx.conn(), &event, now).await.map_err(RegisterError::Store)?;
    tx.commit().await.map_err(RegisterError::Store)?;
    Ok(Registered { client: registered, secret })
}

/// Every client.
pub async fn list(store: &Store) -> Result<Vec<Client>, StoreError> {
    store::clients::list(store.conn()).await
}

/// One client.
pub async fn show(store: &Store, id: &str) -> Result<Option<Client>, StoreError> {
    store::clients::find(store.conn(), id).await
}

/// Removes a client with everything issued to it; audited as `client.removed`.
pub async fn remove(store: &Store, clock: &Clock, actor: &Actor, id: &str) -> Result<bool, StoreError> {
    let now = clock.now();
    let tx = store.begin().await?;
    let removed = store::clients::delete(tx.conn(), id).await?;
    if removed {
        store::audit::record(tx.conn(), &actor.event("client.removed", Some(id.to_string())), now).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

/// Gives a confidential client a new secret (returned once); audited.
pub async fn reset_secret(store: &Store, clock: &Clock, actor: &Actor, id: &str) -> Result<String, StoreError> {
    let secret = opaque::random_token();
    let now = clock.now();
    let tx = store.begin().await?;
    store::clients::set_secret_hash(tx.conn(), id, &opaque::hash(&secret), now).await?;
    store::audit::record(tx.conn(), &actor.event("client.secret_reset", Some(id.to_string())), now).await?;
    tx.commit().await?;
    Ok(secret)
}
