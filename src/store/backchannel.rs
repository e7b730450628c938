//! Back-channel logout deliveries: a small outbox, retried with back-off.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::backchannel_deliveries as deliveries;

pub use deliveries::Model as DeliveryRow;

/// Queues a logout token for `uri`.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    client_id: &str,
    uri: &str,
    logout_token: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    deliveries::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client_id.to_string()),
        uri: Set(uri.to_string()),
        logout_token: Set(logout_token.to_string()),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        delivered_at: Set(None),
        failed_at: Set(None),
        last_error: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Deliveries due now, oldest first. Each is claimed by pushing its next attempt
/// out, so another node does not send it at the same time.
pub async fn claim_due(
    conn: &impl ConnectionTrait,
    now: OffsetDateTime,
    limit: u64,
    lease: time::Duration,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let due = deliveries::Entity::find()
        .filter(deliveries::Column::DeliveredAt.is_null())
        .filter(deliveries::Column::FailedAt.is_null())
        .filter(deliveries::Column::NextAttemptAt.lte(now))
        .order_by_asc(deliveries::Column::NextAttemptAt)
        .limit(limit)
        .all(conn)
        .await?;
    let mut claimed = Vec::new();
    for row in due {
        let result = deliveries::Entity::update_many()
            .col_expr(deliveries::Column::NextAttemptAt, Expr::value(now + lease))
            .filter(deliveries::Column::Id.eq(row.id))
            .filter(deliveries::Column::NextAttemptAt.eq(row.next_attempt_at))
            .exec(conn)
            .await?;
        if result.rows_affected == 1 {
            claimed.push(row);
        }
    }
    Ok(claimed)
}

/// Marks a delivery done.
pub async fn delivered(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    deliveries::Entity::update_many()
        .col_expr(deliveries::Column::DeliveredAt, Expr::value(now))
        .filter(deliveries::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or given up when `None`.
pub async fn attempt_failed(
    conn: &impl ConnectionTrait,
    row: &DeliveryRow,
    error: &str,
    retry_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut update = deliveries::Entity::update_many()
        .col_expr(deliveries::Column::Attempts, Expr::value(row.attempts + 1))
        .col_expr(deliveries::Column::LastError, Expr::value(error.chars().take(500).collect::<String>()));
    update = match retry_at {
        Some(at) => update.col_expr(deliveries::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(deliveries::Column::FailedAt, Expr::value(now)),
    };
    update.filter(deliveries::Column::Id.eq(row.id)).exec(conn).await?;
    Ok(())
}
