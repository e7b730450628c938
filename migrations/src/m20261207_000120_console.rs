//! The admin console: the `idp-helpdesk` staff role beside `idp-admin`, and the
//! console's own sessions (and sign-ins in progress).
//!
//! A console session is bound to the kuke-id browser session it was signed in
//! with (`session_id`): ending that session (logout, an administrator) ends the
//! console session too. Only the hash of the cookie value is stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("users").add_column(boolean("idp_helpdesk").default(false)).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("console_sessions")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(string_len_uniq("token_hash", 64))
                    // A sign-in in progress has no account yet; its state and nonce
                    // are checked at the callback.
                    .col(uuid_null("user_id"))
                    .col(uuid_null("session_id"))
                    .col(string_len_null("state", 64))
                    .col(string_len_null("nonce", 64))
                    .col(text_null("id_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_console_sessions_expires_at")
                    .table("console_sessions")
                    .col("expires_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("console_sessions").to_owned()).await?;
        manager.alter_table(Table::alter().table("users").drop_column("idp_helpdesk").to_owned()).await
    }
}
