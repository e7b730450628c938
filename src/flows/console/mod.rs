//! The admin console (`/admin`): a relying party of kuke-id itself for staff
//! (`idp-admin`, `idp-helpdesk`). Its changes go through the same account flows
//! as the admin API and are audited the same way, with the staff member as the
//! actor (`user:<uuid>`).
//!
//! - [`client`]: the console's client registration, made on start.
//! - [`sign_in`]: the authorization request and its callback.
//! - [`staff`]: who is using the console, on every request; refusals audited.
//! - [`person`]: what the console shows about one person.
//! - [`dashboard`]: the migration funnel and the last 30 days.
//! - [`import`]: an uploaded export's dry run, kept file and apply.
//! - [`campaign`]: who a campaign will mail; its pace and progress.
//! - [`provider`]: reading the forms of the clients, keys, terms and audit pages.

pub mod campaign;
pub mod client;
pub mod dashboard;
pub mod import;
pub mod person;
pub mod provider;
pub mod sign_in;
pub mod staff;

pub use client::CONSOLE_CLIENT_ID;
pub use staff::{RequestOrigin, Staff, Visitor};
