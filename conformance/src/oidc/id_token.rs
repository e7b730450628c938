//! ID token validation (OIDC Core §3.1.3.7): signature against the JWKS,
//! fixed and per-request claim rules, at_hash / c_hash.

use super::*;

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
