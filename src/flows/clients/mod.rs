//! Registering, changing, listing and removing relying parties, and rotating
//! their secrets (CLI and admin API). Every change is audited in its own
//! transaction and forgets the client in this node's [`ClientCache`], so the
//! token endpoint here sees it at once (other nodes within the cache's TTL).

mod secret;
mod update;

use super::{Internal, admin_access};
use crate::domain::audit::Actor;
use crate::domain::client::{self, Client, ClientKind, ClientRuleError};
use crate::domain::clock::Clock;
use crate::domain::oauth::grant_type::GrantType;
use crate::domain::signing_alg::SigningAlg;
use crate::state::client_cache::ClientCache;
use crate::store::{self, Store, StoreError};
use crate::tokens::opaque;

pub use secret::{Rotated, rotate_secret};
pub use update::{Changes, update};

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
    /// S256 PKCE on every authorization request. Callers default it to true
    /// (RFC 9700 §2.1.1); false is the explicit opt-out of a legacy confidential
    /// relying party. A public client needs PKCE whatever this says.
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
    /// The caller may not give a client this power.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Storage failed.
    #[error("{}", .0.0)]
    Store(Internal),
}

impl From<StoreError> for RegisterError {
    fn from(error: StoreError) -> Self {
        Self::Store(Internal(error))
    }
}

/// Why a change to a registered client failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A rule of [`client`] refused it.
    #[error(transparent)]
    Rule(#[from] ClientRuleError),
    /// No client has that id.
    #[error("no client with id '{0}'")]
    NotFound(String),
    /// The client is public: it has no secret to rotate.
    #[error("client '{0}' is public and has no secret")]
    Public(String),
    /// The caller may not change a client this powerful.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Storage failed.
    #[error("{}", .0.0)]
    Store(#[from] Internal),
}

impl From<StoreError> for ClientError {
    fn from(error: StoreError) -> Self {
        Self::Store(Internal(error))
    }
}

/// A registered client and, for a confidential one, its secret — shown once, never stored.
pub struct Registered {
    /// The stored client.
    pub client: Client,
    /// The plain secret.
    pub secret: Option<String>,
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered").field("client", &self.client).finish_non_exhaustive()
    }
}

/// Registers a client; audited as `client.created`.
pub async fn register(
    store: &Store,
    clock: &Clock,
    actor: &Actor,
    request: Registration,
) -> Result<Registered, RegisterError> {
    if !may_hold(actor, &request.scopes) {
        return Err(RegisterError::Forbidden(ADMIN_CLIENT_NEEDS_ADMIN));
    }
    let id = request.id.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    client::check_id(&id)?;
    client::check_name(&request.name)?;
    client::check_extra_grant_types(request.kind, &request.extra_grant_types)?;
    // A client that only asks for client_credentials is a machine: it never sees a browser.
    let machine_only = request.redirect_uris.is_empty()
        && !request.extra_grant_types.is_empty()
        && request.extra_grant_types.iter().all(|g| GrantType::parse(g) == Some(GrantType::ClientCredentials));
    let mut grant_types = if machine_only { Vec::new() } else { client::default_grant_types(request.kind) };
    for grant in request.extra_grant_types {
        if !grant_types.contains(&grant) {
            grant_types.push(grant);
        }
    }
    check_settings(&grant_types, &request.redirect_uris, &request.post_logout_redirect_uris, &request.scopes)?;
    if let Some(uri) = &request.backchannel_logout_uri {
        client::check_backchannel_logout_uri(uri)?;
    }
    let secret = (request.kind == ClientKind::Confidential).then(opaque::random_token);
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
        previous_secret: None,
    };
    let now = clock.now();
    let tx = store.begin().await?;
    store::clients::insert(tx.conn(), &registered, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => RegisterError::Taken(id.clone()),
        other => other.into(),
    })?;
    let event = actor.event("client.created", Some(id.clone())).with_details(serde_json::json!({
        "name": registered.name,
        "public": registered.kind == ClientKind::Public,
        "first_party": registered.first_party,
        "require_pkce": registered.require_pkce,
        "redirect_uris": registered.redirect_uris,
    }));
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    Ok(Registered { client: registered, secret })
}

/// What a refused caller is told.
const ADMIN_CLIENT_NEEDS_ADMIN: &str =
    "only a caller with the admin scope may create, change or rotate the secret of a client with admin scopes";

/// Whether `actor` may put `scopes` on a client (or change a client that has
/// them). A caller may never hand out power it does not hold, and a narrower admin
/// scope is never the whole of `admin`: so any admin scope on a client takes full
/// `admin`, else `admin:clients` could mint (or take over) an `admin` client.
fn may_hold(actor: &Actor, scopes: &[String]) -> bool {
    actor.is_full_admin() || !admin_access::any_admin_scope(scopes)
}

/// The rules registration and every later change share.
fn check_settings(
    grant_types: &[String],
    redirect_uris: &[String],
    post_logout_redirect_uris: &[String],
    scopes: &[String],
) -> Result<(), ClientRuleError> {
    client::check_redirects(grant_types, redirect_uris, post_logout_redirect_uris)?;
    scopes.iter().try_for_each(|scope| client::check_scope(scope))
}

/// Every client.
pub async fn list(store: &Store) -> Result<Vec<Client>, Internal> {
    Ok(store::clients::list(store.conn()).await?)
}

/// When each client was registered, by client id (the console's list shows it).
pub async fn created_times(store: &Store) -> Result<Vec<(String, time::OffsetDateTime)>, Internal> {
    Ok(store::clients::created_times(store.conn()).await?)
}

/// One page of clients by id, and the number of clients.
pub async fn page(store: &Store, offset: u64, limit: u64) -> Result<(Vec<Client>, u64), Internal> {
    Ok(store::clients::page(store.conn(), offset, limit).await?)
}

/// One client.
pub async fn show(store: &Store, id: &str) -> Result<Option<Client>, Internal> {
    Ok(store::clients::find(store.conn(), id).await?)
}

/// Removes a client with everything issued to it; audited as `client.removed`.
pub async fn remove(
    store: &Store,
    clock: &Clock,
    cache: &ClientCache,
    actor: &Actor,
    id: &str,
) -> Result<bool, Internal> {
    let now = clock.now();
    let tx = store.begin().await?;
    let removed = store::clients::delete(tx.conn(), id).await?;
    if removed {
        store::audit::record(tx.conn(), &actor.event("client.removed", Some(id.to_string())), now).await?;
    }
    tx.commit().await?;
    cache.forget(id);
    Ok(removed)
}
