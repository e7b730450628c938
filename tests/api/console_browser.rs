//! The admin console in a real headless Chromium: an `idp-admin` signs in
//! through the seed journey, imports a small CSV through the upload form (dry
//! run, apply), starts the activation campaign for its organisation and watches
//! its progress, reads the dashboard's numbers, finds a person and resends the
//! activation link (the mails reach the test's SMTP server); an `idp-helpdesk`
//! is refused the admin-only pages. Every console page is saved
//! at phone and desktop width in both languages as
//! `target/journey-screenshots/console-<page>-<lang>-<width>.png`.

use serde_json::json;
use thirtyfour::prelude::*;

use crate::support::browser::{
    Chromedriver, DESKTOP, PHONE, SCREENSHOTS, Screenshots, button, goto, link_named, missing, type_into, wait_for,
    wait_for_url,
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
/// widths; ends in Polish, at desktop width.
pub(crate) async fn every_view(driver: &WebDriver, shots: &Screenshots, app: &TestApp, path: &str, name: &str) {
    for lang in ["en", "pl"] {
        let joiner = if path.contains('?') { '&' } else { '?' };
        goto(driver, &app.url(&format!("{path}{joiner}lang={lang}"))).await;
        wait_for(driver, "//h1", "a heading").await;
        this_view(driver, shots, name, lang).await;
    }
}

/// Checks the page the browser shows (one reached by a form, which a GET
/// cannot open again) with axe-core and saves it at both widths as `name` in
/// `lang`; ends at desktop width.
pub(crate) async fn this_view(driver: &WebDriver, shots: &Screenshots, name: &str, lang: &str) {
    for (size, width) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
        resize(driver, size).await;
        let violations = axe_violations(driver).await;
        assert!(violations.is_empty(), "{name} ({lang}, {width}) breaks WCAG A/AA:\n{}", violations.join("\n"));
        assert_no_sideways_scroll(driver, &format!("{name} ({lang}, {width})")).await;
        shots.take(driver, &format!("console-{name}-{lang}-{width}.png")).await;
    }
    resize(driver, DESKTOP).await;
}

/// The page is no wider than the window: a wide table scrolls in its own box,
/// the page itself never sideways (WCAG 1.4.10, reflow).
pub(crate) async fn assert_no_sideways_scroll(driver: &WebDriver, what: &str) {
    let widths: (u64, u64) = driver
        .execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![])
        .await
        .expect("reading the page's width")
        .convert()
        .expect("two widths");
    assert!(widths.0 <= widths.1, "{what} is {} px wide in a {} px window", widths.0, widths.1);
}

/// The organisation of the small file the administrator imports.
const IMPORTED_ORG: &str = "Mazowsze Sp. z o.o.";

/// A small Ekstranet export: two people of one organisation and a row with a
/// broken address, which the dry run rejects.
const SMALL_EXPORT: &str = "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n\
    B-1,zofia.mazur@example.com,Zofia,Mazur,MAZ-1,Mazowsze Sp. z o.o.,administrator\n\
    B-2,adam.zielinski@example.com,Adam,Zieliński,MAZ-1,Mazowsze Sp. z o.o.,user\n\
    B-3,to-nie-adres,Jan,Kowal,MAZ-1,Mazowsze Sp. z o.o.,user\n";

