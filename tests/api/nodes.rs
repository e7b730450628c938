//! Several nodes on one PostgreSQL database: what one node changes, the others
//! act on at once, because every change they keep in memory is announced
//! (`LISTEN/NOTIFY`) rather than waited out.

use kuke_id::domain::change::Change;
use kuke_id::store::changes::Heard;

use crate::support::fixtures::ClientSpec;
use crate::support::{Backend, TestApp, poll};

async fn postgres_pair() -> Option<(TestApp, TestApp)> {
    let backend = Backend::postgres_for_test()?;
    let first = TestApp::spawn(backend).await;
    let second = first.another_node().await;
    Some((first, second))
}

async fn client_credentials(app: &TestApp, id: &str, secret: &str) -> reqwest::StatusCode {
    app.http
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("POST /token")
        .status()
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn a_client_removed_on_one_node_is_forgotten_by_the_others_at_once() {
    let Some((first, second)) = postgres_pair().await else { return };
    let client = first.client_with(ClientSpec { machine_scopes: Some(vec!["api".into()]), ..Default::default() }).await;
    let secret = client.secret.clone().expect("a confidential client");
    assert_eq!(client_credentials(&second, &client.id, &secret).await, 200);
    assert_eq!(second.state.clients.len(), 1, "the second node keeps the registration in memory");

    let token = first.admin_token("admin:clients").await;
    let removed = first
        .http
        .delete(first.url(&format!("/admin/api/v1/clients/{}", client.id)))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(removed.status(), 204);

    // Nothing on the second node touched its cache: only the announcement can empty it.
    poll::until("the second node to forget the removed client", || async {
        second.state.clients.is_empty().then_some(())
    })
    .await;
    assert_eq!(client_credentials(&second, &client.id, &secret).await, 401);
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn a_secret_rotated_on_one_node_is_refused_by_the_others_at_once() {
    let Some((first, second)) = postgres_pair().await else { return };
    let client = first.client_with(ClientSpec { machine_scopes: Some(vec!["api".into()]), ..Default::default() }).await;
    let secret = client.secret.clone().expect("a confidential client");
    assert_eq!(client_credentials(&second, &client.id, &secret).await, 200);

    let token = first.admin_token("admin:clients").await;
    let rotated = first
        .http
        .post(first.url(&format!("/admin/api/v1/clients/{}/secret", client.id)))
        .bearer_auth(&token)
        .json(&serde_json::json!({"grace_seconds": 0}))
        .send()
        .await
        .expect("POST");
    assert_eq!(rotated.status(), 200, "{:?}", rotated.text().await);
    poll::until("the second node to forget the old registration", || async {
        second.state.clients.is_empty().then_some(())
    })
    .await;
    assert_eq!(client_credentials(&second, &client.id, &secret).await, 401, "the old secret, without grace");
}

#[tokio::test]
async fn a_possibly_missed_announcement_makes_a_node_forget_every_client() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = app.client_with(ClientSpec { machine_scopes: Some(vec!["api".into()]), ..Default::default() }).await;
    let secret = client.secret.clone().expect("a confidential client");
    assert_eq!(client_credentials(&app, &client.id, &secret).await, 200);
    assert_eq!(app.state.clients.len(), 1);
    kuke_id::flows::changes::apply(&app.state, Heard::MaybeMissed).await;
    assert!(app.state.clients.is_empty());
}

#[tokio::test]
async fn an_announced_client_change_makes_a_node_forget_that_client_only() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let spec = || ClientSpec { machine_scopes: Some(vec!["api".into()]), ..Default::default() };
    let (one, other) = (app.client_with(spec()).await, app.client_with(spec()).await);
    for client in [&one, &other] {
        assert_eq!(client_credentials(&app, &client.id, client.secret.as_deref().expect("secret")).await, 200);
    }
    kuke_id::flows::changes::apply(&app.state, Heard::Change(Change::Client(one.id.clone()))).await;
    assert_eq!(app.state.clients.len(), 1, "only the changed client is read again");
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn a_node_that_begins_listening_late_forgets_what_it_kept_while_deaf() {
    let Some(backend) = Backend::postgres_for_test() else { return };
    let app = TestApp::spawn(backend).await;
    let client = app.client_with(ClientSpec { machine_scopes: Some(vec!["api".into()]), ..Default::default() }).await;
    let secret = client.secret.clone().expect("a confidential client");
    assert_eq!(client_credentials(&app, &client.id, &secret).await, 200);
    assert_eq!(app.state.clients.len(), 1);

    // As when the database did not answer the first LISTEN: whatever the node
    // read before it heard may already have changed.
    let listener = kuke_id::flows::changes::start(&app.state).await;
    assert!(listener.is_some(), "PostgreSQL is listened on");
    assert!(app.state.clients.is_empty());
}

#[tokio::test]
async fn on_sqlite_there_is_nothing_to_listen_for() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert!(kuke_id::flows::changes::start(&app.state).await.is_none());
    tokio::time::timeout(std::time::Duration::from_secs(5), kuke_id::flows::changes::follow(app.state.clone(), None))
        .await
        .expect("following returns at once on one node");
}
