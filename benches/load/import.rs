//! The Ekstranet import at scale: `IMPORT_ROWS` generated rows (default
//! 100 000, in 1 000 organisations) posted as one CSV file to
//! `POST /admin/api/v1/imports`, timed from the first byte sent to the last
//! byte of the report, with the server's resident memory sampled every 10 ms
//! while it works (`IMPORT_TRACE=1` prints every sample).

use std::fmt::Write;
use std::time::{Duration, Instant};

use crate::server::Server;
use crate::{Setup, token};

/// Imports the generated file once and prints its row.
pub async fn report(server: &Server, setup: &Setup) {
    let rows = usize::try_from(crate::env_number("IMPORT_ROWS", 100_000)).unwrap_or(100_000);
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
    let http = reqwest::Client::new();
    let minted = token(&http, setup, &setup.admin, &[("grant_type", "client_credentials"), ("scope", "admin")])
        .await
        .expect("admin token");
    let access = minted["access_token"].as_str().expect("access token").to_string();
    let (before, _) = server.memory_mib();
    let bytes = csv.len();
    let started = Instant::now();
    let request = http
        .post(format!("{}/admin/api/v1/imports", setup.base))
        .bearer_auth(&access)
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
    println!(
        "\nImport of {rows} rows ({:.1} MB of CSV) on SQLite: answered {status} in {:.2} s ({:.0} rows/s), {} created, \
         report {:.1} MB; server RSS {before:.1} MiB before, peak {peak:.1} MiB while importing (targets: ≤ 3 s, ≤ 64 MiB)",
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64(),
        created.map_or_else(|| "?".to_string(), |n| n.to_string()),
        body.len() as f64 / 1e6,
    );
}
