//! Pages for everyone (WCAG 2.2 AA), checked in the real headless Chromium:
//! axe-core on every page state of the journey in both languages at phone and
//! desktop width, a walk of the whole journey with the keyboard alone, and the
//! contrast of the focus ring and field borders read from computed styles.
//!
//! axe-core is pinned in `tests/browser/package.json` (`npm ci --prefix
//! tests/browser`, run by `.ci/run`). Without it, or without Chromium, the tests
//! are reported as ignored (see `build.rs`), unless `KUKE_ID_TEST_REQUIRE_BROWSER=1`
//! makes them run and fail.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thirtyfour::prelude::*;

use crate::support::browser::{
    Chromedriver, DESKTOP, PHONE, Screenshots, authorization_url, button, goto, heading, missing, required, wait_for,
    wait_for_url,
};
use crate::support::fixtures::{ClientSpec, TestUser};
use crate::support::journey::GOOD_PASSWORD;
use crate::support::{Backend, TestApp};

/// axe-core as npm installed it.
const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/node_modules/axe-core/axe.min.js");
/// The WCAG 2.0–2.2 A and AA rules.
const AXE_TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
/// WCAG 1.4.11: user-interface components and focus indicators.
const NON_TEXT_CONTRAST: f64 = 3.0;

#[tokio::test]
#[cfg_attr(any(kuke_id_skip_browser, kuke_id_skip_axe), ignore = "needs chromium, chromedriver and axe-core")]
async fn every_page_state_passes_axe_in_polish_and_english_at_phone_and_desktop_width() {
    let Some(axe) = tools() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.publish_terms("v1").await;
    let chromedriver = Chromedriver::start();
    let shots = Screenshots::new();
    let mut violations = Vec::new();
    for lang in ["pl", "en"] {
        let driver = chromedriver.session().await;
        let mut audit = Audit { driver: &driver, axe: &axe, shots: &shots, lang, violations: Vec::new() };
        audit_the_journey(&app, &mut audit).await;
        violations.append(&mut audit.violations);
        driver.quit().await.expect("closing Chromium");
    }
    assert!(violations.is_empty(), "axe-core found WCAG A/AA violations:\n{}", violations.join("\n"));
}

