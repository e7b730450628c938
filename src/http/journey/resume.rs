//! The sign-in a link request came from. A person who asks for a new link (or a
//! password reset) in the middle of signing in to an application should land
//! back in that sign-in once the password is set. The browser keeps the parked
//! request's handle in a cookie; the mail never carries it, so a link requested
//! by someone else can never lead into their sign-in.

use axum::http::header;
use axum::response::Response;
use axum_extra::extract::CookieJar;

use crate::http::cookies;

/// Cookie holding the handle of the sign-in to resume.
const RESUME: &str = "kuke_resume";

/// Whether `handle` looks like a parked request's handle (the random tokens
/// kuke-id issues): anything else is ignored rather than echoed.
pub fn is_well_formed(handle: &str) -> bool {
    (16..=128).contains(&handle.len()) && handle.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Remembers `handle` in the browser that asked for the link.
pub fn remember(response: &mut Response, handle: &str, secure: bool) {
    response.headers_mut().append(header::SET_COOKIE, cookies::set(RESUME, handle, secure));
}

/// The remembered handle, if any.
pub fn recall(jar: &CookieJar, secure: bool) -> Option<String> {
    cookies::get(jar, RESUME, secure).filter(|handle| is_well_formed(handle))
}

/// Forgets the handle once it has been offered.
pub fn forget(response: &mut Response, secure: bool) {
    response.headers_mut().append(header::SET_COOKIE, cookies::clear(RESUME, secure));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_handles_of_the_token_alphabet_are_kept() {
        assert!(is_well_formed("AbC123_-xyzXYZ0123456789abcdefghijklmn"));
        assert!(!is_well_formed("short"));
        assert!(!is_well_formed("has spaces and quotes \" in it...."));
        assert!(!is_well_formed(&"a".repeat(129)));
    }
}
