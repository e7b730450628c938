//! Client rows ↔ [`Client`]. Every write announces the change to every node
//! (see [`super::changes`]), so no node keeps serving a stale registration.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect, Set};
use time::OffsetDateTime;

use super::entities::clients;
use super::{StoreError, from_json_list, to_json_list};
use crate::domain::change::Change;
use crate::domain::client::{Client, ClientKind, PreviousSecret};

/// Inserts a new client; a taken id is [`StoreError::Conflict`].
pub async fn insert(conn: &impl ConnectionTrait, client: &Client, now: OffsetDateTime) -> Result<(), StoreError> {
    clients::ActiveModel {
        id: Set(client.id.clone()),
        name: Set(client.name.clone()),
        secret_hash: Set(client.secret_hash.clone()),
        previous_secret_hash: Set(client.previous_secret.as_ref().map(|p| p.hash.clone())),
        previous_secret_expires_at: Set(client.previous_secret.as_ref().map(|p| p.expires_at)),
        public: Set(client.kind == ClientKind::Public),
        first_party: Set(client.first_party),
        require_pkce: Set(client.require_pkce),
        redirect_uris: Set(to_json_list(&client.redirect_uris)),
        post_logout_redirect_uris: Set(to_json_list(&client.post_logout_redirect_uris)),
        grant_types: Set(to_json_list(&client.grant_types)),
        scopes: Set(to_json_list(&client.scopes)),
        id_token_signed_response_alg: Set(client.id_token_alg.as_str().to_string()),
        backchannel_logout_uri: Set(client.backchannel_logout_uri.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    super::changes::announce(conn, &Change::Client(client.id.clone())).await
}

/// Writes the settings an administrator may change (not the id, kind, grant
/// types or secrets); a missing client is [`StoreError::NotFound`].
pub async fn update(conn: &impl ConnectionTrait, client: &Client, now: OffsetDateTime) -> Result<(), StoreError> {
    let row = clients::Entity::find_by_id(client.id.clone()).one(conn).await?.ok_or(StoreError::NotFound)?;
    let mut active: clients::ActiveModel = row.into();
    active.name = Set(client.name.clone());
    active.first_party = Set(client.first_party);
    active.require_pkce = Set(client.require_pkce);
    active.redirect_uris = Set(to_json_list(&client.redirect_uris));
    active.post_logout_redirect_uris = Set(to_json_list(&client.post_logout_redirect_uris));
    active.scopes = Set(to_json_list(&client.scopes));
    active.id_token_signed_response_alg = Set(client.id_token_alg.as_str().to_string());
    active.backchannel_logout_uri = Set(client.backchannel_logout_uri.clone());
    active.updated_at = Set(now);
    active.update(conn).await?;
    super::changes::announce(conn, &Change::Client(client.id.clone())).await
}

/// Replaces the secret hash of a client, forgetting any previous secret.
pub async fn set_secret_hash(
    conn: &impl ConnectionTrait,
    id: &str,
    secret_hash: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    set_secrets(conn, id, secret_hash, None, now).await
}

/// Replaces the secret hash of a client and keeps `previous` (the old hash and
/// the end of its grace), or no previous secret when `None`.
pub async fn set_secrets(
    conn: &impl ConnectionTrait,
    id: &str,
    secret_hash: &str,
    previous: Option<&PreviousSecret>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let row = clients::Entity::find_by_id(id.to_string()).one(conn).await?.ok_or(StoreError::NotFound)?;
    let mut active: clients::ActiveModel = row.into();
    active.secret_hash = Set(Some(secret_hash.to_string()));
    active.previous_secret_hash = Set(previous.map(|p| p.hash.clone()));
    active.previous_secret_expires_at = Set(previous.map(|p| p.expires_at));
    active.updated_at = Set(now);
    active.update(conn).await?;
    super::changes::announce(conn, &Change::Client(id.to_string())).await
}

/// Finds a client by its `client_id`.
pub async fn find(conn: &impl ConnectionTrait, id: &str) -> Result<Option<Client>, StoreError> {
    clients::Entity::find_by_id(id.to_string()).one(conn).await?.map(to_domain).transpose()
}

/// [`find`], locking the row until the transaction ends (PostgreSQL; SQLite's
/// write transactions are serialised anyway), so that two concurrent changes of
/// one client happen one after the other instead of one overwriting the other.
pub async fn find_for_update(conn: &impl ConnectionTrait, id: &str) -> Result<Option<Client>, StoreError> {
    use sea_orm::QuerySelect;
    clients::Entity::find_by_id(id.to_string()).lock_exclusive().one(conn).await?.map(to_domain).transpose()
}

/// Every client, by id.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<Client>, StoreError> {
    let rows = clients::Entity::find().order_by_asc(clients::Column::Id).all(conn).await?;
    rows.into_iter().map(to_domain).collect()
}

/// One page of clients by id (`offset`, at most `limit`), and how many there are in all.
pub async fn page(conn: &impl ConnectionTrait, offset: u64, limit: u64) -> Result<(Vec<Client>, u64), StoreError> {
    let total = clients::Entity::find().count(conn).await?;
    let rows = clients::Entity::find().order_by_asc(clients::Column::Id).offset(offset).limit(limit).all(conn).await?;
    Ok((rows.into_iter().map(to_domain).collect::<Result<_, _>>()?, total))
}

/// Deletes a client and, by cascade, its codes, grants and tokens.
pub async fn delete(conn: &impl ConnectionTrait, id: &str) -> Result<bool, StoreError> {
    let result = clients::Entity::delete_by_id(id.to_string()).exec(conn).await?;
    if result.rows_affected > 0 {
        super::changes::announce(conn, &Change::Client(id.to_string())).await?;
    }
    Ok(result.rows_affected > 0)
}

fn to_domain(row: clients::Model) -> Result<Client, StoreError> {
    let previous_secret = match (row.previous_secret_hash, row.previous_secret_expires_at) {
        (Some(hash), Some(expires_at)) => Some(PreviousSecret { hash, expires_at }),
        _ => None,
    };
    Ok(Client {
        id: row.id,
        name: row.name,
        kind: if row.public { ClientKind::Public } else { ClientKind::Confidential },
        first_party: row.first_party,
        require_pkce: row.require_pkce,
        redirect_uris: from_json_list(&row.redirect_uris)?,
        post_logout_redirect_uris: from_json_list(&row.post_logout_redirect_uris)?,
        grant_types: from_json_list(&row.grant_types)?,
        scopes: from_json_list(&row.scopes)?,
        id_token_alg: row
            .id_token_signed_response_alg
            .parse()
            .map_err(|e: crate::domain::signing_alg::UnknownAlg| StoreError::Corrupt(e.to_string()))?,
        backchannel_logout_uri: row.backchannel_logout_uri,
        secret_hash: row.secret_hash,
        previous_secret,
    })
}

/// When each client was registered, by id (the console's list shows it).
pub async fn created_times(conn: &impl ConnectionTrait) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
    let rows = clients::Entity::find().order_by_asc(clients::Column::Id).all(conn).await?;
    Ok(rows.into_iter().map(|row| (row.id, row.created_at)).collect())
}
