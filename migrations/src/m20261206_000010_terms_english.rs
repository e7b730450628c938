//! An English text beside the binding Polish one of a terms version, for readers
//! of the English pages. Nullable: versions published before it have none, and
//! a version may still be published in Polish only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("terms_versions").add_column(text_null("body_en")).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("terms_versions").drop_column("body_en").to_owned()).await
    }
}
