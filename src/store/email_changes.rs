//! E-mail changes waiting for the new address to confirm them.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::email_changes as changes;

pub use changes::Model as EmailChangeRow;

/// Records a pending change; earlier pending changes of the account become void.
pub async fn request(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    new_email: &str,
    token_hash: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    void_pending(conn, user_id, now).await?;
    changes::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        new_email: Set(new_email.to_string()),
        token_hash: Set(token_hash.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        confirmed_at: Set(None),
        voided_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Voids every pending change of an account.
pub async fn void_pending(conn: &impl ConnectionTrait, user_id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    changes::Entity::update_many()
        .col_expr(changes::Column::VoidedAt, Expr::value(now))
        .filter(changes::Column::UserId.eq(user_id))
        .filter(changes::Column::ConfirmedAt.is_null())
        .filter(changes::Column::VoidedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Spends the pending change named by a token hash, in one conditional statement:
/// `None` when it is unknown, used, void or expired.
pub async fn confirm(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<EmailChangeRow>, StoreError> {
    let rows = changes::Entity::update_many()
        .col_expr(changes::Column::ConfirmedAt, Expr::value(now))
        .filter(changes::Column::TokenHash.eq(token_hash))
        .filter(changes::Column::ConfirmedAt.is_null())
        .filter(changes::Column::VoidedAt.is_null())
        .filter(changes::Column::ExpiresAt.gt(now))
        .exec_with_returning(conn)
        .await?;
    Ok(rows.into_iter().next())
}

/// The pending (unconfirmed, unexpired) new address of an account.
pub async fn pending(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<String>, StoreError> {
    let row = changes::Entity::find()
        .filter(changes::Column::UserId.eq(user_id))
        .filter(changes::Column::ConfirmedAt.is_null())
        .filter(changes::Column::VoidedAt.is_null())
        .filter(changes::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?;
    Ok(row.map(|r| r.new_email))
}

/// Forgets every address change of an account (it is being deleted: the new
/// addresses are personal data too).
pub async fn erase_for_user(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<(), StoreError> {
    changes::Entity::delete_many().filter(changes::Column::UserId.eq(user_id)).exec(conn).await?;
    Ok(())
}
