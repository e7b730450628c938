//! Fixed-window rate limits kept in the database, so that every node counts
//! the same attempts.
//!
//! A hit is one `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement: the window
//! restarts and the count grows in the same atomic step, so racing requests (on one
//! node or many) each see their own count and never more than `limit` of them are
//! let through.

use sea_orm::sea_query::{CaseStatement, Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set};
use time::OffsetDateTime;

use super::StoreError;
use super::entities::rate_limits as limits;

/// Counts one hit on `bucket` (taking a slot before the work it limits); true while
/// the window's hits stay within `limit`.
pub async fn hit(
    conn: &impl ConnectionTrait,
    bucket: &str,
    window: time::Duration,
    limit: i32,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let expired = Expr::col((limits::Entity, limits::Column::WindowStart)).lte(now - window);
    let hits = CaseStatement::new()
        .case(expired.clone(), Expr::value(1))
        .finally(Expr::col((limits::Entity, limits::Column::Hits)).add(1));
    let start = CaseStatement::new()
        .case(expired, Expr::value(now))
        .finally(Expr::col((limits::Entity, limits::Column::WindowStart)));
    let fresh = limits::ActiveModel { bucket: Set(bucket.to_string()), window_start: Set(now), hits: Set(1) };
    let row = limits::Entity::insert(fresh)
        .on_conflict(
            OnConflict::column(limits::Column::Bucket)
                .value(limits::Column::Hits, hits)
                .value(limits::Column::WindowStart, start)
                .to_owned(),
        )
        .exec_with_returning(conn)
        .await?;
    Ok(row.hits <= limit)
}

/// Gives back a hit taken by [`hit`] when the outcome was not a failure (a right
/// password, a valid link), so only failures use up the budget.
pub async fn give_back(
    conn: &impl ConnectionTrait,
    bucket: &str,
    window: time::Duration,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    limits::Entity::update_many()
        .col_expr(limits::Column::Hits, Expr::col(limits::Column::Hits).sub(1))
        .filter(limits::Column::Bucket.eq(bucket))
        .filter(limits::Column::Hits.gt(0))
        .filter(limits::Column::WindowStart.gt(now - window))
        .exec(conn)
        .await?;
    Ok(())
}
