//! Demo mode: what a newcomer needs to try kuke-id on an empty directory.

use super::Internal;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::client::{Client, ClientKind};
use crate::domain::clock::Clock;
use crate::domain::endpoints;
use crate::domain::login_number;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::user::Status;
use crate::state::AppState;
use crate::store::{self, Store, StoreError};
use crate::tokens::opaque;

/// `client_id` of the demo relying party.
pub const DEMO_CLIENT_ID: &str = "demo";
/// Ekstranet id of the demo account.
pub const DEMO_LEGACY_ID: &str = "demo-0001";

/// What demo mode set up, to print on start.
#[derive(Debug)]
pub struct DemoSetup {
    /// The demo client's id.
    pub client_id: String,
    /// A fresh secret of the demo client (only its hash is stored).
    pub client_secret: String,
    /// Redirect URI registered for the demo client.
    pub redirect_uri: String,
    /// Login number of the demo account.
    pub login: String,
    /// E-mail address of the demo account.
    pub email: String,
    /// The demo account has a password already (activated on an earlier run).
    pub active: bool,
}

/// The scopes beyond OpenID's own that the demo relying party asks for, so that
/// its page shows the organisation and role claims.
fn demo_scopes() -> Vec<String> {
    vec!["organization".into(), "role".into()]
}

/// Creates (once) the demo client, organisation and imported account, and gives
/// the demo client a new secret on every start, since only its hash is kept.
pub async fn ensure(store: &Store, clock: &Clock, issuer: &str) -> Result<DemoSetup, StoreError> {
    let now = clock.now();
    let redirect_uri = endpoints::url(issuer, endpoints::DEMO_CALLBACK);
    let secret = opaque::random_token();
    let tx = store.begin().await?;
    if let Some(mut client) = store::clients::find_for_update(tx.conn(), DEMO_CLIENT_ID).await? {
        // The issuer may have moved (another port, another host) since the last
        // start: the demo's own addresses and scopes follow it, or sign-in would
        // end on "the return address is invalid".
        let wanted = (vec![redirect_uri.clone()], vec![endpoints::url(issuer, endpoints::DEMO)], demo_scopes());
        if (client.redirect_uris.clone(), client.post_logout_redirect_uris.clone(), client.scopes.clone()) != wanted {
            (client.redirect_uris, client.post_logout_redirect_uris, client.scopes) = wanted;
            store::clients::update(tx.conn(), &client, now).await?;
            let event = AuditEvent::new("demo", "client.updated", Some(DEMO_CLIENT_ID.into()));
            store::audit::record(tx.conn(), &event, now).await?;
        }
        store::clients::set_secret_hash(tx.conn(), DEMO_CLIENT_ID, &opaque::hash(&secret), now).await?;
    } else {
        let client = Client {
            id: DEMO_CLIENT_ID.into(),
            name: "Demo – Portal Klienta".into(),
            kind: ClientKind::Confidential,
            first_party: true,
            require_pkce: true,
            redirect_uris: vec![redirect_uri.clone()],
            post_logout_redirect_uris: vec![endpoints::url(issuer, endpoints::DEMO)],
            grant_types: crate::domain::client::default_grant_types(ClientKind::Confidential),
            scopes: demo_scopes(),
            id_token_alg: SigningAlg::Rs256,
            backchannel_logout_uri: None,
            secret_hash: Some(opaque::hash(&secret)),
            previous_secret: None,
        };
        store::clients::insert(tx.conn(), &client, now).await?;
        store::audit::record(tx.conn(), &AuditEvent::new("demo", "client.created", Some(DEMO_CLIENT_ID.into())), now)
            .await?;
    }
    let email = "jan.kowalski@example.com".to_string();
    let (login, active) = match store::users::find_by_legacy_id(tx.conn(), DEMO_LEGACY_ID).await? {
        Some((id, login)) => {
            let active = store::users::find(tx.conn(), id).await?.is_some_and(|user| user.status == Status::Active);
            (login, active)
        }
        None => {
            let organization =
                store::organizations::upsert_by_external_id(tx.conn(), "demo-org", "Demo Sp. z o.o.", now).await?;
            let mut login = login_number::random();
            while store::users::login_exists(tx.conn(), &login).await? {
                login = login_number::random();
            }
            let user = store::users::NewUser {
                legacy_id: Some(DEMO_LEGACY_ID.into()),
                login: login.clone(),
                email: email.clone(),
                given_name: "Jan".into(),
                family_name: "Kowalski".into(),
                organization_id: Some(organization),
                role: crate::domain::user::Role::Administrator,
            };
            let id = store::users::insert(tx.conn(), &user, now).await?;
            let mut event = AuditEvent::new("demo", "user.imported", Some(DEMO_LEGACY_ID.into()));
            event.subject_user_id = Some(id);
            store::audit::record(tx.conn(), &event, now).await?;
            (login, false)
        }
    };
    tx.commit().await?;
    if store::terms::current(store.conn(), now).await?.is_none() {
        let body = "To jest przykładowy regulamin trybu demonstracyjnego kuke-id.\n\nKorzystając z Portalu Klienta, akceptujesz zasady przetwarzania danych opisane przez KUKE.";
        let body_en = "These are the sample terms of kuke-id's demo mode.\n\nBy using the Client Portal you accept the data processing rules described by KUKE.";
        let terms = store::terms::NewTerms {
            version: "demo-1",
            title: "Regulamin Portalu Klienta (demo)",
            body,
            body_en: Some(body_en),
            effective_at: now,
        };
        store::terms::publish(store.conn(), terms, now).await?;
    }
    Ok(DemoSetup { client_id: DEMO_CLIENT_ID.into(), client_secret: secret, redirect_uri, login, email, active })
}

/// Sends the demo account its activation link while it is still only imported
/// (on every start, so a newcomer finds a fresh link in the mailbox).
pub async fn invite_if_imported(state: &AppState) -> Result<(), Internal> {
    let Some((id, _)) = store::users::find_by_legacy_id(state.store.conn(), DEMO_LEGACY_ID).await? else {
        return Ok(());
    };
    let imported =
        store::users::find(state.store.conn(), id).await?.is_some_and(|user| user.status == Status::Imported);
    if imported {
        super::journey::invite::send_activation(state, id, &Actor::named("demo")).await?;
    }
    Ok(())
}

/// The demo account's login, address and whether it is active yet.
pub async fn account(state: &AppState) -> Result<Option<(String, String, bool)>, Internal> {
    let Some((id, _)) = store::users::find_by_legacy_id(state.store.conn(), DEMO_LEGACY_ID).await? else {
        return Ok(None);
    };
    let user = store::users::find(state.store.conn(), id).await?;
    Ok(user.map(|user| (user.login, user.email, user.status == Status::Active)))
}
