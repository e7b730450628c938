//! Finding accounts: the admin search and the selections of invitation campaigns.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::user::{Status, UserFilter};
use crate::store::StoreError;
use crate::store::entities::users;

/// One page of accounts matching `filter`, and the total count.
pub async fn search(
    conn: &impl ConnectionTrait,
    filter: &UserFilter,
    page: u64,
    per_page: u64,
    now: OffsetDateTime,
) -> Result<(Vec<crate::domain::user::User>, u64), StoreError> {
    use sea_orm::{Condition, PaginatorTrait, QueryOrder};
    let mut condition = Condition::all().add(users::Column::AnonymizedAt.is_null());
    match filter.status.as_deref() {
        // Invited, with no link left that could still be used.
        Some("link_expired") => {
            condition = condition
                .add(users::Column::Status.eq(Status::Invited.as_str()))
                .add(users::Column::Id.not_in_subquery(live_links(now)));
        }
        Some(status) => condition = condition.add(users::Column::Status.eq(status)),
        None => {}
    }
    if let Some(org) = filter.organization_id {
        condition = condition.add(users::Column::OrganizationId.eq(org));
    }
    if let Some(role) = &filter.role {
        condition = condition.add(users::Column::Role.eq(role.as_str()));
    }
    if let Some(login) = &filter.login {
        condition = condition.add(users::Column::Login.eq(login.as_str()));
    }
    if let Some(email) = &filter.email {
        condition = condition.add(users::Column::Email.eq(email.trim().to_lowercase()));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        condition = condition.add(
            Condition::any()
                .add(crate::store::contains_ignoring_case(users::Column::Email, text))
                .add(crate::store::contains_ignoring_case(users::Column::GivenName, text))
                .add(crate::store::contains_ignoring_case(users::Column::FamilyName, text)),
        );
    }
    let paginator = users::Entity::find().filter(condition).order_by_asc(users::Column::Id).paginate(conn, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page).await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        found.push(super::to_domain(conn, row).await?);
    }
    Ok((found, total))
}

/// Ids of accounts never invited, optionally of one organisation or from a list.
pub async fn not_invited(
    conn: &impl ConnectionTrait,
    organization_id: Option<Uuid>,
    ids: Option<&[Uuid]>,
) -> Result<Vec<Uuid>, StoreError> {
    use sea_orm::QuerySelect;
    let mut query = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Status.eq(Status::Imported.as_str()))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::AnonymizedAt.is_null());
    if let Some(org) = organization_id {
        query = query.filter(users::Column::OrganizationId.eq(org));
    }
    if let Some(ids) = ids {
        query = query.filter(users::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(query.into_tuple().all(conn).await?)
}

/// Ids of invited accounts whose every link expired (or was voided) unused:
/// they can be re-invited. Optionally of one organisation or from a list.
pub async fn link_expired(
    conn: &impl ConnectionTrait,
    organization_id: Option<Uuid>,
    ids: Option<&[Uuid]>,
    now: OffsetDateTime,
) -> Result<Vec<Uuid>, StoreError> {
    use sea_orm::QuerySelect;
    let live_link = live_links(now);
    let mut query = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Status.eq(Status::Invited.as_str()))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::AnonymizedAt.is_null())
        .filter(users::Column::Id.not_in_subquery(live_link));
    if let Some(org) = organization_id {
        query = query.filter(users::Column::OrganizationId.eq(org));
    }
    if let Some(ids) = ids {
        query = query.filter(users::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(query.into_tuple().all(conn).await?)
}

/// Accounts that hold a link usable at `now` (a subquery of account ids).
fn live_links(now: OffsetDateTime) -> sea_orm::sea_query::SelectStatement {
    use crate::store::entities::activation_tokens as tokens;
    sea_orm::sea_query::Query::select()
        .column(tokens::Column::UserId)
        .from(tokens::Entity)
        .and_where(tokens::Column::UsedAt.is_null())
        .and_where(tokens::Column::VoidedAt.is_null())
        .and_where(tokens::Column::ExpiresAt.gt(now))
        .to_owned()
}

/// The accounts (not deleted) with one of these logins or (lower-case) e-mail
/// addresses: id, login and e-mail address of each.
pub async fn by_logins_or_emails(
    conn: &impl ConnectionTrait,
    logins: &[String],
    emails: &[String],
) -> Result<Vec<(Uuid, String, String)>, StoreError> {
    use sea_orm::QuerySelect;
    let mut found = Vec::new();
    // In slices, to stay within every backend's limit of bound values.
    for (column, values) in [(users::Column::Login, logins), (users::Column::Email, emails)] {
        for chunk in values.chunks(1000) {
            let rows: Vec<(Uuid, String, String)> = users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .column(users::Column::Login)
                .column(users::Column::Email)
                .filter(column.is_in(chunk.iter().cloned()))
                .filter(users::Column::AnonymizedAt.is_null())
                .into_tuple()
                .all(conn)
                .await?;
            found.extend(rows);
        }
    }
    Ok(found)
}
