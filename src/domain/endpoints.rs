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
/// Prometheus metrics for operators' scrapers (not advertised in discovery).
pub const METRICS: &str = "/metrics";

/// Joins the issuer and a path into an absolute URL.
pub fn url(issuer: &str, path: &str) -> String {
    format!("{issuer}{path}")
}
/// OIDC Core §3.1.2 authorization endpoint.
pub const AUTHORIZE: &str = "/authorize";
/// Where a parked authorization request continues after sign-in or consent.
pub const AUTHORIZE_RESUME: &str = "/authorize/resume";
/// RFC 6749 §3.2 token endpoint.
pub const TOKEN: &str = "/token";
/// OIDC Core §5.3 UserInfo endpoint.
pub const USERINFO: &str = "/userinfo";
/// RFC 7662 introspection endpoint.
pub const INTROSPECT: &str = "/introspect";
/// RFC 7009 revocation endpoint.
pub const REVOKE: &str = "/revoke";
/// RP-Initiated Logout 1.0 end-session endpoint.
pub const END_SESSION: &str = "/logout";
/// The logout confirmation form's target.
pub const END_SESSION_CONFIRM: &str = "/logout/confirm";
/// Consent page for third-party clients.
pub const CONSENT: &str = "/consent";
/// The hosted sign-in page.
pub const SIGN_IN: &str = "/login";
/// Static CSS and images.
pub const ASSETS: &str = "/assets/{file}";
