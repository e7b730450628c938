//! Use cases, one per public function. A flow reads the clock once, opens the
//! transaction, applies the domain rules and commits; it never sees axum types.

pub mod access;
pub mod account;
pub mod accounts;
pub mod admin_access;
pub mod audit;
pub mod authorize;
pub mod backchannel;
pub mod changes;
pub mod client_auth;
pub mod clients;
pub mod console;
pub mod demo;
pub mod dev_mailbox;
pub mod discovery;
pub mod import;
pub mod introspect;
pub mod journey;
pub mod keys;
pub mod logout;
pub mod metrics;
pub mod organizations;
pub mod retention;
pub mod revoke;
pub mod session;
pub mod stats;
pub mod terms;
pub mod token;
pub mod userinfo;

use crate::store::StoreError;

/// A failure no caller can fix: logged with its cause, shown as an opaque error.
#[derive(Debug, thiserror::Error)]
#[error("internal error: {0}")]
pub struct Internal(#[from] pub StoreError);

/// The sender of every mail this provider queues: its `From` address and its counters.
pub fn mail_sender(state: &crate::state::AppState) -> crate::mail::Sender<'_> {
    crate::mail::Sender { from: &state.settings.mail_from, metrics: &state.metrics }
}
