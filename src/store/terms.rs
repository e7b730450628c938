//! Terms versions and their acceptances.

use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::{terms_acceptances, terms_versions, users};

pub use terms_versions::Model as TermsRow;

/// A version to publish.
pub struct NewTerms<'a> {
    /// Version label (unique).
    pub version: &'a str,
    /// Title.
    pub title: &'a str,
    /// Body (plain text / light markdown), in Polish: the binding text.
    pub body: &'a str,
    /// The English text, when the version has one.
    pub body_en: Option<&'a str>,
    /// From when it applies.
    pub effective_at: OffsetDateTime,
}

/// Publishes a version; a taken label is a conflict.
pub async fn publish(
    conn: &impl ConnectionTrait,
    new: NewTerms<'_>,
    now: OffsetDateTime,
) -> Result<TermsRow, StoreError> {
    Ok(terms_versions::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(new.version.to_string()),
        title: Set(new.title.to_string()),
        body: Set(new.body.to_string()),
        body_en: Set(new.body_en.map(str::to_string)),
        effective_at: Set(new.effective_at),
        published_at: Set(now),
    }
    .insert(conn)
    .await?)
}

/// The version in force at `now`: the newest one already effective.
pub async fn current(conn: &impl ConnectionTrait, now: OffsetDateTime) -> Result<Option<TermsRow>, StoreError> {
    Ok(in_force(now).one(conn).await?)
}

/// The versions already effective at `now`, the one in force first.
fn in_force(now: OffsetDateTime) -> sea_orm::Select<terms_versions::Entity> {
    terms_versions::Entity::find()
        .filter(terms_versions::Column::EffectiveAt.lte(now))
        .order_by_desc(terms_versions::Column::EffectiveAt)
        .order_by_desc(terms_versions::Column::PublishedAt)
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

/// Whether `user_id` has yet to accept the version in force at `now` (false when
/// none is in force): one statement, where "which version is in force" and "did
/// they accept it" would be two.
pub async fn owed(conn: &impl ConnectionTrait, user_id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let acceptance = Query::select()
        .expr(Expr::val(1))
        .from(terms_acceptances::Entity)
        .and_where(terms_acceptances::Column::UserId.eq(user_id))
        .and_where(
            Expr::col((terms_acceptances::Entity, terms_acceptances::Column::TermsVersionId))
                .equals((terms_versions::Entity, terms_versions::Column::Id)),
        )
        .to_owned();
    let version = in_force(now)
        .select_only()
        .column(terms_versions::Column::Id)
        .expr_as(Expr::exists(acceptance), "accepted")
        .into_tuple::<(Uuid, bool)>()
        .one(conn)
        .await?;
    Ok(version.is_some_and(|(_, accepted)| !accepted))
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

/// The version labelled `version`.
pub async fn find_version(conn: &impl ConnectionTrait, version: &str) -> Result<Option<TermsRow>, StoreError> {
    Ok(terms_versions::Entity::find().filter(terms_versions::Column::Version.eq(version)).one(conn).await?)
}

/// One acceptance of a version, with the account's login (the admin report).
#[derive(Debug, Clone)]
pub struct AcceptanceRow {
    /// The account.
    pub user_id: Uuid,
    /// Its six-digit login.
    pub login: String,
    /// When it accepted.
    pub accepted_at: OffsetDateTime,
    /// From which address.
    pub ip: Option<String>,
}

/// How many acceptances version `terms_id` has.
pub async fn acceptance_count(conn: &impl ConnectionTrait, terms_id: Uuid) -> Result<u64, StoreError> {
    Ok(terms_acceptances::Entity::find()
        .filter(terms_acceptances::Column::TermsVersionId.eq(terms_id))
        .count(conn)
        .await?)
}

/// How many accounts that may sign in (active, not disabled, not anonymised)
/// have not accepted version `terms_id` yet: who will be asked at their next sign-in.
pub async fn pending_count(conn: &impl ConnectionTrait, terms_id: Uuid) -> Result<u64, StoreError> {
    let accepted = Query::select()
        .column(terms_acceptances::Column::UserId)
        .from(terms_acceptances::Entity)
        .and_where(terms_acceptances::Column::TermsVersionId.eq(terms_id))
        .to_owned();
    Ok(users::Entity::find()
        .filter(users::Column::Status.eq(crate::domain::user::Status::Active.as_str()))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::AnonymizedAt.is_null())
        .filter(users::Column::Id.not_in_subquery(accepted))
        .count(conn)
        .await?)
}

/// One page of the acceptances of version `terms_id`, newest first.
pub async fn acceptances(
    conn: &impl ConnectionTrait,
    terms_id: Uuid,
    offset: u64,
    limit: u64,
) -> Result<Vec<AcceptanceRow>, StoreError> {
    // The entities declare no relations (they are generated), so the join is spelled out here.
    let to_user = terms_acceptances::Entity::belongs_to(users::Entity)
        .from(terms_acceptances::Column::UserId)
        .to(users::Column::Id)
        .into();
    let rows: Vec<(Uuid, String, OffsetDateTime, Option<String>)> = terms_acceptances::Entity::find()
        .select_only()
        .column(terms_acceptances::Column::UserId)
        .column(users::Column::Login)
        .column(terms_acceptances::Column::AcceptedAt)
        .column(terms_acceptances::Column::Ip)
        .join(JoinType::InnerJoin, to_user)
        .filter(terms_acceptances::Column::TermsVersionId.eq(terms_id))
        .order_by_desc(terms_acceptances::Column::AcceptedAt)
        .order_by_desc(terms_acceptances::Column::Id)
        .offset(offset)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, login, accepted_at, ip)| AcceptanceRow { user_id, login, accepted_at, ip })
        .collect())
}
