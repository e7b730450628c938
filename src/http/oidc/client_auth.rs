//! Extracting client credentials from a request (RFC 6749 §2.3.1).

use axum::http::{HeaderMap, header};
use base64::Engine;

use crate::domain::secret::ClientSecret;
use crate::flows::client_auth::Presented;

/// The Authorization header is present but is not valid Basic credentials.
#[derive(Debug)]
pub struct MalformedAuthorization;

/// Reads Basic credentials and the form's client fields.
pub fn presented(headers: &HeaderMap, fields: &[(String, String)]) -> Result<Presented, MalformedAuthorization> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value.to_str().map_err(|_| MalformedAuthorization)?;
            let Some((scheme, encoded)) = value.split_once(' ') else {
                return Err(MalformedAuthorization);
            };
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(MalformedAuthorization);
            }
            let decoded =
                base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| MalformedAuthorization)?;
            let decoded = String::from_utf8(decoded).map_err(|_| MalformedAuthorization)?;
            let (id, secret) = decoded.split_once(':').ok_or(MalformedAuthorization)?;
            // §2.3.1: both parts are form-urlencoded before being joined.
            Some((form_decode(id), ClientSecret::new(form_decode(secret))))
        }
    };
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    Ok(Presented { basic, form_id: field("client_id"), form_secret: field("client_secret").map(ClientSecret::new) })
}

fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}
