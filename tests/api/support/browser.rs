//! A real headless Chromium driven over WebDriver, and the ways tests find
//! things on a page the way a person does: headings, links and buttons by their
//! text, fields by their visible labels. Full-page screenshots land in
//! `target/journey-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`; [`missing`] tells a test to
//! skip (or, under `KUKE_ID_TEST_REQUIRE_BROWSER=1`, to fail).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::json;
use tempfile::TempDir;
use thirtyfour::prelude::*;
use url::Url;

use super::TestApp;
use super::fixtures::{CHALLENGE, TestClient};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Set to `1` where a missing browser must fail the test instead of skipping it.
const REQUIRE_BROWSER_ENV: &str = "KUKE_ID_TEST_REQUIRE_BROWSER";
/// Where the screenshots go: the manifest's own `target/`, whatever CARGO_TARGET_DIR says.
pub const SCREENSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/journey-screenshots");
/// A phone held upright.
pub const PHONE: (u32, u32) = (390, 844);
/// A laptop screen.
pub const DESKTOP: (u32, u32) = (1280, 800);
/// How long a page may take to show what the test waits for.
const PAGE_WAIT: Duration = Duration::from_secs(20);

/// Why the browser test cannot run here, if it cannot; panics instead when the
/// environment requires the browser.
pub fn missing() -> Option<String> {
    let missing = [CHROMEDRIVER, CHROMIUM].into_iter().find(|path| !Path::new(path).exists())?;
    let name = missing.trim_start_matches("/usr/bin/");
    let message = format!("skipping: {name} not installed; CI installs it");
    if std::env::var(REQUIRE_BROWSER_ENV).is_ok_and(|v| v == "1") {
        panic!("{message} ({REQUIRE_BROWSER_ENV}=1 requires it)");
    }
    Some(message)
}

/// Whether a missing tool must fail the test rather than skip it.
pub fn required() -> bool {
    std::env::var(REQUIRE_BROWSER_ENV).is_ok_and(|v| v == "1")
}

pub async fn goto(driver: &WebDriver, url: &str) {
    driver.goto(url).await.unwrap_or_else(|e| panic!("opening {url}: {e}"));
}

