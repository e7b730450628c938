//! Terms versions and their acceptances.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::{terms_acceptances, terms_versions};

pub use terms_versions::Model as TermsRow;

/// A version to publish.
pub struct NewTerms<'a> {
    /// Version label (unique).
    pub version: &'a str,
    /// Title.
    pub title: &'a str,
    /// Body (plain text / light markdown).
    pub body: &'a str,
    /// From when it applies.
    pub effective_at: OffsetDateTime,
}

/// Publishes a version; a taken label is a conflict.
pub async fn publish(conn: &impl ConnectionTrait, new: NewTerms<'_>, now: OffsetDateTime) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    terms_versions::ActiveModel {
        id: Set(id),
        version: Set(new.version.to_string()),
        title: Set(new.title.to_string()),
        body: Set(new.body.to_string()),
        effective_at: Set(new.effective_at),
        published_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// The version in force at `now`: the newest one already effective.
pub async fn current(conn: &impl ConnectionTrait, now: OffsetDateTime) -> Result<Option<TermsRow>, StoreError> {
    Ok(terms_versions::Entity::find()
        .filter(terms_versions::Column::EffectiveAt.lte(now))
        .order_by_desc(terms_versions::Column::EffectiveAt)
        .order_by_desc(terms_versions::Column::PublishedAt)
        .one(conn)
        .await?)
}

/// Every version, newest first.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<TermsRow>, StoreError> {
    Ok(terms_versions::Entity::find().order_by_desc(terms_versions::Column::EffectiveAt).all(conn).await?)
}

/// Whether `user_id` accepted version `terms_id`.
pub async fn accepted(conn: &impl ConnectionTrait, user_id: Uuid, terms_id: Uuid) -> Result<bool, StoreError> {
    let count = terms_acceptances::Entity::find()
        .filter(terms_acceptances::Column::UserId.eq(user_id))
        .filter(terms_acceptances::Column::TermsVersionId.eq(terms_id))
        .count(conn)
        .await?;
    Ok(count > 0)
}

/// Records an acceptance.
pub async fn accept(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    terms_id: Uuid,
    ip: Option<String>,
    user_agent: Option<String>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    terms_acceptances::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        terms_version_id: Set(terms_id),
        accepted_at: Set(now),
        ip: Set(ip),
        user_agent: Set(user_agent.map(|ua| ua.chars().take(512).collect())),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The newest version an account accepted, with when.
pub async fn latest_accepted(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<(String, OffsetDateTime)>, StoreError> {
    let Some(acceptance) = terms_acceptances::Entity::find()
        .filter(terms_acceptances::Column::UserId.eq(user_id))
        .order_by_desc(terms_acceptances::Column::AcceptedAt)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let version = terms_versions::Entity::find_by_id(acceptance.terms_version_id).one(conn).await?;
    Ok(version.map(|v| (v.version, acceptance.accepted_at)))
}

/// Forgets where an account accepted from (anonymisation); the acceptance stays.
pub async fn erase_origin(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    terms_acceptances::Entity::update_many()
        .col_expr(terms_acceptances::Column::Ip, Expr::value(Option::<String>::None))
        .col_expr(terms_acceptances::Column::UserAgent, Expr::value(Option::<String>::None))
        .filter(terms_acceptances::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
