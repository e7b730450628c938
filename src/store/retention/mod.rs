//! Retention: deleting rows nobody needs any more, and erasing the client
//! addresses and user agents kept beside rows that stay.
//!
//! Every call is one statement that touches at most `limit` rows, picked by a
//! subquery (`… WHERE key IN (SELECT key … LIMIT n)`, which SQLite and
//! PostgreSQL both take). On PostgreSQL the subquery adds `FOR UPDATE SKIP
//! LOCKED`, so two nodes sweeping at once take different rows instead of
//! waiting on each other, and a row a request holds is left for the next round.
//! Callers run it outside any transaction: each batch commits on its own, and
//! no lock outlives its statement. Which rows count as "not needed" is decided
//! here from the cut-off times the caller (`flows::retention`) computes.

use sea_orm::sea_query::{Condition, Expr, LockBehavior, LockType, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};
use time::OffsetDateTime;

use super::entities::{
    activation_tokens, audit_events, authorization_codes, authorization_requests, backchannel_deliveries, consents,
    email_changes, grants, login_transactions, mail_outbox, rate_limits, refresh_tokens, revoked_access_tokens,
    sessions, terms_acceptances,
};
use super::{StoreError, is_sqlite};

mod tables;

pub use tables::{Erasure, Sweep};

/// The moments before which rows are no longer needed; each is computed by the
/// caller from the settings and the clock.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    /// Codes, parked requests and sign-ins that expired before this.
    pub expired: OffsetDateTime,
    /// Grants, refresh tokens and sessions that ended before this (every access
    /// token they produced has expired by then).
    pub grants: OffsetDateTime,
    /// Sessions unused since before this ended by their idle limit before `grants`.
    pub sessions_unused: OffsetDateTime,
    /// Revoked access-token ids of tokens expired before this.
    pub revoked_access_tokens: OffsetDateTime,
    /// Rate-limit windows that began before this.
    pub rate_limits: OffsetDateTime,
    /// Mails sent and logouts delivered before this.
    pub delivered: OffsetDateTime,
    /// Mails and logouts given up, links and e-mail changes that ended, and
    /// consents withdrawn before this; addresses recorded before this are erased.
    pub retention: OffsetDateTime,
    /// Audit events before this (`None`: kept forever).
    pub audit: Option<OffsetDateTime>,
}

