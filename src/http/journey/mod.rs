//! The hosted sign-in pages.

pub mod sign_in;
