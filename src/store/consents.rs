//! Consent per account and client.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::consents;

/// The scope an account consented to for a client, if any (and not revoked).
pub async fn find(conn: &impl ConnectionTrait, user_id: Uuid, client_id: &str) -> Result<Option<String>, StoreError> {
    let row = consents::Entity::find()
        .filter(consents::Column::UserId.eq(user_id))
        .filter(consents::Column::ClientId.eq(client_id))
        .one(conn)
        .await?;
    Ok(row.filter(|r| r.revoked_at.is_none()).map(|r| r.scope))
}

/// Records consent to `scope` (replacing an earlier one).
pub async fn upsert(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    client_id: &str,
    scope: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let existing = consents::Entity::find()
        .filter(consents::Column::UserId.eq(user_id))
        .filter(consents::Column::ClientId.eq(client_id))
        .one(conn)
        .await?;
    match existing {
        Some(row) => {
            let mut active: consents::ActiveModel = row.into();
            active.scope = Set(scope.to_string());
            active.updated_at = Set(now);
            active.revoked_at = Set(None);
            active.update(conn).await?;
        }
        None => {
            consents::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user_id),
                client_id: Set(client_id.to_string()),
                scope: Set(scope.to_string()),
                created_at: Set(now),
                updated_at: Set(now),
                revoked_at: Set(None),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

/// Revokes consent; returns whether there was one.
pub async fn revoke(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    client_id: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    use sea_orm::sea_query::Expr;
    let result = consents::Entity::update_many()
        .col_expr(consents::Column::RevokedAt, Expr::value(now))
        .filter(consents::Column::UserId.eq(user_id))
        .filter(consents::Column::ClientId.eq(client_id))
        .filter(consents::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The standing (not revoked) consents of an account, oldest first.
pub async fn for_user(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<consents::Model>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(consents::Entity::find()
        .filter(consents::Column::UserId.eq(user_id))
        .filter(consents::Column::RevokedAt.is_null())
        .order_by_asc(consents::Column::CreatedAt)
        .all(conn)
        .await?)
}
