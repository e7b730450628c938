//! OAuth 2.0 / OpenID Connect protocol rules that need no I/O.

pub mod error;
pub mod grant_type;
pub mod pkce;
pub mod prompt;
pub mod scope;