/// Chooses the imported file's organisation on the campaign page and goes on
/// to the confirmation (`next` is the button's text in the page's language).
async fn campaign_for_the_imported_organisation(driver: &WebDriver, scope: &str, next: &str) {
    // At desktop width, where `every_view` left the phone's emulation behind.
    resize(driver, DESKTOP).await;
    wait_for(driver, &format!("//label[normalize-space()='{scope}']"), "the organisation scope")
        .await
        .click()
        .await
        .expect("choosing one organisation");
    // Typed, as with a keyboard: clicking an option leaves Chromium's list open,
    // and it takes the next click.
    let select = wait_for(driver, "//select[@id='organization']", "the organisations").await;
    select.send_keys(IMPORTED_ORG).await.expect("choosing the organisation");
    button(driver, next).await;
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
        heading_with(&driver, "Pulpit migracji").await;

        // Import a small file through the upload form: the dry run's table
        // names the rejected row first, then the counts; apply.
        every_view(&driver, shots, app, "/admin/import", "import").await;
        let folder = tempfile::tempdir().expect("a folder for the file");
        let file = folder.path().join("eksport-ekstranet.csv");
        std::fs::write(&file, SMALL_EXPORT).expect("writing the file");
        wait_for(&driver, "//input[@type='file' and @id='file']", "the file field")
            .await
            .send_keys(file.to_str().expect("a UTF-8 path"))
            .await
            .expect("choosing the file");
        button(&driver, "Sprawdź plik").await;
        heading_with(&driver, "Raport próbny importu").await;
        let rejected = wait_for(&driver, "//table[@id='rejected']/tbody/tr", "the rejected row").await;
        let cells = rejected.find_all(By::Tag("td")).await.expect("cells");
        let mut texts = Vec::new();
        for cell in cells {
            texts.push(cell.text().await.expect("text"));
        }
        assert_eq!(texts, ["3", "B-3", "email", "To nie jest poprawny adres e-mail."]);
        let created = wait_for(&driver, "//table[@id='dry-run-counts']//tr[th='Nowe konta']/td", "the count").await;
        assert_eq!(created.text().await.expect("text"), "2");
        let report = driver.current_url().await.expect("the report's address").path().to_string();
        every_view(&driver, shots, app, &report, "import-report").await;
        button(&driver, "Zastosuj import").await;
        heading_with(&driver, "Import zastosowany").await;
        let created = wait_for(&driver, "//table[@id='applied-counts']//tr[th='Nowe konta']/td", "the count").await;
        assert_eq!(created.text().await.expect("text"), "2");
        every_view(&driver, shots, app, &report, "import-applied").await;
        every_view(&driver, shots, app, &format!("/admin/import/{}", uuid::Uuid::new_v4()), "import-unknown").await;

        // The campaign for that organisation: confirm how many, start, watch.
        goto(&driver, &app.url(&report)).await;
        link_named(&driver, "Przejdź do kampanii aktywacyjnej").await.click().await.expect("to the campaign");
        heading_with(&driver, "Kampania aktywacyjna").await;
        every_view(&driver, shots, app, "/admin/campaign", "campaign").await;
        goto(&driver, &app.url("/admin/campaign?lang=en")).await;
        campaign_for_the_imported_organisation(&driver, "One organisation", "Next").await;
        heading_with(&driver, "Confirm the campaign").await;
        this_view(&driver, shots, "campaign-confirm", "en").await;
        goto(&driver, &app.url("/admin/campaign?lang=pl")).await;
        campaign_for_the_imported_organisation(&driver, "Jedna organizacja", "Dalej").await;
        heading_with(&driver, "Potwierdź kampanię").await;
        let count = wait_for(&driver, "//p[@id='will-mail']", "the number of people").await;
        assert!(count.text().await.expect("text").ends_with(": 2"), "two people of the organisation");
        this_view(&driver, shots, "campaign-confirm", "pl").await;
        button(&driver, "Wyślij linki (2)").await;
        heading_with(&driver, "Postęp kampanii").await;
        wait_for(&driver, "//p[@id='started' and contains(., 'Wiadomości w kolejce: 2')]", "the notice").await;
        let zofia = kuke_id::store::users::find_by_email(app.state.store.conn(), "zofia.mazur@example.com")
            .await
            .expect("lookup")
            .expect("imported");
        let zofia = TestUser { id: zofia.id, login: zofia.login, email: zofia.email };
        assert!(app.mail_to(&zofia, "Aktywuj", 0).await.link_containing("/activate?token=").is_some());
        every_view(&driver, shots, app, "/admin/campaign/progress", "campaign-progress").await;

        // The dashboard: the funnel's numbers beside the chart are the funnel's.
        goto(&driver, &app.url("/admin")).await;
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
        let campaigned =
            wait_for(&driver, &format!("//table[@id='organizations']//tr[th='{IMPORTED_ORG}']/td[2]"), "its row").await;
        assert_eq!(campaigned.text().await.expect("text"), "0", "the campaign invited everyone imported there");
        assert_eq!(stats.organizations[IMPORTED_ORG].total, 2);
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
        assert!(!nav.contains("Import"), "nor the import and campaign: {nav}");
        for path in [
            format!("/admin/people/{}/edit", target.id),
            format!("/admin/people/{}/actions/delete", target.id),
            "/admin/dashboard.csv".to_string(),
            "/admin/import".to_string(),
            "/admin/campaign".to_string(),
        ] {
            goto(&driver, &app.url(&path)).await;
            heading_with(&driver, "Brak uprawnień").await;
        }
        every_view(&driver, shots, app, &format!("/admin/people/{}/actions/disable", target.id), "forbidden").await;
        let denied = kuke_id::store::audit::actors_of(app.state.store.conn(), "console.denied").await.expect("audit");
        assert_eq!(denied.len(), 7, "each refusal is audited: {denied:?}");
        assert!(denied.iter().all(|actor| *actor == format!("user:{}", helpdesk.id)));
        every_view(&driver, shots, app, &format!("/admin/people/{}", target.id), "person-helpdesk").await;
    })
    .await;
}
