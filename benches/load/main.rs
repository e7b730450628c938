//! The load benchmark: starts kuke-id (release build) on loopback over a
//! SQLite file, drives every hot endpoint and the full sign-in with a
//! closed-loop load generator, and prints one table: successful operations per
//! second, latency p50/p99, the server's CPU time per operation, and its
//! memory; beside it the raw argon2id verifications per second with the
//! server's parameters.
//!
//! Then each operation alone, taken apart (`round_trips`): database statements
//! and transactions, DB wait, argon2id time and server CPU.
//!
//! `cargo bench --bench load` — tuned with `LOAD_SECONDS` (per scenario,
//! default 5), `LOAD_CONNECTIONS` (default 32) and `LOAD_SCENARIOS`
//! (comma-separated names, default all; `import` adds the 100 000-row import,
//! `none` runs only the round-trip table). `LOAD_PEER=1` also runs the
//! certified peer of `benches/peer/` in `LOAD_ROUNDS` alternating rounds (default
//! 3) and prints the ratios beside the targets. The server is pinned to the last CPU
//! and the load generator to the others when `taskset` is installed, so
//! "CPU µs per operation" is what one server core spends, whatever the
//! neighbours do; req/s moves with the machine's load, CPU per operation much less.

// A harness, not production code: a failed setup step should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;
mod drive;
mod import;
mod peer;
mod round_trips;
mod server;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kuke_id::app::App;
use kuke_id::config::Settings;
use kuke_id::domain::audit::Actor;
use kuke_id::domain::client::ClientKind;
use kuke_id::domain::clock::Clock;
use kuke_id::domain::password;
use kuke_id::domain::signing_alg::SigningAlg;
use kuke_id::flows::clients::{Registration, register};
use kuke_id::store::{self, Store};

use drive::Figures;
use server::Server;

const SCENARIOS: [&str; 8] =
    ["discovery", "jwks", "client_credentials", "introspection", "userinfo", "code_exchange", "refresh", "sign_in"];

#[derive(Clone)]
struct Setup {
    base: String,
    store: Store,
    web: (String, String),
    machine: (String, String),
    /// A machine client allowed the `admin` scope.
    admin: (String, String),
    /// (login, e-mail) of every bench account, `ACCOUNTS_PER_CONNECTION` per connection;
    /// they have accepted the terms.
    accounts: Vec<(String, String)>,
    /// Accounts that have never signed in, for the round-trip count.
    round_trip_accounts: Vec<(String, String)>,
    /// Accounts that have accepted the terms, for the sign-ins made one after another.
    sequential_accounts: Vec<(String, String)>,
}

/// `LOAD_SCENARIOS` may also name `import` (not in the default set: it adds
/// 100 000 accounts to the database the other scenarios use).
/// An account may start ten sign-ins per 15 minutes; spread them.
const ACCOUNTS_PER_CONNECTION: usize = 8;

