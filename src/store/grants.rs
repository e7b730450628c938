//! Grants: what a client received, the family of its refresh tokens.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::{grants, refresh_tokens};

pub use grants::Model as GrantRow;

/// A grant to create.
pub struct NewGrant<'a> {
    /// The client.
    pub client_id: &'a str,
    /// The account (none for client_credentials).
    pub user_id: Option<Uuid>,
    /// The browser session it came from.
    pub session_id: Option<Uuid>,
    /// Granted scope.
    pub scope: &'a str,
    /// When the user authenticated.
    pub auth_time: Option<OffsetDateTime>,
    /// Authentication methods (JSON list).
    pub amr: Option<String>,
    /// Authentication context class.
    pub acr: Option<&'a str>,
    /// Survives the end of the browser session (`offline_access`).
    pub offline: bool,
}

/// Creates a grant.
pub async fn insert(conn: &impl ConnectionTrait, new: NewGrant<'_>, now: OffsetDateTime) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    grants::ActiveModel {
        id: Set(id),
        client_id: Set(new.client_id.to_string()),
        user_id: Set(new.user_id),
        session_id: Set(new.session_id),
        scope: Set(new.scope.to_string()),
        auth_time: Set(new.auth_time),
        amr: Set(new.amr),
        acr: Set(new.acr.map(str::to_string)),
        created_at: Set(now),
        revoked_at: Set(None),
        offline: Set(new.offline),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Whether an access token of grant `id` with token id `jti` still counts:
/// the grant exists and is not revoked, and the token is not on the revocation
/// list. One statement, where a grant lookup and a list lookup would be two.
pub async fn live_for_token(conn: &impl ConnectionTrait, id: Uuid, jti: &str) -> Result<bool, StoreError> {
    use sea_orm::PaginatorTrait;
    use sea_orm::sea_query::{ExprTrait, Query};

    use super::entities::revoked_access_tokens as revoked;
    let revoked_jti =
        Query::select().expr(Expr::val(1)).from(revoked::Entity).and_where(revoked::Column::Jti.eq(jti)).to_owned();
    let live = grants::Entity::find()
        .filter(grants::Column::Id.eq(id))
        .filter(grants::Column::RevokedAt.is_null())
        .filter(Expr::exists(revoked_jti).not())
        .count(conn)
        .await?;
    Ok(live > 0)
}

/// One grant.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<GrantRow>, StoreError> {
    Ok(grants::Entity::find_by_id(id).one(conn).await?)
}

/// Revokes a grant and every refresh token of its family.
///
/// The refresh tokens are locked before the grant, the order a refresh takes
/// them in: a concurrent reuse of the same token has already locked it (on
/// PostgreSQL an UPDATE keeps the row lock even when the row no longer matches),
/// and taking the grant first deadlocked against it.
pub async fn revoke(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::GrantId.eq(id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    grants::Entity::update_many()
        .col_expr(grants::Column::RevokedAt, Expr::value(now))
        .filter(grants::Column::Id.eq(id))
        .filter(grants::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Grants that came from a browser session (for logout).
pub async fn for_session(conn: &impl ConnectionTrait, session_id: Uuid) -> Result<Vec<GrantRow>, StoreError> {
    Ok(grants::Entity::find().filter(grants::Column::SessionId.eq(session_id)).all(conn).await?)
}

/// Every live grant of an account.
pub async fn for_user(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<GrantRow>, StoreError> {
    Ok(grants::Entity::find()
        .filter(grants::Column::UserId.eq(user_id))
        .filter(grants::Column::RevokedAt.is_null())
        .all(conn)
        .await?)
}
