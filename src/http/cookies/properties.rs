//! Property tests: whatever `Cookie` header a browser (or anyone) sends, reading
//! our cookies answers a value or nothing, and the CSRF check passes only for
//! the cookie's own token — never a panic.

use axum::http::{HeaderMap, HeaderValue, header};
use axum_extra::extract::CookieJar;
use proptest::prelude::*;

use super::{CSRF, SESSION, csrf_ok, csrf_token, get, session};

fn cookie_header() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "((__Host-)?(kuke_session|kuke_csrf|x)=[ -~]{0,50}; ?){0,4}".prop_map(String::into_bytes),
    ]
}

fn jar(values: &[Vec<u8>]) -> CookieJar {
    let mut headers = HeaderMap::new();
    for value in values {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(header::COOKIE, value);
        }
    }
    CookieJar::from_headers(&headers)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_cookie_header_reads_as_a_value_or_nothing(
        values in proptest::collection::vec(cookie_header(), 0..3),
        secure in any::<bool>(),
        submitted in proptest::option::of("[ -~]{0,50}"),
    ) {
        let jar = jar(&values);
        let _ = session(&jar, secure);
        let _ = get(&jar, SESSION, secure);
        let (token, set_cookie) = csrf_token(&jar, secure);
        prop_assert_eq!(token.len(), 43);
        prop_assert_eq!(set_cookie.is_some(), get(&jar, CSRF, secure).is_none_or(|v| v.len() != 43));
        let accepted = csrf_ok(&jar, secure, submitted.as_deref());
        if accepted {
            prop_assert_eq!(get(&jar, CSRF, secure), submitted);
        }
    }
}
