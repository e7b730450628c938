//! kuke-id: KUKE's OpenID Connect provider.
//!
//! Code tour, in the direction data flows (`http -> flows -> domain/tokens/mail/store`;
//! `tests/layers.rs` fails on any import against it):
//! - [`config`]: settings from defaults, an optional TOML file and `KUKE_ID_*` variables.
//! - [`app`]: builds the whole application (store, keys, router) for `main` and for tests.
//! - [`http`]: the server loop (hyper), axum routers, middleware and the mapping of errors to responses.
//! - [`flows`]: one use case per function; flows own the transaction and the clock.
//! - [`domain`]: pure types and rules, no I/O.
//! - [`i18n`]: languages and message catalogues.
//! - [`mail`]: typed mails rendered from templates, the outbox and its delivery worker.
//! - [`tokens`]: signing keys, the JWK set and random tokens with their stored hashes.
//! - [`store`]: the only module that talks to the database.
//! - [`state`]: the shared state flows and handlers work with (below the flows: it never imports them).
//! - [`demo`]: the built-in demo relying party of `serve --demo`; only [`app`] wires it in.
//! - [`cli`]: the `kuke-id` command line.
//! - [`telemetry`]: logging setup.
//! - [`metrics`]: the Prometheus counters and histograms served at `/metrics`.

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod flows;
pub mod http;
pub mod i18n;
pub mod mail;
pub mod metrics;
pub mod rp_http;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tokens;
