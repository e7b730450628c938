//! The admin console in a real headless Chromium: an `idp-admin` signs in
//! through the seed journey, reads the dashboard's numbers, finds a person and
//! resends the activation link (the mail reaches the test's SMTP server); an
//! `idp-helpdesk` is refused the admin-only pages. Every console page is saved
//! at phone and desktop width in both languages as
//! `target/journey-screenshots/console-<page>-<lang>-<width>.png`.

use serde_json::json;
use thirtyfour::prelude::*;

use crate::support::browser::{
    Chromedriver, DESKTOP, PHONE, SCREENSHOTS, Screenshots, button, goto, missing, type_into, wait_for, wait_for_url,
};
use crate::support::fixtures::TestUser;
use crate::support::journey::GOOD_PASSWORD;
use crate::support::{Backend, TestApp};
use kuke_id::domain::audit::Actor;
use kuke_id::flows::accounts::{self, Edit};

/// Lays the page out for a screen of `size` without reloading it.
pub(crate) async fn resize(driver: &WebDriver, (width, height): (u32, u32)) {
    driver
        .cdp()
        .send_raw(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 }),
        )
        .await
        .expect("resizing the page");
}

/// axe-core as npm installed it (`npm ci --prefix tests/browser`).
const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/node_modules/axe-core/axe.min.js");

