//! The cookies kuke-id sets: the SSO session and the CSRF token. Both HttpOnly,
//! SameSite=Lax (the session must survive the redirect back from a relying party
//! to /authorize), Secure when the issuer is https.

use axum::http::HeaderValue;
use axum_extra::extract::CookieJar;
use subtle::ConstantTimeEq;

use crate::tokens::opaque;

/// SSO session cookie.
pub const SESSION: &str = "kuke_session";
/// CSRF token cookie (double submit: the form field must equal it).
pub const CSRF: &str = "kuke_csrf";

/// A `Set-Cookie` value.
pub fn set(name: &str, value: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// A `Set-Cookie` value that deletes the cookie.
pub fn clear(name: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// The session cookie's value.
pub fn session(jar: &CookieJar) -> Option<String> {
    jar.get(SESSION).map(|c| c.value().to_string())
}

/// The CSRF token for a form: the existing cookie's, or a new one (returned with
/// the `Set-Cookie` to send).
pub fn csrf_token(jar: &CookieJar, secure: bool) -> (String, Option<HeaderValue>) {
    match jar.get(CSRF).map(|c| c.value().to_string()).filter(|v| v.len() == 43) {
        Some(token) => (token, None),
        None => {
            let token = opaque::random_token();
            let cookie = set(CSRF, &token, secure);
            (token, Some(cookie))
        }
    }
}

/// Whether a submitted form's token matches the cookie (constant time).
pub fn csrf_ok(jar: &CookieJar, submitted: Option<&str>) -> bool {
    match (jar.get(CSRF), submitted) {
        (Some(cookie), Some(field)) if cookie.value().len() == 43 => {
            cookie.value().as_bytes().ct_eq(field.as_bytes()).into()
        }
        _ => false,
    }
}
