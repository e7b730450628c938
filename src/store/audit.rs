//! Appends to the audit trail; rows are never updated.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::audit_events;
use crate::domain::audit::AuditEvent;

/// Writes one event, in the caller's transaction.
pub async fn record(conn: &impl ConnectionTrait, event: &AuditEvent, now: OffsetDateTime) -> Result<(), StoreError> {
    audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(now),
        actor: Set(event.actor.clone()),
        action: Set(event.action.to_string()),
        target: Set(event.target.clone()),
        subject_user_id: Set(event.subject_user_id),
        ip: Set(event.ip.clone()),
        request_id: Set(event.request_id.clone()),
        details: Set(event.details.to_string()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Number of events with the given action (used by tests and stats).
pub async fn count_action(conn: &impl ConnectionTrait, action: &str) -> Result<u64, StoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    Ok(audit_events::Entity::find().filter(audit_events::Column::Action.eq(action)).count(conn).await?)
}

/// Actors of the events with the given action, oldest first (used by tests).
pub async fn actors_of(conn: &impl ConnectionTrait, action: &str) -> Result<Vec<String>, StoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let rows = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq(action))
        .order_by_asc(audit_events::Column::At)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|row| row.actor).collect())
}
