//! PostgreSQL stops under load and starts again: while it is away, requests that
//! need it fail fast with 503 (never a hang past the connect timeout, never a
//! 500 or a panic), `/readyz` answers 503, and the node serves again by itself
//! once the database is back, without a restart.

use std::time::Duration;

use futures_like::join_all;

use crate::support::own_postgres::OwnPostgres;
use crate::support::{Backend, REQUIRE_BACKENDS_ENV, TestApp};

/// The node's wait for a database connection (`database_connect_timeout_secs`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A request that depends on the database must be answered within this while it
/// is down: the connect timeout plus time for a loaded machine.
const ANSWER_WITHIN: Duration = Duration::from_secs(6);

/// Waiting on several futures at once without another dependency.
mod futures_like {
    use std::future::Future;

    /// Runs every future as its own task and collects the results in order.
    pub async fn join_all<T: Send + 'static>(futures: Vec<impl Future<Output = T> + Send + 'static>) -> Vec<T> {
        let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await.expect("task"));
        }
        results
    }
}

/// One request of the mixed load: a name, and the status it got with how long it took.
async fn load(
    app: &TestApp,
    token: &str,
    client: &crate::support::fixtures::TestClient,
) -> Vec<(&'static str, u16, Duration)> {
    let mut requests: Vec<(&'static str, reqwest::RequestBuilder)> = Vec::new();
    for _ in 0..4 {
        requests.push(("readyz", app.http.get(app.url("/readyz"))));
        requests.push(("admin users", app.http.get(app.url("/admin/api/v1/users")).bearer_auth(token)));
        requests.push(("userinfo", app.http.get(app.url("/userinfo")).bearer_auth(token)));
        requests.push((
            "token",
            app.http
                .post(app.url("/token"))
                .basic_auth(&client.id, client.secret.as_deref())
                .form(&[("grant_type", "client_credentials")]),
        ));
        let authorize = format!(
            "/authorize?client_id={}&redirect_uri={}&response_type=code&scope=openid",
            client.id, client.redirect_uri
        );
        requests.push(("authorize", app.http.get(app.url(&authorize))));
        requests.push((
            "sign-in",
            app.http.post(app.url("/login")).form(&[("login", "123456"), ("password", "wrong"), ("csrf", "x")]),
        ));
    }
    let futures = requests
        .into_iter()
        .map(|(name, request)| async move {
            let started = tokio::time::Instant::now();
            let status = match tokio::time::timeout(Duration::from_secs(30), request.send()).await {
                Ok(Ok(response)) => response.status().as_u16(),
                Ok(Err(_)) => 0,
                Err(_) => 1,
            };
            (name, status, started.elapsed())
        })
        .collect();
    join_all(futures).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn requests_fail_fast_with_503_while_postgres_is_down_and_the_node_recovers_by_itself() {
    let server = match OwnPostgres::start() {
        Ok(server) => server,
        Err(why) => {
            let required = std::env::var(REQUIRE_BACKENDS_ENV).is_ok_and(|list| list.contains("postgres"));
            assert!(
                !required,
                "{REQUIRE_BACKENDS_ENV} requires postgres, but a server of the test's own cannot start: {why}"
            );
            eprintln!("skipped: {why}");
            return;
        }
    };
    let settings =
        format!("database_connect_timeout_secs = {}\nrequest_timeout_secs = 20\n", CONNECT_TIMEOUT.as_secs());
    let app = TestApp::spawn_with(Backend::Postgres(server.url()), &settings).await;
    let client = app.client().await;
    let token = app.admin_token("admin:users").await;
    for (name, status, _) in load(&app, &token, &client).await {
        assert!(status < 500, "{name} before the outage: {status}");
    }

    // PostgreSQL goes away under load.
    server.stop_now().expect("stop PostgreSQL");
    let answers = load(&app, &token, &client).await;
    for (name, status, took) in &answers {
        assert!(*status == 503 || (100..500).contains(status), "{name} while PostgreSQL is down: {status}");
        assert!(*took < ANSWER_WITHIN, "{name} took {took:?} while PostgreSQL is down");
    }
    for name in ["readyz", "admin users", "authorize"] {
        assert!(
            answers.iter().filter(|(n, ..)| *n == name).all(|(_, status, _)| *status == 503),
            "{name}: {answers:?}"
        );
    }
    let slowest = answers.iter().map(|(_, _, took)| *took).max().unwrap_or_default();
    eprintln!("slowest answer while PostgreSQL was down: {slowest:?}");

    // It comes back; the same node serves again, with no restart.
    server.start_again().expect("start PostgreSQL again");
    let recovered = tokio::time::Instant::now();
    crate::support::poll::until("the node serving again", || async {
        let answers = load(&app, &token, &client).await;
        answers.iter().all(|(_, status, _)| (200..500).contains(status)).then_some(())
    })
    .await;
    eprintln!("serving again {:?} after PostgreSQL was back", recovered.elapsed());
    assert_eq!(app.get("/readyz").await.status(), 200);
    let users = app.http.get(app.url("/admin/api/v1/users")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(users.status(), 200);
}
