//! E-mail changes that wait for the new address to be confirmed by a link, and a
//! unique index on account e-mail addresses (until now only the flows kept them
//! apart, which two concurrent edits on PostgreSQL could both pass).
//!
//! Before the index is created, existing duplicates are looked for: if any exist
//! the migration stops and names them, instead of failing with a bare constraint
//! error, so the operator can fix the accounts (`kuke-id users list --query …`)
//! and start again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("email_changes")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(string_len("new_email", 320))
                    .col(string_len_uniq("token_hash", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("confirmed_at"))
                    .col(timestamp_with_time_zone_null("voided_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_email_changes_user_id")
                            .from("email_changes", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_email_changes_user_id")
                    .table("email_changes")
                    .col("user_id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        let connection = manager.get_connection();
        let backend = connection.get_database_backend();
        let duplicates = connection
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT email, COUNT(*) AS n FROM users GROUP BY email HAVING COUNT(*) > 1 ORDER BY email LIMIT 20",
            ))
            .await?;
        if !duplicates.is_empty() {
            let listed: Vec<String> =
                duplicates.iter().filter_map(|row| row.try_get::<String>("", "email").ok()).collect();
            return Err(DbErr::Migration(format!(
                "cannot make account e-mail addresses unique: {} address(es) belong to more than one account ({}); \
                 give each account its own address, then start kuke-id again",
                duplicates.len(),
                listed.join(", ")
            )));
        }
        manager
            .create_index(
                Index::create().name("ux_users_email").table("users").col("email").unique().if_not_exists().to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ux_users_email").table("users").to_owned()).await?;
        manager.drop_table(Table::drop().table("email_changes").to_owned()).await
    }
}
