//! Browser session rows ↔ [`Session`].

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::sessions;
use crate::domain::session::Session;

/// A session to create.
pub struct NewSession<'a> {
    /// SHA-256 of the cookie value.
    pub cookie_hash: &'a str,
    /// The account.
    pub user_id: Uuid,
    /// Authentication methods.
    pub amr: &'a [String],
    /// Authentication context class.
    pub acr: Option<&'a str>,
    /// Absolute end.
    pub expires_at: OffsetDateTime,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

/// Inserts a session authenticated at `now`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    new: NewSession<'_>,
    now: OffsetDateTime,
) -> Result<Session, StoreError> {
    let id = Uuid::now_v7();
    let row = sessions::ActiveModel {
        id: Set(id),
        cookie_hash: Set(new.cookie_hash.to_string()),
        user_id: Set(new.user_id),
        auth_time: Set(now),
        amr: Set(super::to_json_list(new.amr)),
        acr: Set(new.acr.map(str::to_string)),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(new.expires_at),
        ended_at: Set(None),
        ip: Set(new.ip),
        user_agent: Set(new.user_agent.map(|ua| ua.chars().take(512).collect())),
    }
    .insert(conn)
    .await?;
    to_domain(row)
}

/// The session whose cookie hashes to `cookie_hash`.
pub async fn find_by_cookie_hash(
    conn: &impl ConnectionTrait,
    cookie_hash: &str,
) -> Result<Option<Session>, StoreError> {
    let row = sessions::Entity::find().filter(sessions::Column::CookieHash.eq(cookie_hash)).one(conn).await?;
    row.map(to_domain).transpose()
}

/// The session with this id.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Session>, StoreError> {
    sessions::Entity::find_by_id(id).one(conn).await?.map(to_domain).transpose()
}

/// Records use of a session (sliding idle lifetime).
pub async fn touch(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastSeenAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends a session; returns whether it was still open.
pub async fn end(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    let result = sessions::Entity::update_many()
        .col_expr(sessions::Column::EndedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(id))
        .filter(sessions::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Every open session of an account.
pub async fn open_for_user(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Session>, StoreError> {
    let rows = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::EndedAt.is_null())
        .all(conn)
        .await?;
    rows.into_iter().map(to_domain).collect()
}

fn to_domain(row: sessions::Model) -> Result<Session, StoreError> {
    Ok(Session {
        id: row.id,
        user_id: row.user_id,
        auth_time: row.auth_time,
        amr: super::from_json_list(&row.amr)?,
        acr: row.acr,
        last_seen_at: row.last_seen_at,
        expires_at: row.expires_at,
        ended_at: row.ended_at,
    })
}

/// Open sessions of an account as stored (with address and user agent), newest first.
pub async fn open_rows_for_user(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<sessions::Model>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::EndedAt.is_null())
        .order_by_desc(sessions::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// Forgets where an account signed in from (anonymisation).
pub async fn erase_origin(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<(), StoreError> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::Ip, Expr::value(Option::<String>::None))
        .col_expr(sessions::Column::UserAgent, Expr::value(Option::<String>::None))
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
