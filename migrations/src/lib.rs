//! Database schema of kuke-id, as an ordered list of migrations.
//!
//! An applied migration is never edited: a change to the schema is a new file,
//! appended to [`Migrator::migrations`].

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_initial_schema;
mod m20261125_000002_protocol_state;
mod m20261125_000003_audit_query_indexes;
mod m20261206_000010_terms_english;
mod m20261206_000011_email_changes;
mod m20261206_000020_signing_keys;
mod m20261206_000030_retention_indexes;
mod m20261207_000110_authenticators;
mod m20261207_000120_console;
mod m20261208_000210_console_uploads;
mod m20261209_000310_one_email_index;

/// Runs every migration of kuke-id, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_initial_schema::Migration),
            Box::new(m20261125_000002_protocol_state::Migration),
            Box::new(m20261125_000003_audit_query_indexes::Migration),
            Box::new(m20261206_000010_terms_english::Migration),
            Box::new(m20261206_000011_email_changes::Migration),
            Box::new(m20261206_000020_signing_keys::Migration),
            Box::new(m20261206_000030_retention_indexes::Migration),
            Box::new(m20261207_000110_authenticators::Migration),
            Box::new(m20261207_000120_console::Migration),
            Box::new(m20261208_000210_console_uploads::Migration),
            Box::new(m20261209_000310_one_email_index::Migration),
        ]
    }
}