#[tokio::test]
#[cfg_attr(any(kuke_id_skip_browser, kuke_id_skip_axe), ignore = "needs chromium, chromedriver and axe-core")]
async fn the_demo_and_the_development_mailbox_pass_axe_in_polish_and_english() {
    let Some(axe) = tools() else { return };
    let app = TestApp::spawn_demo_without_smtp(Backend::Sqlite).await;
    // A mail for the mailbox to show.
    let user = app.imported_user().await;
    let actor = kuke_id::domain::audit::Actor::named("test");
    kuke_id::flows::journey::invite::send_activation(&app.state, user.id, &actor).await.expect("an invitation");
    let chromedriver = Chromedriver::start();
    let shots = Screenshots::new();
    let mut violations = Vec::new();
    for lang in ["pl", "en"] {
        let driver = chromedriver.session().await;
        let t = Catalogue::load(lang);
        let mut audit = Audit { driver: &driver, axe: &axe, shots: &shots, lang, violations: Vec::new() };
        goto(&driver, &app.url(&format!("/demo?lang={lang}"))).await;
        heading(&driver, &t.get("demo_title")).await;
        audit.check("20-demo").await;
        goto(&driver, &app.url("/dev/mail")).await;
        heading(&driver, &t.get("dev_mail_title")).await;
        audit.check("21-dev-mail").await;
        let first = wait_for(&driver, "//ul[@class='mails']//a", "a mail in the list").await;
        first.click().await.expect("opening the mail");
        let frame = wait_for(&driver, "//iframe[@class='mail-html']", "the mail's HTML part").await;
        audit.check("22-dev-mail-one").await;
        // Full-page captures leave out-of-process frames blank: this one shows the frame as a person sees it.
        frame.scroll_into_view().await.expect("scrolling to the frame");
        let png = driver.screenshot_as_png().await.expect("a screenshot");
        std::fs::write(format!("{}/a11y-{lang}-phone-23-dev-mail-html.png", crate::support::browser::SCREENSHOTS), png)
            .expect("saving the screenshot");
        violations.append(&mut audit.violations);
        driver.quit().await.expect("closing Chromium");
    }
    assert!(violations.is_empty(), "axe-core found WCAG A/AA violations:\n{}", violations.join("\n"));
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_browser, ignore = "needs chromium and chromedriver")]
async fn the_keyboard_alone_walks_the_journey_and_a_failed_submit_focuses_the_first_invalid_field() {
    if skip_without_browser() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.publish_terms("v1").await;
    let chromedriver = Chromedriver::start();
    let driver = chromedriver.session().await;
    let t = Catalogue::load("pl");
    let user = app.imported_user().await;
    let link = app.activation_link(&user, 0).await;

    // Set a password: a weak one first.
    goto(&driver, &app.url(&link)).await;
    tab_to(&driver, "password").await;
    type_text(&driver, "abc").await;
    press(&driver, Key::Tab).await;
    type_text(&driver, "abc").await;
    press(&driver, Key::Enter).await;
    failed_submit_focuses(&driver, &t, "password").await;
    let described = attribute(&driver, "password", "aria-describedby").await;
    assert!(described.contains("form-errors") && described.contains("rule-rule_min_length"), "{described}");
    assert_eq!(attribute(&driver, "password_repeat", "aria-invalid").await, "true", "the repeat field is invalid too");
    // Typing a strong one turns every rule green, says so in words, and the count is read out.
    type_text(&driver, GOOD_PASSWORD).await;
    rules_all_met(&driver, &t).await;
    press(&driver, Key::Tab).await;
    type_text(&driver, GOOD_PASSWORD).await;
    press(&driver, Key::Enter).await;
    heading(&driver, &t.get("password_set_title")).await;

    // Sign in through a client: a wrong password first.
    let client = app.client().await;
    let login = app.mail_to(&user, "login", 0).await.six_digits().expect("a login in the mail");
    goto(&driver, authorization_url(&app, &client, "kb1").as_str()).await;
    tab_to(&driver, "login").await;
    type_text(&driver, &login).await;
    press(&driver, Key::Tab).await;
    type_text(&driver, "Wrong#Password1").await;
    press(&driver, Key::Enter).await;
    failed_submit_focuses(&driver, &t, "login").await;
    clear_focused(&driver).await;
    type_text(&driver, &login).await;
    press(&driver, Key::Tab).await;
    type_text(&driver, GOOD_PASSWORD).await;
    press(&driver, Key::Enter).await;

    // The code: a wrong one first.
    heading(&driver, &t.get("code_title")).await;
    tab_to(&driver, "code").await;
    type_text(&driver, "000000").await;
    press(&driver, Key::Enter).await;
    failed_submit_focuses(&driver, &t, "code").await;
    clear_focused(&driver).await;
    type_text(&driver, &app.code_of(&user, 0).await).await;
    press(&driver, Key::Enter).await;

    // The terms: saving without the statement ticked, then ticking it with Space.
    heading(&driver, &t.get("terms_title")).await;
    tab_to_button(&driver, &t.get("save")).await;
    press(&driver, Key::Enter).await;
    failed_submit_focuses(&driver, &t, "statement").await;
    press(&driver, Key::Space).await;
    tab_to_button(&driver, &t.get("save")).await;
    press(&driver, Key::Enter).await;
    let back = wait_for_url(&driver, &client.redirect_uri).await;
    assert!(back.query_pairs().any(|(k, _)| k == "code"), "the client got a code: {back}");
    driver.quit().await.expect("closing Chromium");
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_browser, ignore = "needs chromium and chromedriver")]
async fn the_focus_ring_and_field_borders_contrast_at_least_three_to_one() {
    if skip_without_browser() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let chromedriver = Chromedriver::start();
    let driver = chromedriver.session().await;
    goto(&driver, &app.url("/login")).await;
    for (id, what) in [("login", "a text field"), ("password", "a password field")] {
        tab_to(&driver, id).await;
        let style = focused_style(&driver).await;
        let ring = contrast(&style["outline"], &style["behind"]);
        assert!(ring >= NON_TEXT_CONTRAST, "focus ring of {what}: {ring:.2}:1 ({style:?})");
        let border = contrast(&style["border"], &style["behind"]);
        assert!(border >= NON_TEXT_CONTRAST, "border of {what}: {border:.2}:1 ({style:?})");
    }
    let submit = wait_for(&driver, "//button[@type='submit']", "the submit button").await;
    let id: String = driver
        .execute("arguments[0].id = 'submit'; return arguments[0].id;", vec![submit.to_json().expect("element")])
        .await
        .expect("naming the button")
        .convert()
        .expect("a string");
    tab_to(&driver, &id).await;
    let style = focused_style(&driver).await;
    let ring = contrast(&style["outline"], &style["behind"]);
    assert!(ring >= NON_TEXT_CONTRAST, "focus ring of the button: {ring:.2}:1 ({style:?})");
    driver.quit().await.expect("closing Chromium");
}

