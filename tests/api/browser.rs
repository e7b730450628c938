//! The first-login journey in a real headless Chromium, driven over WebDriver
//! the way a person would walk it: fields found by their visible labels, buttons
//! by their text. A full-page screenshot of every page lands in
//! `target/journey-screenshots/` (at phone width, 390×844).
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test is
//! reported as ignored (see `build.rs`), unless `KUKE_ID_TEST_REQUIRE_BROWSER=1`
//! (CI) makes it run and fail.

use std::time::Instant;

use thirtyfour::prelude::*;

use crate::support::browser::{
    Chromedriver, SCREENSHOTS, Screenshots, authorization_url, button, field, field_where, goto, heading, link_named,
    missing, type_into, wait_for_url,
};
use crate::support::fixtures::query_param;
use crate::support::journey::GOOD_PASSWORD;
use crate::support::{Backend, TestApp};

#[tokio::test]
#[cfg_attr(kuke_id_skip_browser, ignore = "needs chromium and chromedriver")]
async fn first_login_journey_in_headless_chromium() {
    if let Some(message) = missing() {
        println!("{message}");
        return;
    }
    let started = Instant::now();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let shots = Screenshots::new();
    let chromedriver = Chromedriver::start();
    let driver = chromedriver.session().await;
    let app = &app;
    let shots = &shots;
    driver
        .run_and_quit(|driver| async move {
            walk_the_journey(app, &driver, shots).await;
            Ok::<(), WebDriverError>(())
        })
        .await
        .expect("closing the Chromium session");
    println!("journey in Chromium took {:?}; screenshots in {SCREENSHOTS}", started.elapsed());
}

/// Activation, sign-in with the mailed login and code, the terms, and back to the client.
async fn walk_the_journey(app: &TestApp, driver: &WebDriver, shots: &Screenshots) {
    app.publish_terms("v1").await;
    let user = app.imported_user().await;
    let link = app.activation_link(&user, 0).await;
    let client = app.client().await;

    // The link from the invitation mail: set a password.
    goto(driver, &app.url(&link)).await;
    heading(driver, "Ustawienie hasła").await;
    shots.take(driver, "01-set-password.png").await;
    type_into(driver, "Nowe hasło", GOOD_PASSWORD).await;
    type_into(driver, "Powtórz hasło", GOOD_PASSWORD).await;
    button(driver, "Dalej").await;
    link_named(driver, "Przejdź do logowania").await;
    shots.take(driver, "02-password-set.png").await;

    // The client sends the browser to /authorize; the sign-in page asks for the mailed login.
    let login = app.mail_to(&user, "login", 0).await.six_digits().expect("a login number in the mail");
    assert_eq!(login, user.login, "the mail carries the account's login");
    goto(driver, authorization_url(app, &client, "br1").as_str()).await;
    heading(driver, "Logowanie").await;
    shots.take(driver, "03-sign-in.png").await;
    type_into(driver, "Login", &login).await;
    type_into(driver, "Hasło", GOOD_PASSWORD).await;
    button(driver, "Wyślij kod").await;

    // The code from the second mail.
    let input = field(driver, "Kod autoryzacyjny").await;
    shots.take(driver, "04-code.png").await;
    let code = app.code_of(&user, 0).await;
    input.send_keys(code.as_str()).await.expect("typing the code");
    button(driver, "Zaloguj się").await;

    // The terms in force: tick the statement, save.
    heading(driver, "Regulamin").await;
    shots.take(driver, "05-terms.png").await;
    let statement = field_where(driver, "starts-with(normalize-space(), 'Oświadczam')", "Oświadczam…").await;
    statement.click().await.expect("ticking the statement");
    assert!(statement.is_selected().await.expect("the checkbox state"), "the statement is ticked");
    button(driver, "Zapisz").await;

    // Back at the client (nothing listens there): the address carries the code.
    let back = wait_for_url(driver, &client.redirect_uri).await;
    assert_eq!(query_param(&back, "state").as_deref(), Some("br1"), "the state comes back: {back}");
    assert_eq!(query_param(&back, "iss").as_deref(), Some(app.base.as_str()), "the issuer is named: {back}");
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let tokens = app.redeem(&client, &code).await;
    assert!(tokens["id_token"].is_string() && tokens["access_token"].is_string(), "tokens: {tokens}");

    // The same sign-in page in English.
    goto(driver, &app.url("/login?lang=en")).await;
    heading(driver, "Sign in").await;
    field(driver, "Password").await;
    shots.take(driver, "06-sign-in-en.png").await;

    // An administrator changes the address: the new mailbox confirms it with a button.
    let edit = kuke_id::flows::accounts::Edit { email: Some("nowy.adres@example.com".into()), ..Default::default() };
    kuke_id::flows::accounts::update(&app.state, &kuke_id::domain::audit::Actor::cli(), user.id, edit)
        .await
        .expect("an address change");
    let confirm = app
        .mailbox
        .wait_until(|mails| {
            mails.iter().find(|m| m.rcpt_to.iter().any(|r| r.contains("nowy.adres@example.com"))).cloned()
        })
        .await;
    let link = confirm.link_containing("/email/confirm?token=").expect("a confirmation link");
    // The English page above left English as the browser's choice; this one is Polish.
    goto(driver, &format!("{link}&lang=pl")).await;
    heading(driver, "Potwierdzenie adresu e-mail").await;
    shots.take(driver, "07-email-confirm.png").await;
    button(driver, "Potwierdź adres").await;
    heading(driver, "Adres potwierdzony").await;
    shots.take(driver, "08-email-confirmed.png").await;
}
