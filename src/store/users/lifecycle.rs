//! Changes of an account's life: password set or forgotten, invitation, profile
//! edits, administrators' switches, anonymisation.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::user::Status;
use crate::store::StoreError;
use crate::store::entities::users;

/// Sets a new password: the account becomes active.
pub async fn set_password(
    conn: &impl ConnectionTrait,
    id: Uuid,
    hash: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::PasswordSetAt, Expr::value(now))
        .col_expr(users::Column::Status, Expr::value(Status::Active.as_str()))
        .col_expr(users::Column::FailedAttempts, Expr::value(0))
        .col_expr(users::Column::LockedUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Marks the account invited (activation mail queued).
pub async fn mark_invited(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::InvitedAt, Expr::value(now))
        .col_expr(users::Column::Status, Expr::value(Status::Invited.as_str()))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::Status.eq(Status::Imported.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Forgets the password: the account waits for a new activation (`invited`).
pub async fn clear_password(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(Option::<String>::None))
        .col_expr(users::Column::PasswordSetAt, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(users::Column::Status, Expr::value(Status::Invited.as_str()))
        .col_expr(users::Column::InvitedAt, Expr::value(now))
        .col_expr(users::Column::FailedAttempts, Expr::value(0))
        .col_expr(users::Column::LockedUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The fields an administrator may change.
#[derive(Debug, Clone)]
pub struct Profile {
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// E-mail address (lower case).
    pub email: String,
    /// `administrator` or `user`.
    pub role: String,
    /// Organisation.
    pub organization_id: Option<Uuid>,
    /// May use the admin API.
    pub idp_admin: bool,
    /// Help-desk staff.
    pub idp_helpdesk: bool,
}

/// The full row of an account (administration shows every state field).
pub async fn row(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<users::Model>, StoreError> {
    Ok(users::Entity::find_by_id(id).one(conn).await?.filter(|r| r.anonymized_at.is_none()))
}

/// Writes a changed profile; a taken e-mail is a conflict.
pub async fn update_profile(
    conn: &impl ConnectionTrait,
    id: Uuid,
    profile: &Profile,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    let Profile { given_name, family_name, email, role, organization_id, idp_admin, idp_helpdesk } = profile;
    super::personal_data(id, given_name, family_name, email, role, *organization_id, now)
        .col_expr(users::Column::IdpAdmin, Expr::value(*idp_admin))
        .col_expr(users::Column::IdpHelpdesk, Expr::value(*idp_helpdesk))
        .exec(conn)
        .await?;
    Ok(())
}

/// An on/off switch an administrator sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// Locked until unlocked (unlocking also clears an automatic lock).
    Locked,
    /// Disabled: cannot sign in, receives no links.
    Disabled,
}

/// Sets a switch; returns whether it changed.
pub async fn set_switch(
    conn: &impl ConnectionTrait,
    id: Uuid,
    switch: Switch,
    on: bool,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    use sea_orm::sea_query::Expr;
    let column = match switch {
        Switch::Locked => users::Column::AdminLocked,
        Switch::Disabled => users::Column::Disabled,
    };
    let mut update = users::Entity::update_many()
        .col_expr(column, Expr::value(on))
        .col_expr(users::Column::UpdatedAt, Expr::value(now));
    let changes = if switch == Switch::Locked && !on {
        // Unlocking lifts an automatic lock as well as an administrator's.
        update = update
            .col_expr(users::Column::LockedUntil, Expr::value(Option::<OffsetDateTime>::None))
            .col_expr(users::Column::FailedAttempts, Expr::value(0));
        sea_orm::Condition::any().add(column.eq(true)).add(users::Column::LockedUntil.gt(now))
    } else {
        sea_orm::Condition::all().add(column.eq(!on))
    };
    let result = update.filter(users::Column::Id.eq(id)).filter(changes).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

/// Erases the personal data of an account, keeping the row (and so the audit
/// trail's references): names and e-mail become placeholders, the Ekstranet id
/// and password go, and the account can never sign in again.
pub async fn anonymize(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::GivenName, Expr::value(""))
        .col_expr(users::Column::FamilyName, Expr::value(""))
        .col_expr(users::Column::Email, Expr::value(format!("deleted-{}@invalid", id.simple())))
        .col_expr(users::Column::LegacyId, Expr::value(Option::<String>::None))
        .col_expr(users::Column::PasswordHash, Expr::value(Option::<String>::None))
        .col_expr(users::Column::IdpAdmin, Expr::value(false))
        .col_expr(users::Column::Disabled, Expr::value(true))
        .col_expr(users::Column::AnonymizedAt, Expr::value(now))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
