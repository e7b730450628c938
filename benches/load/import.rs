//! The Ekstranet import at scale: `IMPORT_ROWS` generated rows (default
//! 100 000, in 1 000 organisations) posted as one CSV file to
//! `POST /admin/api/v1/imports`, timed from the first byte sent to the last
//! byte of the report, with the server's resident memory sampled every 10 ms
//! while it works (`IMPORT_TRACE=1` prints every sample).
//!
//! `LOAD_IMPORT_POSTGRES_URL` names an empty PostgreSQL database: a second
//! server is then started on it and the same file imported there too, so one
//! run prints both backends.

use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use kuke_id::domain::audit::Actor;
use kuke_id::domain::client::ClientKind;
use kuke_id::domain::clock::Clock;
use kuke_id::domain::signing_alg::SigningAlg;
use kuke_id::flows::clients::{Registration, register};

use crate::server::Server;
use crate::{Setup, token};

/// Imports the generated file once (on SQLite, then on PostgreSQL when asked) and prints its rows.
pub async fn report(server: &Server, setup: &Setup) {
    let rows = usize::try_from(crate::env_number("IMPORT_ROWS", 100_000)).unwrap_or(100_000);
    let csv = generated(rows);
    let http = reqwest::Client::new();
    let minted = token(&http, setup, &setup.admin, &[("grant_type", "client_credentials"), ("scope", "admin")])
        .await
        .expect("admin token");
    let access = minted["access_token"].as_str().expect("access token").to_string();
    run("SQLite", server, &setup.base, &access, rows, csv.clone()).await;
    if let Ok(url) = std::env::var("LOAD_IMPORT_POSTGRES_URL") {
        on_postgres(&url, rows, csv).await;
    }
}

fn generated(rows: usize) -> String {
    let mut csv = String::with_capacity(rows * 110);
    csv.push_str("legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n");
    for i in 0..rows {
        let org = i % 1_000;
        let role = if i % 50 == 0 { "administrator" } else { "user" };
        let _ = writeln!(
            csv,
            "EX-{i},person{i}@firma{org}.example.com,Imię{i},Nazwisko{i},ORG-{org},Firma {org} sp. z o.o.,{role}"
        );
    }
    csv
}

/// A second server, alone on the PostgreSQL database `url`, imports the file.
async fn on_postgres(url: &str, rows: usize, csv: String) {
    let dir = std::env::temp_dir().join(format!("kuke-id-load-pg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("folder");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let env: Vec<(String, String)> = crate::server::env(&dir, port)
        .into_iter()
        .map(|(k, v)| if k == "KUKE_ID_DATABASE_URL" { (k, url.to_string()) } else { (k, v) })
        // Only the import runs there: no terms need publishing first.
        .chain([("KUKE_ID_TERMS_REQUIRED".to_string(), "false".to_string())])
        .collect();
    let (store, _) = crate::prepare(&env).await;
    let admin = register(
        &store,
        &Clock::default(),
        &Actor::cli(),
        Registration {
            id: Some("bench-import-admin".into()),
            name: "bench-import-admin".into(),
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            kind: ClientKind::Confidential,
            first_party: true,
            require_pkce: true,
            id_token_alg: SigningAlg::Es256,
            extra_grant_types: vec!["client_credentials".into()],
            scopes: vec!["admin".into()],
            backchannel_logout_uri: None,
        },
    )
    .await
    .expect("admin client");
    store.close().await.expect("close the seeding pool");
    let base = format!("http://127.0.0.1:{port}");
    let binary = std::env::var("KUKE_ID_BENCH_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kuke-id").to_string());
    let server = Server::start(Path::new(&binary), &env, &base, false).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let http = reqwest::Client::new();
    let minted: serde_json::Value = http
        .post(format!("{base}/token"))
        .basic_auth(&admin.client.id, admin.secret.as_deref())
        .form(&[("grant_type", "client_credentials"), ("scope", "admin")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let access = minted["access_token"].as_str().expect("access token").to_string();
    run("PostgreSQL", &server, &base, &access, rows, csv).await;
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Posts the file, sampling the server's memory, and prints one line.
async fn run(backend: &str, server: &Server, base: &str, access: &str, rows: usize, csv: String) {
    let http = reqwest::Client::new();
    let (before, _) = server.memory_mib();
    let bytes = csv.len();
    let started = Instant::now();
    let request = http
        .post(format!("{base}/admin/api/v1/imports"))
        .bearer_auth(access)
        .header("content-type", "text/csv")
        .body(csv)
        .send();
    tokio::pin!(request);
    // `IMPORT_TRACE=1` prints the server's memory over the import.
    let trace = std::env::var_os("IMPORT_TRACE").is_some();
    let mut peak = before;
    let answer = loop {
        tokio::select! {
            answer = &mut request => break answer.expect("import request"),
            () = tokio::time::sleep(Duration::from_millis(10)) => {
                let now = server.memory_mib().0;
                if trace {
                    eprintln!("{:.2} s: {now:.1} MiB", started.elapsed().as_secs_f64());
                }
                peak = peak.max(now);
            }
        }
    };
    let status = answer.status();
    let body = answer.bytes().await.expect("report");
    let took = started.elapsed();
    peak = peak.max(server.memory_mib().0);
    let created = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|r| r["created"].as_u64());
    let sqlite = sqlite_memory(&http, base).await;
    let target = if backend == "SQLite" { 3 } else { 5 };
    println!(
        "\nImport of {rows} rows ({:.1} MB of CSV) on {backend}: answered {status} in {:.2} s ({:.0} rows/s), {} created, \
         report {:.1} MB; server RSS {before:.1} MiB before, peak {peak:.1} MiB while importing (targets: ≤ {target} s, ≤ 64 MiB)",
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64(),
        created.map_or_else(|| "?".to_string(), |n| n.to_string()),
        body.len() as f64 / 1e6,
    );
    if let Some((now, peak)) = sqlite {
        println!(
            "  of which SQLite's own heap (every pooled connection's page cache and statements): {now:.1} MiB after, peak {peak:.1} MiB since start"
        );
    }
}

/// SQLite's heap in the server now and at its peak, MiB, from `/metrics` (absent on PostgreSQL).
async fn sqlite_memory(http: &reqwest::Client, base: &str) -> Option<(f64, f64)> {
    let text = http.get(format!("{base}/metrics")).send().await.ok()?.text().await.ok()?;
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|bytes| bytes / 1_048_576.0)
    };
    Some((value("kuke_id_sqlite_memory_bytes")?, value("kuke_id_sqlite_memory_peak_bytes")?))
}
