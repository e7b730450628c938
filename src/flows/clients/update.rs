//! Changing a registered client under the rules of its registration.

use super::{ADMIN_CLIENT_NEEDS_ADMIN, ClientError, check_settings, may_hold};
use crate::domain::audit::Actor;
use crate::domain::client::{self, Client, ClientKind};
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::state::client_cache::ClientCache;
use crate::store::{self, Store};

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
