//! What the Ekstranet import reads and writes of accounts.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

use super::NewUser;
use crate::domain::user::{Role, Status};
use crate::store::StoreError;
use crate::store::entities::users;

/// What an import knows about an existing account.
#[derive(Debug, Clone)]
pub struct ImportedAccount {
    /// Account id.
    pub id: Uuid,
    /// Ekstranet id.
    pub legacy_id: Option<String>,
    /// E-mail.
    pub email: String,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// Role.
    pub role: Role,
    /// Organisation.
    pub organization_id: Option<Uuid>,
    /// Journey state.
    pub status: Status,
}

fn imported(row: users::Model) -> Result<ImportedAccount, StoreError> {
    Ok(ImportedAccount {
        id: row.id,
        legacy_id: row.legacy_id,
        email: row.email,
        given_name: row.given_name,
        family_name: row.family_name,
        role: row.role.parse()?,
        organization_id: row.organization_id,
        status: row.status.parse()?,
    })
}

/// Accounts with these Ekstranet ids.
pub async fn by_legacy_ids(conn: &impl ConnectionTrait, ids: &[String]) -> Result<Vec<ImportedAccount>, StoreError> {
    let rows = users::Entity::find().filter(users::Column::LegacyId.is_in(ids.iter().cloned())).all(conn).await?;
    rows.into_iter().map(imported).collect()
}

/// Accounts with these e-mail addresses.
pub async fn by_emails(conn: &impl ConnectionTrait, emails: &[String]) -> Result<Vec<ImportedAccount>, StoreError> {
    let rows = users::Entity::find().filter(users::Column::Email.is_in(emails.iter().cloned())).all(conn).await?;
    rows.into_iter().map(imported).collect()
}

/// Every login number in use.
pub async fn all_logins(conn: &impl ConnectionTrait) -> Result<std::collections::HashSet<String>, StoreError> {
    use sea_orm::QuerySelect;
    let logins: Vec<String> =
        users::Entity::find().select_only().column(users::Column::Login).into_tuple().all(conn).await?;
    Ok(logins.into_iter().collect())
}

/// Inserts many imported accounts in one statement.
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    accounts: &[NewUser],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    if accounts.is_empty() {
        return Ok(());
    }
    let models = accounts.iter().map(|user| super::imported_model(Uuid::now_v7(), user, now));
    users::Entity::insert_many(models).exec(conn).await?;
    Ok(())
}

/// Updates an imported (not yet activated) account from a newer export.
pub async fn update_from_import(
    conn: &impl ConnectionTrait,
    id: Uuid,
    user: &NewUser,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    super::personal_data(
        id,
        &user.given_name,
        &user.family_name,
        &user.email,
        user.role.as_str(),
        user.organization_id,
        now,
    )
    .exec(conn)
    .await?;
    Ok(())
}
