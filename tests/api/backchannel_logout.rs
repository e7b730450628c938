//! OIDC Back-Channel Logout 1.0: logout tokens reach the client, retried on failure.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::sync::Mutex;

use crate::support::fixtures::ClientSpec;
use crate::support::{TestApp, poll};

/// Tokens received, and how many deliveries are still to be refused.
type ReceiverState = (Arc<Mutex<Vec<String>>>, Arc<AtomicUsize>);

/// A relying party's back-channel endpoint on loopback that fails the first
/// `failures` deliveries and records the logout tokens it accepts.
struct Receiver {
    uri: String,
    tokens: Arc<Mutex<Vec<String>>>,
}

async fn receiver(failures: usize) -> Receiver {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let remaining = Arc::new(AtomicUsize::new(failures));
    let state = (tokens.clone(), remaining);
    let app = Router::new()
        .route(
            "/backchannel",
            post(|State((tokens, remaining)): State<ReceiverState>, body: String| async move {
                if remaining.load(Ordering::SeqCst) > 0 {
                    remaining.fetch_sub(1, Ordering::SeqCst);
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let token = url::form_urlencoded::parse(body.as_bytes())
                    .find(|(k, _)| k == "logout_token")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                tokens.lock().await.push(token);
                StatusCode::OK
            }),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let uri = format!("http://{}/backchannel", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { uri, tokens }
}

async fn wait_for_token(receiver: &Receiver) -> String {
    poll::until("a logout token delivered", || async { receiver.tokens.lock().await.first().cloned() }).await
}

async fn sign_in_and_log_out(app: &TestApp, receiver: &Receiver) -> serde_json::Value {
    let user = app.active_user().await;
    let client =
        app.client_with(ClientSpec { backchannel_logout_uri: Some(receiver.uri.clone()), ..Default::default() }).await;
    app.sign_in(&user).await;
    let code = app.code(&client, &[]).await;
    let tokens = app.redeem(&client, &code).await;
    let mut url = url::Url::parse(&app.url("/logout")).expect("url");
    url.query_pairs_mut().append_pair("id_token_hint", tokens["id_token"].as_str().expect("id"));
    app.http.get(url).send().await.expect("logout");
    tokens
}

backend_tests! {
    async fn logout_delivers_a_logout_token_with_the_session_id(app) {
        let receiver = receiver(0).await;
        let tokens = sign_in_and_log_out(&app, &receiver).await;
        let logout_token = wait_for_token(&receiver).await;
        let header = jsonwebtoken::decode_header(&logout_token).expect("jwt");
        assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
        let id = app.verified(tokens["id_token"].as_str().expect("id"), None).await;
        let client_id = id["aud"].as_str().expect("the client is the audience");
        let logout = app.verified(&logout_token, Some(client_id)).await;
        assert!(logout["jti"].as_str().is_some_and(|jti| !jti.is_empty()), "§2.4: a logout token has a jti");
        let issued = logout["iat"].as_i64().expect("iat");
        assert!((app.clock.now().unix_timestamp() - issued).abs() < 300, "issued now: {issued}");
        assert_eq!(logout["sid"], id["sid"]);
        assert_eq!(logout["sub"], id["sub"]);
        assert_eq!(logout["iss"], app.base.as_str());
        assert!(logout["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
        assert!(logout.get("nonce").is_none(), "§2.4: a logout token has no nonce");
    }

    async fn a_failed_delivery_is_retried(app) {
        let receiver = receiver(1).await;
        sign_in_and_log_out(&app, &receiver).await;
        let conn = app.state.store.conn();
        poll::until("the failed first delivery", || async {
            use sea_orm::EntityTrait;
            let rows = kuke_id::store::entities::backchannel_deliveries::Entity::find().all(conn).await.expect("query");
            rows.into_iter().find(|r| r.attempts >= 1 && r.delivered_at.is_none())
        })
        .await;
        assert!(receiver.tokens.lock().await.is_empty(), "first attempt failed");
        app.clock.advance(Duration::from_secs(15));
        wait_for_token(&receiver).await;
    }
}

backend_tests! {
    settings = "backchannel_allow_internal = false";

    async fn a_back_channel_logout_to_an_internal_address_is_refused_by_default(app) {
        let receiver = receiver(0).await;
        sign_in_and_log_out(&app, &receiver).await;

        let row = poll::until("the delivery to be tried", || async {
            use sea_orm::EntityTrait;
            let rows = kuke_id::store::entities::backchannel_deliveries::Entity::find().all(app.state.store.conn()).await.expect("query");
            rows.into_iter().find(|r| r.attempts > 0)
        })
        .await;

        assert!(receiver.tokens.lock().await.is_empty(), "nothing was sent to the loopback receiver");
        assert!(row.last_error.as_deref().is_some_and(|e| e.contains("internal address")), "{row:?}");
    }
}