/// Deletes at most `limit` rows of one table that are no longer needed; returns
/// how many went (fewer than `limit`: the table is clean for now).
pub async fn delete_batch(
    conn: &impl ConnectionTrait,
    sweep: Sweep,
    cutoffs: &Cutoffs,
    limit: u64,
) -> Result<u64, StoreError> {
    let c = cutoffs;
    match sweep {
        Sweep::AuthorizationCodes => {
            use authorization_codes::{Column, Entity};
            delete::<Entity>(conn, Column::Id, only(Column::ExpiresAt.lt(c.expired)), limit).await
        }
        Sweep::AuthorizationRequests => {
            use authorization_requests::{Column, Entity};
            delete::<Entity>(conn, Column::Id, only(Column::ExpiresAt.lt(c.expired)), limit).await
        }
        Sweep::LoginTransactions => {
            use login_transactions::{Column, Entity};
            delete::<Entity>(conn, Column::Id, only(Column::ExpiresAt.lt(c.expired)), limit).await
        }
        Sweep::RefreshTokens => {
            use refresh_tokens::{Column, Entity};
            let of_ended_grants =
                Query::select().column(grants::Column::Id).from(grants::Entity).cond_where(grant_ended(c)).to_owned();
            let condition =
                Condition::any().add(Column::ExpiresAt.lt(c.grants)).add(Column::GrantId.in_subquery(of_ended_grants));
            delete::<Entity>(conn, Column::Id, condition, limit).await
        }
        Sweep::Grants => delete::<grants::Entity>(conn, grants::Column::Id, grant_ended(c), limit).await,
        Sweep::Sessions => {
            use sessions::{Column, Entity};
            // Deleting a session empties `session_id` of the grants naming it, and a
            // session-bound grant without a session would refresh freely: such
            // grants go first (see `grant_ended`), and a session still named by a
            // live one is left for a later round.
            let bound = Query::select()
                .expr(Expr::val(1))
                .from(grants::Entity)
                .and_where(Expr::col((grants::Entity, grants::Column::SessionId)).equals((Entity, Column::Id)))
                .and_where(grants::Column::Offline.eq(false))
                .and_where(grants::Column::RevokedAt.is_null())
                .to_owned();
            let condition = Condition::all().add(session_ended(c)).add(Expr::exists(bound).not());
            delete::<Entity>(conn, Column::Id, condition, limit).await
        }
        Sweep::RevokedAccessTokens => {
            use revoked_access_tokens::{Column, Entity};
            delete::<Entity>(conn, Column::Jti, only(Column::ExpiresAt.lt(c.revoked_access_tokens)), limit).await
        }
        Sweep::RateLimits => {
            use rate_limits::{Column, Entity};
            delete::<Entity>(conn, Column::Bucket, only(Column::WindowStart.lt(c.rate_limits)), limit).await
        }
        Sweep::MailOutbox => {
            use mail_outbox::{Column, Entity};
            let condition = Condition::any().add(Column::SentAt.lt(c.delivered)).add(Column::FailedAt.lt(c.retention));
            delete::<Entity>(conn, Column::Id, condition, limit).await
        }
        Sweep::BackchannelDeliveries => {
            use backchannel_deliveries::{Column, Entity};
            let condition =
                Condition::any().add(Column::DeliveredAt.lt(c.delivered)).add(Column::FailedAt.lt(c.retention));
            delete::<Entity>(conn, Column::Id, condition, limit).await
        }
        Sweep::ActivationTokens => {
            use activation_tokens::{Column, Entity};
            delete::<Entity>(conn, Column::Id, only(Column::ExpiresAt.lt(c.retention)), limit).await
        }
        Sweep::EmailChanges => {
            use email_changes::{Column, Entity};
            delete::<Entity>(conn, Column::Id, only(Column::ExpiresAt.lt(c.retention)), limit).await
        }
        Sweep::Consents => {
            use consents::{Column, Entity};
            delete::<Entity>(conn, Column::Id, only(Column::RevokedAt.lt(c.retention)), limit).await
        }
        Sweep::AuditEvents => match c.audit {
            Some(before) => {
                use audit_events::{Column, Entity};
                delete::<Entity>(conn, Column::Id, only(Column::At.lt(before)), limit).await
            }
            None => Ok(0),
        },
    }
}

/// Erases the client address and user agent of at most `limit` rows recorded
/// before `before`; the rows themselves stay. Returns how many were erased.
pub async fn erase_batch(
    conn: &impl ConnectionTrait,
    erasure: Erasure,
    before: OffsetDateTime,
    limit: u64,
) -> Result<u64, StoreError> {
    let null = || Expr::value(Option::<String>::None);
    // The three tables differ only in their entity and the time the origin was recorded.
    macro_rules! erase {
        ($table:ident, $recorded:ident) => {{
            use $table::{Column, Entity};
            let origin = recorded_origin(Column::$recorded, Column::Ip, Column::UserAgent, before);
            let pick = pick::<Entity>(conn, Column::Id, origin, limit);
            Entity::update_many()
                .col_expr(Column::Ip, null())
                .col_expr(Column::UserAgent, null())
                .filter(Column::Id.in_subquery(pick))
                .exec(conn)
                .await?
        }};
    }
    let result = match erasure {
        Erasure::Sessions => erase!(sessions, CreatedAt),
        Erasure::LoginTransactions => erase!(login_transactions, CreatedAt),
        Erasure::TermsAcceptances => erase!(terms_acceptances, AcceptedAt),
    };
    Ok(result.rows_affected)
}

/// A condition of one expression.
fn only(expression: sea_orm::sea_query::SimpleExpr) -> Condition {
    Condition::all().add(expression)
}

