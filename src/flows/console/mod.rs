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
//! - [`migration`]: the import's upload, dry run and apply; the campaign's plan and progress.

pub mod client;
pub mod dashboard;
pub mod migration;
pub mod person;
pub mod sign_in;
pub mod staff;

pub use client::CONSOLE_CLIENT_ID;
pub use staff::{RequestOrigin, Staff, Visitor};
