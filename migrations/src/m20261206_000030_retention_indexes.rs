//! Indexes for the retention job (`store::retention`): each batch looks for
//! rows past a time, so each table it sweeps by a time column gets an index on
//! it. The audit trail (`at`) and the delivery queues (`sent_at`,
//! `delivered_at`) have had theirs since earlier migrations.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column) pairs, each indexed as `ix_<table>_<column>`.
const INDEXED: [(&str, &str); 9] = [
    ("authorization_codes", "expires_at"),
    ("authorization_requests", "expires_at"),
    ("login_transactions", "expires_at"),
    ("sessions", "expires_at"),
    ("refresh_tokens", "expires_at"),
    ("revoked_access_tokens", "expires_at"),
    ("rate_limits", "window_start"),
    ("activation_tokens", "expires_at"),
    ("terms_acceptances", "accepted_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in INDEXED {
            manager
                .create_index(
                    Index::create()
                        .name(format!("ix_{table}_{column}"))
                        .table(table)
                        .col(column)
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in INDEXED {
            manager.drop_index(Index::drop().name(format!("ix_{table}_{column}")).table(table).to_owned()).await?;
        }
        Ok(())
    }
}
