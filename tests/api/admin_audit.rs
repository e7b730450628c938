//! The admin API's audit search: filters by action, actor, subject and time, paging.

use kuke_id::domain::audit::AuditEvent;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use crate::support::TestApp;

// A copy of `admin.rs`'s helper; it may move to the fixtures later.

/// Writes an event as a flow would, at a chosen time.
async fn seed(app: &TestApp, actor: &str, action: &'static str, subject: Option<Uuid>, at: OffsetDateTime) {
    let mut event = AuditEvent::new(actor, action, Some("target-1".into())).with_details(json!({"n": 1}));
    event.subject_user_id = subject;
    kuke_id::store::audit::record(app.state.store.conn(), &event, at).await.expect("audit event");
}

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    let response =
        app.http.get(app.url(&format!("/admin/api/v1/audit?{query}"))).bearer_auth(token).send().await.expect("GET");
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("json")
}

fn actions(page: &Value) -> Vec<String> {
    page["items"].as_array().into_iter().flatten().filter_map(|i| i["action"].as_str()).map(str::to_string).collect()
}

backend_tests! {
    async fn the_audit_filters_by_exact_action_or_by_prefix(app) {
        let token = app.admin_token("admin:audit").await;
        let at = datetime!(2026-06-01 12:00 UTC);
        seed(&app, "probe", "probe.one", None, at).await;
        seed(&app, "probe", "probe.two", None, at + time::Duration::minutes(1)).await;
        seed(&app, "probe", "probe_x.three", None, at).await;

        let exact = search(&app, &token, "action=probe.one").await;
        assert_eq!(actions(&exact), ["probe.one"]);
        let prefix = search(&app, &token, "action=probe.").await;
        assert_eq!(prefix["total"], 2);
        assert_eq!(actions(&prefix), ["probe.two", "probe.one"], "newest first; `probe_x.` is another prefix");
        assert_eq!(actions(&search(&app, &token, "action=probe").await), Vec::<String>::new(), "no dot: exact only");
    }

    async fn the_audit_filters_by_actor(app) {
        let token = app.admin_token("admin:audit").await;
        let at = datetime!(2026-06-01 12:00 UTC);
        seed(&app, "client:alpha", "probe.a", None, at).await;
        seed(&app, "client:beta", "probe.b", None, at).await;
        let page = search(&app, &token, "actor=client:alpha").await;
        assert_eq!(actions(&page), ["probe.a"]);
    }

    async fn the_audit_filters_by_subject_account(app) {
        let token = app.admin_token("admin:audit").await;
        let (one, two) = (Uuid::new_v4(), Uuid::new_v4());
        let at = datetime!(2026-06-01 12:00 UTC);
        seed(&app, "system", "probe.one", Some(one), at).await;
        seed(&app, "system", "probe.two", Some(two), at).await;
        let page = search(&app, &token, &format!("subject={one}")).await;
        assert_eq!(actions(&page), ["probe.one"]);
        assert_eq!(page["items"][0]["subject_user_id"], one.to_string());
    }

    async fn the_audit_filters_by_time_range_from_inclusive_to_exclusive(app) {
        let token = app.admin_token("admin:audit").await;
        seed(&app, "probe", "probe.january", None, datetime!(2026-01-01 00:00 UTC)).await;
        seed(&app, "probe", "probe.february", None, datetime!(2026-02-01 12:00 UTC)).await;
        seed(&app, "probe", "probe.march", None, datetime!(2026-03-01 00:00 UTC)).await;
        // 13:00 at +02:00 is 11:00 UTC: February's event is inside; `to` excludes March's.
        let page = search(&app, &token, "action=probe.&from=2026-02-01T13:00:00%2B02:00&to=2026-03-01T00:00:00Z").await;
        assert_eq!(actions(&page), ["probe.february"]);
        let from_only = search(&app, &token, "action=probe.&from=2026-02-01T12:00:00Z").await;
        assert_eq!(actions(&from_only), ["probe.march", "probe.february"]);
    }

    async fn audit_items_carry_every_field_with_parsed_details_and_page_with_a_total(app) {
        let token = app.admin_token("admin:audit").await;
        let at = datetime!(2026-06-01 12:00 UTC);
        for minute in 0..3 {
            seed(&app, "probe", "probe.paged", None, at + time::Duration::minutes(minute)).await;
        }
        let page = search(&app, &token, "action=probe.paged&per_page=2&page=2").await;
        assert_eq!((page["total"].as_u64(), page["page"].as_u64()), (Some(3), Some(2)));
        let item = &page["items"][0];
        assert_eq!(item["at"], "2026-06-01T12:00:00Z", "the oldest is last");
        assert_eq!(item["actor"], "probe");
        assert_eq!(item["target"], "target-1");
        assert_eq!(item["details"], json!({"n": 1}));
        assert!(item["id"].is_string() && item.get("ip").is_some() && item.get("request_id").is_some());
    }

    async fn an_admin_api_change_is_found_with_its_caller_and_request_id(app) {
        let token = app.admin_token("admin").await;
        let published = app.http.post(app.url("/admin/api/v1/terms")).bearer_auth(&token).header("x-request-id", "req-audit-1")
            .json(&json!({"version": "v9", "title": "T", "body": "B"})).send().await.expect("POST");
        assert_eq!(published.status(), 201);
        let page = search(&app, &token, "action=terms.published").await;
        let item = &page["items"][0];
        assert_eq!(item["target"], "v9");
        assert!(item["actor"].as_str().is_some_and(|a| a.starts_with("client:")));
        assert_eq!(item["request_id"], "req-audit-1");
        assert_eq!(item["ip"], "127.0.0.1");
    }

    async fn an_unreadable_timestamp_is_a_400_problem(app) {
        let token = app.admin_token("admin:audit").await;
        let response = app.http.get(app.url("/admin/api/v1/audit?from=yesterday")).bearer_auth(&token).send().await.expect("GET");
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body: Value = response.json().await.expect("json");
        assert!(body["detail"].as_str().unwrap_or_default().contains("from"));
    }

    async fn a_subject_that_is_not_a_uuid_is_a_400(app) {
        let token = app.admin_token("admin:audit").await;
        let response = app.http.get(app.url("/admin/api/v1/audit?subject=42")).bearer_auth(&token).send().await.expect("GET");
        assert_eq!(response.status(), 400);
    }

    async fn a_token_without_the_audit_scope_is_403(app) {
        let token = app.admin_token("admin:terms").await;
        let response = app.http.get(app.url("/admin/api/v1/audit")).bearer_auth(&token).send().await.expect("GET");
        assert_eq!(response.status(), 403);
    }
}
