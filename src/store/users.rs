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
pub async fn insert(
    conn: &impl ConnectionTrait,
    user: &NewUser,
    now: OffsetDateTime,
) -> Result<Uuid, StoreError> {
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
    let row = users::Entity::find()
        .filter(users::Column::LegacyId.eq(legacy_id))
        .one(conn)
        .await?;
    Ok(row.map(|r| (r.id, r.login)))
}

/// Whether a login number is taken.
pub async fn login_exists(conn: &impl ConnectionTrait, login: &str) -> Result<bool, StoreError> {
    Ok(users::Entity::find()
        .filter(users::Column::Login.eq(login))
        .one(conn)
        .await?
        .is_some())
}
