//! sea-orm entities, one per table (see the migrations crate for the schema).

pub mod activation_tokens;
pub mod audit_events;
pub mod authenticators;
pub mod authorization_codes;
pub mod authorization_requests;
pub mod backchannel_deliveries;
pub mod clients;
pub mod consents;
pub mod console_sessions;
pub mod console_uploads;
pub mod email_changes;
pub mod grants;
pub mod login_transactions;
pub mod mail_outbox;
pub mod organizations;
pub mod rate_limits;
pub mod recovery_codes;
pub mod refresh_tokens;
pub mod revoked_access_tokens;
pub mod sessions;
pub mod signing_key_set;
pub mod signing_keys;
pub mod terms_acceptances;
pub mod terms_versions;
pub mod users;
