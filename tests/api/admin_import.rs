//! Hostile and broken import files sent to the admin API: every one gets a clear
//! answer, and nothing half-written.

use serde_json::Value;

use crate::support::TestApp;

const HEADER: &str = "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n";

async fn post(app: &TestApp, token: &str, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.http
        .post(app.url("/admin/api/v1/imports"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST")
}

async fn total_users(app: &TestApp, token: &str) -> u64 {
    let list: Value = app
        .http
        .get(app.url("/admin/api/v1/users"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    list["total"].as_u64().expect("total")
}

async fn problem(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.expect("problem");
    body["detail"].as_str().expect("detail").to_string()
}

backend_tests! {
    async fn a_non_utf8_file_is_refused_whole(app) {
        let token = app.admin_token("admin:users").await;
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"E1,a@example.com,Zo\xbf,B,O,ACME,user\n");
        let detail = problem(post(&app, &token, "text/csv", bytes).await, 400).await;
        assert!(detail.contains("UTF-8"), "{detail}");
        assert_eq!(total_users(&app, &token).await, 0);
    }

    async fn a_malformed_csv_row_is_rejected_and_the_rest_imported(app) {
        let token = app.admin_token("admin:users").await;
        let body = format!("{HEADER}E1,a@example.com,Anna,Nowak,O,ACME,user\nE2,b@example.com,\"unterminated,B,O,ACME,user\nE3,c@example.com,only,four\n");
        let response = post(&app, &token, "text/csv", body).await;
        assert_eq!(response.status(), 200);
        let report: Value = response.json().await.expect("json");
        assert_eq!(report["created"], 1);
        assert!(report["rejected"].as_u64().is_some_and(|r| r >= 1));
        assert_eq!(report["rows"][0]["outcome"], "created");
        assert_eq!(report["rows"][1]["legacy_id"], "E2", "a rejected row names its legacy id: {report}");
        assert_eq!(report["rows"][1]["outcome"], "rejected");
    }

    async fn duplicate_rows_are_rejected_with_the_reason(app) {
        let token = app.admin_token("admin:users").await;
        let row = "E1,a@example.com,Anna,Nowak,O,ACME,user\n";
        let body = format!("{HEADER}{row}{row}E2,A@Example.com,Ewa,Lis,O,ACME,user\n");
        let report: Value = post(&app, &token, "text/csv", body).await.json().await.expect("json");
        assert_eq!(report["created"], 1);
        assert_eq!(report["rejected"], 2);
        let reasons = report["rows"].to_string();
        assert!(reasons.contains("duplicate legacy_id"), "{reasons}");
        assert!(reasons.contains("duplicate e-mail"), "{reasons}");
        let rejected: Vec<&str> = report["rows"].as_array().expect("rows").iter()
            .filter(|r| r["outcome"] == "rejected")
            .map(|r| r["legacy_id"].as_str().expect("a legacy id, not null"))
            .collect();
        assert_eq!(rejected, ["E1", "E2"]);
    }

    async fn hostile_strings_in_every_field_come_back_verbatim_as_json(app) {
        let token = app.admin_token("admin:users").await;
        let nasty = [
            "Robert'); DROP TABLE users;--",
            "<img src=x onerror=alert(1)>",
            "\u{202e}gnp.exe",
            "{{ 7*7 }}",
            "${jndi:ldap://x}",
        ];
        let mut body = HEADER.to_string();
        for (i, text) in nasty.iter().enumerate() {
            let quoted = format!("\"{}\"", text.replace('"', "\"\""));
            body.push_str(&format!("{quoted}-{i},h{i}@example.com,{quoted},{quoted},{quoted}-{i},{quoted},user\n"));
        }
        let report: Value = post(&app, &token, "text/csv", body).await.json().await.expect("json");
        assert_eq!(report["created"], nasty.len());
        let list: Value = app.http.get(app.url("/admin/api/v1/users?per_page=50")).bearer_auth(&token).send().await.expect("GET").json().await.expect("json");
        for text in nasty {
            assert!(list["items"].as_array().expect("items").iter().any(|u| u["given_name"] == text && u["family_name"] == text), "{text}");
        }
    }

    async fn control_characters_and_overlong_values_are_refused(app) {
        let token = app.admin_token("admin:users").await;
        let long = "x".repeat(201);
        let body = format!("{HEADER}E1,a@example.com,\"A\u{0}B\",C,O,ACME,user\nE2,b@example.com,{long},C,O,ACME,user\nE3,{long}@example.com,A,B,O,ACME,user\nE4,d@example.com,A,B,O,ACME,root\n");
        let report: Value = post(&app, &token, "text/csv", body).await.json().await.expect("json");
        assert_eq!(report["rejected"], 4);
        assert_eq!(total_users(&app, &token).await, 0);
    }

    async fn a_json_body_that_is_not_an_array_is_400(app) {
        let token = app.admin_token("admin:users").await;
        problem(post(&app, &token, "application/json", "{\"legacy_id\": 1}").await, 400).await;
        problem(post(&app, &token, "application/json", "[{\"legacy_id\": ").await, 400).await;
    }

    async fn an_empty_or_header_only_file_imports_nothing(app) {
        let token = app.admin_token("admin:users").await;
        let empty = post(&app, &token, "text/csv", "").await;
        // An empty file has no header row: the required columns are missing.
        assert_eq!(empty.status(), 400);
        let problem: Value = empty.json().await.expect("problem json");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("legacy_id")), "{problem}");
        let header_only: Value = post(&app, &token, "text/csv", HEADER).await.json().await.expect("json");
        assert_eq!(header_only["created"], 0);
    }

    async fn every_row_of_a_batch_is_created_when_the_rows_do_not_fill_whole_statements(app) {
        // 263 rows, one refused in the middle: the created rows end part-way
        // through an insert statement on SQLite (100 rows each).
        let token = app.admin_token("admin:users").await;
        let mut body = HEADER.to_string();
        for i in 0..263 {
            let email = if i == 150 { "not-an-address".to_string() } else { format!("s{i}@example.com") };
            body.push_str(&format!("S{i},{email},Anna,Nowak,O1,Firma,user\n"));
        }
        let report: Value = post(&app, &token, "text/csv", body).await.json().await.expect("json");
        assert_eq!((report["created"].as_u64(), report["rejected"].as_u64()), (Some(262), Some(1)));
        assert_eq!(total_users(&app, &token).await, 262);
        let logins: std::collections::HashSet<String> = kuke_id::store::users::all_logins(app.state.store.conn())
            .await
            .expect("logins");
        assert_eq!(logins.len(), 262, "each created account has its own login");
    }

    async fn a_report_of_many_rows_arrives_whole_as_one_json_document(app) {
        // More rows than one batch on either backend and than a few pieces of the streamed report.
        let token = app.admin_token("admin:users").await;
        let mut body = HEADER.to_string();
        for i in 0..2_100 {
            body.push_str(&format!("E{i},p{i}@example.com,Anna,Nowak,O{},Firma,user\n", i % 7));
        }
        body.push_str("E0,again@example.com,Anna,Nowak,O,Firma,user\n");
        let response = post(&app, &token, "text/csv", body).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert!(response.headers().contains_key("x-content-type-options"), "security headers on the streamed report");
        let report: Value = response.json().await.expect("one JSON document");
        assert_eq!((report["created"].as_u64(), report["rejected"].as_u64()), (Some(2_100), Some(1)));
        let rows = report["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), 2_101);
        assert!(rows.iter().enumerate().all(|(i, r)| r["row"] == i + 1), "in file order");
        assert_eq!(rows[2_099]["legacy_id"], "E2099");
        assert_eq!(rows[2_100]["outcome"], "rejected");
        assert_eq!(total_users(&app, &token).await, 2_100);
    }
}
