//! Refresh tokens: hashed, rotated on every use, revoked as a family.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::refresh_tokens;

pub use refresh_tokens::Model as RefreshRow;

/// Stores a new refresh token of grant `grant_id`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    grant_id: Uuid,
    token_hash: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    refresh_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        grant_id: Set(grant_id),
        token_hash: Set(token_hash.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        rotated_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Result of presenting a refresh token.
pub enum Rotation {
    /// This call used it (it is now rotated).
    Used(RefreshRow),
    /// It had been used or revoked before: reuse.
    Reused(RefreshRow),
    /// No such token.
    Unknown,
}

/// Marks a token used, atomically (write first; see `authorization_codes::redeem`).
pub async fn rotate(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Rotation, StoreError> {
    // As with authorization codes: the conditional UPDATE returns the row, and
    // only a token that was not used is read again.
    let mut used = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(now))
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec_with_returning(conn)
        .await?;
    if let Some(row) = used.pop() {
        return Ok(Rotation::Used(row));
    }
    Ok(find_by_hash(conn, token_hash).await?.map_or(Rotation::Unknown, Rotation::Reused))
}

/// Looks a token up without using it (introspection, revocation).
pub async fn find_by_hash(conn: &impl ConnectionTrait, token_hash: &str) -> Result<Option<RefreshRow>, StoreError> {
    Ok(refresh_tokens::Entity::find().filter(refresh_tokens::Column::TokenHash.eq(token_hash)).one(conn).await?)
}
