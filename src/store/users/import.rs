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
pub async fn by_legacy_ids(conn: &impl ConnectionTrait, ids: &[&str]) -> Result<Vec<ImportedAccount>, StoreError> {
    let rows = users::Entity::find().filter(users::Column::LegacyId.is_in(ids.iter().copied())).all(conn).await?;
    rows.into_iter().map(imported).collect()
}

/// Accounts with these e-mail addresses.
pub async fn by_emails(conn: &impl ConnectionTrait, emails: &[&str]) -> Result<Vec<ImportedAccount>, StoreError> {
    let rows = users::Entity::find().filter(users::Column::Email.is_in(emails.iter().copied())).all(conn).await?;
    rows.into_iter().map(imported).collect()
}

/// Every login number in use.
pub async fn all_logins(conn: &impl ConnectionTrait) -> Result<std::collections::HashSet<String>, StoreError> {
    use sea_orm::QuerySelect;
    let logins: Vec<String> =
        users::Entity::find().select_only().column(users::Column::Login).into_tuple().all(conn).await?;
    Ok(logins.into_iter().collect())
}

/// The columns of an imported account that come from its row (and the time
/// of the import), bound as values.
const BOUND: [&str; 10] = [
    "id",
    "legacy_id",
    "login",
    "email",
    "given_name",
    "family_name",
    "organization_id",
    "role",
    "created_at",
    "updated_at",
];

/// The columns every freshly imported account has the same (as `imported_model`
/// sets them), written as constants.
const SAME_FOR_ALL: [(&str, &str); 13] = [
    ("idp_admin", "FALSE"),
    ("status", "'imported'"),
    ("password_hash", "NULL"),
    ("password_set_at", "NULL"),
    ("invited_at", "NULL"),
    ("first_sign_in_at", "NULL"),
    ("last_sign_in_at", "NULL"),
    ("failed_attempts", "0"),
    ("lockouts", "0"),
    ("locked_until", "NULL"),
    ("admin_locked", "FALSE"),
    ("disabled", "FALSE"),
    ("anonymized_at", "NULL"),
];

/// Rows per `INSERT` on SQLite. Every pooled connection that runs a statement
/// keeps its compiled program, whose size grows with the rows: 500 rows (5 000
/// values) made a large one on each of up to 16 connections. 100 rows keep it
/// a fifth of that, for one statement more per 100 rows inside the batch's
/// transaction (tens of microseconds).
const SQLITE_ROWS_PER_INSERT: usize = 100;

/// Inserts many imported accounts, in as few statements as the backend keeps
/// small (one on PostgreSQL, whose compiled statements live in its server).
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    accounts: &[NewUser],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let rows = if crate::store::is_sqlite(conn) { SQLITE_ROWS_PER_INSERT } else { accounts.len().max(1) };
    for chunk in accounts.chunks(rows) {
        insert_statement(conn, chunk, now).await?;
    }
    Ok(())
}

/// Inserts imported accounts in one statement. Only a row's own values are
/// bound (10 a row rather than 23) and the statement is written straight,
/// without an active model per row.
///
/// SQLite gets anonymous `?` placeholders: sqlx looks up each numbered one's
/// name, which SQLite finds by a linear search, so thousands of `?NNN` or `$NNN`
/// in one statement cost quadratic time.
async fn insert_statement(
    conn: &impl ConnectionTrait,
    accounts: &[NewUser],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    use std::fmt::Write;
    if accounts.is_empty() {
        return Ok(());
    }
    let sqlite = crate::store::is_sqlite(conn);
    let columns = BOUND.iter().chain(SAME_FOR_ALL.iter().map(|(column, _)| column));
    let mut sql = String::with_capacity(256 + accounts.len() * 192);
    sql.push_str("INSERT INTO users (");
    for (at, column) in columns.enumerate() {
        sql.push_str(if at == 0 { "" } else { ", " });
        sql.push_str(column);
    }
    sql.push_str(") VALUES ");
    let constants: String = SAME_FOR_ALL.iter().map(|(_, value)| format!(", {value}")).collect();
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(BOUND.len() * accounts.len());
    for (index, user) in accounts.iter().enumerate() {
        let bound: [sea_orm::Value; BOUND.len()] = [
            Uuid::now_v7().into(),
            user.legacy_id.clone().into(),
            user.login.clone().into(),
            user.email.clone().into(),
            user.given_name.clone().into(),
            user.family_name.clone().into(),
            user.organization_id.into(),
            user.role.as_str().into(),
            now.into(),
            now.into(),
        ];
        sql.push_str(if index == 0 { "(" } else { ", (" });
        for (at, value) in bound.into_iter().enumerate() {
            values.push(value);
            sql.push_str(if at == 0 { "" } else { ", " });
            if sqlite {
                sql.push('?');
            } else {
                let _ = write!(sql, "${}", values.len());
            }
        }
        sql.push_str(&constants);
        sql.push(')');
    }
    let statement = sea_orm::Statement::from_sql_and_values(conn.get_database_backend(), sql, values);
    conn.execute_raw(statement).await?;
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
