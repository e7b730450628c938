//! An authorization request under construction, the response that came back,
//! and the session a completed sign-in yields.

use super::*;

/// An authorization request under construction.
#[derive(Debug, Clone)]
pub(super) struct Flow {
    pub(super) client: ClientConfig,
    pub(super) params: Vec<(String, String)>,
    pub(super) state: Option<String>,
    pub(super) nonce: Option<String>,
    pub(super) max_age: bool,
    /// The PKCE verifier of the challenge sent, redeemed with the code.
    pub(super) verifier: Option<String>,
}

impl Flow {
    pub(super) fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.params.retain(|(k, _)| k != key);
        self.params.push((key.to_owned(), value.into()));
        if key == "max_age" {
            self.max_age = true;
        }
        self
    }

    pub(super) fn remove(&mut self, key: &str) -> &mut Self {
        self.params.retain(|(k, _)| k != key);
        match key {
            "state" => self.state = None,
            "nonce" => self.nonce = None,
            _ => {}
        }
        self
    }

    pub(super) fn nonce_rule(&self) -> NonceRule {
        self.nonce.clone().map_or(NonceRule::Absent, NonceRule::Equals)
    }

    /// Sends an S256 challenge of `verifier` from now on.
    pub(super) fn set_pkce(&mut self, verifier: String) -> &mut Self {
        self.set("code_challenge", b64(&sha2::Sha256::digest(verifier.as_bytes())));
        self.set("code_challenge_method", "S256");
        self.verifier = Some(verifier);
        self
    }

    /// A token request for `code` as this flow redeems it: with its redirect
    /// URI and, when PKCE was sent, the verifier.
    pub(super) fn code_form<'a>(&'a self, code: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.client.redirect_uri.as_str()),
        ];
        if let Some(verifier) = &self.verifier {
            form.push(("code_verifier", verifier));
        }
        form
    }
}

/// The authorization response that reached the client's redirect_uri.
#[derive(Debug)]
pub(super) struct Callback {
    pub(super) params: HashMap<String, String>,
    pub(super) interactions: usize,
}

impl Callback {
    pub(super) fn error(&self) -> Option<&str> {
        self.params.get("error").map(String::as_str)
    }

    pub(super) fn code(&self) -> Result<String, String> {
        if let Some(error) = self.error() {
            return Err(format!(
                "authorization failed: error={error} error_description={:?}",
                self.params.get("error_description").map_or("", String::as_str)
            ));
        }
        self.params.get("code").cloned().ok_or_else(|| "authorization response has neither code nor error".to_owned())
    }
}

/// A completed sign-in: tokens and validated ID token claims.
#[derive(Debug, Clone)]
pub(super) struct Session {
    pub(super) tokens: Tokens,
    pub(super) id_token: String,
    pub(super) claims: Map<String, Value>,
}

impl Session {
    pub(super) fn sub(&self) -> &str {
        self.claims.get("sub").and_then(Value::as_str).unwrap_or("")
    }

    pub(super) fn auth_time(&self) -> Option<i64> {
        self.claims.get("auth_time").and_then(Value::as_i64)
    }
}

pub(super) fn short(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s: String = flat.chars().take(160).collect();
    if s.len() < flat.len() {
        s.push('…');
    }
    s
}

pub(super) fn describe(landing: &Landing) -> String {
    match landing {
        Landing::Stop { url, .. } => format!("redirected to {url}"),
        Landing::Page { url, status, body, .. } => format!("stopped at {url} ({status}): {}", short(body)),
        Landing::Elsewhere { url } => format!("redirected off the OP to {url}"),
    }
}
