//! Organisation rows.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::organizations;

/// Returns the organisation with this external id, creating it when missing.
pub async fn upsert_by_external_id(
    conn: &impl ConnectionTrait,
    external_id: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    if let Some(row) =
        organizations::Entity::find().filter(organizations::Column::ExternalId.eq(external_id)).one(conn).await?
    {
        return Ok(row.id);
    }
    let id = Uuid::now_v7();
    organizations::ActiveModel {
        id: Set(id),
        external_id: Set(Some(external_id.to_string())),
        name: Set(name.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Every organisation's id by its Ekstranet id.
pub async fn by_external_id(
    conn: &impl ConnectionTrait,
) -> Result<std::collections::HashMap<String, Uuid>, StoreError> {
    let rows = organizations::Entity::find().all(conn).await?;
    Ok(rows.into_iter().filter_map(|r| r.external_id.map(|e| (e, r.id))).collect())
}
