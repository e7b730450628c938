//! One index on account e-mail addresses. The first schema indexed `email` for
//! look-ups, and a later migration added a unique index on the same column;
//! the unique one serves every look-up, so the first only doubled the work of
//! each insert and each change of address (and its pages, in memory and on disk).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_users_email").table("users").if_exists().to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(Index::create().name("ix_users_email").table("users").col("email").if_not_exists().to_owned())
            .await
    }
}
