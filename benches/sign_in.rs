//! What a sign-in costs besides its password hash: runs N sign-ins (the
//! "Login" + "Hasło" form, which verifies the password with argon2id, opens a
//! login transaction and queues the code mail) against the real server on a
//! SQLite file, and N bare argon2id verifications with the same parameters,
//! and prints both per-operation times and their difference.
//!
//! `cargo bench --bench sign_in` (release build; N=40 by default, `SIGN_IN_N` to change).

// A harness, not production code: a failed setup step should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use kuke_id::app::App;
use kuke_id::config::Settings;
use kuke_id::domain::clock::Clock;
use kuke_id::domain::password;
use kuke_id::store;

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("SIGN_IN_N").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("kuke-id-bench-{}", uuid::Uuid::new_v4()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let toml = format!(
        "issuer = \"http://{addr}\"\nlisten = \"{addr}\"\ndatabase_url = \"sqlite://{}/db.sqlite?mode=rwc\"\nkeys_dir = \"{}\"\n",
        dir.display(),
        dir.join("keys").display()
    );
    let settings = Settings::from_toml(&toml).expect("settings");
    let cost = settings.argon2;
    let clock = Clock::default();
    let app = App::build_on(settings, clock.clone(), listener).await.expect("app");
    let state = app.state().clone();
    tokio::spawn(app.serve(std::future::pending()));

    let conn = state.store.conn();
    let now = clock.now();
    let hash = password::hash("Zielony#Las7", cost).expect("hash");
    // One account per sign-in: an account may start only ten sign-ins in 15 minutes.
    let logins: Vec<String> = (0..=n).map(|i| format!("{}", 400_000 + i)).collect();
    for login in &logins {
        let user = store::users::NewUser {
            legacy_id: None,
            login: login.clone(),
            email: format!("bench{login}@example.com"),
            given_name: "Bench".into(),
            family_name: "User".into(),
            organization_id: None,
            role: kuke_id::domain::user::Role::User,
        };
        let id = store::users::insert(conn, &user, now).await.expect("user");
        store::users::set_password(conn, id, &hash, now).await.expect("password");
    }

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = format!("http://{addr}");
    let page = http.get(format!("{base}/login")).send().await.expect("page").text().await.expect("html");
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();

    // Warm-up: connection, caches, the first argon2 allocation.
    sign_in(&http, &base, &csrf, &logins[n]).await;
    let started = Instant::now();
    for login in &logins[..n] {
        sign_in(&http, &base, &csrf, login).await;
    }
    let per_sign_in = started.elapsed() / u32::try_from(n).unwrap_or(1);

    let started = Instant::now();
    for _ in 0..n {
        assert!(password::verify("Zielony#Las7", &hash));
    }
    let per_hash = started.elapsed() / u32::try_from(n).unwrap_or(1);

    println!("argon2id m={} KiB t={} p={}", cost.memory_kib, cost.iterations, cost.parallelism);
    println!("sign-in (POST /login, wall time, sequential): {per_sign_in:?} per request");
    println!("argon2id verification alone:                  {per_hash:?}");
    println!("everything else (HTTP, CSRF, DB, code mail):   {:?}", per_sign_in.saturating_sub(per_hash));
    let _ = std::fs::remove_dir_all(dir);
}

async fn sign_in(http: &reqwest::Client, base: &str, csrf: &str, login: &str) {
    let response = http
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf), ("login", login), ("password", "Zielony#Las7")])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(response.status(), 303, "sign-in accepted");
}
