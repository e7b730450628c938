//! Signing keys, the public JWK set, and random opaque tokens.

pub mod keys;
pub mod opaque;
