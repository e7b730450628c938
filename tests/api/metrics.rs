//! `GET /metrics`: the Prometheus exposition, its counters, and its token.
//! Every provider counts for itself, so although tests run in parallel in one
//! process, each check expects the exact number of events its test caused.

use serde_json::Value;

use crate::support::journey::GOOD_PASSWORD;
use crate::support::{Backend, TestApp, poll};

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

/// The value of one series (`name{labels}`), 0 when it is not there yet.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|line| line.strip_prefix(series).is_some_and(|rest| rest.starts_with(' ')))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Scrapes until `series` reaches `expected` (the mail worker counts after SMTP
/// answers, a moment after the sink has the mail).
async fn wait_for(app: &TestApp, series: &str, expected: f64) {
    poll::until(&format!("{series} to reach {expected}"), || async {
        (value(&scrape(app).await, series) == expected).then_some(())
    })
    .await;
}

const CSV: &str = "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n\
M1,m1@example.com,Anna,Nowak,O1,ACME,administrator\nM2,m2@example.com,Jan,Kowalski,O1,ACME,user\nM3,not-an-address,Ewa,Lis,O2,Beta,user\n";

backend_tests! {
    async fn metrics_are_served_in_the_prometheus_text_format(app) {
        let response = app.get("/metrics").await;
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().expect("ascii").to_string();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        let text = response.text().await.expect("text");
        assert!(text.contains("# TYPE kuke_id_http_requests_total counter"));
        assert!(text.contains("# TYPE kuke_id_http_request_duration_seconds histogram"));
        assert!(text.contains("kuke_id_mail_outbox_pending "), "the backlog gauge is read from the database");
    }

    async fn sqlite_memory_is_reported_on_sqlite_and_left_out_on_postgres(app) {
        let text = scrape(&app).await;
        let series = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok());
        let (now, peak) = (series("kuke_id_sqlite_memory_bytes"), series("kuke_id_sqlite_memory_peak_bytes"));
        if kuke_id::store::is_sqlite(app.state.store.conn()) {
            let (now, peak) = (now.expect("SQLite's heap now"), peak.expect("SQLite's peak"));
            assert!(now > 0.0, "an open SQLite pool holds memory");
            assert!(peak >= now, "the peak ({peak}) is never below the present ({now})");
        } else {
            assert_eq!((now, peak), (None, None), "PostgreSQL's memory is not this process's");
        }
    }

    async fn a_request_is_counted_under_its_route_template(app) {
        let health = "kuke_id_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"2xx\"}";
        let user = "kuke_id_http_requests_total{route=\"/admin/api/v1/users/{id}\",method=\"GET\",status=\"4xx\"}";
        let before = scrape(&app).await;
        app.get("/healthz").await;
        let id = uuid::Uuid::new_v4();
        assert_eq!(app.get(&format!("/admin/api/v1/users/{id}")).await.status(), 401);
        let after = scrape(&app).await;
        assert_eq!(value(&after, health), value(&before, health) + 1.0, "{health}");
        assert_eq!(value(&after, user), value(&before, user) + 1.0, "{user}");
        assert!(!after.contains(&id.to_string()), "concrete paths never become labels");
        let latency = "kuke_id_http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\",status=\"2xx\"}";
        assert_eq!(value(&after, latency), value(&before, latency) + 1.0);
    }

    async fn a_sign_in_journey_moves_the_sign_in_and_mail_counters(app) {
        let outcome = |o: &str| format!("kuke_id_sign_in_total{{outcome=\"{o}\"}}");
        let queued = "kuke_id_mails_queued_total{kind=\"one_time_code\"}";
        let sent = "kuke_id_mails_sent_total{kind=\"one_time_code\"}";
        let user = app.activated_user().await;
        let before = scrape(&app).await;

        app.sign_in_form(&user.login, "Wrong#Password1", None).await;
        let signed = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(signed.headers()["location"], "/login/code");
        let code = app.code_of(&user, 0).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert_ne!(app.submit_code(wrong).await.status(), 303, "a wrong code does not sign in");
        assert_eq!(app.submit_code(&code).await.status(), 200, "signed in: the welcome page");

        let after = scrape(&app).await;
        for o in ["bad_credentials", "code_sent", "code_wrong", "success"] {
            assert_eq!(value(&after, &outcome(o)), value(&before, &outcome(o)) + 1.0, "{o}");
        }
        for o in ["locked", "rate_limited", "code_expired", "terms_declined"] {
            assert_eq!(value(&after, &outcome(o)), value(&before, &outcome(o)), "{o}: nothing of the kind happened");
        }
        assert_eq!(value(&after, queued), value(&before, queued) + 1.0, "one code was mailed");
        wait_for(&app, sent, value(&before, sent) + 1.0).await;
    }

    async fn imports_and_the_campaign_are_counted(app) {
        let created = "kuke_id_import_rows_total{outcome=\"created\"}";
        let rejected = "kuke_id_import_rows_total{outcome=\"rejected\"}";
        let invitations = "kuke_id_campaign_invitations_total";
        let token = app.admin_token("admin:users").await;
        let before = scrape(&app).await;
        let imported = app.http.post(app.url("/admin/api/v1/imports")).bearer_auth(&token).header("content-type", "text/csv").body(CSV).send().await.expect("POST");
        assert_eq!(imported.status(), 200);
        let queued: Value = app.http.post(app.url("/admin/api/v1/activations")).bearer_auth(&token).send().await.expect("POST").json().await.expect("json");
        assert_eq!(queued["queued"], 2);
        let after = scrape(&app).await;
        assert_eq!(value(&after, created) - value(&before, created), 2.0);
        assert_eq!(value(&after, rejected) - value(&before, rejected), 1.0);
        assert_eq!(value(&after, invitations) - value(&before, invitations), 2.0);
    }
}

const TOKEN: &str = "scrape-token-0123456789";

#[tokio::test]
async fn the_metrics_token_is_required_when_set() {
    let app = TestApp::spawn_with(Backend::Sqlite, &format!("metrics_token = \"{TOKEN}\"")).await;
    let anonymous = app.get("/metrics").await;
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().get("www-authenticate").is_some());
    let wrong = app.http.get(app.url("/metrics")).bearer_auth("scrape-token-012345678X").send().await.expect("GET");
    assert_eq!(wrong.status(), 401);
    let right = app.http.get(app.url("/metrics")).bearer_auth(TOKEN).send().await.expect("GET");
    assert_eq!(right.status(), 200);
    assert!(right.text().await.expect("text").contains("kuke_id_http_requests_total"));
}

#[tokio::test]
async fn metrics_can_be_switched_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, "metrics_enabled = false").await;
    assert_eq!(app.get("/metrics").await.status(), 404);
}
