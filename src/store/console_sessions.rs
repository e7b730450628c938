//! Admin-console sessions and the sign-ins that lead to them. Both are named by a
//! cookie whose hash is the row's `token_hash`; a sign-in in progress has no
//! account yet.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::console_sessions as rows;

pub use rows::Model as ConsoleSessionRow;

/// Records a sign-in in progress, with the `state` and `nonce` its callback must
/// carry back.
pub async fn insert_pending(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    state: &str,
    nonce: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    rows::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(token_hash.to_string()),
        user_id: Set(None),
        session_id: Set(None),
        state: Set(Some(state.to_string())),
        nonce: Set(Some(nonce.to_string())),
        id_token: Set(None),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Takes (deletes and returns) the unexpired sign-in in progress named by
/// `token_hash`: a callback is good for one try only.
pub async fn take_pending(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<ConsoleSessionRow>, StoreError> {
    let Some(row) = rows::Entity::find()
        .filter(rows::Column::TokenHash.eq(token_hash))
        .filter(rows::Column::UserId.is_null())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    // Only the request that deletes the row may use it (two callbacks at once).
    let deleted = rows::Entity::delete_many().filter(rows::Column::Id.eq(row.id)).exec(conn).await?;
    Ok((deleted.rows_affected == 1 && row.expires_at > now).then_some(row))
}

/// Records a signed-in console session bound to the kuke-id session `session_id`.
pub async fn insert_session(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    user_id: Uuid,
    session_id: Uuid,
    id_token: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    rows::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(token_hash.to_string()),
        user_id: Set(Some(user_id)),
        session_id: Set(Some(session_id)),
        state: Set(None),
        nonce: Set(None),
        id_token: Set(Some(id_token.to_string())),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The unexpired, signed-in console session named by `token_hash`.
pub async fn find_session(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<ConsoleSessionRow>, StoreError> {
    Ok(rows::Entity::find()
        .filter(rows::Column::TokenHash.eq(token_hash))
        .filter(rows::Column::UserId.is_not_null())
        .filter(rows::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?)
}

/// Deletes the console session named by `token_hash`; returns it when there was one.
pub async fn delete(conn: &impl ConnectionTrait, token_hash: &str) -> Result<Option<ConsoleSessionRow>, StoreError> {
    let row = rows::Entity::find().filter(rows::Column::TokenHash.eq(token_hash)).one(conn).await?;
    if let Some(row) = &row {
        rows::Entity::delete_by_id(row.id).exec(conn).await?;
    }
    Ok(row)
}

/// Deletes every expired row (sessions and abandoned sign-ins); returns how many.
pub async fn delete_expired(conn: &impl ConnectionTrait, now: OffsetDateTime) -> Result<u64, StoreError> {
    Ok(rows::Entity::delete_many().filter(rows::Column::ExpiresAt.lte(now)).exec(conn).await?.rows_affected)
}
