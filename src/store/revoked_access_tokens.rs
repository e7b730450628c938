//! Revoked JWT access tokens, kept until they would have expired anyway
//! (`store::retention` then deletes them).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;

use super::StoreError;
use super::entities::revoked_access_tokens as revoked;

/// Adds a token id to the list (idempotent).
pub async fn insert(conn: &impl ConnectionTrait, jti: &str, expires_at: OffsetDateTime) -> Result<(), StoreError> {
    let row = revoked::ActiveModel { jti: Set(jti.to_string()), expires_at: Set(expires_at) };
    revoked::Entity::insert(row).on_conflict_do_nothing_on([revoked::Column::Jti]).exec(conn).await?;
    Ok(())
}

/// Whether a token id was revoked.
pub async fn contains(conn: &impl ConnectionTrait, jti: &str) -> Result<bool, StoreError> {
    Ok(revoked::Entity::find().filter(revoked::Column::Jti.eq(jti)).one(conn).await?.is_some())
}
