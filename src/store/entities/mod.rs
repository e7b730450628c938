//! sea-orm entities, one per table (see the migrations crate for the schema).

pub mod audit_events;
pub mod clients;
pub mod organizations;
pub mod users;
