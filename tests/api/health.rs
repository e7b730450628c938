//! Liveness and readiness.

use crate::support::TestApp;

backend_tests! {
    async fn healthz_answers_ok(app) {
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["status"], "ok");
    }

    async fn readyz_answers_ready_when_the_database_answers(app) {
        let response = app.get("/readyz").await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["status"], "ready");
    }

    async fn shutdown_stops_the_server_cleanly(app) {
        let addr = app.addr;
        app.stop().await.expect("graceful stop");
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "port still accepts connections");
    }
}

#[allow(dead_code)]
fn _uses(_: TestApp) {}
