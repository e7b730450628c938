//! Protocol pieces the checks share: discovery metadata, the JWKS, ID token
//! validation (OIDC Core §3.1.3.7) and the token/userinfo calls.

mod id_token;
mod token_endpoint;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::Digest as _;
use url::Url;

use crate::ClientConfig;

pub(crate) use id_token::*;
pub(crate) use token_endpoint::*;

/// Seconds of clock difference tolerated between the runner and the OP.
const CLOCK_SKEW: i64 = 300;

/// Now, in seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// base64url without padding.
pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random URL-safe string of `bytes` random bytes.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    b64(&buf)
}

/// The OP's discovery document, with the fields the checks use parsed.
#[derive(Debug, Clone)]
pub(crate) struct Discovery {
    /// The whole document.
    pub raw: Map<String, Value>,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    pub userinfo_endpoint: Option<Url>,
    pub end_session_endpoint: Option<Url>,
}

impl Discovery {
    /// Parses the endpoints out of `raw`; every problem found is returned.
    pub(crate) fn parse(raw: Map<String, Value>) -> Result<Self, String> {
        let url = |key: &str| -> Result<Option<Url>, String> {
            match raw.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Url::parse(s).map(Some).map_err(|e| format!("{key} {s:?} is not a URL: {e}")),
                Some(other) => Err(format!("{key} is not a string: {other}")),
            }
        };
        let required =
            |key: &str| -> Result<Url, String> { url(key)?.ok_or_else(|| format!("{key} missing from discovery")) };
        Ok(Self {
            authorization_endpoint: required("authorization_endpoint")?,
            token_endpoint: required("token_endpoint")?,
            jwks_uri: required("jwks_uri")?,
            userinfo_endpoint: url("userinfo_endpoint")?,
            end_session_endpoint: url("end_session_endpoint")?,
            raw,
        })
    }

    /// A string-array field, empty when absent or not an array of strings.
    pub(crate) fn strings(&self, key: &str) -> Vec<String> {
        self.raw
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Whether a string-array field is present.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.raw.get(key).is_some_and(|v| !v.is_null())
    }

    /// A boolean field with the spec's default when absent.
    pub(crate) fn flag(&self, key: &str, default: bool) -> bool {
        self.raw.get(key).and_then(Value::as_bool).unwrap_or(default)
    }

    /// Whether the OP promises RFC 9207 `iss` in authorization responses.
    pub(crate) fn iss_in_responses(&self) -> bool {
        self.flag("authorization_response_iss_parameter_supported", false)
    }

    /// Whether `scope` is advertised (OPs need not list scopes; an absent
    /// list counts as "maybe", which the checks treat as supported).
    pub(crate) fn scope_supported(&self, scope: &str) -> bool {
        !self.has("scopes_supported") || self.strings("scopes_supported").iter().any(|s| s == scope)
    }

    /// Whether a token endpoint client authentication method is supported
    /// (absent list means client_secret_basic only, per OIDC Discovery).
    pub(crate) fn token_auth_supported(&self, method: &str) -> bool {
        if self.has("token_endpoint_auth_methods_supported") {
            self.strings("token_endpoint_auth_methods_supported").iter().any(|m| m == method)
        } else {
            method == "client_secret_basic"
        }
    }
}
