//! Protocol pieces the checks share: discovery metadata, the JWKS, ID token
//! validation (OIDC Core §3.1.3.7) and the token/userinfo calls.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::Digest as _;
use url::Url;

use crate::ClientConfig;

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

/// What the nonce claim of an ID token must be.
#[derive(Debug, Clone)]
pub(crate) enum NonceRule {
    /// Exactly this value (a nonce was sent).
    Equals(String),
    /// No nonce (none was sent).
    Absent,
    /// Not checked (refresh responses).
    Any,
}

/// What a particular ID token must satisfy beyond the fixed rules.
#[derive(Debug, Clone)]
pub(crate) struct IdTokenRules<'a> {
    pub client_id: &'a str,
    pub nonce: NonceRule,
    /// max_age was sent (or auth_time was requested): auth_time required.
    pub require_auth_time: bool,
    /// The access token issued with the ID token, for at_hash.
    pub access_token: Option<&'a str>,
}

fn decode_segment(segment: &str, what: &str) -> Result<Map<String, Value>, String> {
    let bytes =
        URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).map_err(|e| format!("{what} is not base64url: {e}"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("{what} is not a JSON object")),
        Err(e) => Err(format!("{what} is not JSON: {e}")),
    }
}

/// A JWT's decoded header and claims.
pub(crate) type JwtParts = (Map<String, Value>, Map<String, Value>);

/// Header and claims of a compact JWS, without verifying anything.
pub(crate) fn jwt_parts(token: &str) -> Result<JwtParts, String> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err("ID token is not a compact JWS (three dot-separated parts)".to_owned());
    };
    Ok((decode_segment(header, "JWS header")?, decode_segment(claims, "JWT claims")?))
}

/// Left half of the alg's hash of `value`, base64url: at_hash / c_hash.
pub(crate) fn half_hash(alg: &str, value: &str) -> Result<String, String> {
    let digest: Vec<u8> = match alg {
        "RS256" | "ES256" | "PS256" | "HS256" => sha2::Sha256::digest(value.as_bytes()).to_vec(),
        "RS384" | "ES384" | "PS384" | "HS384" => sha2::Sha384::digest(value.as_bytes()).to_vec(),
        // Ed25519 signatures use SHA-512 for the hash claims (OIDC errata).
        "RS512" | "ES512" | "PS512" | "HS512" | "EdDSA" | "Ed25519" => sha2::Sha512::digest(value.as_bytes()).to_vec(),
        other => return Err(format!("no hash known for alg {other}")),
    };
    Ok(b64(&digest[..digest.len() / 2]))
}

/// Verifies the signature of `token` against `jwks` and returns its
/// header and claims.
fn verify_signature(token: &str, jwks: &Value, allowed_algs: &[String]) -> Result<JwtParts, String> {
    let (header, claims) = jwt_parts(token)?;
    let alg = header.get("alg").and_then(Value::as_str).ok_or("JWS header has no alg")?;
    if alg == "none" {
        return Err("ID token is unsigned (alg none)".to_owned());
    }
    if !allowed_algs.is_empty() && !allowed_algs.iter().any(|a| a == alg) {
        return Err(format!("ID token alg {alg} not in id_token_signing_alg_values_supported {allowed_algs:?}"));
    }
    let algorithm: jsonwebtoken::Algorithm = alg.parse().map_err(|_| format!("unsupported ID token alg {alg}"))?;
    let keys = jwks.get("keys").and_then(Value::as_array).ok_or("JWKS has no keys array")?;
    let kid = header.get("kid").and_then(Value::as_str);
    let wanted_kty = match alg {
        a if a.starts_with("RS") || a.starts_with("PS") => "RSA",
        a if a.starts_with("ES") => "EC",
        _ => "OKP",
    };
    let candidates: Vec<&Value> = keys
        .iter()
        .filter(|k| k.get("use").and_then(Value::as_str) != Some("enc"))
        .filter(|k| match kid {
            Some(kid) => k.get("kid").and_then(Value::as_str) == Some(kid),
            None => k.get("kty").and_then(Value::as_str) == Some(wanted_kty),
        })
        .collect();
    let key = match (kid, candidates.as_slice()) {
        (_, [one]) => *one,
        (Some(kid), []) => return Err(format!("no key with kid {kid:?} in the JWKS")),
        (Some(kid), _) => return Err(format!("several keys share kid {kid:?}")),
        (None, []) => return Err(format!("no kid in header and no {wanted_kty} key in JWKS")),
        (None, _) => {
            return Err(format!("no kid in header and several {wanted_kty} keys in JWKS"));
        }
    };
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.clone()).map_err(|e| format!("unusable JWK: {e}"))?;
    let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable JWK: {e}"))?;
    let (message, signature) = token.rsplit_once('.').ok_or("ID token is not a compact JWS")?;
    let valid = jsonwebtoken::crypto::verify(signature, message.as_bytes(), &decoding, algorithm)
        .map_err(|e| format!("signature check failed: {e}"))?;
    if !valid {
        return Err("ID token signature does not verify against the JWKS".to_owned());
    }
    Ok((header, claims))
}

