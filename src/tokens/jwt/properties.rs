//! Property tests: any text given as a JWT (an `id_token_hint`, a bearer token)
//! is verified or refused — never a panic — and no change to one of our tokens
//! makes it name someone else.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;

use crate::domain::signing_alg::SigningAlg;
use crate::tokens::id_token::{self, HintClaims, IdTokenInput};
use crate::tokens::keys::{self, KeyRing};

const ISSUER: &str = "https://id.example";

/// One key ring for all cases: generating RSA keys per case would dominate the run.
static KEYS: LazyLock<KeyRing> = LazyLock::new(|| {
    let now = time::OffsetDateTime::now_utc();
    let keys = SigningAlg::ALL.iter().map(|alg| keys::create(*alg, now, now).expect("key")).collect();
    KeyRing::new(keys, now)
});

fn token(alg: SigningAlg) -> String {
    let input = IdTokenInput {
        issuer: ISSUER,
        subject: "person-1",
        client_id: "rp",
        issued_at: 1_700_000_000,
        ttl_secs: 300,
        auth_time: 1_700_000_000,
        nonce: Some("n"),
        acr: None,
        amr: &[],
        sid: Some("sid-1"),
        access_token: None,
        user_claims: serde_json::Map::new(),
        alg,
    };
    id_token::issue(&KEYS, input).expect("signed")
}

fn alg() -> impl Strategy<Value = SigningAlg> {
    proptest::sample::select(SigningAlg::ALL.to_vec())
}

/// Three dot-separated parts, each base64url of chosen JSON or random bytes.
fn forged() -> impl Strategy<Value = String> {
    let kid = KEYS.keys().first().map(|k| k.kid.clone()).unwrap_or_default();
    let header = prop_oneof![
        Just(format!(r#"{{"alg":"none","kid":"{kid}","typ":"JWT"}}"#)),
        Just(format!(r#"{{"alg":"HS256","kid":"{kid}","typ":"JWT"}}"#)),
        Just(format!(r#"{{"alg":"RS256","kid":"{kid}","typ":"JWT"}}"#)),
        any::<String>(),
    ];
    let claims = prop_oneof![
        Just(format!(r#"{{"iss":"{ISSUER}","sub":"x","aud":"rp"}}"#)),
        Just(format!(r#"{{"iss":"{ISSUER}","sub":1,"aud":[1,2]}}"#)),
        any::<String>(),
    ];
    (header, claims, proptest::collection::vec(any::<u8>(), 0..80)).prop_map(|(h, c, s)| {
        format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(h), URL_SAFE_NO_PAD.encode(c), URL_SAFE_NO_PAD.encode(s))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_as_a_hint_is_verified_or_refused(text in prop_oneof![any::<String>(), "[A-Za-z0-9_.-]{0,200}", forged()]) {
        prop_assert!(id_token::verify_hint(&KEYS, ISSUER, &text).is_err());
    }

    #[test]
    fn a_changed_token_is_refused_or_still_names_the_same_person(
        alg in alg(),
        at in any::<proptest::sample::Index>(),
        replacement in any::<char>(),
    ) {
        let original = token(alg);
        let mut chars: Vec<char> = original.chars().collect();
        let at = at.index(chars.len());
        chars[at] = replacement;
        let changed: String = chars.into_iter().collect();
        if let Ok(HintClaims { sub, aud, sid }) = id_token::verify_hint(&KEYS, ISSUER, &changed) {
            prop_assert_eq!(sub, "person-1");
            prop_assert!(aud.contains("rp"));
            prop_assert_eq!(sid.as_deref(), Some("sid-1"));
        }
    }
}

#[test]
fn our_own_token_is_a_valid_hint() {
    for alg in SigningAlg::ALL {
        let claims = id_token::verify_hint(&KEYS, ISSUER, &token(alg)).expect("valid hint");
        assert_eq!(claims.sub, "person-1");
    }
}