#[tokio::main]
async fn main() {
    let seconds = Duration::from_secs(env_number("LOAD_SECONDS", 5));
    let connections = usize::try_from(env_number("LOAD_CONNECTIONS", 32)).unwrap_or(32);
    let wanted: Vec<String> = std::env::var("LOAD_SCENARIOS")
        .map(|s| s.split(',').map(|n| n.trim().to_string()).collect())
        .unwrap_or_else(|_| SCENARIOS.iter().map(|s| s.to_string()).collect());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pin = pin_self_to_all_but_last_cpu();

    let dir = std::env::temp_dir().join(format!("kuke-id-load-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("folder");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let env = server::env(&dir, port);
    let (store, argon2) = prepare(&env).await;
    let base = format!("http://127.0.0.1:{port}");
    let setup = seed(&base, store, argon2, connections).await;

    // `cargo bench` builds the binary with the test build's features; name the
    // plain `cargo build --release` binary in KUKE_ID_BENCH_BINARY to load exactly that.
    let binary = std::env::var("KUKE_ID_BENCH_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kuke-id").to_string());
    let server = Server::start(Path::new(&binary), &env, &base, pin).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (idle_rss, _) = server.memory_mib();
    println!(
        "kuke-id {} · {connections} connections · {}s per scenario · server pinned: {pin}",
        env!("CARGO_PKG_VERSION"),
        seconds.as_secs()
    );
    println!(
        "ready (process start → /readyz 200, existing SQLite database): {:.0} ms (target ≤ 100)",
        server.ready_after.as_secs_f64() * 1e3
    );
    let (anon, file) = server.memory_split_mib();
    println!(
        "RSS idle: {idle_rss:.1} MiB (target ≤ 16): its own memory (RssAnon) {anon:.1} MiB, \
         mapped file pages, mostly its code (RssFile) {file:.1} MiB"
    );
    let setup = Arc::new(setup);
    // Before anything else, so both servers' memory is what this load needs.
    if std::env::var_os("LOAD_PEER").is_some() {
        peer::compare(&server, &setup, connections, seconds, pin).await;
    }
    // Before the scenarios fill the database with sessions and tokens; after the
    // peer's rounds (when asked for), like an import into a server that has served.
    if wanted.iter().any(|w| w == "import") {
        import::report(&server, &setup).await;
    }
    println!(
        "\n| scenario | requests per op | ops | ops/s | p50 ms | p99 ms | server CPU µs/op | peak RSS MiB | failed |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for name in SCENARIOS.iter().filter(|n| wanted.iter().any(|w| w == *n)) {
        let (requests, figures) = scenario(name, &server, &setup, connections, seconds).await;
        print_row(name, requests, &figures);
    }
    round_trips::report(&server, &setup).await;
    let (_, hwm) = server.memory_mib();
    println!("\nRSS peak over the whole run (VmHWM): {hwm:.1} MiB");
    let (per_second, each) = argon2_rate(argon2);
    println!(
        "argon2id alone (m={} KiB, t={}, p={}), one thread: {per_second:.1} verifications/s, {:.1} ms each",
        argon2.memory_kib,
        argon2.iterations,
        argon2.parallelism,
        each.as_secs_f64() * 1e3
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn print_row(name: &str, requests: usize, f: &Figures) {
    println!(
        "| {name} | {requests} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.1} | {} |",
        f.ok,
        f.per_second,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.cpu_us,
        f.peak_rss_mib,
        f.failed
    );
}

/// Creates and migrates the database and the keys as the server will find them.
async fn prepare(env: &[(String, String)]) -> (Store, password::Cost) {
    let value = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let toml = format!(
        "issuer = \"{}\"\nlisten = \"{}\"\ndatabase_url = \"{}\"\nkeys_dir = \"{}\"\n",
        value("KUKE_ID_ISSUER"),
        value("KUKE_ID_LISTEN"),
        value("KUKE_ID_DATABASE_URL"),
        value("KUKE_ID_KEYS_DIR"),
    );
    let settings = Settings::from_toml(&toml).expect("settings");
    let argon2 = settings.argon2;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let app = App::build_on(settings, Clock::default(), listener).await.expect("database and keys");
    (app.state().store.clone(), argon2)
}

async fn seed(base: &str, store: Store, cost: password::Cost, connections: usize) -> Setup {
    let clock = Clock::default();
    let registration = |name: &str, redirect: bool, grants: Vec<String>| Registration {
        id: Some(name.to_string()),
        name: name.to_string(),
        redirect_uris: if redirect { vec![browser::REDIRECT_URI.to_string()] } else { Vec::new() },
        post_logout_redirect_uris: Vec::new(),
        kind: ClientKind::Confidential,
        first_party: true,
        require_pkce: true,
        id_token_alg: SigningAlg::Es256,
        extra_grant_types: grants,
        scopes: Vec::new(),
        backchannel_logout_uri: None,
    };
    let web =
        register(&store, &clock, &Actor::cli(), registration("bench-web", true, Vec::new())).await.expect("web client");
    let machine = register(
        &store,
        &clock,
        &Actor::cli(),
        registration("bench-machine", false, vec!["client_credentials".into()]),
    )
    .await
    .expect("machine client");
    let mut admin = registration("bench-admin", false, vec!["client_credentials".into()]);
    admin.scopes = vec!["admin".into()];
    let admin = register(&store, &clock, &Actor::cli(), admin).await.expect("admin client");
    let hash = password::hash(browser::PASSWORD, cost).expect("hash");
    let now = clock.now();
    let terms = kuke_id::flows::terms::publish(
        &store,
        &clock,
        &Actor::cli(),
        kuke_id::flows::terms::Publication {
            version: "bench-1",
            title: "Regulamin",
            body: "Treść regulaminu.",
            body_en: None,
            effective_at: None,
        },
    )
    .await
    .expect("terms")
    .terms;
    let mut accounts = Vec::new();
    let mut round_trip_accounts = Vec::new();
    let mut sequential_accounts = Vec::new();
    let load_accounts = connections * ACCOUNTS_PER_CONNECTION;
    let round_trip_end = load_accounts + round_trips::WARM_UP + round_trips::WALKS;
    for i in 0..round_trip_end + round_trips::IN_A_ROW {
        let login = format!("{}", 500_000 + i);
        let email = format!("bench{login}@example.com");
        let user = store::users::NewUser {
            legacy_id: None,
            login: login.clone(),
            email: email.clone(),
            given_name: "Bench".into(),
            family_name: "User".into(),
            organization_id: None,
            role: kuke_id::domain::user::Role::User,
        };
        let id = store::users::insert(store.conn(), &user, now).await.expect("user");
        store::users::set_password(store.conn(), id, &hash, now).await.expect("password");
        if (load_accounts..round_trip_end).contains(&i) {
            round_trip_accounts.push((login, email));
            continue;
        }
        store::terms::accept(store.conn(), id, terms.id, None, None, now).await.expect("terms accepted");
        if i < load_accounts { accounts.push((login, email)) } else { sequential_accounts.push((login, email)) }
    }
    Setup {
        base: base.to_string(),
        store,
        web: (web.client.id, web.secret.expect("secret")),
        machine: (machine.client.id, machine.secret.expect("secret")),
        admin: (admin.client.id, admin.secret.expect("secret")),
        accounts,
        round_trip_accounts,
        sequential_accounts,
    }
}

/// A signed-in browser and the tokens of its first code exchange.
struct Person {
    http: reqwest::Client,
    access_token: String,
    refresh_token: String,
}

async fn person(setup: &Setup, i: usize) -> Person {
    let http = browser::new();
    let (login, email) = &setup.accounts[i * ACCOUNTS_PER_CONNECTION];
    browser::sign_in(&http, &setup.base, &setup.store, login, email).await.expect("sign-in");
    let code = browser::authorize(&http, &setup.base, &setup.web.0).await.expect("code");
    let tokens = exchange(&http, setup, &code).await.expect("exchange");
    Person {
        http,
        access_token: tokens["access_token"].as_str().expect("access token").to_string(),
        refresh_token: tokens["refresh_token"].as_str().expect("refresh token").to_string(),
    }
}

async fn exchange(http: &reqwest::Client, setup: &Setup, code: &str) -> Result<serde_json::Value, String> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", browser::REDIRECT_URI),
        ("code_verifier", browser::VERIFIER),
    ];
    token(http, setup, &setup.web, &form).await
}

async fn token(
    http: &reqwest::Client,
    setup: &Setup,
    client: &(String, String),
    form: &[(&str, &str)],
) -> Result<serde_json::Value, String> {
    let answer = http
        .post(format!("{}/token", setup.base))
        .basic_auth(&client.0, Some(&client.1))
        .form(form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if answer.status() != 200 {
        return Err(format!("token endpoint answered {}", answer.status()));
    }
    answer.json().await.map_err(|e| e.to_string())
}

async fn ok(answer: Result<reqwest::Response, reqwest::Error>) -> Result<(), String> {
    let answer = answer.map_err(|e| e.to_string())?;
    let status = answer.status();
    // Read the whole body, as a client does.
    let _ = answer.bytes().await;
    if status.is_success() { Ok(()) } else { Err(format!("answered {status}")) }
}

/// Runs one scenario; returns how many HTTP requests one operation makes, and the figures.
pub(crate) async fn scenario(
    name: &str,
    server: &Server,
    setup: &Arc<Setup>,
    connections: usize,
    seconds: Duration,
) -> (usize, Figures) {
    let warmup = Duration::from_secs(1);
    let http = reqwest::Client::builder().pool_max_idle_per_host(connections).build().expect("client");
    let shared = || (http.clone(), setup.clone());
    match name {
        "discovery" | "jwks" => {
            let path = if name == "jwks" { "/jwks" } else { "/.well-known/openid-configuration" };
            let op = move |(http, setup): (reqwest::Client, Arc<Setup>)| async move {
                let result = ok(http.get(format!("{}{path}", setup.base)).send().await).await;
                ((http, setup), result)
            };
            (1, drive::run(server, connections, warmup, seconds, |_| shared(), op).await)
        }
        "client_credentials" => {
            let op = |(http, setup): (reqwest::Client, Arc<Setup>)| async move {
                let result =
                    token(&http, &setup, &setup.machine, &[("grant_type", "client_credentials")]).await.map(|_| ());
                ((http, setup), result)
            };
            (1, drive::run(server, connections, warmup, seconds, |_| shared(), op).await)
        }
        "introspection" => {
            let minted =
                token(&http, setup, &setup.machine, &[("grant_type", "client_credentials")]).await.expect("token");
            let access: Arc<str> = minted["access_token"].as_str().expect("access token").into();
            let op = |(http, setup, access): (reqwest::Client, Arc<Setup>, Arc<str>)| async move {
                let answer = http
                    .post(format!("{}/introspect", setup.base))
                    .basic_auth(&setup.machine.0, Some(&setup.machine.1))
                    .form(&[("token", &*access)])
                    .send()
                    .await;
                let result = ok(answer).await;
                ((http, setup, access), result)
            };
            (
                1,
                drive::run(server, connections, warmup, seconds, |_| (http.clone(), setup.clone(), access.clone()), op)
                    .await,
            )
        }
        "userinfo" | "code_exchange" | "refresh" => {
            let mut people = Vec::new();
            for i in 0..connections {
                people.push(Some(person(setup, i).await));
            }
            let people = std::sync::Mutex::new(people);
            let take = |i: usize| (people.lock().unwrap()[i].take().expect("person"), setup.clone());
            let kind = name.to_string();
            let op = move |(mut person, setup): (Person, Arc<Setup>)| {
                let kind = kind.clone();
                async move {
                    let result = match kind.as_str() {
                        "userinfo" => {
                            let answer = person
                                .http
                                .get(format!("{}/userinfo", setup.base))
                                .bearer_auth(&person.access_token)
                                .send()
                                .await;
                            ok(answer).await
                        }
                        "code_exchange" => match browser::authorize(&person.http, &setup.base, &setup.web.0).await {
                            Ok(code) => exchange(&person.http, &setup, &code).await.map(|_| ()),
                            Err(error) => Err(error),
                        },
                        _ => {
                            let form =
                                [("grant_type", "refresh_token"), ("refresh_token", person.refresh_token.as_str())];
                            match token(&person.http, &setup, &setup.web, &form).await {
                                Ok(tokens) => match tokens["refresh_token"].as_str() {
                                    // Rotation: the next call presents the new token.
                                    Some(next) => {
                                        person.refresh_token = next.to_string();
                                        Ok(())
                                    }
                                    None => Err("no new refresh token".to_string()),
                                },
                                Err(error) => Err(error),
                            }
                        }
                    };
                    ((person, setup), result)
                }
            };
            let requests = if name == "code_exchange" { 2 } else { 1 };
            (requests, drive::run(server, connections, warmup, seconds, take, op).await)
        }
        "sign_in" => {
            let op = |(setup, i, turn): (Arc<Setup>, usize, usize)| async move {
                let (login, email) = &setup.accounts[i * ACCOUNTS_PER_CONNECTION + turn % ACCOUNTS_PER_CONNECTION];
                let result = browser::sign_in(&browser::new(), &setup.base, &setup.store, login, email).await;
                ((setup, i, turn + 1), result)
            };
            (4, drive::run(server, connections, warmup, seconds, |i| (setup.clone(), i, 1), op).await)
        }
        _ => panic!("unknown scenario {name}; known: {SCENARIOS:?}"),
    }
}

/// Pins this process (the load generator) to every CPU but the last, which the server gets.
fn pin_self_to_all_but_last_cpu() -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    if cpus < 2 || !Path::new("/usr/bin/taskset").exists() {
        return false;
    }
    std::process::Command::new("/usr/bin/taskset")
        .args(["-a", "-p", "-c", &format!("0-{}", cpus - 2), &std::process::id().to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// argon2id verifications per second on one thread, with the server's parameters.
fn argon2_rate(cost: password::Cost) -> (f64, Duration) {
    let hash = password::hash(browser::PASSWORD, cost).expect("hash");
    let started = Instant::now();
    let mut n = 0u32;
    while started.elapsed() < Duration::from_secs(2) {
        assert!(password::verify(browser::PASSWORD, &hash));
        n += 1;
    }
    let each = started.elapsed() / n.max(1);
    (f64::from(n) / started.elapsed().as_secs_f64(), each)
}
