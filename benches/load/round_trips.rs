//! What one operation costs the server, taken apart: each operation runs alone,
//! `WALKS` times over, between two scrapes of `/metrics`, and the table shows
//! the median of each figure — the database statements and transactions it
//! made, the time it waited for the database, the time argon2id took, and the
//! server's CPU time (every thread, to the nanosecond). A scrape's own cost (one
//! statement, and its CPU) is measured the same way and taken off.

use std::collections::HashMap;
use std::time::Duration;

use crate::server::Server;
use crate::{Setup, browser, exchange, token};

/// How many times each operation is measured.
pub const WALKS: usize = 15;

/// Walks run first and not measured: each pooled connection prepares a
/// statement the first time it runs it (SQLite parses it then), and the pool
/// hands its connections out in turn, so the first walks find cold caches that
/// a serving node has long warmed.
pub const WARM_UP: usize = 16;

/// Full sign-ins (their four requests) made one after another, each by a new
/// browser, measured together between two readings: a per-operation median can
/// catch a thread's CPU clock a tick behind, a sum over this many cannot by much.
pub const IN_A_ROW: usize = 48;

/// One reading of the server's counters.
#[derive(Clone, Copy, Default)]
struct Reading {
    statements: f64,
    transactions: f64,
    db: f64,
    hashing: f64,
    cpu: Duration,
}

impl Reading {
    fn minus(self, earlier: Reading) -> Reading {
        Reading {
            statements: self.statements - earlier.statements,
            transactions: self.transactions - earlier.transactions,
            db: self.db - earlier.db,
            hashing: self.hashing - earlier.hashing,
            cpu: self.cpu.saturating_sub(earlier.cpu),
        }
    }
}

/// A reading and the per-thread CPU times it was taken with.
struct Sample {
    reading: Reading,
    threads: HashMap<u32, u64>,
}

impl Sample {
    /// What happened between `earlier` and this sample.
    fn since(&self, earlier: &Sample) -> Reading {
        let cpu: u64 = self
            .threads
            .iter()
            .map(|(tid, now)| now.saturating_sub(earlier.threads.get(tid).copied().unwrap_or(0)))
            .sum();
        Reading { cpu: Duration::from_nanos(cpu), ..self.reading.minus(earlier.reading) }
    }
}

async fn read(http: &reqwest::Client, server: &Server, base: &str) -> Sample {
    let text = http.get(format!("{base}/metrics")).send().await.expect("metrics").text().await.expect("metrics text");
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics"))
    };
    let threads = server.cpu_by_thread();
    let reading = Reading {
        statements: value("kuke_id_db_statements_total"),
        transactions: value("kuke_id_db_transactions_total"),
        db: value("kuke_id_db_seconds_total"),
        hashing: value("kuke_id_password_hash_seconds_total"),
        cpu: Duration::ZERO,
    };
    Sample { reading, threads }
}

/// The operations, in the order a person and a machine client meet them.
const OPERATIONS: [(&str, usize); 11] = [
    ("sign-in page (GET /login)", 1),
    ("password step (POST /login)", 1),
    ("code page (GET /login/code)", 1),
    ("code step (POST /login/code)", 1),
    ("terms page (GET /terms)", 1),
    ("terms step (POST /terms)", 1),
    ("authorize, signed in (GET /authorize)", 1),
    ("authorization-code exchange", 1),
    ("refresh", 1),
    ("userinfo", 1),
    ("client_credentials", 1),
];
const INTROSPECTION: (&str, usize) = ("introspection", 1);

