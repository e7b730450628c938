//! Property tests against the running server: random input at every parser of
//! outside input — `/authorize` query strings, `/token` bodies and content
//! types, `Authorization` headers, `id_token_hint`s at `/logout`, cookies and
//! forms on the journey pages, import files at the admin API. Whatever arrives,
//! the answer is a complete response below 500: never a server error, never a
//! dropped connection.
//!
//! One server per property, reused across its cases; the case counts keep the
//! whole file to a few seconds.

use std::fmt::Debug;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::support::fixtures::{CHALLENGE, TestClient};
use crate::support::{Backend, TestApp};

/// Cases per property: each one is a real request.
const CASES: u32 = 128;

/// A request that takes longer than this has hung.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// A running server with a registered client and an admin token, driven from
/// synchronous proptest cases.
struct Server {
    runtime: tokio::runtime::Runtime,
    app: Option<TestApp>,
    client: TestClient,
    admin_token: String,
    /// A client without a cookie jar, so that one case's cookies never leak into the next.
    http: reqwest::Client,
}

impl Server {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (app, client, admin_token) = runtime.block_on(async {
            let app = TestApp::spawn(Backend::Sqlite).await;
            let client = app.client().await;
            let admin_token = app.admin_token("admin:users").await;
            (app, client, admin_token)
        });
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { runtime, app: Some(app), client, admin_token, http }
    }

    fn app(&self) -> &TestApp {
        self.app.as_ref().unwrap()
    }

    /// Runs `CASES` requests built from `strategy`; each must be answered, completely, below 500.
    fn check<S>(&self, strategy: S, build: impl Fn(&Self, S::Value) -> reqwest::RequestBuilder)
    where
        S: Strategy,
        S::Value: Debug,
    {
        let mut runner = TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() });
        let result = runner.run(&strategy, |value| {
            let request = build(self, value);
            self.runtime.block_on(async {
                let answered = tokio::time::timeout(ANSWER_WITHIN, async {
                    let response = request.send().await.map_err(|e| format!("no answer: {e}"))?;
                    let status = response.status();
                    let body = response.bytes().await.map_err(|e| format!("body cut off: {e}"))?;
                    Ok::<_, String>((status, body))
                })
                .await
                .map_err(|_| TestCaseError::fail(format!("no answer within {ANSWER_WITHIN:?}")))?;
                let (status, body) = answered.map_err(TestCaseError::fail)?;
                if status.is_server_error() {
                    return Err(TestCaseError::fail(format!("{status}: {}", String::from_utf8_lossy(&body))));
                }
                Ok(())
            })
        });
        if let Err(error) = result {
            panic!("{error}");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _inside = self.runtime.enter();
        drop(self.app.take());
    }
}

/// Text with what breaks parsers: delimiters, escapes, control and wide characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 %&=+;:,./?#@\"'<>\\\\\u{0}\r\n\t-]{0,40}",
        any::<String>(),
        Just(String::new()),
        "x{2000,2100}",
    ]
}

/// Pairs named like the parameters a handler reads, or not.
fn pairs(names: &'static [&'static str]) -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![4 => proptest::sample::select(names).prop_map(str::to_string), 1 => text()];
    proptest::collection::vec((name, text()), 0..8)
}

fn encoded(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// A query string: well encoded, or raw text as it came.
fn query(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![pairs(names).prop_map(|p| encoded(&p)), text()]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..100),
        "(Basic|Bearer|basic|bearer|Digest)? ?[ -~]{0,60}".prop_map(String::into_bytes),
        any::<Vec<u8>>().prop_map(|raw| format!("Basic {}", STANDARD.encode(raw)).into_bytes()),
    ]
}

fn with_header(request: reqwest::RequestBuilder, name: &str, value: &[u8]) -> reqwest::RequestBuilder {
    match reqwest::header::HeaderValue::from_bytes(value) {
        Ok(value) => request.header(name, value),
        Err(_) => request,
    }
}

fn content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("application/x-www-form-urlencoded".to_string()),
        Just("application/x-www-form-urlencoded; charset=utf-8".to_string()),
        Just("application/json".to_string()),
        Just("text/csv".to_string()),
        Just("multipart/form-data; boundary=x".to_string()),
        "[ -~]{0,40}",
    ]
}

const AUTHORIZE_PARAMS: &[&str] = &[
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
    "id_token_hint",
    "request",
    "request_uri",
];