/// Rows recorded before `before` that still hold an address or a user agent.
fn recorded_origin<C: ColumnTrait>(at: C, ip: C, user_agent: C, before: OffsetDateTime) -> Condition {
    Condition::all().add(at.lt(before)).add(Condition::any().add(ip.is_not_null()).add(user_agent.is_not_null()))
}

/// A grant nothing can use any more, so that neither it nor its refresh tokens
/// are needed: revoked; session-bound and its session ended; or without a
/// refresh token still usable (every access token of it has expired by then).
fn grant_ended(c: &Cutoffs) -> Condition {
    let ended_sessions =
        Query::select().column(sessions::Column::Id).from(sessions::Entity).cond_where(session_ended(c)).to_owned();
    let usable_refresh = Query::select()
        .expr(Expr::val(1))
        .from(refresh_tokens::Entity)
        .and_where(
            Expr::col((refresh_tokens::Entity, refresh_tokens::Column::GrantId))
                .equals((grants::Entity, grants::Column::Id)),
        )
        .and_where(refresh_tokens::Column::ExpiresAt.gte(c.grants))
        .to_owned();
    Condition::any()
        .add(grants::Column::RevokedAt.lt(c.grants))
        .add(
            Condition::all()
                .add(grants::Column::Offline.eq(false))
                .add(grants::Column::SessionId.in_subquery(ended_sessions)),
        )
        .add(Condition::all().add(grants::Column::CreatedAt.lt(c.grants)).add(Expr::exists(usable_refresh).not()))
}

/// A session ended (logout, an administrator), past its absolute end, or idle
/// for too long, all before the grants' cut-off.
fn session_ended(c: &Cutoffs) -> Condition {
    use sessions::Column;
    Condition::any()
        .add(Column::EndedAt.lt(c.grants))
        .add(Column::ExpiresAt.lt(c.grants))
        .add(Column::LastSeenAt.lt(c.sessions_unused))
}

/// The keys of at most `limit` rows of `E` matching `condition`; on PostgreSQL
/// rows locked by someone else are skipped rather than waited for.
fn pick<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    key: E::Column,
    condition: Condition,
    limit: u64,
) -> SelectStatement {
    pick_on::<E>(is_sqlite(conn), key, condition, limit)
}

fn pick_on<E: EntityTrait>(sqlite: bool, key: E::Column, condition: Condition, limit: u64) -> SelectStatement {
    let mut select = Query::select();
    select.column(key).from(E::default()).cond_where(condition).limit(limit);
    if !sqlite {
        select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    select
}

async fn delete<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    key: E::Column,
    condition: Condition,
    limit: u64,
) -> Result<u64, StoreError> {
    let picked = pick::<E>(conn, key, condition, limit);
    let result = E::delete_many().filter(key.in_subquery(picked)).exec(conn).await?;
    Ok(result.rows_affected)
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, QueryTrait};

    use super::*;

    fn delete_sql(backend: DbBackend) -> String {
        use revoked_access_tokens::{Column, Entity};
        let now = OffsetDateTime::UNIX_EPOCH;
        let picked = pick_on::<Entity>(backend == DbBackend::Sqlite, Column::Jti, only(Column::ExpiresAt.lt(now)), 500);
        Entity::delete_many().filter(Column::Jti.in_subquery(picked)).build(backend).to_string()
    }

    #[test]
    fn on_postgresql_a_batch_skips_rows_another_node_holds() {
        let sql = delete_sql(DbBackend::Postgres);
        assert!(sql.contains("LIMIT 500 FOR UPDATE SKIP LOCKED"), "{sql}");
        assert!(
            sql.starts_with(
                r#"DELETE FROM "revoked_access_tokens" WHERE "revoked_access_tokens"."jti" IN (SELECT "jti""#
            ),
            "{sql}"
        );
    }

    #[test]
    fn on_sqlite_a_batch_is_a_plain_limited_subquery() {
        let sql = delete_sql(DbBackend::Sqlite);
        assert!(sql.contains("LIMIT 500)"), "{sql}");
        assert!(!sql.contains("FOR UPDATE"), "{sql}");
    }
}
