//! The cookies kuke-id sets: the SSO session, the sign-in step and the CSRF token.
//! All HttpOnly, SameSite=Lax (the session must survive the redirect back from a
//! relying party to /authorize). When the issuer is https they are Secure and named
//! with the `__Host-` prefix, which browsers accept only from this very host with
//! Path=/ and no Domain: a neighbouring subdomain can then neither set nor shadow
//! them (which would defeat the double-submit CSRF check). Read back, only the
//! prefixed name counts on https.

use axum::http::HeaderValue;
use axum_extra::extract::CookieJar;
use subtle::ConstantTimeEq;

use crate::tokens::opaque;

/// SSO session cookie.
pub const SESSION: &str = "kuke_session";
/// CSRF token cookie (double submit: the form field must equal it).
pub const CSRF: &str = "kuke_csrf";

/// The name `base` is sent under.
fn wire_name(base: &str, secure: bool) -> String {
    if secure { format!("__Host-{base}") } else { base.to_string() }
}

/// A `Set-Cookie` value.
pub fn set(name: &str, value: &str, secure: bool) -> HeaderValue {
    let name = wire_name(name, secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// A `Set-Cookie` value that deletes the cookie.
pub fn clear(name: &str, secure: bool) -> HeaderValue {
    let name = wire_name(name, secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// The value of our cookie `name` (under its `__Host-` name on https).
pub fn get(jar: &CookieJar, name: &str, secure: bool) -> Option<String> {
    jar.get(&wire_name(name, secure)).map(|c| c.value().to_string())
}

/// The session cookie's value.
pub fn session(jar: &CookieJar, secure: bool) -> Option<String> {
    get(jar, SESSION, secure)
}

/// The CSRF token for a form: the existing cookie's, or a new one (returned with
/// the `Set-Cookie` to send).
pub fn csrf_token(jar: &CookieJar, secure: bool) -> (String, Option<HeaderValue>) {
    match get(jar, CSRF, secure).filter(|v| v.len() == 43) {
        Some(token) => (token, None),
        None => {
            let token = opaque::random_token();
            let cookie = set(CSRF, &token, secure);
            (token, Some(cookie))
        }
    }
}

/// Whether a submitted form's token matches the cookie (constant time).
pub fn csrf_ok(jar: &CookieJar, secure: bool, submitted: Option<&str>) -> bool {
    match (get(jar, CSRF, secure), submitted) {
        (Some(cookie), Some(field)) if cookie.len() == 43 => cookie.as_bytes().ct_eq(field.as_bytes()).into(),
        _ => false,
    }
}

#[cfg(test)]
mod properties;
