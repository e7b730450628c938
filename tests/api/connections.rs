//! Connections: how long one may stay silent, and how many are served at once.

use std::time::{Duration, Instant};

use crate::support::raw;

/// Longest a test waits for the server to close a silent connection: the
/// one-second timeout of these tests, with room for a busy machine.
const CLOSE_WITHIN: Duration = Duration::from_secs(5);

backend_tests! {
    settings = "header_read_timeout_secs = 1";

    async fn a_connection_that_sends_half_a_header_is_closed_within_the_timeout(app) {
        let mut stream = raw::connect(app.addr).await;
        raw::write(&mut stream, b"GET /healthz HTTP/1.1\r\nHost: local", Duration::from_secs(5)).await.expect("written");
        let started = Instant::now();
        let answer = raw::read_until_closed(&mut stream, CLOSE_WITHIN).await;
        assert!(answer.is_some(), "still open after {CLOSE_WITHIN:?}");
        assert!(started.elapsed() >= Duration::from_millis(900), "closed by the timeout, not at once");
        let answer = String::from_utf8_lossy(answer.as_deref().unwrap_or_default()).to_string();
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    }

    async fn a_connection_that_sends_nothing_is_closed_within_the_timeout(app) {
        let mut stream = raw::connect(app.addr).await;
        let started = Instant::now();
        let answer = raw::read_until_closed(&mut stream, CLOSE_WITHIN).await;
        assert!(answer.is_some(), "still open after {CLOSE_WITHIN:?}");
        assert!(started.elapsed() >= Duration::from_millis(900), "closed by the timeout, not at once");
    }

    async fn a_kept_alive_connection_serves_request_after_request(app) {
        let mut stream = raw::connect(app.addr).await;
        for attempt in 0..3 {
            raw::write(&mut stream, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", Duration::from_secs(5)).await.expect("written");
            let answer = raw::read_answer(&mut stream, Duration::from_secs(5)).await;
            assert!(answer.starts_with("HTTP/1.1 200"), "attempt {attempt}: {answer}");
        }
    }

    async fn an_idle_kept_alive_connection_is_closed_within_the_timeout(app) {
        let mut stream = raw::connect(app.addr).await;
        raw::write(&mut stream, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", Duration::from_secs(5)).await.expect("written");
        let answer = raw::read_answer(&mut stream, Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(raw::read_until_closed(&mut stream, CLOSE_WITHIN).await.is_some(), "still open after {CLOSE_WITHIN:?}");
    }
}

backend_tests! {
    settings = "max_connections = 2\nheader_read_timeout_secs = 60";

    async fn a_connection_over_the_cap_waits_until_one_closes(app) {
        let first = raw::connect(app.addr).await;
        let _second = raw::connect(app.addr).await;
        let (http, url) = (app.new_browser(), app.url("/healthz"));
        let mut third = tokio::spawn(async move { http.get(url).send().await });
        let early = tokio::time::timeout(Duration::from_millis(700), &mut third).await;
        assert!(early.is_err(), "answered while two connections held both slots");
        drop(first);
        let response = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("answered once a slot is free")
            .expect("task")
            .expect("GET");
        assert_eq!(response.status(), 200);
    }
}
