//! Every public path, once. Routers and discovery both read this table, so the
//! document can never advertise a path the server does not route.

/// OIDC Discovery 1.0 §4.
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
/// RFC 7517 JWK set of the signing keys.
pub const JWKS: &str = "/jwks";
/// Liveness.
pub const HEALTHZ: &str = "/healthz";
/// Readiness (the database answers).
pub const READYZ: &str = "/readyz";

/// Joins the issuer and a path into an absolute URL.
pub fn url(issuer: &str, path: &str) -> String {
    format!("{issuer}{path}")
}