/// Walks every page state a person meets, auditing each one.
async fn audit_the_journey(app: &TestApp, audit: &mut Audit<'_>) {
    let driver = audit.driver;
    let t = Catalogue::load(audit.lang);
    // The language chosen once sticks (a cookie), as when a person clicks it.
    goto(driver, &app.url(&format!("/login?lang={}", audit.lang))).await;
    let user: TestUser = app.imported_user().await;
    let link = app.activation_link(&user, 0).await;

    goto(driver, &app.url(&link)).await;
    heading(driver, &t.get("set_password_title")).await;
    audit.check("01-set-password").await;
    fill(driver, "password", "abc").await;
    fill(driver, "password_repeat", "abd").await;
    button(driver, &t.get("next")).await;
    wait_for(driver, "//*[@id='form-errors']", "the error summary").await;
    audit.check("02-set-password-refused").await;
    fill(driver, "password", GOOD_PASSWORD).await;
    fill(driver, "password_repeat", GOOD_PASSWORD).await;
    button(driver, &t.get("next")).await;
    heading(driver, &t.get("password_set_title")).await;
    audit.check("03-password-set").await;

    goto(driver, &app.url("/activate?token=no-such-link")).await;
    heading(driver, &t.get("link_invalid_title")).await;
    audit.check("04-link-invalid").await;
    goto(driver, &app.url("/password/forgot")).await;
    heading(driver, &t.get("forgot_title")).await;
    audit.check("05-forgot-password").await;
    fill(driver, "email", "nobody@example.com").await;
    button(driver, &t.get("send_link")).await;
    heading(driver, &t.get("link_requested_title")).await;
    audit.check("06-link-requested").await;

    let client = app.client().await;
    let login = app.mail_to(&user, "login", 0).await.six_digits().expect("a login in the mail");
    goto(driver, authorization_url(app, &client, "a1").as_str()).await;
    heading(driver, &t.get("sign_in_title")).await;
    audit.check("07-sign-in").await;
    fill(driver, "login", &login).await;
    fill(driver, "password", "Wrong#Password1").await;
    button(driver, &t.get("send_code")).await;
    wait_for(driver, "//*[@id='sign-in-error']", "the sign-in error").await;
    audit.check("08-sign-in-refused").await;
    fill(driver, "login", &login).await;
    fill(driver, "password", GOOD_PASSWORD).await;
    button(driver, &t.get("send_code")).await;
    heading(driver, &t.get("code_title")).await;
    audit.check("09-code").await;
    fill(driver, "code", "000000").await;
    button(driver, &t.get("sign_in_button")).await;
    wait_for(driver, "//*[@id='code-error']", "the code error").await;
    audit.check("10-code-refused").await;
    // The mails follow the language the person chose.
    let subject = if audit.lang == "pl" { "Kod weryfikacyjny" } else { "verification code" };
    let code = app.mail_to(&user, subject, 0).await.six_digits().expect("a code in the mail");
    fill(driver, "code", &code).await;
    button(driver, &t.get("sign_in_button")).await;
    heading(driver, &t.get("terms_title")).await;
    audit.check("11-terms").await;
    button(driver, &t.get("save")).await;
    wait_for(driver, "//*[@id='statement-error']", "the statement error").await;
    audit.check("12-terms-refused").await;
    driver.find(By::Id("statement")).await.expect("the statement").click().await.expect("ticking it");
    button(driver, &t.get("save")).await;
    wait_for_url(driver, &client.redirect_uri).await;

    let third_party = app.client_with(ClientSpec { first_party: false, ..Default::default() }).await;
    goto(driver, authorization_url(app, &third_party, "a2").as_str()).await;
    heading(driver, &t.get("consent_title")).await;
    audit.check("13-consent").await;

    goto(driver, &app.url("/authorize?client_id=no-such-client")).await;
    heading(driver, &t.get("error_title")).await;
    audit.check("14-error").await;

    goto(driver, &app.url("/no-such-page")).await;
    heading(driver, &t.get("error_title")).await;
    audit.check("17-not-found").await;

    goto(driver, &app.url("/logout")).await;
    heading(driver, &t.get("logout_title")).await;
    audit.check("18-logout-confirm").await;
    button(driver, &t.get("logout_button")).await;
    heading(driver, &t.get("logged_out_title")).await;
    audit.check("19-logged-out").await;
}

