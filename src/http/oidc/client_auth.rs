//! Extracting client credentials from a request (RFC 6749 §2.3.1).

use axum::http::{HeaderMap, header};
use base64::Engine;

use crate::flows::client_auth::Presented;

/// Reads Basic credentials and the form's client fields. `Err` when the
/// Authorization header is present but malformed.
pub fn presented(headers: &HeaderMap, fields: &[(String, String)]) -> Result<Presented, ()> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value.to_str().map_err(|_| ())?;
            let Some((scheme, encoded)) = value.split_once(' ') else {
                return Err(());
            };
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(());
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| ())?;
            let decoded = String::from_utf8(decoded).map_err(|_| ())?;
            let (id, secret) = decoded.split_once(':').ok_or(())?;
            // §2.3.1: both parts are form-urlencoded before being joined.
            Some((form_decode(id), form_decode(secret)))
        }
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    Ok(Presented {
        basic,
        form_id: field("client_id"),
        form_secret: field("client_secret"),
    })
}

fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