/// Measures every operation and prints the table.
pub async fn report(server: &Server, setup: &Setup) {
    let http = reqwest::Client::new();
    let base = setup.base.as_str();
    let mut scrape = Vec::new();
    for time in 0..WARM_UP + WALKS {
        let before = read(&http, server, base).await;
        let reading = read(&http, server, base).await.since(&before);
        if time >= WARM_UP {
            scrape.push(reading);
        }
    }
    let overhead = median_reading(&scrape);
    let mut samples: Vec<Vec<Reading>> = vec![Vec::new(); OPERATIONS.len() + 1];
    for walk in 0..WARM_UP + WALKS {
        let (login, email) = &setup.round_trip_accounts[walk];
        let person = browser::new();
        // Measures `$op` alone into row `$row` (once warmed up).
        macro_rules! measure {
            ($row:expr, $op:expr) => {{
                let before = read(&http, server, base).await;
                let result = $op;
                let reading = read(&http, server, base).await.since(&before).minus(overhead);
                if walk >= WARM_UP {
                    samples[$row].push(reading);
                }
                result
            }};
        }
        let since = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
        let csrf = measure!(0, browser::page(&person, base, "/login").await).expect("sign-in page");
        measure!(1, browser::post_password(&person, base, &csrf, login).await).expect("password step");
        let csrf = measure!(2, browser::page(&person, base, "/login/code").await).expect("code page");
        let code = browser::mailed_code(&setup.store, email, since).await.expect("code");
        let next = measure!(3, browser::post_code(&person, base, &csrf, &code).await).expect("code step");
        assert!(next.ends_with("/terms"), "a first sign-in is asked for the terms, not sent to {next}");
        let csrf = measure!(4, browser::page(&person, base, "/terms").await).expect("terms page");
        measure!(5, browser::post_terms(&person, base, &csrf).await).expect("terms step");
        let code = measure!(6, browser::authorize(&person, base, &setup.web.0).await).expect("authorize");
        let tokens = measure!(7, exchange(&person, setup, &code).await).expect("exchange");
        let refresh = tokens["refresh_token"].as_str().expect("refresh token");
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        measure!(8, token(&person, setup, &setup.web, &form).await).expect("refresh");
        let access = tokens["access_token"].as_str().expect("access token");
        measure!(9, crate::ok(person.get(format!("{base}/userinfo")).bearer_auth(access).send().await).await)
            .expect("userinfo");
        let machine = measure!(10, token(&http, setup, &setup.machine, &[("grant_type", "client_credentials")]).await)
            .expect("client_credentials");
        let access = machine["access_token"].as_str().expect("access token");
        let answer = measure!(
            11,
            http.post(format!("{base}/introspect"))
                .basic_auth(&setup.machine.0, Some(&setup.machine.1))
                .form(&[("token", access)])
                .send()
                .await
        );
        crate::ok(answer).await.expect("introspection");
    }
    println!(
        "\nEach operation alone, median of {WALKS} after {WARM_UP} unmeasured (a /metrics scrape's own cost taken off):\n"
    );
    println!(
        "| operation | statements | transactions | DB wait µs | argon2id µs | server CPU µs | CPU beside argon2id µs |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut sign_in = Reading::default();
    for (row, (name, _)) in OPERATIONS.iter().chain([&INTROSPECTION]).enumerate() {
        let m = median_reading(&samples[row]);
        if row < 4 {
            sign_in = Reading {
                statements: sign_in.statements + m.statements,
                transactions: sign_in.transactions + m.transactions,
                db: sign_in.db + m.db,
                hashing: sign_in.hashing + m.hashing,
                cpu: sign_in.cpu + m.cpu,
            };
        }
        print_row(name, m);
    }
    print_row("**full sign-in** (the first four rows)", sign_in);
    println!(
        "\nA sign-in beside its argon2id verification: {:.0} µs of server CPU (target ≤ 1 000 µs).",
        (sign_in.cpu.as_secs_f64() - sign_in.hashing) * 1e6
    );
    in_a_row(&http, server, setup, overhead).await;
}

/// [`IN_A_ROW`] full sign-ins, one after another, measured together.
async fn in_a_row(http: &reqwest::Client, server: &Server, setup: &Setup, overhead: Reading) {
    let base = setup.base.as_str();
    let before = read(http, server, base).await;
    for (login, email) in &setup.sequential_accounts {
        browser::sign_in(&browser::new(), base, &setup.store, login, email).await.expect("sign-in");
    }
    let all = read(http, server, base).await.since(&before).minus(overhead);
    let n = setup.sequential_accounts.len().max(1) as f64;
    let cpu = all.cpu.as_secs_f64() / n;
    let hashing = all.hashing / n;
    println!(
        "{} full sign-ins one after another, each by a new browser: {:.1} statements, {:.0} µs of server CPU, \
         of which argon2id {:.0} µs and beside it {:.0} µs (target ≤ 1 000 µs).",
        setup.sequential_accounts.len(),
        all.statements / n,
        cpu * 1e6,
        hashing * 1e6,
        (cpu - hashing) * 1e6
    );
}

fn print_row(name: &str, m: Reading) {
    println!(
        "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
        m.statements,
        m.transactions,
        m.db * 1e6,
        m.hashing * 1e6,
        m.cpu.as_secs_f64() * 1e6,
        (m.cpu.as_secs_f64() - m.hashing).max(0.0) * 1e6
    );
}

fn median_reading(readings: &[Reading]) -> Reading {
    let median = |f: &dyn Fn(&Reading) -> f64| {
        let mut values: Vec<f64> = readings.iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    Reading {
        statements: median(&|r| r.statements),
        transactions: median(&|r| r.transactions),
        db: median(&|r| r.db),
        hashing: median(&|r| r.hashing),
        cpu: Duration::from_secs_f64(median(&|r| r.cpu.as_secs_f64()).max(0.0)),
    }
}
