//! What an Ekstranet import of 100 000 accounts costs through the admin API:
//! starts the real server (SQLite file, or PostgreSQL when
//! `KUKE_ID_BENCH_POSTGRES_URL` names a database to use), gets an admin token
//! through `client_credentials`, posts a generated CSV to
//! `POST /admin/api/v1/imports` twice (the second run finds every row
//! unchanged), and prints the times and the process's peak memory.
//!
//! `cargo bench --bench import` (`IMPORT_ROWS`, default 100 000, in `IMPORT_ROWS / 25` organisations).

// A harness, not production code: a failed setup step should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::time::Instant;

use kuke_id::app::App;
use kuke_id::config::Settings;
use kuke_id::domain::audit::Actor;
use kuke_id::domain::clock::Clock;
use kuke_id::domain::signing_alg::SigningAlg;
use kuke_id::flows::clients::{self, Registration};

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("IMPORT_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("kuke-id-bench-{}", uuid::Uuid::new_v4()));
    let database_url = std::env::var("KUKE_ID_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/db.sqlite?mode=rwc", dir.display()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let toml = format!(
        "issuer = \"http://{addr}\"\nlisten = \"{addr}\"\ndatabase_url = \"{database_url}\"\nkeys_dir = \"{}\"\n",
        dir.join("keys").display()
    );
    let settings = Settings::from_toml(&toml).expect("settings");
    let clock = Clock::default();
    let app = App::build_on(settings, clock.clone(), listener).await.expect("app");
    let state = app.state().clone();
    tokio::spawn(app.serve(std::future::pending()));

    let registered = clients::register(
        &state.store,
        &clock,
        &Actor::named("bench"),
        Registration {
            id: None,
            name: "Import bench".into(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            kind: kuke_id::domain::client::ClientKind::Confidential,
            first_party: true,
            require_pkce: true,
            id_token_alg: SigningAlg::Rs256,
            extra_grant_types: vec!["client_credentials".into()],
            scopes: vec!["admin:users".into()],
            backchannel_logout_uri: None,
        },
    )
    .await
    .expect("admin client");
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let token: serde_json::Value = http
        .post(format!("{base}/token"))
        .basic_auth(&registered.client.id, registered.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = token["access_token"].as_str().expect("access token").to_string();

    let mut csv =
        String::from("legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n");
    for i in 0..rows {
        let org = i % (rows / 25).max(1);
        let role = if i % 10 == 0 { "administrator" } else { "user" };
        let _ = writeln!(csv, "EK-{i},user{i}@example.com,Anna{i},Nowak,ORG-{org},Firma {org} Sp. z o.o.,{role}");
    }
    println!("{rows} rows, {:.1} MiB of CSV, database {}", csv.len() as f64 / 1048576.0, redact(&database_url));
    for round in ["first import", "same file again"] {
        let started = Instant::now();
        let response = http
            .post(format!("{base}/admin/api/v1/imports"))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(csv.clone())
            .send()
            .await
            .expect("import");
        let status = response.status();
        let report: serde_json::Value = response.json().await.expect("report");
        let took = started.elapsed();
        println!(
            "{round}: HTTP {status} in {:.2} s ({:.0} rows/s): created {}, updated {}, unchanged {}, rejected {}",
            took.as_secs_f64(),
            rows as f64 / took.as_secs_f64(),
            report["created"],
            report["updated"],
            report["unchanged"],
            report["rejected"]
        );
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!("peak memory of the process (server and this client): {}", line.trim_start_matches("VmHWM:").trim());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn redact(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}
