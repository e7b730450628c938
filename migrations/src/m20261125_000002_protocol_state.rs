//! Protocol state the first schema lacked: revoked access tokens (RFC 7009 for
//! self-contained JWTs), back-channel logout deliveries (retried like mail), and
//! whether a grant survives the end of its browser session (`offline_access`).

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
                    .table("revoked_access_tokens")
                    .col(string_len("jti", 64).primary_key())
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("backchannel_deliveries")
                    .col(pk_uuid("id"))
                    .col(string_len("client_id", 128))
                    .col(text("uri"))
                    .col(text("logout_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(timestamp_with_time_zone_null("failed_at"))
                    .col(text_null("last_error"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_backchannel_deliveries_client_id")
                            .from("backchannel_deliveries", "client_id")
                            .to("clients", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_backchannel_deliveries_pending")
                    .table("backchannel_deliveries")
                    .col("delivered_at")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("grants").add_column(boolean("offline").default(false)).to_owned())
            .await?;
        manager
            .create_index(Index::create().name("ix_grants_session_id").table("grants").col("session_id").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("grants").drop_column("offline").to_owned()).await?;
        manager.drop_table(Table::drop().table("backchannel_deliveries").to_owned()).await?;
        manager.drop_table(Table::drop().table("revoked_access_tokens").to_owned()).await
    }
}
