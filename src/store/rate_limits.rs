//! Fixed-window rate limits kept in the database, so that every node counts
//! the same attempts.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set};
use time::OffsetDateTime;

use super::StoreError;
use super::entities::rate_limits as limits;

/// Counts one hit on `bucket`; true while the window's hits stay within `limit`.
pub async fn hit(
    conn: &impl ConnectionTrait,
    bucket: &str,
    window: time::Duration,
    limit: i32,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let fresh = limits::ActiveModel { bucket: Set(bucket.to_string()), window_start: Set(now), hits: Set(0) };
    limits::Entity::insert(fresh).on_conflict_do_nothing_on([limits::Column::Bucket]).exec(conn).await?;
    // An expired window starts over; otherwise count the hit.
    limits::Entity::update_many()
        .col_expr(limits::Column::WindowStart, Expr::value(now))
        .col_expr(limits::Column::Hits, Expr::value(0))
        .filter(limits::Column::Bucket.eq(bucket))
        .filter(limits::Column::WindowStart.lte(now - window))
        .exec(conn)
        .await?;
    limits::Entity::update_many()
        .col_expr(limits::Column::Hits, Expr::col(limits::Column::Hits).add(1))
        .filter(limits::Column::Bucket.eq(bucket))
        .exec(conn)
        .await?;
    let hits = limits::Entity::find_by_id(bucket.to_string()).one(conn).await?.map(|r| r.hits).unwrap_or(0);
    Ok(hits <= limit)
}

/// Whether `bucket` is over `limit` in its current window, without counting a hit.
pub async fn exceeded(
    conn: &impl ConnectionTrait,
    bucket: &str,
    window: time::Duration,
    limit: i32,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let row = limits::Entity::find_by_id(bucket.to_string()).one(conn).await?;
    Ok(row.is_some_and(|r| r.window_start > now - window && r.hits > limit))
}
