//! Tells the integration tests which database backends they may skip. The
//! PostgreSQL half of the suite needs `KUKE_ID_TEST_POSTGRES_URL`; without it
//! those tests are compiled as *ignored* (reported as such, never as passed) —
//! unless `KUKE_ID_TEST_REQUIRE_BACKENDS` names `postgres`, as CI does, in which
//! case they run and fail for want of the server.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=KUKE_ID_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=KUKE_ID_TEST_REQUIRE_BACKENDS");
    println!("cargo::rustc-check-cfg=cfg(kuke_id_skip_postgres)");
    let configured = std::env::var("KUKE_ID_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty());
    let required = std::env::var("KUKE_ID_TEST_REQUIRE_BACKENDS")
        .is_ok_and(|list| list.split(',').any(|backend| backend.trim() == "postgres"));
    if !configured && !required {
        println!("cargo::rustc-cfg=kuke_id_skip_postgres");
    }
}
