//! What every response carries, and the answers to requests no endpoint wants.

use std::time::Duration;

use crate::support::raw;

/// A body far over the 64 KiB limit, within the megabyte the server drains.
const ONE_MEGABYTE: usize = 1_000_000;
/// Attempts per test: the dropped connection this guards against was intermittent.
const ATTEMPTS: usize = 20;

backend_tests! {
    async fn every_response_has_anti_framing_and_sniffing_headers(app) {
        for path in ["/healthz", "/jwks", "/no-such-page"] {
            let response = app.get(path).await;
            let headers = response.headers();
            assert_eq!(headers["x-frame-options"], "DENY", "{path}");
            assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
            let csp = headers["content-security-policy"].to_str().expect("ascii");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        }
    }

    async fn hsts_is_not_sent_over_plain_http(app) {
        let response = app.get("/healthz").await;
        assert!(response.headers().get("strict-transport-security").is_none());
    }

    async fn every_response_carries_a_generated_request_id(app) {
        let response = app.get("/healthz").await;
        let id = response.headers()["x-request-id"].to_str().expect("ascii");
        assert_eq!(id.len(), 36, "a UUID: {id}");
    }

    async fn a_caller_supplied_request_id_is_echoed(app) {
        let response = app.http.get(app.url("/healthz")).header("x-request-id", "trace-me-123").send().await.expect("GET");
        assert_eq!(response.headers()["x-request-id"], "trace-me-123");
    }

    async fn unknown_route_is_a_json_404(app) {
        let response = app.get("/definitely/not/here").await;
        assert_eq!(response.status(), 404);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"], "not_found");
    }

    async fn wrong_method_is_a_json_405(app) {
        let response = app.http.delete(app.url("/jwks")).send().await.expect("DELETE");
        assert_eq!(response.status(), 405);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"], "method_not_allowed");
    }

    async fn oversized_body_is_refused_with_413(app) {
        let body = vec![b'a'; 2 * 1024 * 1024];
        let response = app.http.post(app.url("/healthz")).body(body).send().await.expect("POST");
        assert_eq!(response.status(), 413);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"], "payload_too_large");
    }

    async fn a_megabyte_form_post_always_gets_a_readable_413(app) {
        for attempt in 0..ATTEMPTS {
            let response = app.http.post(app.url("/login")).header("content-type", "application/x-www-form-urlencoded").body(vec![b'a'; ONE_MEGABYTE]).send().await;
            let response = response.unwrap_or_else(|e| panic!("attempt {attempt}: no answer: {e}"));
            assert_eq!(response.status(), 413, "attempt {attempt}");
            let body: serde_json::Value = response.json().await.unwrap_or_else(|e| panic!("attempt {attempt}: {e}"));
            assert_eq!(body["error"], "payload_too_large", "attempt {attempt}");
        }
    }

    async fn a_megabyte_json_post_always_gets_a_readable_413_problem(app) {
        let json = format!("{{\"name\": \"{}\"}}", "a".repeat(ONE_MEGABYTE));
        for attempt in 0..ATTEMPTS {
            let response = app.http.post(app.url("/admin/api/v1/organizations")).header("content-type", "application/json").body(json.clone()).send().await;
            let response = response.unwrap_or_else(|e| panic!("attempt {attempt}: no answer: {e}"));
            assert_eq!(response.status(), 413, "attempt {attempt}");
            assert_eq!(response.headers()["content-type"], "application/problem+json", "attempt {attempt}");
            let body: serde_json::Value = response.json().await.unwrap_or_else(|e| panic!("attempt {attempt}: {e}"));
            assert_eq!(body["status"], 413, "attempt {attempt}");
        }
    }

    async fn a_client_that_writes_a_whole_megabyte_before_reading_gets_the_413_and_a_closed_connection(app) {
        let body = vec![b'a'; ONE_MEGABYTE];
        for attempt in 0..ATTEMPTS {
            let mut stream = raw::connect(app.addr).await;
            let head = raw::head("POST", "/login", "application/x-www-form-urlencoded", body.len(), &[]);
            raw::write(&mut stream, head.as_bytes(), Duration::from_secs(5)).await.expect("head written");
            raw::write(&mut stream, &body, Duration::from_secs(10)).await.unwrap_or_else(|e| panic!("attempt {attempt}: the server stopped reading: {e}"));
            let answer = raw::read_until_closed(&mut stream, Duration::from_secs(10)).await.expect("the server closes the connection");
            let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
            assert!(answer.starts_with("http/1.1 413"), "attempt {attempt}: {answer}");
            assert!(answer.contains("\r\nconnection: close\r\n"), "attempt {attempt}: {answer}");
            assert!(answer.contains("payload_too_large"), "attempt {attempt}: {answer}");
        }
    }

    async fn a_connection_whose_body_was_read_in_full_stays_open(app) {
        let mut stream = raw::connect(app.addr).await;
        for attempt in 0..3 {
            let body = "grant_type=client_credentials";
            let request = raw::head("POST", "/token", "application/x-www-form-urlencoded", body.len(), &[]) + body;
            raw::write(&mut stream, request.as_bytes(), Duration::from_secs(5)).await.expect("written");
            let answer = raw::read_answer(&mut stream, Duration::from_secs(5)).await;
            assert!(answer.starts_with("HTTP/1.1 401"), "attempt {attempt}: {answer}");
            assert!(!answer.to_ascii_lowercase().contains("connection: close"), "attempt {attempt}: {answer}");
        }
    }

    async fn path_traversal_is_just_a_404(app) {
        // Written on a bare connection: an HTTP client would normalise the dots away.
        for path in ["/../../etc/passwd", "/assets/../../Cargo.toml", "/assets/..%2f..%2fCargo.toml", "/assets/%2e%2e/README.md"] {
            let mut stream = raw::connect(app.addr).await;
            let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            raw::write(&mut stream, request.as_bytes(), Duration::from_secs(5)).await.expect("the request");
            let answer = raw::read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("an answer");
            let answer = String::from_utf8_lossy(&answer);
            let status = answer.split(' ').nth(1).unwrap_or_default();
            assert!(status == "404" || status == "400", "{path}: {answer}");
            assert!(!answer.contains("[package]") && !answer.contains("root:"), "{path} leaked a file: {answer}");
        }
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_issuer_is_https() {
    use crate::support::{Backend, TestApp};
    let app = TestApp::spawn_with(Backend::Sqlite, r#"issuer = "https://id.kuke.example""#).await;
    let response = app.get("/healthz").await;
    let hsts = response.headers()["strict-transport-security"].to_str().expect("ascii");
    assert!(hsts.starts_with("max-age="), "{hsts}");
}

backend_tests! {
    settings = r#"issuer = "https://id.kuke.example""#;

    async fn on_https_the_cookies_carry_the_host_prefix_and_are_secure(app) {
        let response = app.get("/login").await;

        let cookies: Vec<String> = response.headers().get_all("set-cookie").iter().map(|c| c.to_str().expect("ascii").to_string()).collect();
        assert!(cookies.iter().any(|c| c.starts_with("__Host-kuke_csrf=")), "{cookies:?}");
        assert!(cookies.iter().all(|c| c.contains("; Secure") && c.contains("Path=/") && !c.contains("Domain")), "{cookies:?}");
    }

    async fn on_https_a_csrf_cookie_without_the_host_prefix_is_not_believed(app) {
        // A neighbouring subdomain could set `kuke_csrf`, but never `__Host-kuke_csrf`.
        let token = kuke_id::tokens::opaque::random_token();
        let client = reqwest::Client::new();
        let form = [("csrf", token.as_str()), ("login", "123456"), ("password", "Wrong#Pass1")];

        let planted = client.post(app.url("/login")).header("cookie", format!("kuke_csrf={token}")).form(&form).send().await.expect("POST");
        let own = client.post(app.url("/login")).header("cookie", format!("__Host-kuke_csrf={token}")).form(&form).send().await.expect("POST");

        assert_eq!(planted.status(), 403);
        assert_eq!(own.status(), 401, "the prefixed cookie passes the CSRF check");
    }
}
