//! The built-in demo relying party completes a real round trip.

use crate::support::fixtures::redirect_location;
use crate::support::{Backend, TestApp};

/// Marks the demo account active (as its activation would); its id and login.
async fn activate_demo_account(app: &TestApp) -> (uuid::Uuid, String) {
    let conn = app.state.store.conn();
    let (user_id, login) = kuke_id::store::users::find_by_legacy_id(conn, kuke_id::flows::demo::DEMO_LEGACY_ID)
        .await
        .expect("db")
        .expect("demo user");
    kuke_id::store::users::set_status(conn, user_id, kuke_id::domain::user::Status::Active, app.clock.now())
        .await
        .expect("activate");
    (user_id, login)
}

async fn round_trip(app: TestApp) {
    let (user_id, login) = activate_demo_account(&app).await;

    let home = app.get("/demo").await;
    assert_eq!(home.status(), 200);
    let to_authorize = redirect_location(&app.get("/demo/login").await);
    assert!(to_authorize.path().ends_with("/authorize"));
    let to_login = app.http.get(to_authorize).send().await.expect("authorize");
    let login_page = to_login.headers()["location"].to_str().expect("ascii").to_string();
    let handle = login_page.trim_start_matches("/login?request=").to_string();
    let signed_in = app
        .http
        .post(app.url("/test-support/sign-in"))
        .form(&[("login", login.as_str()), ("request", handle.as_str())])
        .send()
        .await
        .expect("sign in");
    let resume = signed_in.headers()["location"].to_str().expect("ascii").to_string();
    let callback = redirect_location(&app.get(&resume).await);
    assert_eq!(callback.path(), "/demo/callback");
    let back = app.http.get(callback).send().await.expect("callback");
    assert_eq!(back.headers()["location"], "/demo");
    let page = app.get("/demo").await.text().await.expect("html");
    assert!(page.contains(&user_id.to_string()), "the ID-token claims are shown");
    assert!(page.contains("jan.kowalski@example.com"), "the userinfo answer is shown");
    assert!(
        page.contains("Demo Sp. z o.o.") && page.contains("administrator"),
        "the organization and role scopes are granted: {page}"
    );
}

#[tokio::test]
async fn the_demo_client_follows_a_moved_issuer_and_asks_for_the_scopes_it_uses() {
    let app = TestApp::spawn_demo(Backend::Sqlite).await;
    let moved = "http://localhost:18080";
    kuke_id::flows::demo::ensure(&app.state.store, &app.clock, moved).await.expect("a second demo start");
    let client = kuke_id::store::clients::find(app.state.store.conn(), kuke_id::flows::demo::DEMO_CLIENT_ID)
        .await
        .expect("db")
        .expect("the demo client");
    assert_eq!(client.redirect_uris, [format!("{moved}/demo/callback")]);
    assert_eq!(client.post_logout_redirect_uris, [format!("{moved}/demo")]);
    assert_eq!(client.scopes, ["organization", "role"]);
    assert_eq!(kuke_id::store::audit::count_action(app.state.store.conn(), "client.updated").await.expect("audit"), 1);
}

#[tokio::test]
async fn demo_relying_party_round_trip_on_sqlite() {
    round_trip(TestApp::spawn_demo(Backend::Sqlite).await).await;
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn demo_relying_party_round_trip_on_postgres() {
    let Some(backend) = Backend::postgres_for_test() else {
        return;
    };
    round_trip(TestApp::spawn_demo(backend).await).await;
}

#[tokio::test]
async fn demo_pages_do_not_exist_without_demo_mode() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(app.get("/demo").await.status(), 404);
}

#[tokio::test]
async fn the_demo_page_says_what_to_do_next_with_the_demo_account() {
    let app = TestApp::spawn_demo_without_smtp(Backend::Sqlite).await;
    let page = app.get("/demo").await.text().await.expect("html");
    assert!(
        page.contains("Najpierw aktywuj konto demonstracyjne") && page.contains("jan.kowalski@example.com"),
        "{page}"
    );
    assert!(page.contains("href=\"/dev/mail\""), "the mailbox is linked: {page}");
    let (_, login) = activate_demo_account(&app).await;
    let page = app.get("/demo").await.text().await.expect("html");
    assert!(page.contains(&format!("zaloguj się loginem {login}")), "{page}");
}

#[tokio::test]
async fn a_browser_at_another_name_of_the_host_is_sent_to_the_issuer_before_signing_in() {
    let app = TestApp::spawn_demo(Backend::Sqlite).await;
    let other_name = format!("localhost:{}", app.addr.port());
    let response = app.http.get(app.url("/demo/login")).header("host", other_name).send().await.expect("GET");
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], app.url("/demo/login").as_str());
}

#[tokio::test]
async fn a_stale_callback_is_a_translated_400() {
    let app = TestApp::spawn_demo(Backend::Sqlite).await;
    let response = app.get("/demo/callback?code=abc&state=def").await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.expect("html");
    assert!(html.contains("To logowanie wygasło") && html.contains("<title>Błąd: "), "{html}");
}
