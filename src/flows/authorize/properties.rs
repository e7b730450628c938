//! Property tests: any authorization request's parameters (OIDC Core §3.1.2.1)
//! pass each check or fail it with a typed error — never a panic — and a value
//! that passes is one the client may use.

use proptest::prelude::*;

use super::checks::{self, Params};
use crate::domain::client::{Client, ClientKind};
use crate::domain::oauth::{pkce, prompt, scope};
use crate::domain::signing_alg::SigningAlg;

const NAMES: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "ui_locales",
    "acr_values",
    "request",
    "request_uri",
    "id_token_hint",
];

fn client(kind: ClientKind) -> Client {
    Client {
        id: "rp".into(),
        name: "RP".into(),
        kind,
        first_party: false,
        require_pkce: false,
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["authorization_code".into()],
        scopes: vec!["openid".into(), "profile".into()],
        id_token_alg: SigningAlg::Rs256,
        backchannel_logout_uri: None,
        secret_hash: None,
        previous_secret: None,
    }
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(openid|profile|email|none|login|consent|code|query|form_post|S256|plain| |-?[0-9]{1,20}){0,5}",
        Just("https://rp.example/cb".to_string()),
        Just("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_string()),
        "x{2040,2060}",
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![proptest::sample::select(NAMES).prop_map(str::to_string), any::<String>()];
    proptest::collection::vec((name, value()), 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_parameters_pass_or_fail_each_check(pairs in params(), public in any::<bool>()) {
        let client = client(if public { ClientKind::Public } else { ClientKind::Confidential });
        let params = Params::new(pairs);
        let _ = checks::client_id(&params);
        if let Ok(uri) = checks::redirect_uri(&params, &client) {
            prop_assert!(client.redirect_uris.iter().any(|r| r == uri));
        }
        let _ = checks::response_mode(&params);
        let _ = checks::no_repeated(&params);
        let _ = checks::no_request_object(&params);
        let _ = checks::response_type(&params, &client);
        if let Ok(granted) = checks::scope(&params, &client) {
            prop_assert!(scope::parse(&granted).iter().all(|s| client.scopes.contains(s)));
        }
        if let Ok(Some(challenge)) = checks::pkce(&params, &client) {
            prop_assert!(pkce::is_well_formed(&challenge));
        }
        let _ = checks::prompt(&params);
        if let Ok(Some(age)) = checks::max_age(&params) {
            prop_assert!(age >= 0);
        }
        for name in ["state", "nonce", "login_hint", "ui_locales", "acr_values"] {
            if let Ok(Some(value)) = checks::bounded(&params, name) {
                prop_assert!(value.len() <= 2048);
            }
        }
    }

    #[test]
    fn any_prompt_and_scope_text_is_parsed_or_refused(text in value()) {
        let _ = prompt::parse(Some(&text));
        let _ = scope::parse_requested(&text);
        let _ = pkce::is_well_formed(&text);
        let _ = pkce::verify(&text, &text);
    }
}
