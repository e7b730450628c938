//! Pure types and rules: no I/O, no axum, no sea-orm.

pub mod audit;
pub mod change;
pub mod client;
pub mod client_address;
pub mod clock;
pub mod endpoints;
pub mod import;
pub mod journey;
pub mod lockout;
pub mod login_number;
pub mod oauth;
pub mod one_time_code;
pub mod password;
pub mod secret;
pub mod session;
pub mod signing_alg;
pub mod totp;
pub mod unavailable;
pub mod unknown_name;
pub mod user;
