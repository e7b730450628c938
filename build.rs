//! Tells the integration tests what they may skip, so that a test that cannot
//! run here is compiled as *ignored* (reported as such, never as passed):
//!
//! - the PostgreSQL half needs `KUKE_ID_TEST_POSTGRES_URL`;
//! - the browser tests need Debian's `chromium` and `chromium-driver`, and the
//!   accessibility audit also axe-core (`npm ci --prefix tests/browser`);
//! - the shipped-build check needs `KUKE_ID_TEST_SHIPPED_BINARY`, the path of a
//!   binary built by `cargo build [--release]`, i.e. without the test-only
//!   feature (set by `.ci/run`; once set, a missing file fails);
//! - the load-balancer test needs Debian's `nginx` (and PostgreSQL).
//!
//! What CI requires is never skipped: `KUKE_ID_TEST_REQUIRE_BACKENDS` naming
//! `postgres`, `KUKE_ID_TEST_REQUIRE_BROWSER=1` or `KUKE_ID_TEST_REQUIRE_NGINX=1`, makes those tests run and
//! fail for want of what they need.

use std::path::Path;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const AXE: &str = "tests/browser/node_modules/axe-core/axe.min.js";
const NGINX: &str = "/usr/sbin/nginx";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=KUKE_ID_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=KUKE_ID_TEST_REQUIRE_BACKENDS");
    println!("cargo::rerun-if-env-changed=KUKE_ID_TEST_REQUIRE_BROWSER");
    println!("cargo::rerun-if-env-changed=KUKE_ID_TEST_SHIPPED_BINARY");
    println!("cargo::rerun-if-env-changed=KUKE_ID_TEST_REQUIRE_NGINX");
    for path in [CHROMIUM, CHROMEDRIVER, AXE, NGINX] {
        println!("cargo::rerun-if-changed={path}");
    }
    println!("cargo::rustc-check-cfg=cfg(kuke_id_skip_postgres)");
    println!("cargo::rustc-check-cfg=cfg(kuke_id_skip_browser)");
    println!("cargo::rustc-check-cfg=cfg(kuke_id_skip_axe)");
    println!("cargo::rustc-check-cfg=cfg(kuke_id_skip_shipped)");
    println!("cargo::rustc-check-cfg=cfg(kuke_id_skip_nginx)");
    let nginx_required = std::env::var("KUKE_ID_TEST_REQUIRE_NGINX").is_ok_and(|v| v == "1");
    if !Path::new(NGINX).exists() && !nginx_required {
        println!("cargo::rustc-cfg=kuke_id_skip_nginx");
    }
    if !std::env::var("KUKE_ID_TEST_SHIPPED_BINARY").is_ok_and(|path| !path.is_empty()) {
        println!("cargo::rustc-cfg=kuke_id_skip_shipped");
    }

    let configured = std::env::var("KUKE_ID_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty());
    let required = std::env::var("KUKE_ID_TEST_REQUIRE_BACKENDS")
        .is_ok_and(|list| list.split(',').any(|backend| backend.trim() == "postgres"));
    if !configured && !required {
        println!("cargo::rustc-cfg=kuke_id_skip_postgres");
    }

    let browser_required = std::env::var("KUKE_ID_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let browser = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !browser && !browser_required {
        println!("cargo::rustc-cfg=kuke_id_skip_browser");
    }
    if !Path::new(AXE).exists() && !browser_required {
        println!("cargo::rustc-cfg=kuke_id_skip_axe");
    }
}
