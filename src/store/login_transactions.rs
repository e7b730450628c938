//! Sign-ins in progress: the password was right, the e-mailed code is awaited
//! (then, on a first sign-in, the terms).

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::login_transactions as tx;
use crate::domain::journey::JourneyStep;

pub use tx::Model as LoginRow;

/// A transaction to create, with its first code.
pub struct NewLogin<'a> {
    /// The first step (the e-mailed code).
    pub step: JourneyStep,
    /// SHA-256 of the browser's handle (cookie).
    pub handle_hash: &'a str,
    /// The account.
    pub user_id: Uuid,
    /// The parked authorization request, if the user came from a relying party.
    pub authorization_request_id: Option<Uuid>,
    /// SHA-256 of the e-mailed code; `None` when the code comes from the
    /// account's authenticator app (none is mailed unless asked for).
    pub code_hash: Option<&'a str>,
    /// Code expiry (of the mailed code).
    pub code_expires_at: Option<OffsetDateTime>,
    /// Transaction expiry.
    pub expires_at: OffsetDateTime,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

/// Creates a transaction at its first step.
pub async fn insert(conn: &impl ConnectionTrait, new: NewLogin<'_>, now: OffsetDateTime) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    tx::ActiveModel {
        id: Set(id),
        handle_hash: Set(new.handle_hash.to_string()),
        user_id: Set(new.user_id),
        authorization_request_id: Set(new.authorization_request_id),
        step: Set(new.step.as_str().into()),
        code_hash: Set(new.code_hash.map(str::to_string)),
        code_expires_at: Set(new.code_expires_at),
        code_attempts: Set(0),
        codes_sent: Set(i32::from(new.code_hash.is_some())),
        code_sent_at: Set(new.code_hash.map(|_| now)),
        ip: Set(new.ip),
        user_agent: Set(new.user_agent.map(|ua| ua.chars().take(512).collect())),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        ended_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// The transaction named by a handle hash.
pub async fn find(conn: &impl ConnectionTrait, handle_hash: &str) -> Result<Option<LoginRow>, StoreError> {
    Ok(tx::Entity::find().filter(tx::Column::HandleHash.eq(handle_hash)).one(conn).await?)
}

/// The transaction named by a handle hash, with its account's authenticator app
/// (the newest confirmed one) if it has one: one query, where the code page and
/// the code step would otherwise make two.
pub async fn find_with_app(
    conn: &impl ConnectionTrait,
    handle_hash: &str,
) -> Result<Option<(LoginRow, Option<super::authenticators::AuthenticatorRow>)>, StoreError> {
    use sea_orm::{JoinType, QueryOrder, QuerySelect};

    use super::entities::authenticators as auth;
    // The entities declare no relations (they are generated), so the join is spelled out here.
    let confirmed_app = tx::Entity::belongs_to(auth::Entity)
        .from(tx::Column::UserId)
        .to(auth::Column::UserId)
        .on_condition(|_, app| Expr::col((app, auth::Column::ConfirmedAt)).is_not_null().into())
        .into();
    Ok(tx::Entity::find()
        .filter(tx::Column::HandleHash.eq(handle_hash))
        .join(JoinType::LeftJoin, confirmed_app)
        .order_by_desc(auth::Column::ConfirmedAt)
        .select_also(auth::Entity)
        .one(conn)
        .await?)
}

/// Moves from step `from` to `to`, forgetting the code; false if already moved or ended.
pub async fn advance(
    conn: &impl ConnectionTrait,
    id: Uuid,
    from: JourneyStep,
    to: JourneyStep,
) -> Result<bool, StoreError> {
    let result = tx::Entity::update_many()
        .col_expr(tx::Column::Step, Expr::value(to.as_str()))
        .col_expr(tx::Column::CodeHash, Expr::value(Option::<String>::None))
        .filter(tx::Column::Id.eq(id))
        .filter(tx::Column::Step.eq(from.as_str()))
        .filter(tx::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends the transaction; false when it had ended already.
pub async fn end(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    let result = tx::Entity::update_many()
        .col_expr(tx::Column::EndedAt, Expr::value(now))
        .col_expr(tx::Column::CodeHash, Expr::value(Option::<String>::None))
        .filter(tx::Column::Id.eq(id))
        .filter(tx::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends every open transaction of an account (it was locked, or its password
/// changed); returns how many ended.
pub async fn end_all_for_user(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let result = tx::Entity::update_many()
        .col_expr(tx::Column::EndedAt, Expr::value(now))
        .col_expr(tx::Column::CodeHash, Expr::value(Option::<String>::None))
        .filter(tx::Column::UserId.eq(user_id))
        .filter(tx::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Takes one code attempt of the transaction *before* the code is compared: one
/// conditional statement, so racing submissions get at most `max` attempts between
/// them. Returns the transaction as it is after the attempt was counted, or `None`
/// when it has ended, expired, moved on or used up its attempts, or when its
/// account is locked (a lock applies to every step).
pub async fn reserve_code_attempt(
    conn: &impl ConnectionTrait,
    id: Uuid,
    max: i32,
    now: OffsetDateTime,
) -> Result<Option<LoginRow>, StoreError> {
    let rows = tx::Entity::update_many()
        .col_expr(tx::Column::CodeAttempts, Expr::col(tx::Column::CodeAttempts).add(1))
        .filter(tx::Column::Id.eq(id))
        .filter(tx::Column::Step.eq(JourneyStep::Code.as_str()))
        .filter(tx::Column::EndedAt.is_null())
        .filter(tx::Column::ExpiresAt.gt(now))
        .filter(tx::Column::CodeAttempts.lt(max))
        .filter(super::users::is_unlocked((tx::Entity, tx::Column::UserId), now))
        .exec_with_returning(conn)
        .await?;
    Ok(rows.into_iter().next())
}

/// Replaces the code (resend) if the transaction may have another one: fewer than
/// `max_sent` codes so far and the last one at least `interval` old. One conditional
/// statement, so racing resends send one code. The attempt counter stays.
pub async fn resend_code(
    conn: &impl ConnectionTrait,
    id: Uuid,
    code_hash: &str,
    code_expires_at: OffsetDateTime,
    limits: (i32, time::Duration),
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let (max_sent, interval) = limits;
    let result = tx::Entity::update_many()
        .col_expr(tx::Column::CodeHash, Expr::value(code_hash))
        .col_expr(tx::Column::CodeExpiresAt, Expr::value(code_expires_at))
        .col_expr(tx::Column::CodesSent, Expr::col(tx::Column::CodesSent).add(1))
        .col_expr(tx::Column::CodeSentAt, Expr::value(now))
        .filter(tx::Column::Id.eq(id))
        .filter(tx::Column::Step.eq(JourneyStep::Code.as_str()))
        .filter(tx::Column::EndedAt.is_null())
        .filter(tx::Column::CodesSent.lt(max_sent))
        .filter(
            sea_orm::Condition::any()
                .add(tx::Column::CodeSentAt.is_null())
                .add(tx::Column::CodeSentAt.lte(now - interval)),
        )
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
