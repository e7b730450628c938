//! Sign-in attempts and locks of an account: every counter changes in one
//! conditional statement, so racing requests cannot take more than their share.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::StoreError;
use crate::store::entities::users;

/// Security state of an account for sign-in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// argon2id hash, once set.
    pub password_hash: Option<String>,
    /// Consecutive failures.
    pub failed_attempts: i32,
    /// Times locked so far (grows the lock time).
    pub lockouts: i32,
    /// Locked until then.
    pub locked_until: Option<OffsetDateTime>,
    /// Locked by an administrator.
    pub admin_locked: bool,
}

impl Credentials {
    /// Whether a lock (an administrator's, or an automatic one) is in force at `now`.
    pub fn locked_at(&self, now: OffsetDateTime) -> bool {
        self.admin_locked || self.locked_until.is_some_and(|until| until > now)
    }
}

/// The sign-in state of an account.
pub async fn credentials(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Credentials>, StoreError> {
    Ok(users::Entity::find_by_id(id).one(conn).await?.map(|r| Credentials {
        password_hash: r.password_hash,
        failed_attempts: r.failed_attempts,
        lockouts: r.lockouts,
        locked_until: r.locked_until,
        admin_locked: r.admin_locked,
    }))
}

/// Takes one attempt slot of the account *before* a password is verified: one
/// conditional statement, so however many requests race, only the slots left below
/// `threshold` are handed out, and never while the account is locked. Returns the
/// slot taken with the password hash to verify, or `None` when the account is
/// locked, out of attempts or gone.
pub async fn reserve_attempt(
    conn: &impl ConnectionTrait,
    id: Uuid,
    threshold: i32,
    now: OffsetDateTime,
) -> Result<Option<Reserved>, StoreError> {
    let row = take_slot(conn, users::Column::Id.eq(id).into(), threshold, now).await?;
    Ok(row.map(|r| Reserved { slot: r.failed_attempts, password_hash: r.password_hash }))
}

/// The conditional statement of [`reserve_attempt`], for the account `which`
/// names: the account as it is after its slot was taken.
async fn take_slot(
    conn: &impl ConnectionTrait,
    which: sea_orm::Condition,
    threshold: i32,
    now: OffsetDateTime,
) -> Result<Option<users::Model>, StoreError> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Expr;
    let rows = users::Entity::update_many()
        .col_expr(users::Column::FailedAttempts, Expr::col(users::Column::FailedAttempts).add(1))
        .filter(which)
        .filter(users::Column::FailedAttempts.lt(threshold))
        .filter(unlocked(now))
        .exec_with_returning(conn)
        .await?;
    Ok(rows.into_iter().next())
}

/// [`reserve_attempt`] for the account with `login`, if it may sign in (active,
/// not disabled): the same conditional statement, found by login, so the usual
/// sign-in (a right login of an unlocked account) reads and reserves in one
/// round trip. `None` when there is no such account or it may not take an
/// attempt now; the caller reads the account then to tell why.
pub async fn reserve_attempt_by_login(
    conn: &impl ConnectionTrait,
    login: &str,
    threshold: i32,
    now: OffsetDateTime,
) -> Result<Option<(crate::domain::user::User, Reserved)>, StoreError> {
    let may_sign_in = sea_orm::Condition::all()
        .add(users::Column::Login.eq(login))
        .add(users::Column::Status.eq(crate::domain::user::Status::Active.as_str()))
        .add(users::Column::Disabled.eq(false));
    let Some(row) = take_slot(conn, may_sign_in, threshold, now).await? else { return Ok(None) };
    let reserved = Reserved { slot: row.failed_attempts, password_hash: row.password_hash.clone() };
    Ok(Some((super::to_domain(conn, row).await?, reserved)))
}

/// An attempt slot taken by [`reserve_attempt`].
#[derive(Debug, Clone)]
pub struct Reserved {
    /// 1-based count of attempts now held, this one included.
    pub slot: i32,
    /// The hash the attempt is to be verified against (none before activation).
    pub password_hash: Option<String>,
}

