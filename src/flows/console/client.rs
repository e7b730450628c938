//! The console's own client registration: a public, first-party client with
//! PKCE, registered (or brought up to date) on every start, since its addresses
//! follow the issuer.

use crate::domain::audit::AuditEvent;
use crate::domain::client::{Client, ClientKind};
use crate::domain::clock::Clock;
use crate::domain::endpoints;
use crate::domain::signing_alg::SigningAlg;
use crate::store::{self, Store, StoreError};

/// `client_id` of the admin console.
pub const CONSOLE_CLIENT_ID: &str = "kuke-id-console";

/// The console's client as it must be registered for `issuer`.
fn wanted(issuer: &str) -> Client {
    Client {
        id: CONSOLE_CLIENT_ID.into(),
        name: "kuke-id – konsola administracyjna".into(),
        // No secret to keep: the code is redeemed in-process, bound by PKCE.
        kind: ClientKind::Public,
        first_party: true,
        require_pkce: true,
        redirect_uris: vec![endpoints::url(issuer, endpoints::CONSOLE_CALLBACK)],
        post_logout_redirect_uris: vec![endpoints::url(issuer, endpoints::CONSOLE_SIGNED_OUT)],
        grant_types: vec!["authorization_code".into()],
        scopes: vec![],
        id_token_alg: SigningAlg::Rs256,
        backchannel_logout_uri: None,
        secret_hash: None,
        previous_secret: None,
    }
}

/// Registers the console client, or corrects its addresses when the issuer moved.
/// Several nodes starting at once may race: a lost insert is no error.
pub async fn ensure(store: &Store, clock: &Clock, issuer: &str) -> Result<(), StoreError> {
    let now = clock.now();
    let wanted = wanted(issuer);
    let tx = store.begin().await?;
    let action = match store::clients::find_for_update(tx.conn(), CONSOLE_CLIENT_ID).await? {
        Some(client)
            if client.redirect_uris == wanted.redirect_uris
                && client.post_logout_redirect_uris == wanted.post_logout_redirect_uris =>
        {
            return Ok(());
        }
        Some(_) => {
            store::clients::update(tx.conn(), &wanted, now).await?;
            "client.updated"
        }
        None => match store::clients::insert(tx.conn(), &wanted, now).await {
            Ok(_) => "client.created",
            Err(StoreError::Conflict(_)) => return Ok(()),
            Err(other) => return Err(other),
        },
    };
    store::audit::record(tx.conn(), &AuditEvent::new("system", action, Some(CONSOLE_CLIENT_ID.into())), now).await?;
    tx.commit().await
}
