//! Retention: what nobody needs any more is deleted, what is still usable is
//! kept, client addresses are erased after the retention days, audit events
//! follow their own retention, and the work goes in bounded batches.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use kuke_id::flows::retention;
use kuke_id::store::retention::{Erasure, Sweep};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};

use crate::support::fixtures::{CHALLENGE, ClientSpec, TestClient, VERIFIER, query_param, redirect_location};
use crate::support::journey::GOOD_PASSWORD;
use crate::support::{TestApp, poll};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Rows in `table`.
async fn count(app: &TestApp, table: &str) -> i64 {
    let conn = app.state.store.conn();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

/// The tables retention empties of what is no longer needed (the audit trail
/// has its own, much longer, retention).
fn transient_tables() -> Vec<&'static str> {
    Sweep::ALL.iter().map(|sweep| sweep.table()).filter(|table| *table != "audit_events").collect()
}

async fn counts(app: &TestApp, tables: &[&'static str]) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in tables {
        out.push((*table, count(app, table).await));
    }
    out
}

/// A relying party's back-channel logout endpoint that accepts every token.
async fn backchannel_receiver() -> String {
    let app = Router::new().route("/backchannel", post(|| async { StatusCode::OK }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let uri = format!("http://{}/backchannel", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    uri
}

/// Parks an authorization request of `client`; returns its handle.
async fn parked_request(app: &TestApp, client: &TestClient) -> String {
    let params = [
        ("response_type", "code"),
        ("scope", "openid profile email"),
        ("state", "r1"),
        ("nonce", "n"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let response = app.authorize(client, &params).await;
    let location = response.headers()["location"].to_str().expect("ascii").to_string();
    assert!(location.starts_with("/login?request="), "a sign-in is needed: {location}");
    location.trim_start_matches("/login?request=").to_string()
}

/// Follows the journey's redirects until the client's redirect URI; returns its code.
async fn code_at_client(app: &TestApp, client: &TestClient, mut response: reqwest::Response) -> String {
    for _ in 0..5 {
        let location = redirect_location(&response);
        if location.as_str().starts_with(&client.redirect_uri) {
            return query_param(&location, "code").expect("authorization code");
        }
        response = app.http.get(location).send().await.expect("follow");
    }
    panic!("the journey did not return to the client");
}

/// A full sign-in through the hosted journey (password, the `nth` mailed code,
/// the terms the first time) and the code exchange; returns the token response.
async fn full_sign_in(
    app: &TestApp,
    client: &TestClient,
    user: &crate::support::fixtures::TestUser,
    nth: usize,
) -> serde_json::Value {
    let handle = parked_request(app, client).await;
    let signed = app.sign_in_form(&user.login, GOOD_PASSWORD, Some(&handle)).await;
    assert_eq!(signed.headers()["location"], "/login/code");
    let mut response = app.submit_code(&app.code_of(user, nth).await).await;
    if response.headers()["location"] == "/terms" {
        let (_, _, csrf) = app.page("/terms").await;
        response = app.submit("/terms", &csrf, &[("statement", "yes"), ("decision", "accept")]).await;
    }
    let code = code_at_client(app, client, response).await;
    let tokens = app.redeem(client, &code).await;
    if nth % 3 == 1 {
        // A replayed code: refused, and the tokens issued from it are revoked.
        let replay = app
            .token(
                client,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &client.redirect_uri),
                    ("code_verifier", VERIFIER),
                ],
            )
            .await;
        assert_eq!(replay.status(), 400);
    }
    tokens
}

async fn refresh(app: &TestApp, client: &TestClient, token: &str) -> reqwest::Response {
    app.token(client, &[("grant_type", "refresh_token"), ("refresh_token", token)]).await
}

async fn revoke(app: &TestApp, client: &TestClient, token: &str) {
    let response = app
        .http
        .post(app.url("/revoke"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .expect("revoke");
    assert_eq!(response.status(), 200);
}

async fn log_out(app: &TestApp, id_token: &str) {
    let mut url = url::Url::parse(&app.url("/logout")).expect("url");
    url.query_pairs_mut().append_pair("id_token_hint", id_token);
    app.http.get(url).send().await.expect("logout");
}

/// Waits until every queued mail and back-channel logout has gone out.
async fn wait_for_delivery(app: &TestApp) {
    poll::until("every mail and logout delivered", || async {
        let conn = app.state.store.conn();
        let backend = conn.get_database_backend();
        let pending = |sql: &str| Statement::from_string(backend, sql.to_string());
        let mails = conn
            .query_one_raw(pending("SELECT COUNT(*) AS n FROM mail_outbox WHERE sent_at IS NULL"))
            .await
            .ok()??
            .try_get::<i64>("", "n")
            .ok()?;
        let logouts = conn
            .query_one_raw(pending("SELECT COUNT(*) AS n FROM backchannel_deliveries WHERE delivered_at IS NULL"))
            .await
            .ok()??
            .try_get::<i64>("", "n")
            .ok()?;
        (mails == 0 && logouts == 0).then_some(())
    })
    .await;
}

async fn run(app: &TestApp) -> retention::RetentionReport {
    retention::run_once(&app.state).await.expect("retention round")
}

backend_tests! {
    async fn after_many_sign_ins_and_their_lifetimes_every_transient_table_is_back_at_its_baseline(app) {
        let tables = transient_tables();
        let baseline = counts(&app, &tables).await;
        app.publish_terms("2026-12").await;
        let client = app.client_with(ClientSpec { backchannel_logout_uri: Some(backchannel_receiver().await), ..Default::default() }).await;
        let user = app.activated_user().await;
        // A wrong password opens the client address's failure window.
        app.sign_in_form(&user.login, "Zly#Haslo99", None).await;
        for nth in 0..6 {
            let tokens = full_sign_in(&app, &client, &user, nth).await;
            let refreshed = refresh(&app, &client, tokens["refresh_token"].as_str().expect("rt")).await;
            let refreshed: serde_json::Value = if nth % 3 == 1 {
                assert_eq!(refreshed.status(), 400, "the replay revoked the grant");
                tokens.clone()
            } else {
                assert_eq!(refreshed.status(), 200);
                refreshed.json().await.expect("json")
            };
            match nth % 3 {
                0 => revoke(&app, &client, refreshed["access_token"].as_str().expect("at")).await,
                2 => revoke(&app, &client, refreshed["refresh_token"].as_str().expect("rt")).await,
                _ => {}
            }
            log_out(&app, tokens["id_token"].as_str().expect("id token")).await;
        }
        // A campaign's mails.
        app.imported_user().await;
        app.imported_user().await;
        let token = app.admin_token("admin:users").await;
        let campaign = app.http.post(app.url("/admin/api/v1/activations")).bearer_auth(&token).json(&serde_json::json!({})).send().await.expect("campaign");
        assert_eq!(campaign.status(), 200);
        wait_for_delivery(&app).await;

        let filled = counts(&app, &tables).await;
        for table in ["authorization_codes", "authorization_requests", "login_transactions", "refresh_tokens", "grants", "sessions",
                      "revoked_access_tokens", "rate_limits", "mail_outbox", "backchannel_deliveries", "activation_tokens"] {
            let (before, after) = (baseline.iter().find(|(t, _)| *t == table).expect("t").1, filled.iter().find(|(t, _)| *t == table).expect("t").1);
            assert!(after > before, "{table} was used by the scenario ({before} -> {after})");
        }
        let audit_before = count(&app, "audit_events").await;

        // Past every lifetime: refresh tokens (30 days) and the retention days (90).
        app.clock.advance(100 * DAY);
        let report = run(&app).await;

        assert_eq!(counts(&app, &tables).await, baseline, "every transient table is back at its baseline; {report:?}");
        assert!(report.deleted_from("sessions") >= 6, "{report:?}");
        assert_eq!(count(&app, "terms_acceptances").await, 1, "the acceptance itself is kept");
        use kuke_id::store::entities::terms_acceptances;
        let acceptance = terms_acceptances::Entity::find().one(app.state.store.conn()).await.expect("query").expect("row");
        assert_eq!((acceptance.ip, acceptance.user_agent), (None, None), "its address and browser are erased");
        assert_eq!(count(&app, "audit_events").await, audit_before, "the audit trail is kept for two years");

        // Nothing needed was lost: the account signs in again.
        let tokens = full_sign_in(&app, &client, &user, 6).await;
        assert!(tokens["id_token"].is_string());
        assert_eq!(run(&app).await.deleted_from("sessions"), 0, "a fresh session is kept");
    }
}

backend_tests! {
    settings = "session_absolute_hours = 96\nsession_idle_minutes = 5760";
    async fn an_unexpired_code_a_live_session_and_the_refresh_tokens_of_a_live_grant_are_kept(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let first = app.redeem(&client, &app.code(&client, &[]).await).await;
        let rotated: serde_json::Value = refresh(&app, &client, first["refresh_token"].as_str().expect("rt")).await.json().await.expect("json");
        app.clock.advance(2 * DAY);

        let code = app.code(&client, &[]).await;
        let report = run(&app).await;
        assert_eq!(report.deleted_from("sessions"), 0, "{report:?}");
        assert_eq!(report.deleted_from("grants"), 0, "{report:?}");
        assert_eq!(report.deleted_from("refresh_tokens"), 0, "{report:?}");
        assert_eq!(report.deleted_from("authorization_codes"), 1, "only the code redeemed two days ago: {report:?}");

        app.redeem(&client, &code).await;
        let used = refresh(&app, &client, rotated["refresh_token"].as_str().expect("rt")).await;
        assert_eq!(used.status(), 200, "the live grant's refresh token still works");
        let newest: serde_json::Value = used.json().await.expect("json");
        // The rotated token was kept too, so its reuse is still recognised and ends the family.
        let reuse = refresh(&app, &client, first["refresh_token"].as_str().expect("rt")).await;
        assert_eq!(reuse.status(), 400);
        let after_reuse = refresh(&app, &client, newest["refresh_token"].as_str().expect("rt")).await;
        assert_eq!(after_reuse.status(), 400, "the reuse revoked the whole family");
    }
}

backend_tests! {
    async fn a_session_bound_grant_goes_with_its_ended_session_and_never_outlives_it(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let tokens = app.redeem(&client, &app.code(&client, &[]).await).await;
        // The session ends by its absolute lifetime (12 h) without a logout; the
        // grant was never revoked and its refresh token has 30 days left.
        app.clock.advance(2 * DAY);
        let report = run(&app).await;
        assert_eq!(report.deleted_from("grants"), 1, "{report:?}");
        assert_eq!(report.deleted_from("sessions"), 1, "{report:?}");
        assert_eq!(count(&app, "refresh_tokens").await, 0);
        let refreshed = refresh(&app, &client, tokens["refresh_token"].as_str().expect("rt")).await;
        assert_eq!(refreshed.status(), 400, "no refresh without the session");
    }
}

backend_tests! {
    settings = "audit_retention_days = 30";
    async fn audit_events_older_than_the_audit_retention_are_deleted(app) {
        app.client().await;
        let old = count(&app, "audit_events").await;
        assert!(old > 0, "registering a client is audited");
        app.clock.advance(31 * DAY);
        app.client().await;
        let all = count(&app, "audit_events").await;
        let report = run(&app).await;
        assert_eq!(report.deleted_from("audit_events"), u64::try_from(old).expect("n"));
        assert_eq!(count(&app, "audit_events").await, all - old, "the recent events stay");
    }
}

backend_tests! {
    settings = "audit_retention_days = 0";
    async fn an_audit_retention_of_zero_keeps_events_forever(app) {
        app.client().await;
        let before = count(&app, "audit_events").await;
        app.clock.advance(3650 * DAY);
        let report = run(&app).await;
        assert_eq!(report.deleted_from("audit_events"), 0);
        assert_eq!(count(&app, "audit_events").await, before);
    }
}

backend_tests! {
    settings = "retention_days = 1\nsession_absolute_hours = 96\nsession_idle_minutes = 5760";
    async fn addresses_are_erased_after_the_retention_days_but_the_rows_stay(app) {
        use kuke_id::store::entities::{sessions, terms_acceptances};
        app.publish_terms("2026-12").await;
        let client = app.client().await;
        let user = app.activated_user().await;
        full_sign_in(&app, &client, &user, 0).await;
        let conn = app.state.store.conn();
        let session = sessions::Entity::find().filter(sessions::Column::UserId.eq(user.id)).one(conn).await.expect("q").expect("session");
        assert!(session.ip.is_some(), "the address is recorded at sign-in");

        app.clock.advance(2 * DAY);
        let report = run(&app).await;

        assert_eq!(report.erased_in(Erasure::Sessions.table()), 1, "{report:?}");
        assert_eq!(report.erased_in(Erasure::TermsAcceptances.table()), 1, "{report:?}");
        let session = sessions::Entity::find_by_id(session.id).one(conn).await.expect("q").expect("the live session stays");
        assert_eq!((session.ip, session.user_agent), (None, None));
        let acceptance = terms_acceptances::Entity::find().one(conn).await.expect("q").expect("the acceptance stays");
        assert_eq!((acceptance.ip, acceptance.user_agent), (None, None));
        assert_eq!(run(&app).await.erased_in("sessions"), 0, "an erased row is not counted again");
    }
}

backend_tests! {
    async fn a_batch_smaller_than_the_rows_still_deletes_them_all(app) {
        let now = app.clock.now();
        for n in 0..7 {
            kuke_id::store::revoked_access_tokens::insert(app.state.store.conn(), &format!("jti-{n}"), now).await.expect("insert");
        }
        app.clock.advance(2 * DAY);
        let report = retention::run_in_batches(&app.state, 3).await.expect("retention round");
        assert_eq!(report.deleted_from("revoked_access_tokens"), 7);
        assert_eq!(count(&app, "revoked_access_tokens").await, 0);
        // 3 + 3 + 1 for that table, one (short) batch for every other one.
        let others = u64::try_from(Sweep::ALL.len() + Erasure::ALL.len() - 1).expect("n");
        assert_eq!(report.batches, others + 3, "{report:?}");
    }
}

backend_tests! {
    multi_thread;
    async fn two_nodes_sweeping_at_once_delete_every_row_once(app) {
        let now = app.clock.now();
        for n in 0..40 {
            kuke_id::store::revoked_access_tokens::insert(app.state.store.conn(), &format!("jti-{n}"), now).await.expect("insert");
        }
        app.clock.advance(2 * DAY);
        let (a, b) = tokio::join!(retention::run_in_batches(&app.state, 4), retention::run_in_batches(&app.state, 4));
        let deleted = a.expect("node a").deleted_from("revoked_access_tokens") + b.expect("node b").deleted_from("revoked_access_tokens");
        assert_eq!(deleted, 40);
        assert_eq!(count(&app, "revoked_access_tokens").await, 0);
    }
}

#[test]
fn the_command_line_runs_a_round_and_reports_every_table() {
    use crate::support::cli::run as cli;
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/db/kuke-id.db?mode=rwc", dir.path().display());
    let keys = dir.path().join("keys").display().to_string();
    let env = [("KUKE_ID_DATABASE_URL", url.as_str()), ("KUKE_ID_KEYS_DIR", keys.as_str())];
    assert_eq!(cli(dir.path(), &env, &["migrate"]).code, 0);

    let table = cli(dir.path(), &env, &["retention", "run"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    for name in ["TABLE", "authorization_codes", "sessions", "audit_events", "terms_acceptances"] {
        assert!(table.stdout.contains(name), "{name} in {}", table.stdout);
    }
    let json = cli(dir.path(), &env, &["retention", "run", "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(report["deleted"]["refresh_tokens"], 0, "{report}");
    assert_eq!(report["erased"]["terms_acceptances"], 0, "{report}");
}

backend_tests! {
    async fn an_administrator_runs_a_round_through_the_admin_api_and_it_is_audited(app) {
        kuke_id::store::revoked_access_tokens::insert(app.state.store.conn(), "jti-old", app.clock.now()).await.expect("insert");
        app.clock.advance(2 * DAY);
        let token = app.admin_token("admin").await;
        let response = app.http.post(app.url("/admin/api/v1/retention/run")).bearer_auth(&token).send().await.expect("POST");
        assert_eq!(response.status(), 200);
        let report: serde_json::Value = response.json().await.expect("json");
        assert_eq!(report["deleted"]["revoked_access_tokens"], 1, "{report}");
        assert_eq!(report["erased"]["sessions"], 0, "{report}");
        assert_eq!(kuke_id::store::audit::count_action(app.state.store.conn(), "retention.run").await.expect("count"), 1);
    }

    async fn the_admin_api_round_needs_the_full_admin_scope(app) {
        let token = app.admin_token("admin:users").await;
        let response = app.http.post(app.url("/admin/api/v1/retention/run")).bearer_auth(&token).send().await.expect("POST");
        assert_eq!(response.status(), 403);
    }
}