/// Gives a slot taken by [`reserve_attempt`] back (the password was right), unless
/// a lock has reset the count in between.
pub async fn give_back_attempt(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::FailedAttempts, Expr::col(users::Column::FailedAttempts).sub(1))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::FailedAttempts.gt(0))
        .filter(unlocked(now))
        .exec(conn)
        .await?;
    Ok(())
}

/// Counts a failure that had no slot of its own (a wrong e-mailed code) in one
/// statement; whether it locks is decided by [`lock_if_exhausted`].
pub async fn count_failure(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::FailedAttempts, Expr::col(users::Column::FailedAttempts).add(1))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Locks the account when its failures reached `limits.threshold` and it is not
/// locked already. The condition and the change are one statement, so of any
/// number of racing requests exactly one locks (and mails the owner); the lock's
/// length grows with the locks before it, computed in the same statement.
/// Returns the new lock's length, or `None` when nothing was locked.
pub async fn lock_if_exhausted(
    conn: &impl ConnectionTrait,
    id: Uuid,
    limits: &crate::domain::lockout::Limits,
    now: OffsetDateTime,
) -> Result<Option<time::Duration>, StoreError> {
    use crate::domain::lockout;
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::{CaseStatement, Expr};
    let mut until = CaseStatement::new();
    for lockouts in 0..lockout::DOUBLINGS {
        until = until.case(users::Column::Lockouts.eq(lockouts), Expr::value(now + limits.lock_length(lockouts)));
    }
    let until = until.finally(Expr::value(now + lockout::MAX_LOCK));
    let rows = users::Entity::update_many()
        .col_expr(users::Column::LockedUntil, until.into())
        .col_expr(users::Column::Lockouts, Expr::col(users::Column::Lockouts).add(1))
        .col_expr(users::Column::FailedAttempts, Expr::value(0))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::FailedAttempts.gte(limits.threshold))
        .filter(unlocked(now))
        .exec_with_returning(conn)
        .await?;
    Ok(rows.first().and_then(|r| r.locked_until).map(|until| until - now))
}

/// Not locked by an administrator, and no automatic lock in force at `now`.
fn unlocked(now: OffsetDateTime) -> sea_orm::Condition {
    sea_orm::Condition::all().add(users::Column::AdminLocked.eq(false)).add(
        sea_orm::Condition::any().add(users::Column::LockedUntil.is_null()).add(users::Column::LockedUntil.lte(now)),
    )
}

/// "The account `user_id` names is not locked at `now`", for the conditions of
/// other tables' statements (a code attempt is taken only while the account is
/// unlocked). Correlated, so the account is looked up by its key, never listed.
pub fn is_unlocked(user_id: impl sea_orm::sea_query::IntoColumnRef, now: OffsetDateTime) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let account = Query::select()
        .expr(Expr::val(1))
        .from(users::Entity)
        .and_where(Expr::col((users::Entity, users::Column::Id)).equals(user_id))
        .cond_where(unlocked(now))
        .to_owned();
    Expr::exists(account)
}

/// A completed sign-in, if the account is not locked at `now`: failures
/// forgotten, first/last sign-in recorded. One conditional statement, so a lock
/// that came while the code or the terms were pending is seen in the same step
/// that records the sign-in; `false` when locked (or gone), and nothing changed.
pub async fn signed_in(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    use sea_orm::sea_query::{Expr, Func};
    let result = users::Entity::update_many()
        .col_expr(users::Column::FailedAttempts, Expr::value(0))
        .col_expr(users::Column::Lockouts, Expr::value(0))
        .col_expr(users::Column::LockedUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(users::Column::LastSignInAt, Expr::value(now))
        .col_expr(
            users::Column::FirstSignInAt,
            Func::coalesce([Expr::col(users::Column::FirstSignInAt), Expr::value(now)]).into(),
        )
        .filter(users::Column::Id.eq(id))
        .filter(unlocked(now))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
