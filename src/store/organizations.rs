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

pub use organizations::Model as OrganizationRow;

/// The organisation with this id.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<OrganizationRow>, StoreError> {
    Ok(organizations::Entity::find_by_id(id).one(conn).await?)
}

/// The organisation with this Ekstranet id.
pub async fn find_by_external_id(
    conn: &impl ConnectionTrait,
    external_id: &str,
) -> Result<Option<OrganizationRow>, StoreError> {
    Ok(organizations::Entity::find().filter(organizations::Column::ExternalId.eq(external_id)).one(conn).await?)
}

/// Creates an organisation; a taken external id is a conflict.
pub async fn insert(
    conn: &impl ConnectionTrait,
    external_id: Option<&str>,
    name: &str,
    now: OffsetDateTime,
) -> Result<OrganizationRow, StoreError> {
    let row = organizations::ActiveModel {
        id: Set(Uuid::now_v7()),
        external_id: Set(external_id.map(str::to_string)),
        name: Set(name.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Ok(row.insert(conn).await?)
}

/// Renames an organisation or changes its Ekstranet id.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: Uuid,
    external_id: Option<&str>,
    name: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    organizations::Entity::update_many()
        .col_expr(organizations::Column::ExternalId, Expr::value(external_id.map(str::to_string)))
        .col_expr(organizations::Column::Name, Expr::value(name))
        .col_expr(organizations::Column::UpdatedAt, Expr::value(now))
        .filter(organizations::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// One page of organisations (name or external id containing `text`), by name, and the total.
pub async fn search(
    conn: &impl ConnectionTrait,
    text: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<(OrganizationRow, u64)>, u64), StoreError> {
    use sea_orm::{Condition, PaginatorTrait, QueryOrder, QuerySelect};

    use super::entities::users;
    let mut query = organizations::Entity::find();
    if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(super::contains_ignoring_case(organizations::Column::Name, text))
                .add(super::contains_ignoring_case(organizations::Column::ExternalId, text)),
        );
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_asc(organizations::Column::Name)
        .order_by_asc(organizations::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(conn)
        .await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let accounts = users::Entity::find()
            .filter(users::Column::OrganizationId.eq(row.id))
            .filter(users::Column::AnonymizedAt.is_null())
            .count(conn)
            .await?;
        found.push((row, accounts));
    }
    Ok((found, total))
}

/// Creates the organisations of `wanted` (external id, name) that do not exist
/// yet, in one statement (an organisation created meanwhile by another import is
/// left as it is), and answers the id of every one of them.
pub async fn ensure_many(
    conn: &impl ConnectionTrait,
    wanted: &[(String, String)],
    now: OffsetDateTime,
) -> Result<std::collections::HashMap<String, Uuid>, StoreError> {
    use sea_orm::sea_query::OnConflict;
    if wanted.is_empty() {
        return Ok(Default::default());
    }
    let models = wanted.iter().map(|(external_id, name)| organizations::ActiveModel {
        id: Set(Uuid::now_v7()),
        external_id: Set(Some(external_id.clone())),
        name: Set(name.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    });
    organizations::Entity::insert_many(models)
        .on_conflict(OnConflict::column(organizations::Column::ExternalId).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    let rows = organizations::Entity::find()
        .filter(organizations::Column::ExternalId.is_in(wanted.iter().map(|(e, _)| e.clone())))
        .all(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.external_id.map(|e| (e, r.id))).collect())
}
