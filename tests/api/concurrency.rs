//! Races: one code, one refresh token, many simultaneous presenters, on a
//! multi-threaded runtime. Outcomes are read from the answers' error codes and
//! from the database, and the replay's consequence — the winner's tokens revoked
//! (RFC 6749 §4.1.2, RFC 9700 §4.14.2) — is checked too.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

use crate::support::TestApp;
use crate::support::fixtures::{TestClient, VERIFIER};

/// What each racer got back: the status and the body.
type Answer = (u16, Value);

backend_tests! {
    multi_thread;

    async fn fifty_parallel_redemptions_of_one_code_give_exactly_one_success_and_revoke_it(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let answers = race(50, |_| {
            let request = app.http.post(app.url("/token")).basic_auth(&client.id, client.secret.as_deref()).form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", client.redirect_uri.as_str()),
                ("code_verifier", VERIFIER),
            ]);
            async move { answer(request).await }
        })
        .await;
        let winner = exactly_one_winner(&answers);
        assert_eq!(grants_of(&app, &client).await, 1, "one grant was issued");
        assert_eq!(audit_count(&app, "code.replayed").await, answers.len() as u64 - 1, "every replay is audited");
        // A replay of a used code revokes what it produced: the winner's tokens die too.
        assert_eq!(revoked_grants_of(&app, &client).await, 1, "the grant is revoked");
        let access = winner["access_token"].as_str().expect("an access token");
        let userinfo = app.http.get(app.url("/userinfo")).bearer_auth(access).send().await.expect("GET");
        assert_eq!(userinfo.status(), 401, "the winner's access token is revoked");
    }

    // On PostgreSQL this is also the test of the deadlock fixed in 12fb441: the
    // losers' reuse revokes the family while the winner rotates; a deadlock would
    // answer 500 instead of invalid_grant.
    async fn twenty_parallel_uses_of_one_refresh_token_give_exactly_one_success_and_revoke_the_family(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let tokens = app.redeem(&client, &code).await;
        let refresh = tokens["refresh_token"].as_str().expect("rt").to_string();
        let answers = race(20, |_| {
            let request = app
                .http
                .post(app.url("/token"))
                .basic_auth(&client.id, client.secret.as_deref())
                .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())]);
            async move { answer(request).await }
        })
        .await;
        let winner = exactly_one_winner(&answers);
        assert_eq!(audit_count(&app, "refresh_token.reused").await, answers.len() as u64 - 1, "every reuse is audited");
        assert_eq!(revoked_grants_of(&app, &client).await, 1, "the family's grant is revoked");
        let rotated = winner["refresh_token"].as_str().expect("the winner's new refresh token");
        let again = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", rotated)]).await;
        assert_eq!(again.status(), 400, "the winner's rotated token died with its family");
    }
}

/// Starts `n` requests as separate tasks, so that they really run at once.
async fn race<F, Fut>(n: usize, make: F) -> Vec<Answer>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Answer> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(make(i))).collect();
    let mut answers = Vec::new();
    for handle in handles {
        answers.push(handle.await.expect("task"));
    }
    answers
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The one 200's body; every other answer must be `invalid_grant`.
fn exactly_one_winner(answers: &[Answer]) -> Value {
    let winners: Vec<&Value> = answers.iter().filter(|(status, _)| *status == 200).map(|(_, body)| body).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!((*status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    }
    winners[0].clone()
}

async fn grants_of(app: &TestApp, client: &TestClient) -> u64 {
    use kuke_id::store::entities::grants;
    grants::Entity::find()
        .filter(grants::Column::ClientId.eq(client.id.as_str()))
        .count(app.state.store.conn())
        .await
        .expect("grants")
}

async fn revoked_grants_of(app: &TestApp, client: &TestClient) -> u64 {
    use kuke_id::store::entities::grants;
    grants::Entity::find()
        .filter(grants::Column::ClientId.eq(client.id.as_str()))
        .filter(grants::Column::RevokedAt.is_not_null())
        .count(app.state.store.conn())
        .await
        .expect("grants")
}

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    kuke_id::store::audit::count_action(app.state.store.conn(), action).await.expect("audit")
}