fn int_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| format!("{name} is not a number: {v}")),
    }
}

/// Validates an ID token per OIDC Core §3.1.3.7 and returns its claims.
pub(crate) fn validate_id_token(
    token: &str,
    issuer: &str,
    jwks: &Value,
    discovery: &Discovery,
    rules: &IdTokenRules<'_>,
) -> Result<Map<String, Value>, String> {
    let algs = discovery.strings("id_token_signing_alg_values_supported");
    let (header, claims) = verify_signature(token, jwks, &algs)?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    match claims.get("iss").and_then(Value::as_str) {
        Some(iss) if iss == issuer => {}
        other => return Err(format!("iss {other:?} is not the issuer {issuer:?}")),
    }
    match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if !sub.is_empty() && sub.len() <= 255 => {}
        other => return Err(format!("sub {other:?} missing or not 1..255 characters")),
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        other => return Err(format!("aud {other:?} is neither a string nor an array")),
    };
    if !audiences.contains(&rules.client_id) {
        return Err(format!("aud {audiences:?} does not contain client_id {}", rules.client_id));
    }
    let azp = claims.get("azp").and_then(Value::as_str);
    if audiences.len() > 1 && azp.is_none() {
        return Err("several audiences but no azp".to_owned());
    }
    if let Some(azp) = azp
        && azp != rules.client_id
    {
        return Err(format!("azp {azp:?} is not the client_id"));
    }
    let now = now();
    match int_claim(&claims, "exp")? {
        Some(exp) if exp > now - CLOCK_SKEW => {}
        Some(exp) => return Err(format!("expired: exp {exp} is before now {now}")),
        None => return Err("exp missing".to_owned()),
    }
    match int_claim(&claims, "iat")? {
        Some(iat) if iat <= now + CLOCK_SKEW => {}
        Some(iat) => return Err(format!("iat {iat} is in the future (now {now})")),
        None => return Err("iat missing".to_owned()),
    }
    let nonce = claims.get("nonce");
    match &rules.nonce {
        NonceRule::Equals(sent) => match nonce.and_then(Value::as_str) {
            Some(got) if got == sent => {}
            other => return Err(format!("nonce {other:?} is not the one sent ({sent:?})")),
        },
        NonceRule::Absent => {
            if let Some(n) = nonce {
                return Err(format!("nonce {n} present although none was sent"));
            }
        }
        NonceRule::Any => {}
    }
    let auth_time = int_claim(&claims, "auth_time")?;
    if rules.require_auth_time && auth_time.is_none() {
        return Err("auth_time missing although max_age was sent".to_owned());
    }
    if let Some(auth_time) = auth_time
        && auth_time > now + CLOCK_SKEW
    {
        return Err(format!("auth_time {auth_time} is in the future"));
    }
    if let (Some(at_hash), Some(access_token)) = (claims.get("at_hash"), rules.access_token) {
        let expected = half_hash(alg, access_token)?;
        if at_hash.as_str() != Some(expected.as_str()) {
            return Err(format!("at_hash {at_hash} does not match the access token (expected {expected})"));
        }
    }
    Ok(claims)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const ISSUER: &str = "https://op.example";

    fn discovery() -> Discovery {
        let raw = json!({
            "issuer": ISSUER,
            "authorization_endpoint": "https://op.example/authorize",
            "token_endpoint": "https://op.example/token",
            "jwks_uri": "https://op.example/jwks",
            "id_token_signing_alg_values_supported": ["HS256"],
        });
        let Value::Object(raw) = raw else { unreachable!("literal object") };
        Discovery::parse(raw).expect("valid discovery")
    }

    fn jwks() -> Value {
        json!({"keys": [{"kty": "oct", "kid": "k1", "use": "sig", "alg": "HS256", "k": b64(SECRET)}]})
    }

    fn sign(claims: &Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("k1".into());
        jsonwebtoken::encode(&header, claims, &jsonwebtoken::EncodingKey::from_secret(SECRET)).expect("signing")
    }

    fn claims() -> Value {
        let now = now();
        json!({
            "iss": ISSUER, "sub": "user-1", "aud": "client-1", "iat": now,
            "exp": now + 300, "nonce": "n-1", "auth_time": now,
            "at_hash": half_hash("HS256", "access-1").expect("hash"),
        })
    }

    fn rules(nonce: NonceRule) -> IdTokenRules<'static> {
        IdTokenRules { client_id: "client-1", nonce, require_auth_time: true, access_token: Some("access-1") }
    }

    fn check(claims: &Value, nonce: NonceRule) -> Result<Map<String, Value>, String> {
        validate_id_token(&sign(claims), ISSUER, &jwks(), &discovery(), &rules(nonce))
    }

    #[test]
    fn accepts_a_valid_token() {
        let got = check(&claims(), NonceRule::Equals("n-1".into())).expect("valid");
        assert_eq!(got.get("sub"), Some(&json!("user-1")));
    }

    #[test]
    fn rejects_each_broken_claim() {
        let cases: Vec<(&str, Value)> = vec![
            ("iss", json!("https://evil.example")),
            ("aud", json!("other-client")),
            ("exp", json!(now() - 3600)),
            ("at_hash", json!("AAAAAAAAAAAAAAAAAAAAAA")),
            ("nonce", json!("n-2")),
        ];
        for (claim, value) in cases {
            let mut c = claims();
            c[claim] = value;
            assert!(check(&c, NonceRule::Equals("n-1".into())).is_err(), "{claim} not caught");
        }
        let mut c = claims();
        c["aud"] = json!(["client-1", "other"]);
        assert!(check(&c, NonceRule::Any).is_err(), "missing azp not caught");
        c["azp"] = json!("client-1");
        assert!(check(&c, NonceRule::Any).is_ok());
        let mut c = claims();
        if let Some(map) = c.as_object_mut() {
            map.remove("auth_time");
        }
        assert!(check(&c, NonceRule::Any).is_err(), "missing auth_time");
        assert!(check(&claims(), NonceRule::Absent).is_err(), "unexpected nonce");
    }

    #[test]
    fn rejects_bad_signatures() {
        let token = sign(&claims());
        let tampered = format!("{}x", token);
        assert!(validate_id_token(&tampered, ISSUER, &jwks(), &discovery(), &rules(NonceRule::Any)).is_err());
        let (_, payload) = token.split_once('.').expect("jws");
        let unsigned = format!("{}.{}", b64(br#"{"alg":"none"}"#), payload);
        let err =
            validate_id_token(&unsigned, ISSUER, &jwks(), &discovery(), &rules(NonceRule::Any)).expect_err("alg none");
        assert!(err.contains("unsigned"), "{err}");
    }

    #[test]
    fn at_hash_matches_the_spec_example() {
        // OIDC Core A.3/A.4 style: left half of SHA-256, base64url.
        let full = sha2::Sha256::digest(b"jHkWEdUXMU1BwAsC4vtUsZwnG6o");
        assert_eq!(half_hash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnG6o").expect("hash"), b64(&full[..16]));
        assert_eq!(half_hash("EdDSA", "x").expect("hash").len(), 43);
    }
}
