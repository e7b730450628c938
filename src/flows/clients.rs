//! Registering, changing, listing and removing relying parties, and rotating
//! their secrets (CLI and admin API). Every change is audited in its own
//! transaction and forgets the client in this node's [`ClientCache`], so the
//! token endpoint here sees it at once (other nodes within the cache's TTL).

use time::{Duration, OffsetDateTime};

use super::{Internal, admin_access};
use crate::domain::audit::Actor;
use crate::domain::client::{self, Client, ClientKind, ClientRuleError, PreviousSecret};
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::state::client_cache::ClientCache;
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
        && request.extra_grant_types.iter().all(|g| g == "client_credentials");
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

/// One page of clients by id, and the number of clients.
pub async fn page(store: &Store, offset: u64, limit: u64) -> Result<(Vec<Client>, u64), Internal> {
    Ok(store::clients::page(store.conn(), offset, limit).await?)
}

/// One client.
pub async fn show(store: &Store, id: &str) -> Result<Option<Client>, Internal> {
    Ok(store::clients::find(store.conn(), id).await?)
}

/// What an administrator changes on a registered client; `None` keeps a value.
/// The id, the kind and the grant types are fixed at registration.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Display name.
    pub name: Option<String>,
    /// Exact redirect URIs (replaces the list).
    pub redirect_uris: Option<Vec<String>>,
    /// Exact post-logout redirect URIs (replaces the list).
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Skips consent.
    pub first_party: Option<bool>,
    /// Whether S256 PKCE is required (public clients always need it).
    pub require_pkce: Option<bool>,
    /// ID-token algorithm.
    pub id_token_alg: Option<SigningAlg>,
    /// Extra scopes (replaces the list).
    pub scopes: Option<Vec<String>>,
    /// Back-channel logout endpoint; `Some(None)` removes it.
    pub backchannel_logout_uri: Option<Option<String>>,
}

impl Changes {
    /// Names of the fields being changed, for the audit trail.
    fn fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("redirect_uris", self.redirect_uris.is_some()),
            ("post_logout_redirect_uris", self.post_logout_redirect_uris.is_some()),
            ("first_party", self.first_party.is_some()),
            ("require_pkce", self.require_pkce.is_some()),
            ("id_token_alg", self.id_token_alg.is_some()),
            ("scopes", self.scopes.is_some()),
            ("backchannel_logout_uri", self.backchannel_logout_uri.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
    }
}

/// Changes a client under the same rules as registration; audited as `client.updated`.
pub async fn update(
    store: &Store,
    clock: &Clock,
    cache: &ClientCache,
    actor: &Actor,
    id: &str,
    changes: Changes,
) -> Result<Client, ClientError> {
    let now = clock.now();
    let tx = store.begin().await?;
    let mut client =
        store::clients::find_for_update(tx.conn(), id).await?.ok_or_else(|| ClientError::NotFound(id.into()))?;
    // A client with an admin scope is as strong as the scope: whoever may change its
    // redirect URIs or scopes could act with it.
    if !may_hold(actor, &client.scopes) || changes.scopes.as_ref().is_some_and(|scopes| !may_hold(actor, scopes)) {
        return Err(ClientError::Forbidden(ADMIN_CLIENT_NEEDS_ADMIN));
    }
    let fields = changes.fields();
    let pkce_changed = changes.require_pkce.is_some();
    if let Some(name) = changes.name {
        client::check_name(&name)?;
        client.name = name.trim().to_string();
    }
    if let Some(uris) = changes.redirect_uris {
        client.redirect_uris = uris;
    }
    if let Some(uris) = changes.post_logout_redirect_uris {
        client.post_logout_redirect_uris = uris;
    }
    if let Some(first_party) = changes.first_party {
        client.first_party = first_party;
    }
    if let Some(require_pkce) = changes.require_pkce {
        // A public client cannot prove itself any other way, so it keeps PKCE.
        client.require_pkce = require_pkce || client.kind == ClientKind::Public;
    }
    if let Some(alg) = changes.id_token_alg {
        client.id_token_alg = alg;
    }
    if let Some(scopes) = changes.scopes {
        client.scopes = scopes;
    }
    if let Some(uri) = changes.backchannel_logout_uri {
        if let Some(uri) = &uri {
            client::check_backchannel_logout_uri(uri)?;
        }
        client.backchannel_logout_uri = uri;
    }
    check_settings(&client.grant_types, &client.redirect_uris, &client.post_logout_redirect_uris, &client.scopes)?;
    store::clients::update(tx.conn(), &client, now).await?;
    let mut details = serde_json::json!({ "changed": fields });
    if pkce_changed {
        // A security setting, not personal data: the trail keeps its value, so
        // an opt-out of PKCE can be found later.
        details["require_pkce"] = serde_json::json!(client.require_pkce);
    }
    // Where tokens may be sent and what power the client holds are the values an
    // investigation needs (a redirect URI or an admin scope slipped in); none is
    // personal data, so the trail keeps the new values.
    for (field, value) in [
        ("redirect_uris", serde_json::json!(client.redirect_uris)),
        ("post_logout_redirect_uris", serde_json::json!(client.post_logout_redirect_uris)),
        ("scopes", serde_json::json!(client.scopes)),
        ("backchannel_logout_uri", serde_json::json!(client.backchannel_logout_uri)),
        ("first_party", serde_json::json!(client.first_party)),
    ] {
        if fields.contains(&field) {
            details[field] = value;
        }
    }
    let event = actor.event("client.updated", Some(id.to_string())).with_details(details);
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    cache.forget(id);
    Ok(client)
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

/// A new secret, shown once.
#[derive(Debug)]
pub struct Rotated {
    /// The plain new secret.
    pub secret: String,
    /// Until when the replaced secret is still accepted (`None`: not at all).
    pub previous_valid_until: Option<OffsetDateTime>,
}

/// Gives a confidential client a new secret; the one it replaces stays valid for
/// `grace` so the relying party can deploy the new one without an outage (zero:
/// refused at once). Only one previous secret is kept: rotating again within the
/// grace ends the older one. Audited as `client.secret_rotated`.
pub async fn rotate_secret(
    store: &Store,
    clock: &Clock,
    cache: &ClientCache,
    actor: &Actor,
    id: &str,
    grace: Duration,
) -> Result<Rotated, ClientError> {
    client::check_secret_grace(grace)?;
    let secret = opaque::random_token();
    let now = clock.now();
    let tx = store.begin().await?;
    // Locked: of two concurrent rotations the second sees the first's secret and
    // keeps it as the previous one, so no printed secret is silently dead.
    let client =
        store::clients::find_for_update(tx.conn(), id).await?.ok_or_else(|| ClientError::NotFound(id.into()))?;
    if client.kind == ClientKind::Public {
        return Err(ClientError::Public(id.into()));
    }
    if !may_hold(actor, &client.scopes) {
        return Err(ClientError::Forbidden(ADMIN_CLIENT_NEEDS_ADMIN));
    }
    let previous =
        client.secret_hash.filter(|_| grace.is_positive()).map(|hash| PreviousSecret { hash, expires_at: now + grace });
    store::clients::set_secrets(tx.conn(), id, &opaque::hash(&secret), previous.as_ref(), now).await?;
    let event = actor
        .event("client.secret_rotated", Some(id.to_string()))
        .with_details(serde_json::json!({ "grace_seconds": grace.whole_seconds() }));
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    cache.forget(id);
    Ok(Rotated { secret, previous_valid_until: previous.map(|p| p.expires_at) })
}
