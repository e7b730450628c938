//! The console's provider pages in a real headless Chromium: an `idp-admin`
//! signs in through the seed journey, registers a relying party and sees its
//! secret once, rotates the secret, rotates the signing keys, publishes terms
//! and finds all of it in the audit trail. Every provider page is checked with
//! axe-core and saved at phone and desktop width in both languages as
//! `target/journey-screenshots/console-<page>-<lang>-<width>.png`.

use thirtyfour::prelude::*;

use crate::console_browser::{every_view, heading_with, in_chromium, sign_in, staff, this_view};
use crate::support::browser::{Screenshots, button, goto, missing, type_into, wait_for};
use crate::support::fixtures::TestClient;
use crate::support::{Backend, TestApp};

/// Types into the text area with this id.
async fn type_into_area(driver: &WebDriver, id: &str, text: &str) {
    let area = driver.find(By::Id(id)).await.unwrap_or_else(|e| panic!("text area {id}: {e}"));
    area.send_keys(text).await.unwrap_or_else(|e| panic!("typing into {id}: {e}"));
}

/// The secret shown on the page.
async fn shown_secret(driver: &WebDriver) -> String {
    let field = wait_for(driver, "//input[@id='client-secret']", "the secret").await;
    field.attr("value").await.expect("value").expect("a secret")
}

