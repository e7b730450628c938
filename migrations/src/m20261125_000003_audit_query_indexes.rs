//! Indexes for the admin API's audit search (`GET /admin/api/v1/audit`): by
//! action and by actor, each newest first. `at` and `subject_user_id` have had
//! their own indexes since the first schema.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_action_at")
                    .table("audit_events")
                    .col("action")
                    .col("at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_actor_at")
                    .table("audit_events")
                    .col("actor")
                    .col("at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_audit_events_actor_at").table("audit_events").to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_audit_events_action_at").table("audit_events").to_owned()).await
    }
}
