//! Appends to the audit trail (rows are never updated) and searches it.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::audit_events;
use crate::domain::audit::{AuditEvent, AuditFilter, AuditRecord};

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
    Ok(audit_events::Entity::find().filter(audit_events::Column::Action.eq(action)).count(conn).await?)
}

fn condition(filter: &AuditFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(from) = filter.from {
        condition = condition.add(audit_events::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(audit_events::Column::At.lt(to));
    }
    if let Some(actor) = &filter.actor {
        condition = condition.add(audit_events::Column::Actor.eq(actor.as_str()));
    }
    if let Some(subject) = filter.subject_user_id {
        condition = condition.add(audit_events::Column::SubjectUserId.eq(subject));
    }
    match filter.action.as_deref() {
        Some(prefix) if prefix.ends_with('.') => {
            // LIKE, with its wildcards escaped: `_` is common in action names.
            let pattern = super::like_literal(prefix, false, true);
            condition = condition.add(Expr::col((audit_events::Entity, audit_events::Column::Action)).like(pattern));
        }
        Some(action) => condition = condition.add(audit_events::Column::Action.eq(action)),
        None => {}
    }
    condition
}

/// One page of the events matching `filter`, newest first, and the total count.
pub async fn search(
    conn: &impl ConnectionTrait,
    filter: &AuditFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<AuditRecord>, u64), StoreError> {
    let query = audit_events::Entity::find().filter(condition(filter));
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_desc(audit_events::Column::At)
        .order_by_desc(audit_events::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(conn)
        .await?;
    let records = rows
        .into_iter()
        .map(|row| AuditRecord {
            // Details are written by `record` from a JSON value; should a row ever
            // hold something else, show it as text rather than hide the event.
            details: serde_json::from_str(&row.details).unwrap_or(Value::String(row.details)),
            id: row.id,
            at: row.at,
            actor: row.actor,
            action: row.action,
            target: row.target,
            subject_user_id: row.subject_user_id,
            ip: row.ip,
            request_id: row.request_id,
        })
        .collect();
    Ok((records, total))
}

/// Actors of the events with the given action, oldest first (used by tests).
pub async fn actors_of(conn: &impl ConnectionTrait, action: &str) -> Result<Vec<String>, StoreError> {
    let rows = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq(action))
        .order_by_asc(audit_events::Column::At)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|row| row.actor).collect())
}
