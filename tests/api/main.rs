//! The integration tests: one binary, every test against the real server on a
//! loopback port, on SQLite and — when `KUKE_ID_TEST_POSTGRES_URL` is set — on
//! a fresh PostgreSQL database as well.

// A harness, not production code: a failed setup step should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Helpers serve many test files; not every one uses each of them.
#[allow(dead_code)]
#[macro_use]
mod support;

mod accessibility;
mod account;
mod account_browser;
mod account_cut_off;
mod admin;
mod admin_audit;
mod admin_campaign;
mod admin_clients;
mod admin_import;
mod admin_keys;
mod admin_organizations;
mod admin_privilege;
mod admin_terms;
mod admin_users;
mod attempt_limits;
mod authorize;
mod backchannel_logout;
mod browser;
mod cli;
mod cli_users;
mod cluster;
mod cluster_races;
mod concurrency;
mod conformance;
mod connections;
mod consent;
mod console;
mod console_browser;
mod console_migration;
mod console_provider;
mod console_provider_browser;
mod crash_recovery;
mod demo;
mod discovery;
mod health;
mod http_layer;
mod import;
mod introspect_revoke;
mod journey;
mod jwks;
mod key_set;
mod language_switch;
mod logout;
mod metrics;
mod nginx;
mod nodes;
mod oidc_flow;
mod password_rules;
mod postgres_outage;
mod properties;
mod races;
mod resume_sign_in;
mod retention;
mod schema;
mod shipped_build;
mod smtp_outage;
mod smtp_sink;
mod sqlite_memory;
mod sqlite_plans;
mod stats;
mod token;
mod totp;
mod userinfo;
mod way_onward;
