//! Account rows.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::users;

/// What an import knows about an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Ekstranet id.
    pub legacy_id: Option<String>,
    /// Six-digit login number.
    pub login: String,
    /// E-mail address.
    pub email: String,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// Organisation.
    pub organization_id: Option<Uuid>,
    /// `administrator` or `user`.
    pub role: String,
}

/// Inserts an account in state `imported`; a taken login or legacy id is a conflict.
pub async fn insert(conn: &impl ConnectionTrait, user: &NewUser, now: OffsetDateTime) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    users::ActiveModel {
        id: Set(id),
        legacy_id: Set(user.legacy_id.clone()),
        login: Set(user.login.clone()),
        email: Set(user.email.clone()),
        given_name: Set(user.given_name.clone()),
        family_name: Set(user.family_name.clone()),
        organization_id: Set(user.organization_id),
        role: Set(user.role.clone()),
        idp_admin: Set(false),
        status: Set("imported".into()),
        password_hash: Set(None),
        password_set_at: Set(None),
        invited_at: Set(None),
        first_sign_in_at: Set(None),
        last_sign_in_at: Set(None),
        failed_attempts: Set(0),
        lockouts: Set(0),
        locked_until: Set(None),
        admin_locked: Set(false),
        disabled: Set(false),
        anonymized_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Finds an account by its Ekstranet id.
pub async fn find_by_legacy_id(
    conn: &impl ConnectionTrait,
    legacy_id: &str,
) -> Result<Option<(Uuid, String)>, StoreError> {
    let row = users::Entity::find().filter(users::Column::LegacyId.eq(legacy_id)).one(conn).await?;
    Ok(row.map(|r| (r.id, r.login)))
}

/// Whether a login number is taken.
pub async fn login_exists(conn: &impl ConnectionTrait, login: &str) -> Result<bool, StoreError> {
    Ok(users::Entity::find().filter(users::Column::Login.eq(login)).one(conn).await?.is_some())
}

/// An account with its organisation.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<crate::domain::user::User>, StoreError> {
    let Some(row) = users::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    Ok(Some(to_domain(conn, row).await?))
}

/// An account by its login number.
pub async fn find_by_login(
    conn: &impl ConnectionTrait,
    login: &str,
) -> Result<Option<crate::domain::user::User>, StoreError> {
    let Some(row) = users::Entity::find().filter(users::Column::Login.eq(login)).one(conn).await? else {
        return Ok(None);
    };
    Ok(Some(to_domain(conn, row).await?))
}

/// Sets the journey status (`imported`, `invited`, `active`).
pub async fn set_status(
    conn: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::Status, Expr::value(status))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

async fn to_domain(conn: &impl ConnectionTrait, row: users::Model) -> Result<crate::domain::user::User, StoreError> {
    use super::entities::organizations;
    let organization = match row.organization_id {
        Some(org) => organizations::Entity::find_by_id(org)
            .one(conn)
            .await?
            .map(|o| crate::domain::user::Organization { id: o.id, name: o.name }),
        None => None,
    };
    Ok(crate::domain::user::User {
        id: row.id,
        login: row.login,
        email: row.email,
        given_name: row.given_name,
        family_name: row.family_name,
        role: row.role,
        idp_admin: row.idp_admin,
        organization,
        status: row.status,
        disabled: row.disabled,
    })
}
