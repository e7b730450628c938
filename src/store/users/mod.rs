//! Account rows: the one place that reads and writes `users`. Status and role
//! are stored as their names and typed at this boundary.

mod attempts;
mod import;
mod lifecycle;
mod search;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::users;
use crate::domain::user::{Role, Status};

pub use attempts::{
    Credentials, Reserved, count_failure, credentials, give_back_attempt, is_unlocked, lock_if_exhausted,
    reserve_attempt, reserve_attempt_by_login, signed_in,
};
pub use import::{ImportedAccount, all_logins, by_emails, by_legacy_ids, insert_many, update_from_import};
pub use lifecycle::{
    Profile, Switch, anonymize, clear_password, mark_invited, row, set_password, set_switch, update_profile,
};
pub use search::{by_logins_or_emails, link_expired, not_invited, search};

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
    /// Role in the organisation.
    pub role: Role,
}

/// Inserts an account in state `imported`; a taken login or legacy id is a conflict.
pub async fn insert(conn: &impl ConnectionTrait, user: &NewUser, now: OffsetDateTime) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    imported_model(id, user, now).insert(conn).await?;
    Ok(id)
}

/// The row of a freshly imported account.
pub(super) fn imported_model(id: Uuid, user: &NewUser, now: OffsetDateTime) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(id),
        legacy_id: Set(user.legacy_id.clone()),
        login: Set(user.login.clone()),
        email: Set(user.email.clone()),
        given_name: Set(user.given_name.clone()),
        family_name: Set(user.family_name.clone()),
        organization_id: Set(user.organization_id),
        role: Set(user.role.as_str().into()),
        idp_admin: Set(false),
        idp_helpdesk: Set(false),
        status: Set(Status::Imported.as_str().into()),
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

/// An account by e-mail address (case-insensitive), if exactly one has it.
pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<crate::domain::user::User>, StoreError> {
    let wanted = email.trim().to_lowercase();
    let rows = users::Entity::find().filter(users::Column::Email.eq(wanted.as_str())).all(conn).await?;
    match rows.len() {
        1 => match rows.into_iter().next() {
            Some(row) => Ok(Some(to_domain(conn, row).await?)),
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

pub(super) async fn to_domain(
    conn: &impl ConnectionTrait,
    row: users::Model,
) -> Result<crate::domain::user::User, StoreError> {
    use crate::store::entities::organizations;
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
        role: row.role.parse()?,
        idp_admin: row.idp_admin,
        idp_helpdesk: row.idp_helpdesk,
        organization,
        status: row.status.parse()?,
        disabled: row.disabled,
        admin_locked: row.admin_locked,
    })
}

/// Sets the journey status.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    id: Uuid,
    status: Status,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::Status, Expr::value(status.as_str()))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The update of an account's name, e-mail, role and organisation.
pub(super) fn personal_data(
    id: Uuid,
    given_name: &str,
    family_name: &str,
    email: &str,
    role: &str,
    organization_id: Option<Uuid>,
    now: OffsetDateTime,
) -> sea_orm::UpdateMany<users::Entity> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::GivenName, Expr::value(given_name))
        .col_expr(users::Column::FamilyName, Expr::value(family_name))
        .col_expr(users::Column::Email, Expr::value(email))
        .col_expr(users::Column::Role, Expr::value(role))
        .col_expr(users::Column::OrganizationId, Expr::value(organization_id))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
}

/// Sets a confirmed new e-mail address; false when the account is gone. A unique
/// index keeps addresses apart: another account's address is a `Conflict`.
pub async fn set_email(
    conn: &impl ConnectionTrait,
    id: Uuid,
    email: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    use sea_orm::sea_query::Expr;
    let result = users::Entity::update_many()
        .col_expr(users::Column::Email, Expr::value(email))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::AnonymizedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Locks an account's row until the transaction ends (PostgreSQL; SQLite's write
/// transactions are serialised anyway): changes that read and then write an
/// account's links or state run one after the other.
pub async fn lock_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    use sea_orm::QuerySelect;
    users::Entity::find_by_id(id).lock_exclusive().one(conn).await?;
    Ok(())
}
