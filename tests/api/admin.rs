//! The admin API: authorisation, problem details, imports, users, activations, funnel, OpenAPI.

use std::time::Duration;

use crate::support::{TestApp, raw};

const CSV: &str = "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n\
E1,e1@example.com,Anna,Nowak,O1,ACME,administrator\nE2,e2@example.com,Jan,Kowalski,O1,ACME,user\nE3,e3@example.com,Ewa,Lis,O2,Beta,user\n";

async fn import(app: &TestApp, token: &str, dry_run: bool) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/admin/api/v1/imports?dry_run={dry_run}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(CSV)
        .send()
        .await
        .expect("POST")
}

backend_tests! {
    async fn no_token_is_401_as_problem_json(app) {
        let response = app.get("/admin/api/v1/users").await;
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        assert!(response.headers().get("www-authenticate").is_some());
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["status"], 401);
    }

    async fn a_token_without_the_scope_is_403(app) {
        let token = app.admin_token("admin:stats").await;
        let response = app.http.get(app.url("/admin/api/v1/users")).bearer_auth(&token).send().await.expect("GET");
        assert_eq!(response.status(), 403);
    }

    async fn the_admin_scope_grants_everything(app) {
        let token = app.admin_token("admin").await;
        let response = app.http.get(app.url("/admin/api/v1/stats/migration")).bearer_auth(&token).send().await.expect("GET");
        assert_eq!(response.status(), 200);
    }

    async fn imports_report_per_row_and_dry_runs_write_nothing(app) {
        let token = app.admin_token("admin:users").await;
        let dry: serde_json::Value = import(&app, &token, true).await.json().await.expect("json");
        assert_eq!((dry["created"].as_u64(), dry["dry_run"].as_bool()), (Some(3), Some(true)));
        let listed: serde_json::Value = app.http.get(app.url("/admin/api/v1/users")).bearer_auth(&token).send().await.expect("GET").json().await.expect("json");
        assert_eq!(listed["total"], 0);
        let real: serde_json::Value = import(&app, &token, false).await.json().await.expect("json");
        assert_eq!(real["created"], 3);
        assert_eq!(real["rows"][0]["outcome"], "created");
    }

    async fn an_import_with_another_content_type_is_415(app) {
        let token = app.admin_token("admin:users").await;
        let response = app.http.post(app.url("/admin/api/v1/imports")).bearer_auth(&token).header("content-type", "text/plain").body(CSV).send().await.expect("POST");
        assert_eq!(response.status(), 415);
    }

    async fn a_malformed_import_is_a_400_problem(app) {
        let token = app.admin_token("admin:users").await;
        let response = app.http.post(app.url("/admin/api/v1/imports")).bearer_auth(&token).header("content-type", "text/csv").body("legacy_id,nickname\n1,2\n").send().await.expect("POST");
        assert_eq!(response.status(), 400);
        let body: serde_json::Value = response.json().await.expect("json");
        assert!(body["detail"].as_str().unwrap_or_default().contains("nickname"));
    }

    async fn users_are_searched_with_filters_and_a_total(app) {
        let token = app.admin_token("admin").await;
        import(&app, &token, false).await;
        let page: serde_json::Value = app.http.get(app.url("/admin/api/v1/users?per_page=2&q=example.com")).bearer_auth(&token).send().await.expect("GET").json().await.expect("json");
        assert_eq!(page["total"], 3);
        assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
        let admins: serde_json::Value = app.http.get(app.url("/admin/api/v1/users?role=administrator")).bearer_auth(&token).send().await.expect("GET").json().await.expect("json");
        assert_eq!(admins["total"], 1);
        let id = admins["items"][0]["id"].as_str().expect("id").to_string();
        let one = app.http.get(app.url(&format!("/admin/api/v1/users/{id}"))).bearer_auth(&token).send().await.expect("GET");
        assert_eq!(one.status(), 200);
        let missing = app.http.get(app.url(&format!("/admin/api/v1/users/{}", uuid::Uuid::new_v4()))).bearer_auth(&token).send().await.expect("GET");
        assert_eq!(missing.status(), 404);
        let bad = app.http.get(app.url("/admin/api/v1/users/not-a-uuid")).bearer_auth(&token).send().await.expect("GET");
        assert_eq!(bad.status(), 400);
    }

    async fn the_activation_campaign_invites_each_account_once(app) {
        let token = app.admin_token("admin").await;
        import(&app, &token, false).await;
        let first: serde_json::Value = app.http.post(app.url("/admin/api/v1/activations")).bearer_auth(&token).send().await.expect("POST").json().await.expect("json");
        assert_eq!(first["queued"], 3);
        app.mailbox.wait_for(3).await;
        let second: serde_json::Value = app.http.post(app.url("/admin/api/v1/activations")).bearer_auth(&token).send().await.expect("POST").json().await.expect("json");
        assert_eq!(second["queued"], 0);
        let stats: serde_json::Value = app.http.get(app.url("/admin/api/v1/stats/migration")).bearer_auth(&token).send().await.expect("GET").json().await.expect("json");
        assert_eq!(stats["overall"]["invited"], 3);
    }

    async fn a_bad_activation_body_is_a_400(app) {
        let token = app.admin_token("admin").await;
        let response = app.http.post(app.url("/admin/api/v1/activations")).bearer_auth(&token).header("content-type", "application/json").body("{\"everyone\": true}").send().await.expect("POST");
        assert_eq!(response.status(), 400);
    }

    async fn a_json_body_with_another_content_type_is_415(app) {
        let token = app.admin_token("admin").await;
        let response = app.http.post(app.url("/admin/api/v1/activations")).bearer_auth(&token).header("content-type", "text/plain").body("{}").send().await.expect("POST");
        assert_eq!(response.status(), 415);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }

    async fn every_route_is_in_the_openapi_document_and_served(app) {
        let document = app.get_json("/admin/api/v1/openapi.json").await;
        assert_eq!(document["openapi"], "3.1.0");
        for route in kuke_id::http::admin::ROUTES {
            let method = route.method.as_str();
            let path = format!("/admin/api/v1{}", route.path);
            let operation = &document["paths"][&path][method];
            assert!(operation.is_object(), "{method} {path} missing");
            assert!(operation["responses"][route.status.as_str()].is_object(), "{method} {path}: no {} documented", route.status);
            let concrete = path
                .split('/')
                .map(|segment| if segment.starts_with('{') { uuid::Uuid::new_v4().to_string() } else { segment.to_string() })
                .collect::<Vec<_>>()
                .join("/");
            let request_method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response = app.http.request(request_method, app.url(&concrete)).send().await.expect("request");
            assert_ne!(response.status(), 404, "{method} {path} is not routed");
            assert_ne!(response.status(), 405, "{method} {path} is not routed");
            if route.scope.is_some() {
                // The table's scope check answers before the handler runs.
                assert_eq!(response.status(), 401, "{method} {path} without a token");
                assert_eq!(response.headers()["content-type"], "application/problem+json", "{method} {path}");
                assert_eq!(operation["security"][0]["bearer"][0], route.scope.unwrap_or_default(), "{method} {path}");
            }
        }
    }
}

