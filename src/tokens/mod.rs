//! Signing keys, the public JWK set, the JWTs kuke-id issues, and random opaque tokens.

pub mod access_token;
pub mod id_token;
pub mod jwt;
pub mod keys;
pub mod opaque;
