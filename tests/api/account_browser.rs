//! The account area in a real headless Chromium: a person adds an authenticator
//! app (the test computes its codes from the key the page shows, as an app
//! would), signs out, signs in with an app code, then with a recovery code,
//! changes the password, and ends another session. Every new page is saved at
//! phone and desktop width in Polish and English under
//! `target/journey-screenshots/account-*.png`, and checked there by axe-core
//! against the WCAG 2.0–2.2 A and AA rules (when `npm ci --prefix tests/browser`
//! has installed it).

use std::sync::Mutex;
use std::time::Duration;

use kuke_id::domain::totp::TotpSecret;
use kuke_id::store::entities::sessions;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use thirtyfour::prelude::*;

use crate::support::browser::{
    Chromedriver, DESKTOP, PHONE, Screenshots, button, field, goto, heading, missing, type_into, wait_for, wait_for_url,
};
use crate::support::fixtures::TestUser;
use crate::support::journey::GOOD_PASSWORD;
use crate::support::{Backend, TestApp, poll};
use crate::totp::code_at;

const NEW_PASSWORD: &str = "Nowe#Haslo9x";

/// axe-core as npm installed it.
const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/node_modules/axe-core/axe.min.js");
/// The WCAG 2.0–2.2 A and AA rules.
const AXE_TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
/// What axe-core found on the pages of this walk.
static VIOLATIONS: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[tokio::test]
#[cfg_attr(kuke_id_skip_browser, ignore = "needs chromium and chromedriver")]
async fn a_person_keeps_their_account_in_order_in_headless_chromium() {
    if let Some(message) = missing() {
        println!("{message}");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let shots = Screenshots::new();
    let chromedriver = Chromedriver::start();
    let driver = chromedriver.session().await;
    let (app, shots) = (&app, &shots);
    driver
        .run_and_quit(|driver| async move {
            walk_the_account_area(app, &driver, shots).await;
            Ok::<(), WebDriverError>(())
        })
        .await
        .expect("closing the Chromium session");
    let violations = VIOLATIONS.lock().unwrap().clone();
    assert!(violations.is_empty(), "axe-core found WCAG A/AA violations:\n{}", violations.join("\n"));
}

/// Runs axe-core on the page as laid out now; `None` when it is not installed.
async fn axe(driver: &WebDriver) -> Option<Vec<String>> {
    let source = std::fs::read_to_string(AXE).ok()?;
    let loaded: bool = driver
        .execute("return typeof window.axe !== 'undefined';", vec![])
        .await
        .expect("asking for axe")
        .convert()
        .expect("a boolean");
    if !loaded {
        driver.execute(&source, vec![]).await.expect("loading axe-core into the page");
    }
    let script = "const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
          .then(r => done(r.passes.length === 0 ? ['axe ran no rule'] : r.violations.map(v => v.id + ' ('
            + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
          .catch(e => done(['axe failed: ' + e]));";
    Some(
        driver
            .execute_async(script, vec![json!(AXE_TAGS)])
            .await
            .expect("running axe-core")
            .convert()
            .expect("a list of violations"),
    )
}

async fn audit(driver: &WebDriver, name: &str) {
    if let Some(found) = axe(driver).await {
        VIOLATIONS.lock().unwrap().extend(found.into_iter().map(|v| format!("{name}: {v}")));
    }
}

/// Lays the page out for `size` without reloading it.
async fn resize(driver: &WebDriver, (width, height): (u32, u32)) {
    driver
        .cdp()
        .send_raw(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 }),
        )
        .await
        .expect("resizing the page");
}

/// The page as it is, at phone and desktop width.
async fn both_widths(driver: &WebDriver, shots: &Screenshots, name: &str) {
    audit(driver, &format!("{name}/phone")).await;
    shots.take(driver, &format!("account-{name}-phone.png")).await;
    resize(driver, DESKTOP).await;
    audit(driver, &format!("{name}/desktop")).await;
    shots.take(driver, &format!("account-{name}-desktop.png")).await;
    resize(driver, PHONE).await;
}

/// A page reached by GET, in both languages and at both widths; ends in Polish.
async fn every_way(driver: &WebDriver, shots: &Screenshots, url: &str, name: &str, (pl, en): (&str, &str)) {
    let joiner = if url.contains('?') { '&' } else { '?' };
    goto(driver, &format!("{url}{joiner}lang=en")).await;
    heading(driver, en).await;
    both_widths(driver, shots, &format!("{name}-en")).await;
    goto(driver, &format!("{url}{joiner}lang=pl")).await;
    heading(driver, pl).await;
    both_widths(driver, shots, &format!("{name}-pl")).await;
}

async fn sign_in_with(app: &TestApp, driver: &WebDriver, user: &TestUser, password: &str) {
    heading(driver, "Logowanie").await;
    type_into(driver, "Login", &user.login).await;
    type_into(driver, "Hasło", password).await;
    button(driver, "Wyślij kod").await;
    let _ = app;
}

/// Sets up an authenticator from the page (in the page's language) and returns
/// the secret read from the page and the recovery codes shown.
async fn add_app(
    app: &TestApp,
    driver: &WebDriver,
    shots: &Screenshots,
    lang: &str,
    texts: (&str, &str, &str, &str),
) -> (TotpSecret, Vec<String>) {
    let (add, setup_heading, code_label, confirm) = texts;
    button(driver, add).await;
    heading(driver, setup_heading).await;
    both_widths(driver, shots, &format!("authenticator-setup-{lang}")).await;
    let key = driver.find(By::Id("secret-key")).await.expect("the key").text().await.expect("its text");
    let bytes = totp_rs::Secret::try_from_base32(key.replace(' ', "")).expect("base32").as_bytes().to_vec();
    let secret = TotpSecret::from_bytes(bytes).expect("a secret");
    type_into(driver, code_label, &code_at(app, &secret, 0)).await;
    button(driver, confirm).await;
    wait_for(driver, "//ul[@id='recovery-codes']", "the recovery codes").await;
    both_widths(driver, shots, &format!("recovery-codes-{lang}")).await;
    let mut codes = Vec::new();
    for element in driver.find_all(By::Css("#recovery-codes code")).await.expect("the codes") {
        codes.push(element.text().await.expect("a code"));
    }
    assert_eq!(codes.len(), 10, "ten recovery codes");
    // The next code the app shows belongs to a later step than the one just used.
    app.clock.advance(Duration::from_secs(30));
    (secret, codes)
}

/// Signs this browser out from the sessions page ("Wyloguj się" on its own row).
async fn sign_out(app: &TestApp, driver: &WebDriver) {
    goto(driver, &app.url("/account/sessions")).await;
    heading(driver, "Moje sesje").await;
    button(driver, "Wyloguj się").await;
    wait_for_url(driver, &app.url("/login")).await;
}

async fn walk_the_account_area(app: &TestApp, driver: &WebDriver, shots: &Screenshots) {
    let user = app.activated_user().await;

    // No session: /account starts the sign-in and comes back.
    goto(driver, &app.url("/account")).await;
    sign_in_with(app, driver, &user, GOOD_PASSWORD).await;
    let input = field(driver, "Kod autoryzacyjny").await;
    input.send_keys(app.code_of(&user, 0).await.as_str()).await.expect("typing the code");
    button(driver, "Zaloguj się").await;
    heading(driver, "Moje konto").await;
    every_way(driver, shots, &app.url("/account"), "overview", ("Moje konto", "My account")).await;

    // The authenticator app: added in English first, then replaced in Polish.
    let authenticator = app.url("/account/authenticator");
    every_way(driver, shots, &authenticator, "authenticator-off", ("Aplikacja uwierzytelniająca", "Authenticator app"))
        .await;
    goto(driver, &format!("{authenticator}?lang=en")).await;
    add_app(app, driver, shots, "en", ("Add an app", "Add an authenticator app", "Code from the app", "Confirm")).await;
    goto(driver, &format!("{authenticator}?lang=pl")).await;
    heading(driver, "Aplikacja uwierzytelniająca").await;
    both_widths(driver, shots, "authenticator-on-pl").await;
    let (secret, codes) = add_app(
        app,
        driver,
        shots,
        "pl",
        ("Zmień aplikację", "Dodaj aplikację uwierzytelniającą", "Kod z aplikacji", "Potwierdź"),
    )
    .await;
    goto(driver, &format!("{authenticator}?lang=en")).await;
    heading(driver, "Authenticator app").await;
    both_widths(driver, shots, "authenticator-on-en").await;
    goto(driver, &app.url("/account?lang=pl")).await;

    // Signed out, then in again with a code from the app.
    sign_out(app, driver).await;
    sign_in_with(app, driver, &user, GOOD_PASSWORD).await;
    heading(driver, "Logowanie – kod z aplikacji").await;
    every_way(
        driver,
        shots,
        &app.url("/login/code"),
        "app-code",
        ("Logowanie – kod z aplikacji", "Sign in – app code"),
    )
    .await;
    type_into(driver, "Kod z aplikacji", &code_at(app, &secret, 0)).await;
    button(driver, "Zaloguj się").await;
    heading(driver, "Moje sesje").await;

    // And with a recovery code.
    sign_out(app, driver).await;
    sign_in_with(app, driver, &user, GOOD_PASSWORD).await;
    type_into(driver, "Kod z aplikacji", &codes[0]).await;
    button(driver, "Zaloguj się").await;
    heading(driver, "Moje sesje").await;

    // The password, changed with the live checklist.
    let password = app.url("/account/password");
    every_way(driver, shots, &password, "password", ("Zmiana hasła", "Change password")).await;
    type_into(driver, "Obecne hasło", GOOD_PASSWORD).await;
    type_into(driver, "Nowe hasło", NEW_PASSWORD).await;
    type_into(driver, "Powtórz hasło", NEW_PASSWORD).await;
    both_widths(driver, shots, "password-filled-pl").await;
    button(driver, "Zmień hasło").await;
    wait_for(driver, "//p[@role='status']", "the confirmation").await;
    both_widths(driver, shots, "password-changed-pl").await;

    // Another browser signs in; this one ends it.
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0")
        .build()
        .unwrap();
    let response =
        other.post(app.url("/test-support/sign-in")).form(&[("login", user.login.as_str())]).send().await.unwrap();
    assert_eq!(response.status(), 204);
    every_way(driver, shots, &app.url("/account/sessions"), "sessions", ("Moje sesje", "My sessions")).await;
    button(driver, "Wyloguj tę sesję").await;
    poll::until("only this browser still signed in", || async {
        let open = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user.id))
            .filter(sessions::Column::EndedAt.is_null())
            .all(app.state.store.conn())
            .await
            .unwrap();
        (open.len() == 1).then_some(())
    })
    .await;
    // The list, reloaded after the ending, shows no button for the other browser.
    wait_for(driver, "//h1[not(//button[normalize-space()='Wyloguj tę sesję'])]", "the list without the other session")
        .await;
    both_widths(driver, shots, "sessions-after-pl").await;

    // The app removed, in English: the sign-in code comes by e-mail again.
    goto(driver, &format!("{authenticator}?lang=en")).await;
    heading(driver, "Authenticator app").await;
    button(driver, "Remove the app").await;
    wait_for(driver, "//p[@role='status']", "the confirmation").await;
    both_widths(driver, shots, "authenticator-removed-en").await;
    goto(driver, &app.url("/account?lang=pl")).await;

    // Later, a sensitive change asks for a fresh sign-in first.
    app.clock.advance(Duration::from_secs(6 * 60));
    every_way(driver, shots, &password, "reauth", ("Potwierdź, że to Ty", "Confirm it is you")).await;
}
