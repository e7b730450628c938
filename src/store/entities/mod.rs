//! sea-orm entities, one per table (see the migrations crate for the schema).

pub mod audit_events;
pub mod authorization_codes;
pub mod authorization_requests;
pub mod backchannel_deliveries;
pub mod clients;
pub mod consents;
pub mod grants;
pub mod mail_outbox;
pub mod organizations;
pub mod refresh_tokens;
pub mod revoked_access_tokens;
pub mod sessions;
pub mod users;
