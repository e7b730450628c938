//! Authorization requests waiting for sign-in or consent. The browser carries a
//! random handle; only its hash is stored.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::authorization_requests;

/// A stored request.
#[derive(Debug, Clone)]
pub struct StoredRequest {
    /// Row id.
    pub id: Uuid,
    /// The client.
    pub client_id: String,
    /// The validated parameters, as JSON.
    pub parameters: String,
    /// When the request arrived.
    pub created_at: OffsetDateTime,
    /// When it stops being usable.
    pub expires_at: OffsetDateTime,
    /// Finished (code issued or error returned).
    pub completed_at: Option<OffsetDateTime>,
}

/// Stores a request under the hash of its handle.
pub async fn insert(
    conn: &impl ConnectionTrait,
    handle_hash: &str,
    client_id: &str,
    parameters: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    authorization_requests::ActiveModel {
        id: Set(id),
        handle_hash: Set(handle_hash.to_string()),
        client_id: Set(client_id.to_string()),
        parameters: Set(parameters.to_string()),
        user_id: Set(None),
        created_at: Set(now),
        expires_at: Set(expires_at),
        completed_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Finds a request by the hash of its handle.
pub async fn find_by_handle_hash(
    conn: &impl ConnectionTrait,
    handle_hash: &str,
) -> Result<Option<StoredRequest>, StoreError> {
    let row = authorization_requests::Entity::find()
        .filter(authorization_requests::Column::HandleHash.eq(handle_hash))
        .one(conn)
        .await?;
    Ok(row.map(stored))
}

/// Finds a request by id.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<StoredRequest>, StoreError> {
    let row = authorization_requests::Entity::find_by_id(id).one(conn).await?;
    Ok(row.map(stored))
}

fn stored(r: authorization_requests::Model) -> StoredRequest {
    StoredRequest {
        id: r.id,
        client_id: r.client_id,
        parameters: r.parameters,
        created_at: r.created_at,
        expires_at: r.expires_at,
        completed_at: r.completed_at,
    }
}

/// Replaces the parameters (e.g. to record that consent was given).
pub async fn update_parameters(conn: &impl ConnectionTrait, id: Uuid, parameters: &str) -> Result<(), StoreError> {
    authorization_requests::Entity::update_many()
        .col_expr(authorization_requests::Column::Parameters, Expr::value(parameters))
        .filter(authorization_requests::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Gives the request a new handle (only its hash is stored).
pub async fn set_handle_hash(conn: &impl ConnectionTrait, id: Uuid, handle_hash: &str) -> Result<(), StoreError> {
    authorization_requests::Entity::update_many()
        .col_expr(authorization_requests::Column::HandleHash, Expr::value(handle_hash))
        .filter(authorization_requests::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Marks the request finished; false when another request already finished it.
pub async fn complete(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    let result = authorization_requests::Entity::update_many()
        .col_expr(authorization_requests::Column::CompletedAt, Expr::value(now))
        .filter(authorization_requests::Column::Id.eq(id))
        .filter(authorization_requests::Column::CompletedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
