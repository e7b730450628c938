//! Revoked JWT access tokens, kept until they would have expired anyway.

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

/// Forgets entries whose tokens have expired.
///
/// Not called yet: the retention sweep of the several-nodes work (issue 15) runs
/// it with the other purges. Until then the table grows by one row per revoked
/// access token, each useless once its token has expired.
pub async fn purge_expired(conn: &impl ConnectionTrait, now: OffsetDateTime) -> Result<u64, StoreError> {
    Ok(revoked::Entity::delete_many().filter(revoked::Column::ExpiresAt.lt(now)).exec(conn).await?.rows_affected)
}
