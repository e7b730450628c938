//! Read-then-write races of administration, run in parallel on SQLite and
//! PostgreSQL: a campaign and a secret rotation each take their row first.

use kuke_id::store::entities::{activation_tokens, mail_outbox};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::fixtures::TestClient;

backend_tests! {
    settings = "campaign_mails_per_minute = 0";

    async fn five_simultaneous_campaigns_invite_each_account_once(app) {
        let token = app.admin_token("admin:users").await;
        let mut users = Vec::new();
        for _ in 0..5 {
            users.push(app.imported_user().await);
        }

        let calls = (0..5).map(|_| {
            let request = app.http.post(app.url("/admin/api/v1/activations")).bearer_auth(&token).json(&json!({}));
            tokio::spawn(async move { request.send().await.expect("POST").json::<Value>().await.expect("json") })
        });
        let mut queued = 0;
        for call in calls.collect::<Vec<_>>() {
            queued += call.await.expect("task")["queued"].as_u64().expect("count");
        }

        assert_eq!(queued, 5, "each account was invited by exactly one of the campaigns");
        let conn = app.state.store.conn();
        for user in &users {
            let live = activation_tokens::Entity::find()
                .filter(activation_tokens::Column::UserId.eq(user.id))
                .filter(activation_tokens::Column::VoidedAt.is_null())
                .count(conn)
                .await
                .expect("count");
            let mails = mail_outbox::Entity::find()
                .filter(mail_outbox::Column::UserId.eq(user.id))
                .filter(mail_outbox::Column::Kind.eq("activation"))
                .count(conn)
                .await
                .expect("count");
            assert_eq!((live, mails), (1, 1), "one live link, one mail");
        }
    }

    async fn two_simultaneous_secret_rotations_both_print_a_secret_that_works(app) {
        let token = app.admin_token("admin").await;
        let client = app.client_with(crate::support::fixtures::ClientSpec { machine_scopes: Some(vec!["admin:stats".into()]), ..Default::default() }).await;

        let calls = (0..2).map(|_| {
            let request = app.http.post(app.url(&format!("/admin/api/v1/clients/{}/secret", client.id))).bearer_auth(&token).json(&json!({"grace_seconds": 3600}));
            tokio::spawn(async move { request.send().await.expect("POST").json::<Value>().await.expect("json") })
        });
        let mut secrets = Vec::new();
        for call in calls.collect::<Vec<_>>() {
            let body = call.await.expect("task");
            secrets.push(body["client_secret"].as_str().expect("secret").to_string());
        }

        for secret in secrets {
            let rotated = TestClient { secret: Some(secret), ..client.clone() };
            let answer = app.token(&rotated, &[("grant_type", "client_credentials")]).await;
            assert_eq!(answer.status(), 200, "every printed secret works (the older within its grace)");
        }
    }
}

backend_tests! {
    async fn two_accounts_confirming_the_same_new_address_cannot_both_have_it(app) {
        let token = app.admin_token("admin:users").await;
        let (first, second) = (app.active_user().await, app.active_user().await);
        for user in [&first, &second] {
            let change = json!({"email": "wspolny@example.com"});
            let path = format!("/admin/api/v1/users/{}", user.id);
            let answer = app.http.patch(app.url(&path)).bearer_auth(&token).json(&change).send().await.expect("PATCH");
            assert_eq!(answer.status(), 200);
        }
        let links: Vec<String> = app
            .mailbox
            .wait_until(|mails| {
                let links: Vec<String> = mails
                    .iter()
                    .filter(|m| m.rcpt_to.iter().any(|r| r.contains("wspolny@example.com")))
                    .filter_map(|m| m.link_containing("/email/confirm?token="))
                    .collect();
                (links.len() == 2).then_some(links)
            })
            .await;

        let mut statuses = Vec::new();
        for link in links {
            let form = app.http.get(&link).send().await.expect("GET").text().await.expect("html");
            let csrf = crate::support::journey::hidden(&form, "csrf").expect("csrf");
            let link_token = crate::support::journey::hidden(&form, "token").expect("token");
            let fields = [("csrf", csrf.as_str()), ("token", link_token.as_str())];
            statuses.push(app.http.post(app.url("/email/confirm")).form(&fields).send().await.expect("POST").status().as_u16());
        }

        assert_eq!(statuses, [200, 410], "the unique index keeps the address with the first account");
        let holders = kuke_id::store::entities::users::Entity::find()
            .filter(kuke_id::store::entities::users::Column::Email.eq("wspolny@example.com"))
            .count(app.state.store.conn())
            .await
            .expect("count");
        assert_eq!(holders, 1);
    }
}
