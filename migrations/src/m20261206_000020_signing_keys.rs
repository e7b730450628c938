//! Signing keys move into the database, so that every node signs and publishes
//! the same key set: `signing_keys` holds each key's private part sealed with the
//! key-encryption key (AES-256-GCM; the database never sees it in clear), and
//! `signing_key_set` is one row whose lock serialises the creation, import and
//! rotation of keys across nodes.

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
                    .table("signing_keys")
                    .if_not_exists()
                    .col(string_len("kid", 64).primary_key())
                    .col(string_len("alg", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("signs_from"))
                    .col(timestamp_with_time_zone_null("retire_after"))
                    .col(timestamp_with_time_zone_null("retired_at"))
                    .col(blob("sealed_key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("signing_key_set")
                    .if_not_exists()
                    .col(integer("id").primary_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("locked_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("signing_key_set").to_owned()).await?;
        manager.drop_table(Table::drop().table("signing_keys").to_owned()).await
    }
}
