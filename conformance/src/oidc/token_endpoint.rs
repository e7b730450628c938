//! The token endpoint call with client authentication, and the checks of
//! its success (RFC 6749 §5.1) and error (§5.2) answers.

use super::*;

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    /// HTTP Basic (RFC 6749 §2.3.1: id and secret form-urlencoded first).
    Basic,
    /// client_id and client_secret in the form body.
    Post,
}

/// A raw token endpoint answer.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub cache_control: String,
    pub content_type: String,
    pub json: Option<Map<String, Value>>,
    pub text: String,
}

fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// POSTs `form` to the token endpoint with client authentication.
pub(crate) async fn token_request(
    http: &reqwest::Client,
    endpoint: &Url,
    client: &ClientConfig,
    auth: ClientAuth,
    form: &[(&str, &str)],
) -> Result<RawResponse, String> {
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    let mut request = http.post(endpoint.clone());
    match auth {
        ClientAuth::Basic => {
            request = request.basic_auth(form_encode(&client.client_id), Some(form_encode(&client.client_secret)));
        }
        ClientAuth::Post => {
            fields.push(("client_id", &client.client_id));
            fields.push(("client_secret", &client.client_secret));
        }
    }
    let response = request
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&fields)
        .send()
        .await
        .map_err(|e| format!("POST {endpoint}: {e}"))?;
    read_response(response).await
}

/// Reads status, caching headers and a JSON body (if it is JSON).
pub(crate) async fn read_response(response: reqwest::Response) -> Result<RawResponse, String> {
    let status = response.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
    };
    let cache_control = header(reqwest::header::CACHE_CONTROL);
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let url = response.url().clone();
    let text = response.text().await.map_err(|e| format!("reading {url}: {e}"))?;
    let json = match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    Ok(RawResponse { status, cache_control, content_type, json, text })
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(200).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// A successful token response, checked per RFC 6749 §5.1 / OIDC §3.1.3.3.
#[derive(Debug, Clone)]
pub(crate) struct Tokens {
    pub access_token: String,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
}

/// Checks a token endpoint success answer.
pub(crate) fn expect_tokens(raw: RawResponse) -> Result<Tokens, String> {
    let Some(json) = raw.json else {
        return Err(format!("token endpoint answered {} with a non-JSON body: {}", raw.status, short(&raw.text)));
    };
    if raw.status != 200 {
        return Err(format!("token endpoint answered {}: {}", raw.status, Value::Object(json)));
    }
    if !raw.content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(format!("token response Content-Type {:?} is not application/json", raw.content_type));
    }
    if !raw.cache_control.to_ascii_lowercase().split(',').any(|d| d.trim() == "no-store") {
        return Err(format!("token response lacks Cache-Control: no-store (got {:?})", raw.cache_control));
    }
    match json.get("token_type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("bearer") => {}
        other => return Err(format!("token_type {other:?} is not Bearer")),
    }
    let access_token = json
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or("no access_token in token response")?
        .to_owned();
    if let Some(expires_in) = json.get("expires_in")
        && !expires_in.is_number()
    {
        return Err(format!("expires_in {expires_in} is not a number"));
    }
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(Tokens { id_token: text("id_token"), refresh_token: text("refresh_token"), access_token })
}

/// Checks a token endpoint error answer (RFC 6749 §5.2): 400 (401 for
/// invalid_client) with a JSON `error` among `allowed`. Returns the code.
pub(crate) fn expect_token_error(raw: &RawResponse, allowed: &[&str]) -> Result<String, String> {
    let Some(json) = &raw.json else {
        return Err(format!("expected an OAuth error, got {} with a non-JSON body: {}", raw.status, short(&raw.text)));
    };
    let error = json
        .get("error")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("expected an OAuth error, got {}: {}", raw.status, short(&raw.text)))?;
    if raw.status == 200 {
        return Err(format!("error {error} with status 200"));
    }
    if !matches!(raw.status, 400 | 401) {
        return Err(format!("error {error} with status {} (expected 400)", raw.status));
    }
    if !allowed.contains(&error) {
        return Err(format!("error {error}, expected one of {allowed:?}"));
    }
    Ok(error.to_owned())
}
