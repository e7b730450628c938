//! Recovery codes: only their SHA-256 is stored (they are random, ~59 bits, and
//! each guess takes an attempt slot); using one is a conditional statement, so a
//! code is accepted once however requests race.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::recovery_codes as codes;

/// Replaces every recovery code of an account with these hashes.
pub async fn replace(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    hashes: &[String],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    remove_all(conn, user_id).await?;
    if hashes.is_empty() {
        return Ok(());
    }
    let rows = hashes.iter().map(|hash| codes::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        code_hash: Set(hash.clone()),
        created_at: Set(now),
        used_at: Set(None),
    });
    codes::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

/// Spends the unused code of `user_id` whose hash is `hash`; false when there is none.
pub async fn spend(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    hash: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let result = codes::Entity::update_many()
        .col_expr(codes::Column::UsedAt, Expr::value(now))
        .filter(codes::Column::UserId.eq(user_id))
        .filter(codes::Column::CodeHash.eq(hash))
        .filter(codes::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// How many unused codes an account has.
pub async fn remaining(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, StoreError> {
    Ok(codes::Entity::find()
        .filter(codes::Column::UserId.eq(user_id))
        .filter(codes::Column::UsedAt.is_null())
        .count(conn)
        .await?)
}

/// Removes every recovery code of an account.
pub async fn remove_all(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<(), StoreError> {
    codes::Entity::delete_many().filter(codes::Column::UserId.eq(user_id)).exec(conn).await?;
    Ok(())
}