/// The WCAG 2.0–2.2 A and AA violations axe-core finds on the page (none
/// checked where axe-core is not installed and not required).
pub(crate) async fn axe_violations(driver: &WebDriver) -> Vec<String> {
    let Ok(axe) = std::fs::read_to_string(AXE) else {
        assert!(!crate::support::browser::required(), "axe-core is not installed: npm ci --prefix tests/browser");
        return Vec::new();
    };
    driver.execute(&axe, vec![]).await.expect("loading axe-core into the page");
    let script = "const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] })
          .then(r => done(r.passes.length === 0 ? ['axe ran no rule'] : r.violations.map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
          .catch(e => done(['axe failed: ' + e]));";
    driver.execute_async(script, vec![]).await.expect("running axe-core").convert().expect("a list of violations")
}

/// Opens `path` in each language, checks it with axe-core and saves it at both
/// widths; ends in Polish.
pub(crate) async fn every_view(driver: &WebDriver, shots: &Screenshots, app: &TestApp, path: &str, name: &str) {
    for lang in ["en", "pl"] {
        let joiner = if path.contains('?') { '&' } else { '?' };
        goto(driver, &app.url(&format!("{path}{joiner}lang={lang}"))).await;
        wait_for(driver, "//h1", "a heading").await;
        for (size, width) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
            resize(driver, size).await;
            let violations = axe_violations(driver).await;
            assert!(violations.is_empty(), "{name} ({lang}, {width}) breaks WCAG A/AA:\n{}", violations.join("\n"));
            shots.take(driver, &format!("console-{name}-{lang}-{width}.png")).await;
        }
    }
}

/// The id of the tests' organisation (ACME).
async fn stats_org_id(app: &TestApp) -> uuid::Uuid {
    let (found, _) = kuke_id::flows::organizations::search(&app.state.store, Some("ACME"), 0, 1).await.expect("search");
    found.first().expect("ACME").0.id
}

/// A heading that contains `text`.
pub(crate) async fn heading_with(driver: &WebDriver, text: &str) -> WebElement {
    wait_for(driver, &format!("//h1[contains(normalize-space(), '{text}')]"), &format!("a heading with “{text}”")).await
}

/// An account with a password holding the staff role given.
pub(crate) async fn staff(app: &TestApp, admin: bool) -> TestUser {
    let user = app.activated_user().await;
    let edit = Edit { idp_admin: Some(admin), idp_helpdesk: Some(!admin), ..Edit::default() };
    accounts::update(&app.state, &Actor::named("test"), user.id, edit).await.expect("a staff role");
    user
}

/// Signs in to the console through the journey's pages, as a person would.
pub(crate) async fn sign_in(driver: &WebDriver, app: &TestApp, user: &TestUser) {
    goto(driver, &app.url("/admin")).await;
    heading_with(driver, "Logowanie do konsoli").await;
    button(driver, "Zaloguj się").await;
    heading_with(driver, "Logowanie").await;
    type_into(driver, "Login", &user.login).await;
    type_into(driver, "Hasło", GOOD_PASSWORD).await;
    button(driver, "Wyślij kod").await;
    type_into(driver, "Kod autoryzacyjny", &app.code_of(user, 0).await).await;
    button(driver, "Zaloguj się").await;
}

/// Runs `walk` in a fresh Chromium session, closed afterwards.
pub(crate) async fn in_chromium<F, Fut>(walk: F)
where
    F: FnOnce(WebDriver) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let chromedriver = Chromedriver::start();
    let driver = chromedriver.session().await;
    driver
        .run_and_quit(|driver| async move {
            walk(driver).await;
            Ok::<(), WebDriverError>(())
        })
        .await
        .expect("closing the Chromium session");
    println!("screenshots in {SCREENSHOTS}");
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_browser, ignore = "needs chromium and chromedriver")]
async fn an_administrator_finds_a_person_resends_the_link_and_reads_the_dashboard_in_chromium() {
    if let Some(message) = missing() {
        println!("{message}");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let shots = Screenshots::new();
    let admin = staff(&app, true).await;
    let target = app.imported_user().await;
    let app = &app;
    let shots = &shots;
    in_chromium(|driver| async move {
        every_view(&driver, shots, app, "/admin/sign-in", "sign-in").await;
        sign_in(&driver, app, &admin).await;

        // The dashboard: the funnel's numbers beside the chart are the funnel's.
        heading_with(&driver, "Pulpit migracji").await;
        let stats = kuke_id::flows::stats::migration(&app.state.store, &app.clock).await.expect("stats");
        let imported =
            wait_for(&driver, "//table[@id='funnel-numbers']//tr[th='Zaimportowane']/td", "the imported count").await;
        assert_eq!(imported.text().await.expect("text"), stats.overall.total.to_string());
        let not_invited =
            wait_for(&driver, "//table[@id='organizations']//tr[th='ACME Sp. z o.o.']/td[2]", "ACME's row").await;
        assert_eq!(
            not_invited.text().await.expect("text"),
            stats.organizations["ACME Sp. z o.o."].imported.to_string()
        );
        every_view(&driver, shots, app, "/admin", "dashboard").await;
        every_view(&driver, shots, app, "/admin/organizations", "organizations").await;
        let org = stats_org_id(app).await;
        every_view(&driver, shots, app, &format!("/admin/organizations/{org}"), "organization").await;

        // Find the person by e-mail address, open the page, resend the link.
        goto(&driver, &app.url("/admin/people")).await;
        type_into(&driver, "Login, e-mail lub nazwisko", &target.email).await;
        button(&driver, "Szukaj").await;
        let link = wait_for(
            &driver,
            &format!("//table[@id='people']//a[normalize-space()='{}']", target.login),
            "the person in the results",
        )
        .await;
        every_view(&driver, shots, app, &format!("/admin/people?q={}", target.email), "people").await;
        drop(link);
        // `every_view` ended on the same results, in Polish.
        let link = wait_for(
            &driver,
            &format!("//table[@id='people']//a[normalize-space()='{}']", target.login),
            "the person in the results",
        )
        .await;
        link.click().await.expect("opening the person");
        heading_with(&driver, "Anna Nowak").await;
        let person = format!("/admin/people/{}", target.id);
        every_view(&driver, shots, app, &person, "person").await;
        every_view(&driver, shots, app, &format!("{person}/actions/resend_activation"), "confirm").await;
        every_view(&driver, shots, app, &format!("{person}/actions/delete"), "confirm-delete").await;
        every_view(&driver, shots, app, &format!("{person}/edit"), "edit").await;
        goto(&driver, &app.url(&person)).await;
        wait_for(&driver, "//a[normalize-space()='Wyślij ponownie link aktywacyjny']", "the resend link")
            .await
            .click()
            .await
            .expect("opening the confirmation");
        heading_with(&driver, "Wyślij ponownie link aktywacyjny").await;
        button(&driver, "Potwierdzam").await;
        wait_for(&driver, "//p[@role='status' and contains(., 'Wysłano nowy link aktywacyjny')]", "the notice").await;
        let mail = app.mail_to(&target, "Aktywuj", 0).await;
        assert!(mail.link_containing("/activate?token=").is_some(), "the activation mail arrived");

        // Signing out ends the console and the kuke-id session.
        button(&driver, "Wyloguj się").await;
        wait_for_url(&driver, &app.url("/admin/signed-out")).await;
        heading_with(&driver, "Wylogowano").await;
        every_view(&driver, shots, app, "/admin/signed-out", "signed-out").await;
        goto(&driver, &app.url("/admin")).await;
        heading_with(&driver, "Logowanie do konsoli").await;
    })
    .await;
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_browser, ignore = "needs chromium and chromedriver")]
async fn the_help_desk_is_refused_the_admin_only_pages_in_chromium() {
    if let Some(message) = missing() {
        println!("{message}");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let shots = Screenshots::new();
    let helpdesk = staff(&app, false).await;
    let target = app.active_user().await;
    let app = &app;
    let shots = &shots;
    in_chromium(|driver| async move {
        sign_in(&driver, app, &helpdesk).await;
        heading_with(&driver, "Osoby").await;
        let nav = driver.find(By::ClassName("console-nav")).await.expect("the menu").text().await.expect("text");
        assert!(!nav.contains("Pulpit"), "the help desk's menu has no dashboard: {nav}");
        for path in [
            format!("/admin/people/{}/edit", target.id),
            format!("/admin/people/{}/actions/delete", target.id),
            "/admin/dashboard.csv".to_string(),
        ] {
            goto(&driver, &app.url(&path)).await;
            heading_with(&driver, "Brak uprawnień").await;
        }
        every_view(&driver, shots, app, &format!("/admin/people/{}/actions/disable", target.id), "forbidden").await;
        let denied = kuke_id::store::audit::actors_of(app.state.store.conn(), "console.denied").await.expect("audit");
        assert_eq!(denied.len(), 5, "each refusal is audited: {denied:?}");
        assert!(denied.iter().all(|actor| *actor == format!("user:{}", helpdesk.id)));
        every_view(&driver, shots, app, &format!("/admin/people/{}", target.id), "person-helpdesk").await;
    })
    .await;
}