/// One browser session's audit: axe-core at both widths, and a screenshot of each.
struct Audit<'a> {
    driver: &'a WebDriver,
    axe: &'a str,
    shots: &'a Screenshots,
    lang: &'static str,
    violations: Vec<String>,
}

impl Audit<'_> {
    async fn check(&mut self, state: &str) {
        for (size, name) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
            resize(self.driver, size).await;
            let found = self.run_axe().await;
            self.violations.extend(found.into_iter().map(|v| format!("{}/{name}/{state}: {v}", self.lang)));
            self.shots.take(self.driver, &format!("a11y-{}-{name}-{state}.png", self.lang)).await;
        }
    }

    async fn run_axe(&self) -> Vec<String> {
        let loaded: bool = self
            .driver
            .execute("return typeof window.axe !== 'undefined';", vec![])
            .await
            .expect("asking for axe")
            .convert()
            .expect("a boolean");
        if !loaded {
            self.driver.execute(self.axe, vec![]).await.expect("loading axe-core into the page");
        }
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
              .then(r => done(r.passes.length === 0 ? ['axe ran no rule'] : r.violations.map(v => v.id + ' ('
                + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
              .catch(e => done(['axe failed: ' + e]));";
        self.driver
            .execute_async(script, vec![json!(AXE_TAGS)])
            .await
            .expect("running axe-core")
            .convert()
            .expect("a list of violations")
    }
}

/// axe-core's source, or `None` (the test skips) where the tools are missing.
fn tools() -> Option<String> {
    if skip_without_browser() {
        return None;
    }
    match std::fs::read_to_string(AXE) {
        Ok(source) => Some(source),
        Err(error) => {
            let message = format!("skipping: axe-core not installed ({error}); run npm ci --prefix tests/browser");
            assert!(!required(), "{message}");
            println!("{message}");
            None
        }
    }
}

fn skip_without_browser() -> bool {
    match missing() {
        Some(message) => {
            println!("{message}");
            true
        }
        None => false,
    }
}

/// The texts of one language, as the pages show them.
struct Catalogue(HashMap<String, Value>);

impl Catalogue {
    fn load(lang: &str) -> Self {
        let path = format!("{}/templates/i18n/{lang}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        Self(serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}")))
    }

    fn get(&self, key: &str) -> String {
        self.0.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("no text {key}")).to_string()
    }
}

/// Lays the page out for a screen of `size` without reloading it.
async fn resize(driver: &WebDriver, (width, height): (u32, u32)) {
    let mobile = width < 600;
    driver
        .cdp()
        .send_raw(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        )
        .await
        .expect("resizing the page");
}

/// Replaces the value of the field with id `id`.
async fn fill(driver: &WebDriver, id: &str, text: &str) {
    let input = driver.find(By::Id(id)).await.unwrap_or_else(|e| panic!("no field #{id}: {e}"));
    input.clear().await.unwrap_or_else(|e| panic!("clearing #{id}: {e}"));
    input.send_keys(text).await.unwrap_or_else(|e| panic!("typing into #{id}: {e}"));
}

async fn press(driver: &WebDriver, key: Key) {
    let focused = driver.active_element().await.expect("the focused element");
    focused.send_keys(key).await.expect("a key press");
}

async fn type_text(driver: &WebDriver, text: &str) {
    let focused = driver.active_element().await.expect("the focused element");
    focused.send_keys(text).await.expect("typing");
}

/// Empties the focused field with Backspace.
async fn clear_focused(driver: &WebDriver) {
    let focused = driver.active_element().await.expect("the focused element");
    let value = focused.prop("value").await.expect("its value").unwrap_or_default();
    focused.send_keys(Key::End).await.expect("End");
    for _ in value.chars() {
        focused.send_keys(Key::Backspace).await.expect("Backspace");
    }
}

async fn focused_id(driver: &WebDriver) -> String {
    let focused = driver.active_element().await.expect("the focused element");
    focused.id().await.expect("its id").unwrap_or_default()
}

/// Presses Tab until the element with id `id` has focus (a page has few stops).
async fn tab_to(driver: &WebDriver, id: &str) {
    for _ in 0..30 {
        if focused_id(driver).await == id {
            return;
        }
        press(driver, Key::Tab).await;
    }
    panic!("Tab never reached #{id}");
}

