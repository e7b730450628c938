//! Activation and password-reset links: only the SHA-256 of the token is stored;
//! a newer link voids the older ones; a link is spent once.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::activation_tokens as tokens;

pub use tokens::Model as TokenRow;

/// Stores a new link for `user_id`, voiding every earlier unused one.
pub async fn issue(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    token_hash: &str,
    purpose: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    tokens::Entity::update_many()
        .col_expr(tokens::Column::VoidedAt, Expr::value(now))
        .filter(tokens::Column::UserId.eq(user_id))
        .filter(tokens::Column::UsedAt.is_null())
        .filter(tokens::Column::VoidedAt.is_null())
        .exec(conn)
        .await?;
    tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        token_hash: Set(token_hash.to_string()),
        purpose: Set(purpose.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        voided_at: Set(None),
        reminder_sent_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The link with this hash, whatever its state.
pub async fn find(conn: &impl ConnectionTrait, token_hash: &str) -> Result<Option<TokenRow>, StoreError> {
    Ok(tokens::Entity::find().filter(tokens::Column::TokenHash.eq(token_hash)).one(conn).await?)
}

/// Spends a link atomically; false when it was used, voided or expired meanwhile.
pub async fn consume(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    let result = tokens::Entity::update_many()
        .col_expr(tokens::Column::UsedAt, Expr::value(now))
        .filter(tokens::Column::Id.eq(id))
        .filter(tokens::Column::UsedAt.is_null())
        .filter(tokens::Column::VoidedAt.is_null())
        .filter(tokens::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The newest link of an account, whatever its state.
pub async fn latest(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<TokenRow>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(tokens::Entity::find()
        .filter(tokens::Column::UserId.eq(user_id))
        .order_by_desc(tokens::Column::CreatedAt)
        .one(conn)
        .await?)
}

/// Voids every unused link of an account.
pub async fn void_all(conn: &impl ConnectionTrait, user_id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    tokens::Entity::update_many()
        .col_expr(tokens::Column::VoidedAt, Expr::value(now))
        .filter(tokens::Column::UserId.eq(user_id))
        .filter(tokens::Column::UsedAt.is_null())
        .filter(tokens::Column::VoidedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Unused activation links that end within `before` of `now` and were never
/// reminded; links issued with less lifetime than `before` are left alone.
pub async fn due_for_reminder(
    conn: &impl ConnectionTrait,
    now: OffsetDateTime,
    before: time::Duration,
    limit: u64,
) -> Result<Vec<TokenRow>, StoreError> {
    use sea_orm::{QueryOrder, QuerySelect};
    let rows = tokens::Entity::find()
        .filter(tokens::Column::Purpose.eq("activation"))
        .filter(tokens::Column::UsedAt.is_null())
        .filter(tokens::Column::VoidedAt.is_null())
        .filter(tokens::Column::ReminderSentAt.is_null())
        .filter(tokens::Column::ExpiresAt.gt(now))
        .filter(tokens::Column::ExpiresAt.lte(now + before))
        .order_by_asc(tokens::Column::ExpiresAt)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows.into_iter().filter(|row| row.expires_at - row.created_at > before).collect())
}

/// Marks a link reminded; false when another node did it first.
pub async fn claim_reminder(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    let result = tokens::Entity::update_many()
        .col_expr(tokens::Column::ReminderSentAt, Expr::value(now))
        .filter(tokens::Column::Id.eq(id))
        .filter(tokens::Column::ReminderSentAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The second link a reminder carries: same account, purpose and end as `original`,
/// itself already counted as reminded.
pub async fn add_reminder_link(
    conn: &impl ConnectionTrait,
    original: &TokenRow,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(original.user_id),
        token_hash: Set(token_hash.to_string()),
        purpose: Set(original.purpose.clone()),
        created_at: Set(now),
        expires_at: Set(original.expires_at),
        used_at: Set(None),
        voided_at: Set(None),
        reminder_sent_at: Set(Some(now)),
    }
    .insert(conn)
    .await?;
    Ok(())
}
