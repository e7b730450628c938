//! The console's import uploads: the file an administrator uploaded, kept
//! between its dry run and its apply, so that the apply applies exactly the
//! file whose report was shown, on whichever node the apply reaches.
//!
//! An upload belongs to the console session that made it and expires; once
//! applied, its file is emptied and only the reports stay until it expires.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("console_uploads")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(uuid("console_session_id"))
                    .col(string_len("file_name", 200))
                    .col(string_len("format", 8))
                    .col(big_integer("size_bytes"))
                    .col(blob("content"))
                    .col(text("dry_run_report"))
                    .col(text_null("applied_report"))
                    .col(timestamp_with_time_zone_null("applied_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_console_uploads_expires_at")
                    .table("console_uploads")
                    .col("expires_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("console_uploads").to_owned()).await
    }
}