/// Presses Tab until the button reading `text` has focus.
async fn tab_to_button(driver: &WebDriver, text: &str) {
    for _ in 0..30 {
        let focused = driver.active_element().await.expect("the focused element");
        // The text as rendered: CSS shows buttons in capitals.
        let shown = focused.text().await.expect("its text");
        if focused.tag_name().await.expect("a tag") == "button" && shown.to_lowercase() == text.to_lowercase() {
            return;
        }
        press(driver, Key::Tab).await;
    }
    panic!("Tab never reached the button {text}");
}

/// After a refused form: the title says so and the first invalid field has focus.
async fn failed_submit_focuses(driver: &WebDriver, t: &Catalogue, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let prefix = t.get("error_prefix");
    loop {
        let title = driver.title().await.expect("the title");
        if title.starts_with(&prefix) && focused_id(driver).await == id {
            assert_eq!(attribute(driver, id, "aria-invalid").await, "true", "#{id} is marked invalid");
            return;
        }
        let focused = focused_id(driver).await;
        assert!(Instant::now() < deadline, "after a refused form, focus is on #{focused} and the title is {title:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn attribute(driver: &WebDriver, id: &str, name: &str) -> String {
    let element = driver.find(By::Id(id)).await.unwrap_or_else(|e| panic!("no #{id}: {e}"));
    element.attr(name).await.expect("an attribute").unwrap_or_default()
}

/// Every password rule shows as met, in colour, sign and words; the count is announced.
async fn rules_all_met(driver: &WebDriver, t: &Catalogue) {
    let rules = driver.find_all(By::Css(".rules li[data-rule]")).await.expect("the rules");
    assert!(!rules.is_empty(), "the page lists the rules");
    let met = t.get("rule_met");
    for rule in &rules {
        let class = rule.attr("class").await.expect("a class").unwrap_or_default();
        assert!(class.contains("met") && !class.contains("broken"), "a met rule is marked met only: {class}");
        let colour = rule.css_value("color").await.expect("its colour");
        assert_eq!(rgb(&colour), (30, 125, 50), "a met rule is green, not red");
        let text = rule.text().await.expect("its text");
        let state = rule.find(By::Css(".rule-state")).await.expect("its state in words");
        let words: String = driver
            .execute("return arguments[0].textContent;", vec![state.to_json().expect("element")])
            .await
            .expect("the state's text")
            .convert()
            .expect("a string");
        assert!(words.ends_with(&met), "rule {text:?} says {words:?}");
    }
    let expected =
        t.get("rules_summary").replace("{met}", &rules.len().to_string()).replace("{total}", &rules.len().to_string());
    let status = driver.find(By::Id("rules-status")).await.expect("the live region");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let said: String = driver
            .execute("return arguments[0].textContent;", vec![status.to_json().expect("element")])
            .await
            .expect("the live region's text")
            .convert()
            .expect("a string");
        if said == expected {
            return;
        }
        assert!(Instant::now() < deadline, "the live region says {said:?}, not {expected:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The focused element's outline and border colours and the colour behind it.
async fn focused_style(driver: &WebDriver) -> HashMap<String, String> {
    let script = "const el = document.activeElement; const s = getComputedStyle(el);
        let behind = 'rgba(0, 0, 0, 0)'; let node = el.parentElement;
        while (node) { const bg = getComputedStyle(node).backgroundColor;
          if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') { behind = bg; break; } node = node.parentElement; }
        if (behind === 'rgba(0, 0, 0, 0)') behind = 'rgb(255, 255, 255)';
        return { outline: s.outlineStyle === 'none' ? 'none' : s.outlineColor, border: s.borderTopColor, behind };";
    driver.execute(script, vec![]).await.expect("the focused style").convert().expect("three colours")
}

/// WCAG contrast ratio of two CSS `rgb(…)` colours.
fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(rgb(a)), luminance(rgb(b)));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

fn rgb(css: &str) -> (u8, u8, u8) {
    let inner = css.split_once('(').and_then(|(_, rest)| rest.split_once(')')).map(|(inner, _)| inner);
    let parts: Vec<u8> = inner.unwrap_or_default().split(',').take(3).filter_map(|p| p.trim().parse().ok()).collect();
    match parts[..] {
        [r, g, b] => (r, g, b),
        _ => panic!("not an rgb() colour: {css}"),
    }
}

fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

#[test]
fn contrast_matches_the_wcag_examples() {
    assert!((contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") - 21.0).abs() < 0.01);
    assert!((contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)") - 4.54).abs() < 0.01);
}
