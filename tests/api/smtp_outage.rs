//! The mail server is down while the launch campaign is queued for 1 000
//! imported accounts: nothing is lost, `/metrics` shows the backlog while it
//! waits, and once the server is back every address gets its activation mail
//! exactly once.

use std::collections::HashMap;
use std::time::Duration;

use kuke_id::store::entities::mail_outbox;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::smtp::SmtpSink;
use crate::support::{Backend, TestApp};

/// Accounts in the campaign.
const ACCOUNTS: usize = 1_000;

/// How long 1 000 mails may take to go out once the server is back (seconds
/// on loopback; the bound is for a loaded 2-core CI machine).
const DELIVERY_DEADLINE: Duration = Duration::from_secs(180);

/// An Ekstranet export of `count` accounts in one organisation.
pub fn export(count: usize) -> String {
    let mut csv =
        String::from("legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n");
    for i in 0..count {
        csv.push_str(&format!("EX-{i:05},person{i:05}@example.com,Anna,Nowak,ORG-1,ACME,user\n"));
    }
    csv
}

/// Imports `csv` through the admin API; returns the report.
pub async fn import(app: &TestApp, token: &str, csv: String) -> Value {
    let response = app
        .http
        .post(app.url("/admin/api/v1/imports"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import");
    assert_eq!(response.status(), 200);
    response.json().await.expect("report")
}

/// A gauge's value as `/metrics` shows it.
async fn gauge(app: &TestApp, name: &str) -> Option<u64> {
    let text = app.get("/metrics").await.text().await.expect("metrics");
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

async fn rows(app: &TestApp, filter: impl sea_orm::sea_query::IntoCondition) -> u64 {
    mail_outbox::Entity::find().filter(filter).count(app.state.store.conn()).await.expect("outbox count")
}

async fn body(backend: Backend) {
    // Arrange: a node whose mail server is down, and 1 000 imported accounts.
    let smtp = SmtpSink::down().await;
    let settings = format!("smtp_url = \"smtp://{smtp}\"\ncampaign_mails_per_minute = 0\nrequest_timeout_secs = 120\n");
    let app = TestApp::spawn_with(backend, &settings).await;
    let token = app.admin_token("admin:users").await;
    let report = import(&app, &token, export(ACCOUNTS)).await;
    assert_eq!(report["created"], ACCOUNTS);

    // Act: the campaign is queued while no mail can leave.
    let response =
        app.http.post(app.url("/admin/api/v1/activations")).bearer_auth(&token).json(&json!({})).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let queued: Value = response.json().await.unwrap();
    assert_eq!(queued["queued"], ACCOUNTS);

    // Every mail was tried, refused at the door, and kept for a retry.
    crate::support::poll::until("a first attempt at every mail", || async {
        (rows(&app, mail_outbox::Column::Attempts.gte(1)).await == ACCOUNTS as u64).then_some(())
    })
    .await;
    assert_eq!(gauge(&app, "kuke_id_mail_outbox_pending").await, Some(ACCOUNTS as u64), "the backlog is shown");
    assert_eq!(gauge(&app, "kuke_id_mail_outbox_failed").await, Some(0), "nothing is given up");
    assert_eq!(rows(&app, mail_outbox::Column::SentAt.is_not_null()).await, 0);

    // The server comes back; the retries fall due (30 s of back-off, on the test clock).
    let sink = SmtpSink::start_on(smtp).await;
    app.clock.advance(Duration::from_secs(3600));
    let started = tokio::time::Instant::now();
    loop {
        let delivered = sink.mails().await.len();
        if delivered >= ACCOUNTS && rows(&app, mail_outbox::Column::SentAt.is_null()).await == 0 {
            break;
        }
        assert!(started.elapsed() < DELIVERY_DEADLINE, "{delivered} of {ACCOUNTS} mails delivered in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("{ACCOUNTS} mails delivered in {:?} once SMTP was back", started.elapsed());

    // Assert: each address got exactly one mail, and the outbox holds nothing unsent.
    let mut per_address: HashMap<String, usize> = HashMap::new();
    for mail in sink.mails().await {
        for recipient in mail.rcpt_to {
            *per_address.entry(recipient).or_default() += 1;
        }
    }
    assert_eq!(per_address.len(), ACCOUNTS);
    for i in 0..ACCOUNTS {
        assert_eq!(per_address.get(&format!("person{i:05}@example.com")), Some(&1), "person{i:05}");
    }
    assert_eq!(gauge(&app, "kuke_id_mail_outbox_pending").await, Some(0));
    assert_eq!(rows(&app, mail_outbox::Column::SentAt.is_not_null()).await, ACCOUNTS as u64);
}

mod a_campaign_queued_while_smtp_is_down_is_delivered_once_when_it_returns {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        body(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    #[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
    async fn postgres() {
        let Some(backend) = Backend::postgres_for_test() else { return };
        body(backend).await;
    }
}
