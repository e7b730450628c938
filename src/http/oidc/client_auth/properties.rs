//! Property tests: any `Authorization` header and any client fields are read as
//! credentials or refused as malformed — never a panic — and well-formed Basic
//! credentials (RFC 6749 §2.3.1) read back as they were sent.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use proptest::prelude::*;

use super::presented;

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![Just("client_id".to_string()), Just("client_secret".to_string()), "[a-z_]{0,12}"];
    proptest::collection::vec((name, any::<String>()), 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_authorization_header_is_read_or_refused(
        value in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..120),
            "(Basic|basic|Bearer|) {0,2}[A-Za-z0-9+/=:% ]{0,60}".prop_map(String::into_bytes),
            any::<Vec<u8>>().prop_map(|raw| {
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw)).into_bytes()
            }),
        ],
        fields in fields(),
    ) {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.insert(header::AUTHORIZATION, value);
        }
        let _ = presented(&headers, &fields);
    }

    #[test]
    fn well_formed_basic_credentials_read_back_as_sent(id in any::<String>(), secret in any::<String>()) {
        let joined = format!("{}:{}", encode(&id), encode(&secret));
        let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(joined));
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&value).map_err(|e| TestCaseError::fail(e.to_string()))?);
        let read = presented(&headers, &[]).map_err(|_| TestCaseError::fail("refused"))?;
        let (read_id, read_secret) = read.basic.ok_or_else(|| TestCaseError::fail("no credentials"))?;
        prop_assert_eq!(read_id, id);
        prop_assert_eq!(read_secret.expose(), secret.as_str());
    }
}
