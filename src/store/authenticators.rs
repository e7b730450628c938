//! Authenticator apps: one confirmed row per account at most, plus the setup in
//! progress (a row not yet confirmed). The last accepted time step changes only
//! in a conditional statement, so a code is accepted once however requests race.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::authenticators as auth;

pub use auth::Model as AuthenticatorRow;

/// The confirmed authenticator of an account.
pub async fn active(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<AuthenticatorRow>, StoreError> {
    Ok(auth::Entity::find()
        .filter(auth::Column::UserId.eq(user_id))
        .filter(auth::Column::ConfirmedAt.is_not_null())
        .order_by_desc(auth::Column::ConfirmedAt)
        .one(conn)
        .await?)
}

/// The setup in progress of an account (the newest unconfirmed row).
pub async fn pending(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<AuthenticatorRow>, StoreError> {
    Ok(auth::Entity::find()
        .filter(auth::Column::UserId.eq(user_id))
        .filter(auth::Column::ConfirmedAt.is_null())
        .order_by_desc(auth::Column::CreatedAt)
        .one(conn)
        .await?)
}

/// Starts a setup with a sealed secret; an earlier setup in progress is dropped.
pub async fn start_setup(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    sealed_secret: Vec<u8>,
    now: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    auth::Entity::delete_many()
        .filter(auth::Column::UserId.eq(user_id))
        .filter(auth::Column::ConfirmedAt.is_null())
        .exec(conn)
        .await?;
    let id = Uuid::now_v7();
    auth::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        sealed_secret: Set(sealed_secret),
        last_step: Set(None),
        created_at: Set(now),
        confirmed_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Confirms the setup `id` with the step its first code matched; the account's
/// previous authenticator (if replaced) goes. False when the setup is gone or
/// confirmed already. Call in one transaction.
pub async fn confirm(
    conn: &impl ConnectionTrait,
    id: Uuid,
    user_id: Uuid,
    step: i64,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let confirmed = auth::Entity::update_many()
        .col_expr(auth::Column::ConfirmedAt, Expr::value(now))
        .col_expr(auth::Column::LastStep, Expr::value(step))
        .filter(auth::Column::Id.eq(id))
        .filter(auth::Column::UserId.eq(user_id))
        .filter(auth::Column::ConfirmedAt.is_null())
        .exec(conn)
        .await?;
    if confirmed.rows_affected != 1 {
        return Ok(false);
    }
    auth::Entity::delete_many()
        .filter(auth::Column::UserId.eq(user_id))
        .filter(auth::Column::Id.ne(id))
        .exec(conn)
        .await?;
    Ok(true)
}

/// Records `step` as accepted for authenticator `id` if it is newer than every
/// step accepted before: one conditional statement, so of racing requests with
/// the same code exactly one wins. False when the step was not newer.
pub async fn accept_step(conn: &impl ConnectionTrait, id: Uuid, step: i64) -> Result<bool, StoreError> {
    let result = auth::Entity::update_many()
        .col_expr(auth::Column::LastStep, Expr::value(step))
        .filter(auth::Column::Id.eq(id))
        .filter(auth::Column::ConfirmedAt.is_not_null())
        .filter(sea_orm::Condition::any().add(auth::Column::LastStep.is_null()).add(auth::Column::LastStep.lt(step)))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Removes every authenticator of an account (confirmed or in setup); returns
/// whether a confirmed one was among them.
pub async fn remove_all(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<bool, StoreError> {
    let had = active(conn, user_id).await?.is_some();
    auth::Entity::delete_many().filter(auth::Column::UserId.eq(user_id)).exec(conn).await?;
    Ok(had)
}
