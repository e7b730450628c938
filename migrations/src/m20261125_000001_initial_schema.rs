//! The whole system's first schema: accounts and their organisations, the
//! sign-in journey, the OAuth/OIDC protocol state, clients, terms, the mail
//! outbox and the audit trail.
//!
//! Conventions: primary keys are UUIDs (v7, time-ordered) except for clients,
//! whose key is the public `client_id`; every secret column holds a SHA-256
//! (random tokens) or argon2id (human-chosen) hash, never the secret itself;
//! times are `timestamp with time zone`; lists are JSON arrays in text columns
//! so that SQLite and PostgreSQL share one schema.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

fn fk(
    table: &'static str,
    column: &'static str,
    to: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(to, "id")
        .on_delete(on_delete)
        .to_owned()
}

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(format!("ix_{table}_{}", columns.join("_"))).table(table);
    for column in columns {
        statement.col(*column);
    }
    statement.to_owned()
}

fn tables() -> Vec<TableCreateStatement> {
    use ForeignKeyAction::{Cascade, SetNull};
    vec![
        Table::create()
            .table("organizations")
            .col(pk_uuid("id"))
            .col(string_null("external_id").unique_key())
            .col(string("name"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .to_owned(),
        Table::create()
            .table("users")
            .col(pk_uuid("id"))
            .col(string_null("legacy_id").unique_key())
            .col(string_len_uniq("login", 16))
            .col(string("email"))
            .col(string("given_name"))
            .col(string("family_name"))
            .col(uuid_null("organization_id"))
            .col(string_len("role", 32))
            .col(boolean("idp_admin").default(false))
            .col(string_len("status", 32))
            .col(text_null("password_hash"))
            .col(timestamp_with_time_zone_null("password_set_at"))
            .col(timestamp_with_time_zone_null("invited_at"))
            .col(timestamp_with_time_zone_null("first_sign_in_at"))
            .col(timestamp_with_time_zone_null("last_sign_in_at"))
            .col(integer("failed_attempts").default(0))
            .col(integer("lockouts").default(0))
            .col(timestamp_with_time_zone_null("locked_until"))
            .col(boolean("admin_locked").default(false))
            .col(boolean("disabled").default(false))
            .col(timestamp_with_time_zone_null("anonymized_at"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("users", "organization_id", "organizations", SetNull))
            .to_owned(),
        Table::create()
            .table("activation_tokens")
            .col(pk_uuid("id"))
            .col(uuid("user_id"))
            .col(string_len_uniq("token_hash", 64))
            .col(string_len("purpose", 32))
            .col(created_at())
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("used_at"))
            .col(timestamp_with_time_zone_null("voided_at"))
            .col(timestamp_with_time_zone_null("reminder_sent_at"))
            .foreign_key(&mut fk("activation_tokens", "user_id", "users", Cascade))
            .to_owned(),
        Table::create()
            .table("clients")
            .col(string_len("id", 128).primary_key())
            .col(string("name"))
            .col(text_null("secret_hash"))
            .col(text_null("previous_secret_hash"))
            .col(timestamp_with_time_zone_null("previous_secret_expires_at"))
            .col(boolean("public"))
            .col(boolean("first_party"))
            .col(boolean("require_pkce").default(false))
            .col(text("redirect_uris"))
            .col(text("post_logout_redirect_uris"))
            .col(text("grant_types"))
            .col(text("scopes"))
            .col(string_len("id_token_signed_response_alg", 16))
            .col(text_null("backchannel_logout_uri"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .to_owned(),
        Table::create()
            .table("authorization_requests")
            .col(pk_uuid("id"))
            .col(string_len_uniq("handle_hash", 64))
            .col(string_len("client_id", 128))
            .col(text("parameters"))
            .col(uuid_null("user_id"))
            .col(created_at())
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("completed_at"))
            .foreign_key(&mut fk("authorization_requests", "client_id", "clients", Cascade))
            .to_owned(),
        Table::create()
            .table("login_transactions")
            .col(pk_uuid("id"))
            .col(string_len_uniq("handle_hash", 64))
            .col(uuid("user_id"))
            .col(uuid_null("authorization_request_id"))
            .col(string_len("step", 32))
            .col(string_len_null("code_hash", 64))
            .col(timestamp_with_time_zone_null("code_expires_at"))
            .col(integer("code_attempts").default(0))
            .col(integer("codes_sent").default(0))
            .col(timestamp_with_time_zone_null("code_sent_at"))
            .col(string_null("ip"))
            .col(text_null("user_agent"))
            .col(created_at())
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("ended_at"))
            .foreign_key(&mut fk("login_transactions", "user_id", "users", Cascade))
            .foreign_key(&mut fk("login_transactions", "authorization_request_id", "authorization_requests", SetNull))
            .to_owned(),
        Table::create()
            .table("sessions")
            .col(pk_uuid("id"))
            .col(string_len_uniq("cookie_hash", 64))
            .col(uuid("user_id"))
            .col(timestamp_with_time_zone("auth_time"))
            .col(text("amr"))
            .col(string_null("acr"))
            .col(created_at())
            .col(timestamp_with_time_zone("last_seen_at"))
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("ended_at"))
            .col(string_null("ip"))
            .col(text_null("user_agent"))
            .foreign_key(&mut fk("sessions", "user_id", "users", Cascade))
            .to_owned(),
        Table::create()
            .table("grants")
            .col(pk_uuid("id"))
            .col(string_len("client_id", 128))
            .col(uuid_null("user_id"))
            .col(uuid_null("session_id"))
            .col(text("scope"))
            .col(timestamp_with_time_zone_null("auth_time"))
            .col(text_null("amr"))
            .col(string_null("acr"))
            .col(created_at())
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut fk("grants", "client_id", "clients", Cascade))
            .foreign_key(&mut fk("grants", "user_id", "users", Cascade))
            .foreign_key(&mut fk("grants", "session_id", "sessions", SetNull))
            .to_owned(),
        Table::create()
            .table("authorization_codes")
            .col(pk_uuid("id"))
            .col(string_len_uniq("code_hash", 64))
            .col(string_len("client_id", 128))
            .col(uuid("user_id"))
            .col(uuid_null("session_id"))
            .col(text("redirect_uri"))
            .col(text("scope"))
            .col(text_null("nonce"))
            .col(string_len_null("code_challenge", 128))
            .col(string_len_null("code_challenge_method", 16))
            .col(timestamp_with_time_zone("auth_time"))
            .col(text("amr"))
            .col(string_null("acr"))
            .col(created_at())
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("redeemed_at"))
            .col(uuid_null("grant_id"))
            .foreign_key(&mut fk("authorization_codes", "client_id", "clients", Cascade))
            .foreign_key(&mut fk("authorization_codes", "user_id", "users", Cascade))
            .foreign_key(&mut fk("authorization_codes", "grant_id", "grants", SetNull))
            .to_owned(),
        Table::create()
            .table("refresh_tokens")
            .col(pk_uuid("id"))
            .col(uuid("grant_id"))
            .col(string_len_uniq("token_hash", 64))
            .col(created_at())
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("rotated_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut fk("refresh_tokens", "grant_id", "grants", Cascade))
            .to_owned(),
        Table::create()
            .table("consents")
            .col(pk_uuid("id"))
            .col(uuid("user_id"))
            .col(string_len("client_id", 128))
            .col(text("scope"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut fk("consents", "user_id", "users", Cascade))
            .foreign_key(&mut fk("consents", "client_id", "clients", Cascade))
            .to_owned(),
        Table::create()
            .table("terms_versions")
            .col(pk_uuid("id"))
            .col(string_len_uniq("version", 64))
            .col(string("title"))
            .col(text("body"))
            .col(timestamp_with_time_zone("effective_at"))
            .col(timestamp_with_time_zone("published_at"))
            .to_owned(),
        Table::create()
            .table("terms_acceptances")
            .col(pk_uuid("id"))
            .col(uuid("user_id"))
            .col(uuid("terms_version_id"))
            .col(timestamp_with_time_zone("accepted_at"))
            .col(string_null("ip"))
            .col(text_null("user_agent"))
            .foreign_key(&mut fk("terms_acceptances", "user_id", "users", Cascade))
            .foreign_key(&mut fk("terms_acceptances", "terms_version_id", "terms_versions", Cascade))
            .to_owned(),
        Table::create()
            .table("mail_outbox")
            .col(pk_uuid("id"))
            .col(string_len("kind", 64))
            .col(uuid_null("user_id"))
            .col(string("recipient"))
            .col(text("subject"))
            .col(text("body_text"))
            .col(text("body_html"))
            .col(created_at())
            .col(integer("attempts").default(0))
            .col(timestamp_with_time_zone("next_attempt_at"))
            .col(timestamp_with_time_zone_null("claimed_until"))
            .col(timestamp_with_time_zone_null("sent_at"))
            .col(timestamp_with_time_zone_null("failed_at"))
            .col(text_null("last_error"))
            .to_owned(),
        Table::create()
            .table("audit_events")
            .col(pk_uuid("id"))
            .col(timestamp_with_time_zone("at"))
            .col(string("actor"))
            .col(string_len("action", 64))
            .col(string_null("target"))
            .col(uuid_null("subject_user_id"))
            .col(string_null("ip"))
            .col(string_null("request_id"))
            .col(text("details"))
            .to_owned(),
        Table::create()
            .table("rate_limits")
            .col(string_len("bucket", 255).primary_key())
            .col(timestamp_with_time_zone("window_start"))
            .col(integer("hits"))
            .to_owned(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("users", &["organization_id"]),
        index("users", &["email"]),
        index("users", &["status"]),
        index("activation_tokens", &["user_id"]),
        index("login_transactions", &["user_id"]),
        index("sessions", &["user_id"]),
        index("grants", &["user_id", "client_id"]),
        index("authorization_codes", &["grant_id"]),
        index("refresh_tokens", &["grant_id"]),
        Index::create()
            .name("ux_consents_user_client")
            .table("consents")
            .col("user_id")
            .col("client_id")
            .unique()
            .to_owned(),
        index("terms_acceptances", &["user_id"]),
        index("mail_outbox", &["sent_at", "next_attempt_at"]),
        index("audit_events", &["at"]),
        index("audit_events", &["subject_user_id"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables().into_iter().rev() {
            let name = table.get_table_name().cloned();
            if let Some(name) = name {
                manager.drop_table(Table::drop().table(name).if_exists().to_owned()).await?;
            }
        }
        Ok(())
    }
}