#[tokio::test]
async fn an_import_over_the_body_limit_is_413() {
    use crate::support::Backend;
    let app = TestApp::spawn_with(Backend::Sqlite, "import_body_limit_bytes = 100").await;
    let token = app.admin_token("admin:users").await;
    let response = import(&app, &token, true).await;
    assert_eq!(response.status(), 413);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}

backend_tests! {
    async fn unreadable_query_and_path_values_are_problems_too(app) {
        let token = app.admin_token("admin").await;
        for path in ["/admin/api/v1/users?page=first", "/admin/api/v1/users?organization_id=nope", "/admin/api/v1/no-such-route"] {
            let response = app.http.get(app.url(path)).bearer_auth(&token).send().await.expect("GET");
            assert!(response.status().is_client_error(), "{path}");
            assert_eq!(response.headers()["content-type"], "application/problem+json", "{path}");
            let body: serde_json::Value = response.json().await.expect("problem");
            assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{path}");
        }
        let wrong_method = app.http.put(app.url("/admin/api/v1/users")).bearer_auth(&token).send().await.expect("PUT");
        assert_eq!(wrong_method.status(), 405);
        assert_eq!(wrong_method.headers()["content-type"], "application/problem+json");
    }
}

/// The start of a 60 MB CSV upload to the import: its head (with `extra` header
/// lines) and the first `sent` bytes of its body, of which the rest never comes.
async fn start_large_import(app: &TestApp, token: &str, extra: &[&str], sent: usize) -> tokio::net::TcpStream {
    let mut stream = raw::connect(app.addr).await;
    let authorization = format!("Authorization: Bearer {token}");
    let headers: Vec<&str> = std::iter::once(authorization.as_str()).chain(extra.iter().copied()).collect();
    let head = raw::head("POST", "/admin/api/v1/imports", "text/csv", 60_000_000, &headers);
    raw::write(&mut stream, head.as_bytes(), Duration::from_secs(5)).await.expect("head written");
    raw::write(&mut stream, &vec![b'a'; sent], Duration::from_secs(5)).await.expect("the start of the body written");
    stream
}

backend_tests! {
    async fn an_upload_with_a_bogus_token_is_refused_without_asking_for_its_body(app) {
        let mut stream = start_large_import(&app, "bogus", &["Expect: 100-continue"], 0).await;
        let answer = raw::read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("answered without the body");
        let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        assert!(answer.starts_with("http/1.1 401"), "no 100 Continue first: {answer}");
        assert!(answer.contains("content-type: application/problem+json"), "{answer}");
    }

    async fn an_upload_with_a_token_lacking_the_scope_is_refused_before_its_body_is_read(app) {
        let token = app.admin_token("admin:clients").await;
        let mut stream = start_large_import(&app, &token, &[], 8 * 1024).await;
        let answer = raw::read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("answered without the rest of the body");
        let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        assert!(answer.starts_with("http/1.1 403"), "{answer}");
        assert!(answer.contains("content-type: application/problem+json"), "{answer}");
    }
}

backend_tests! {
    settings = "import_body_limit_bytes = 100";

    async fn a_chunked_import_over_the_body_limit_is_413(app) {
        let token = app.admin_token("admin:users").await;
        let mut stream = raw::connect(app.addr).await;
        let head = format!("POST /admin/api/v1/imports HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunk = format!("{:x}\r\n{}\r\n0\r\n\r\n", 500, "a".repeat(500));
        raw::write(&mut stream, format!("{head}{chunk}").as_bytes(), Duration::from_secs(5)).await.expect("written");
        let answer = raw::read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("answered and closed");
        let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        assert!(answer.starts_with("http/1.1 413"), "{answer}");
        assert!(answer.contains("content-type: application/problem+json"), "{answer}");
    }
}