async fn token_status(app: &TestApp, id: &str, secret: &str) -> u16 {
    let client = TestClient {
        id: id.into(),
        secret: Some(secret.into()),
        redirect_uri: String::new(),
        post_logout_redirect_uri: String::new(),
    };
    app.token(&client, &[("grant_type", "client_credentials")]).await.status().as_u16()
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_browser, ignore = "needs chromium and chromedriver")]
async fn an_administrator_registers_a_client_rotates_keys_publishes_terms_and_finds_it_all_in_the_audit_trail_in_chromium()
 {
    if let Some(message) = missing() {
        println!("{message}");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let shots = Screenshots::new();
    let admin = staff(&app, true).await;
    let app = &app;
    let shots = &shots;
    in_chromium(|driver| async move {
        sign_in(&driver, app, &admin).await;
        heading_with(&driver, "Pulpit migracji").await;

        // Clients: the list, the form refusing a bad address, then a registration.
        every_view(&driver, shots, app, "/admin/clients", "clients").await;
        every_view(&driver, shots, app, "/admin/clients/new", "client-new").await;
        type_into(&driver, "Identyfikator (client_id)", "fakturowanie").await;
        type_into(&driver, "Nazwa", "Fakturowanie").await;
        type_into_area(&driver, "redirect_uris", "http://fakturowanie.example/cb").await;
        button(&driver, "Zarejestruj aplikację").await;
        wait_for(&driver, "//p[@id='redirect_uris-error']", "the address's message").await;
        this_view(&driver, shots, "client-new-errors", "pl").await;
        goto(&driver, &app.url("/admin/clients/new?lang=en")).await;
        button(&driver, "Register an application").await;
        wait_for(&driver, "//p[@id='name-error']", "the name's message").await;
        this_view(&driver, shots, "client-new-errors", "en").await;
        goto(&driver, &app.url("/admin/clients/new?lang=pl")).await;
        type_into(&driver, "Identyfikator (client_id)", "fakturowanie").await;
        type_into(&driver, "Nazwa", "Fakturowanie").await;
        let area = driver.find(By::Id("redirect_uris")).await.expect("addresses");
        area.clear().await.expect("clearing");
        area.send_keys("https://fakturowanie.example/cb").await.expect("typing");
        let machine = driver.find(By::Name("client_credentials")).await.expect("checkbox");
        machine.click().await.expect("ticking client_credentials");
        button(&driver, "Zarejestruj aplikację").await;
        heading_with(&driver, "Sekret aplikacji").await;
        let secret = shown_secret(&driver).await;
        this_view(&driver, shots, "client-secret", "pl").await;
        assert_eq!(token_status(app, "fakturowanie", &secret).await, 200);
        wait_for(&driver, "//a[normalize-space()='Zapisałem sekret, przejdź do aplikacji']", "the way on")
            .await
            .click()
            .await
            .expect("going to the client");
        heading_with(&driver, "Fakturowanie").await;
        let source = driver.source().await.expect("page source");
        assert!(!source.contains(&secret), "the secret is shown once only");
        every_view(&driver, shots, app, "/admin/clients/fakturowanie", "client").await;
        every_view(&driver, shots, app, "/admin/clients/fakturowanie/edit", "client-edit").await;
        every_view(&driver, shots, app, "/admin/clients/fakturowanie/delete", "client-delete").await;
        every_view(&driver, shots, app, "/admin/clients/kuke-id-console", "client-built-in").await;
        every_view(&driver, shots, app, "/admin/clients/no-such-client", "client-missing").await;
        every_view(&driver, shots, app, "/admin/clients/fakturowanie/secret", "client-rotate").await;

        // The secret's rotation, in English this time: both secrets work in the grace.
        goto(&driver, &app.url("/admin/clients/fakturowanie/secret?lang=en")).await;
        heading_with(&driver, "Rotate the secret").await;
        button(&driver, "Confirm").await;
        heading_with(&driver, "Application secret").await;
        let rotated = shown_secret(&driver).await;
        assert_ne!(rotated, secret);
        wait_for(&driver, "//dd[@id='previous-secret' and contains(., 'still works until')]", "the grace").await;
        this_view(&driver, shots, "client-secret-rotated", "en").await;
        assert_eq!(token_status(app, "fakturowanie", &rotated).await, 200);
        assert_eq!(token_status(app, "fakturowanie", &secret).await, 200, "the old secret works in its grace");
        // The same two pages in the other language: a second rotation, a second client.
        goto(&driver, &app.url("/admin/clients/fakturowanie/secret?lang=pl")).await;
        button(&driver, "Potwierdzam").await;
        heading_with(&driver, "Sekret aplikacji").await;
        this_view(&driver, shots, "client-secret-rotated", "pl").await;
        goto(&driver, &app.url("/admin/clients/new?lang=en")).await;
        type_into_area(&driver, "id", "raporty").await;
        type_into_area(&driver, "name", "Raporty").await;
        type_into_area(&driver, "redirect_uris", "https://raporty.example/cb").await;
        button(&driver, "Register an application").await;
        heading_with(&driver, "Application secret").await;
        this_view(&driver, shots, "client-secret", "en").await;

        // Keys: rotate after the confirmation; the signing key cannot be retired.
        every_view(&driver, shots, app, "/admin/keys", "keys").await;
        let active = kuke_id::flows::keys::list(&app.state.store, &app.clock, false).await.expect("keys");
        let active = active.iter().find(|k| k.state == kuke_id::flows::keys::KeyState::Active).expect("active");
        every_view(&driver, shots, app, &format!("/admin/keys/{}/retire", active.kid), "key-retire-refused").await;
        every_view(&driver, shots, app, "/admin/keys/rotate", "keys-rotate").await;
        button(&driver, "Potwierdzam").await;
        wait_for(&driver, "//p[@role='status' and contains(., 'Utworzono nowy klucz')]", "the notice").await;
        let next =
            wait_for(&driver, "//table[@id='key-list']//td/span[contains(., 'następny')]", "the next keys").await;
        drop(next);
        this_view(&driver, shots, "keys-rotated", "pl").await;
        goto(&driver, &app.url("/admin/keys/rotate?lang=en")).await;
        button(&driver, "Confirm").await;
        wait_for(&driver, "//p[@role='status' and contains(., 'A new key is made')]", "the notice").await;
        this_view(&driver, shots, "keys-rotated", "en").await;

        // Terms: checked, shown back, then published.
        every_view(&driver, shots, app, "/admin/terms", "terms-empty").await;
        every_view(&driver, shots, app, "/admin/terms/new", "terms-new").await;
        type_into(&driver, "Wersja", "2027-01").await;
        type_into(&driver, "Tytuł", "Regulamin Portalu Klienta").await;
        type_into_area(&driver, "body", "§ 1. Portal Klienta służy do obsługi ubezpieczeń.\n§ 2. Hasło jest poufne.")
            .await;
        type_into_area(&driver, "body_en", "§ 1. The Customer Portal serves insurance matters.").await;
        button(&driver, "Dalej: sprawdź przed publikacją").await;
        heading_with(&driver, "Potwierdź publikację").await;
        this_view(&driver, shots, "terms-confirm", "pl").await;
        // The same again in English, published from there.
        goto(&driver, &app.url("/admin/terms/new?lang=en")).await;
        type_into(&driver, "Version", "2027-01").await;
        type_into(&driver, "Title", "Regulamin Portalu Klienta").await;
        type_into_area(&driver, "body", "§ 1. Portal Klienta służy do obsługi ubezpieczeń.").await;
        button(&driver, "Next: check before publishing").await;
        heading_with(&driver, "Confirm the publication").await;
        this_view(&driver, shots, "terms-confirm", "en").await;
        button(&driver, "Publish").await;
        heading_with(&driver, "Terms acceptance").await;
        wait_for(&driver, "//p[@role='status' and contains(., 'The new terms version is published')]", "the notice")
            .await;
        let current = kuke_id::store::terms::current(app.state.store.conn(), app.clock.now()).await.expect("read");
        assert_eq!(current.map(|t| t.version).as_deref(), Some("2027-01"));
        every_view(&driver, shots, app, "/admin/terms", "terms").await;
        every_view(&driver, shots, app, "/admin/terms/2027-01", "terms-report").await;

        // The audit trail has every change, by this administrator.
        goto(&driver, &app.url("/admin/audit")).await;
        heading_with(&driver, "Dziennik zdarzeń").await;
        type_into(&driver, "Kto", &format!("user:{}", admin.id)).await;
        button(&driver, "Szukaj").await;
        for action in ["client.created", "client.secret_rotated", "key.rotated", "terms.published"] {
            wait_for(&driver, &format!("//table[@id='audit-events']//th[normalize-space()='{action}']"), action).await;
        }
        every_view(&driver, shots, app, &format!("/admin/audit?actor=user:{}", admin.id), "audit").await;
        let details = wait_for(&driver, "//table[@id='audit-events']//summary", "an event's details").await;
        details.click().await.expect("opening the details");
        this_view(&driver, shots, "audit-details", "pl").await;
        goto(&driver, &app.url(&format!("/admin/audit?actor=user:{}&lang=en", admin.id))).await;
        let details = wait_for(&driver, "//table[@id='audit-events']//summary", "an event's details").await;
        details.click().await.expect("opening the details");
        this_view(&driver, shots, "audit-details", "en").await;
        every_view(&driver, shots, app, "/admin/audit?from=wczoraj&subject=nikt", "audit-errors").await;
        wait_for(&driver, "//p[@id='from-error']", "the date's message").await;
    })
    .await;
}
