//! The activation campaign's pace, reminders before links expire, and the bulk
//! re-invitation of accounts whose link expired.

use std::time::Duration;

use kuke_id::store::entities::{activation_tokens, mail_outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::support::journey::GOOD_PASSWORD;
use crate::support::{Backend, TestApp};

async fn activations(app: &TestApp, token: &str, body: Value) -> Value {
    let response =
        app.http.post(app.url("/admin/api/v1/activations")).bearer_auth(token).json(&body).send().await.expect("POST");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn reminders(app: &TestApp) -> usize {
    kuke_id::flows::journey::reminders::send_due(&app.state).await.expect("reminder round")
}

#[tokio::test]
async fn campaign_mails_are_spaced_by_the_configured_rate() {
    let app = TestApp::spawn_with(Backend::Sqlite, "campaign_mails_per_minute = 2").await;
    let token = app.admin_token("admin:users").await;
    for _ in 0..3 {
        app.imported_user().await;
    }
    let queued = activations(&app, &token, json!({})).await;
    assert_eq!(queued["queued"], 3);
    let due: Vec<time::OffsetDateTime> = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Kind.eq("activation"))
        .order_by_asc(mail_outbox::Column::NextAttemptAt)
        .all(app.state.store.conn())
        .await
        .expect("outbox")
        .into_iter()
        .map(|m| m.next_attempt_at)
        .collect();
    assert_eq!(due.len(), 3);
    assert_eq!((due[1] - due[0]).whole_seconds(), 30);
    assert_eq!((due[2] - due[1]).whole_seconds(), 30);
    let links = activation_tokens::Entity::find()
        .order_by_asc(activation_tokens::Column::ExpiresAt)
        .all(app.state.store.conn())
        .await
        .expect("links");
    assert_eq!((links[2].expires_at - links[0].expires_at).whole_seconds(), 60, "a link's life starts with its mail");
    let again = activations(&app, &token, json!({"user_ids": []})).await;
    assert_eq!(again["queued"], 0);
}

backend_tests! {
    async fn a_reminder_goes_out_once_a_day_before_the_link_expires(app) {
        let user = app.imported_user().await;
        app.activation_link(&user, 0).await;
        assert_eq!(reminders(&app).await, 0, "not yet due");
        app.clock.advance(Duration::from_secs(49 * 3600));
        // The node's own reminder worker wakes when the clock moves.
        let mail = app.mail_to(&user, "Przypomnienie", 0).await;
        assert_eq!(reminders(&app).await, 0, "only once");
        assert!(mail.text().contains("23 h"), "{}", mail.text());
        assert_eq!(kuke_id::store::audit::count_action(app.state.store.conn(), "user.reminded").await.expect("count"), 1);
    }

    async fn the_reminder_link_works_and_voids_the_first_one(app) {
        let user = app.imported_user().await;
        let first = app.activation_link(&user, 0).await;
        app.clock.advance(Duration::from_secs(50 * 3600));
        let reminder = app.mail_to(&user, "Przypomnienie", 0).await.link_containing("/activate?token=").expect("link");
        let reminder = reminder.trim_start_matches(&app.base).to_string();
        let response = app.set_password(&reminder, GOOD_PASSWORD, GOOD_PASSWORD).await;
        assert_eq!(response.status(), 200);
        let (status, _, _) = app.page(&first).await;
        assert_eq!(status, 410);
    }

    async fn activated_accounts_get_no_reminder(app) {
        let user = app.activated_user().await;
        app.clock.advance(Duration::from_secs(50 * 3600));
        assert_eq!(reminders(&app).await, 0);
        let _ = user;
    }

    async fn accounts_whose_link_expired_are_re_invited_in_bulk(app) {
        let expired = app.imported_user().await;
        app.activation_link(&expired, 0).await;
        let never_invited = app.imported_user().await;
        app.clock.advance(Duration::from_secs(73 * 3600));
        let token = app.admin_token("admin:users").await;
        let details: Value = app.http.get(app.url(&format!("/admin/api/v1/users/{}", expired.id))).bearer_auth(&token).send().await.expect("GET").json().await.expect("json");
        assert_eq!(details["status"], "link_expired");
        let listed: Value = app.http.get(app.url("/admin/api/v1/users?status=link_expired")).bearer_auth(&token).send().await.expect("GET").json().await.expect("json");
        assert_eq!(listed["total"], 1);
        let queued = activations(&app, &token, json!({"expired": true})).await;
        assert_eq!(queued["queued"], 1);
        let link = app.mail_to(&expired, "Aktywuj", 1).await.link_containing("/activate?token=").expect("link");
        let (status, _, _) = app.page(link.trim_start_matches(&app.base)).await;
        assert_eq!(status, 200, "the new link works");
        let again = activations(&app, &token, json!({"expired": true})).await;
        assert_eq!(again["queued"], 0);
        let still: Value = app.http.get(app.url(&format!("/admin/api/v1/users/{}", never_invited.id))).bearer_auth(&token).send().await.expect("GET").json().await.expect("json");
        assert_eq!(still["status"], "imported");
    }
}