/// Waits for an element, failing with what the page shows instead.
pub async fn wait_for(driver: &WebDriver, xpath: &str, what: &str) -> WebElement {
    match driver.query(By::XPath(xpath.to_string())).wait(PAGE_WAIT, Duration::from_millis(100)).first().await {
        Ok(element) => element,
        Err(error) => {
            let url = driver.current_url().await.map(String::from).unwrap_or_default();
            let text = match driver.find(By::Tag("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            panic!("no {what} on {url} ({error}); the page shows:\n{text}");
        }
    }
}

/// The main heading of the page.
pub async fn heading(driver: &WebDriver, text: &str) -> WebElement {
    wait_for(driver, &format!("//h1[normalize-space()={}]", literal(text)), &format!("heading “{text}”")).await
}

/// A link, by its text.
pub async fn link_named(driver: &WebDriver, text: &str) -> WebElement {
    wait_for(driver, &format!("//a[normalize-space()={}]", literal(text)), &format!("link “{text}”")).await
}

/// The input whose `<label>` reads `label`.
pub async fn field(driver: &WebDriver, label: &str) -> WebElement {
    field_where(driver, &format!("normalize-space()={}", literal(label)), label).await
}

/// The input whose `<label>` text satisfies the XPath predicate `predicate`.
pub async fn field_where(driver: &WebDriver, predicate: &str, what: &str) -> WebElement {
    let xpath = format!("//input[@id=//label[{predicate}]/@for]");
    wait_for(driver, &xpath, &format!("field labelled “{what}”")).await
}

/// Types into the field labelled `label`.
pub async fn type_into(driver: &WebDriver, label: &str, text: &str) {
    let input = field(driver, label).await;
    input.send_keys(text).await.unwrap_or_else(|e| panic!("typing into “{label}”: {e}"));
}

/// Clicks the button that reads `text`.
pub async fn button(driver: &WebDriver, text: &str) {
    let xpath = format!("//button[normalize-space()={}]", literal(text));
    let button = wait_for(driver, &xpath, &format!("button “{text}”")).await;
    button.click().await.unwrap_or_else(|e| panic!("clicking “{text}”: {e}"));
}

/// Waits until the browser's address starts with `prefix`.
pub async fn wait_for_url(driver: &WebDriver, prefix: &str) -> Url {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        let url = driver.current_url().await.expect("the browser's address");
        if url.as_str().starts_with(prefix) {
            return url;
        }
        assert!(Instant::now() < deadline, "the browser stayed on {url} instead of going to {prefix}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An XPath string literal (the texts used here have no apostrophes).
pub fn literal(text: &str) -> String {
    assert!(!text.contains('\''), "XPath literal with an apostrophe: {text}");
    format!("'{text}'")
}

/// Full-page PNGs under the manifest's `target/journey-screenshots/`.
pub struct Screenshots {
    dir: PathBuf,
}

impl Screenshots {
    pub fn new() -> Self {
        let dir = PathBuf::from(SCREENSHOTS);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        Self { dir }
    }

    /// Saves the whole page, not only the visible part, as `name`.
    pub async fn take(&self, driver: &WebDriver, name: &str) {
        let cdp = driver.cdp();
        let metrics = cdp.send_raw("Page.getLayoutMetrics", json!({})).await.expect("the page's size");
        let size = |key: &str| metrics["cssContentSize"][key].as_f64().filter(|v| *v >= 1.0);
        let (width, height) =
            (size("width").unwrap_or(f64::from(PHONE.0)), size("height").unwrap_or(f64::from(PHONE.1)));
        let shot = cdp
            .send_raw(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                }),
            )
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let data = shot["data"].as_str().unwrap_or_else(|| panic!("screenshot {name}: no data in {shot}"));
        let png = base64::engine::general_purpose::STANDARD.decode(data).expect("a base64 screenshot");
        let path = self.dir.join(name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

/// A chromedriver on a free loopback port, stopped when dropped (also when a test fails).
pub struct Chromedriver {
    child: Child,
    url: String,
    /// The log and Chromium's fresh profile.
    dir: TempDir,
}

impl Chromedriver {
    pub fn start() -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().expect("a folder for the browser");
        let log = dir.path().join("chromedriver.log");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .arg("--log-level=WARNING")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}"));
        Self { child, url: format!("http://127.0.0.1:{port}"), dir }
    }

    /// Waits until chromedriver answers, then opens a Chromium session.
    pub async fn session(&self) -> WebDriver {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client for chromedriver");
        self.wait_until_ready(&http).await;
        let profile = self.dir.path().join("profile");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).expect("the Chromium binary");
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-proxy-server",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=pl",
            &format!("--window-size={},{}", PHONE.0, PHONE.1),
            &format!("--user-data-dir={}", profile.display()),
        ] {
            caps.add_arg(arg).expect("a Chromium argument");
        }
        // Chromium keeps a headless window at least 500 px wide: emulate the phone's
        // screen so that pages lay out at 390 px.
        let metrics = json!({ "width": PHONE.0, "height": PHONE.1, "pixelRatio": 1.0, "mobile": true, "touch": true });
        caps.add_experimental_option("mobileEmulation", json!({ "deviceMetrics": metrics })).expect("phone emulation");
        // A browser set up in Polish, as the portal's users have it.
        caps.add_experimental_option("prefs", json!({ "intl": { "accept_languages": "pl-PL,pl" } }))
            .expect("Chromium preferences");
        WebDriver::builder(self.url.as_str(), caps)
            .client(http)
            .await
            .unwrap_or_else(|e| panic!("opening a Chromium session: {e}\n{}", self.log()))
    }

    pub async fn wait_until_ready(&self, http: &reqwest::Client) {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            let ready = match http.get(format!("{}/status", self.url)).send().await {
                Ok(response) => response
                    .json::<serde_json::Value>()
                    .await
                    .is_ok_and(|status| status["value"]["ready"].as_bool() == Some(true)),
                Err(_) => false,
            };
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "chromedriver did not answer at {}\n{}", self.url, self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("the port's address").port()
}

/// The authorization request a first-party client starts the journey with (PKCE S256).
pub fn authorization_url(app: &TestApp, client: &TestClient, state: &str) -> Url {
    let mut url = Url::parse(&app.url("/authorize")).expect("the authorization endpoint is a URL");
    url.query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile")
        .append_pair("state", state)
        .append_pair("nonce", "n1")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    url
}