#[test]
fn any_authorize_query_is_answered_without_a_server_error() {
    let server = Server::start();
    server.check((query(AUTHORIZE_PARAMS), any::<bool>(), any::<bool>()), |s, (query, known_client, post)| {
        // Half the cases start with the client's own id and redirect URI, so
        // that the checks after those run too.
        let query = if known_client {
            let base = [
                ("client_id".to_string(), s.client.id.clone()),
                ("redirect_uri".to_string(), s.client.redirect_uri.clone()),
                ("response_type".to_string(), "code".to_string()),
                ("scope".to_string(), "openid".to_string()),
                ("code_challenge".to_string(), CHALLENGE.to_string()),
                ("code_challenge_method".to_string(), "S256".to_string()),
            ];
            format!("{}&{query}", encoded(&base))
        } else {
            query
        };
        if post {
            s.http
                .post(s.app().url("/authorize"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(query)
        } else {
            s.http.get(format!("{}?{query}", s.app().url("/authorize")))
        }
    });
}

const TOKEN_PARAMS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "client_id",
    "client_secret",
    "scope",
    "token",
    "token_type_hint",
];

#[test]
fn any_token_request_is_answered_without_a_server_error() {
    let server = Server::start();
    let body = prop_oneof![
        pairs(TOKEN_PARAMS).prop_map(|p| encoded(&p).into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..200),
    ];
    let path = proptest::sample::select(vec!["/token", "/introspect", "/revoke"]);
    server.check(
        (path, body, content_type(), proptest::option::of(header_value())),
        |s, (path, body, content_type, authorization)| {
            let request = s.http.post(s.app().url(path)).header("content-type", content_type).body(body);
            match authorization {
                Some(value) => with_header(request, "authorization", &value),
                None => request,
            }
        },
    );
}

#[test]
fn any_bearer_at_userinfo_and_the_admin_api_is_answered_without_a_server_error() {
    let server = Server::start();
    let path = proptest::sample::select(vec!["/userinfo", "/admin/api/v1/users", "/admin/api/v1/clients", "/metrics"]);
    server.check((path, header_value(), any::<bool>()), |s, (path, authorization, post)| {
        let request = if post { s.http.post(s.app().url(path)) } else { s.http.get(s.app().url(path)) };
        with_header(request, "authorization", &authorization)
    });
}

/// Hints that look like JWTs: three base64url parts of JSON or noise.
fn id_token_hint() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just(r#"{"alg":"RS256","typ":"JWT","kid":"x"}"#.to_string()),
        Just(r#"{"alg":"none"}"#.to_string()),
        Just(r#"{"iss":"x","sub":"y","aud":["a","b"],"sid":1}"#.to_string()),
        any::<String>(),
    ];
    prop_oneof![
        (part.clone(), part.clone(), part).prop_map(|(a, b, c)| format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(a),
            URL_SAFE_NO_PAD.encode(b),
            URL_SAFE_NO_PAD.encode(c)
        )),
        text(),
    ]
}

#[test]
fn any_logout_request_is_answered_without_a_server_error() {
    let server = Server::start();
    let names = &["client_id", "post_logout_redirect_uri", "state", "ui_locales", "id_token_hint"];
    server.check((id_token_hint(), pairs(names), any::<bool>()), |s, (hint, mut pairs, post)| {
        pairs.push(("id_token_hint".into(), hint));
        if post {
            s.http
                .post(s.app().url("/logout"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encoded(&pairs))
        } else {
            s.http.get(format!("{}?{}", s.app().url("/logout"), encoded(&pairs)))
        }
    });
}

const JOURNEY_PAGES: &[&str] = &[
    "/login",
    "/login/code",
    "/login/code/resend",
    "/terms",
    "/activate",
    "/activate/resend",
    "/password/forgot",
    "/email/confirm",
    "/consent",
    "/logout/confirm",
    "/authorize/resume",
];

const JOURNEY_FIELDS: &[&str] =
    &["csrf", "login", "password", "password_repeat", "request", "code", "token", "email", "decision", "statement"];

/// A CSRF token the random cookie also carries, so that forms get past the check.
const CSRF: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

#[test]
fn any_cookie_and_form_on_a_journey_page_is_answered_without_a_server_error() {
    let server = Server::start();
    let cookie = prop_oneof![
        "((kuke_session|kuke_csrf|__Host-kuke_session|lang|x)=[ -~]{0,60}; ){0,4}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..120),
    ];
    let page = proptest::sample::select(JOURNEY_PAGES);
    server.check(
        (page, query(JOURNEY_FIELDS), cookie, pairs(JOURNEY_FIELDS), any::<bool>()),
        |s, (page, query, cookie, mut form, post)| {
            let url = format!("{}?{query}", s.app().url(page));
            if post {
                form.push(("csrf".into(), CSRF.into()));
                let cookie = [format!("kuke_csrf={CSRF}; ").into_bytes(), cookie].concat();
                let request =
                    s.http.post(url).header("content-type", "application/x-www-form-urlencoded").body(encoded(&form));
                with_header(request, "cookie", &cookie)
            } else {
                with_header(s.http.get(url), "cookie", &cookie)
            }
        },
    );
}

const IMPORT_HEADER: &str = "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role";

fn csv_file() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        "[a-zA-Z0-9 @.\",\r\n-]{0,16}",
        Just("a@example.com".to_string()),
        Just("user".to_string()),
        any::<String>(),
    ];
    let rows = proptest::collection::vec(proptest::collection::vec(field, 0..9), 0..8);
    prop_oneof![
        rows.prop_map(|rows| {
            let mut text = IMPORT_HEADER.to_string();
            for row in rows {
                text.push('\n');
                text.push_str(&row.join(","));
            }
            text.into_bytes()
        }),
        proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

fn json_file() -> impl Strategy<Value = Vec<u8>> {
    let key = prop_oneof![
        proptest::sample::select(IMPORT_HEADER.split(',').collect::<Vec<_>>()).prop_map(str::to_string),
        text(),
    ];
    let value = prop_oneof![
        text().prop_map(serde_json::Value::String),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        Just(serde_json::json!({"nested": [true]})),
    ];
    let object = proptest::collection::btree_map(key, value, 0..8)
        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()));
    prop_oneof![
        proptest::collection::vec(object, 0..6)
            .prop_map(|rows| serde_json::Value::Array(rows).to_string().into_bytes()),
        text().prop_map(String::into_bytes),
    ]
}

#[test]
fn any_import_file_is_answered_without_a_server_error() {
    let server = Server::start();
    let file = prop_oneof![csv_file(), json_file()];
    let query = prop_oneof![Just(String::new()), Just("?dry_run=true".to_string()), query(&["dry_run", "format"])];
    server.check((file, content_type(), query), |s, (file, content_type, query)| {
        let url = if query.is_empty() || query.starts_with('?') {
            format!("{}{query}", s.app().url("/admin/api/v1/imports"))
        } else {
            format!("{}?{query}", s.app().url("/admin/api/v1/imports"))
        };
        s.http.post(url).bearer_auth(&s.admin_token).header("content-type", content_type).body(file)
    });
}
