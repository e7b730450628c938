//! The `kuke-id` binary: configuration errors, migrations, keys and clients.

use std::fs;

use crate::support::Backend;
use crate::support::cli::{run, spawn};
use crate::support::postgres::PgDatabase;

fn sqlite_env(dir: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("KUKE_ID_DATABASE_URL".into(), format!("sqlite://{}/db/kuke-id.db?mode=rwc", dir.display())),
        ("KUKE_ID_KEYS_DIR".into(), dir.join("keys").display().to_string()),
    ]
}

/// [`sqlite_env`] of a folder where `kuke-id migrate` has created the database
/// and the keys, as an operator does before any other command.
fn migrated_env(dir: &std::path::Path) -> Vec<(String, String)> {
    let env = sqlite_env(dir);
    let out = run(dir, &env_refs(&env), &["migrate"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    env
}

fn env_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Runs a CLI scenario against a fresh PostgreSQL database, with its own keys
/// folder, off the async runtime (the scenario waits for the binary).
async fn on_postgres(scenario: fn(&std::path::Path, &[(&str, &str)])) {
    let Some(Backend::Postgres(admin)) = Backend::postgres_for_test() else {
        return;
    };
    let db = PgDatabase::create(&admin).await;
    let dir = tempfile::tempdir().expect("dir");
    let keys = dir.path().join("keys").display().to_string();
    let url = db.url.clone();
    let dir_path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        scenario(&dir_path, &[("KUKE_ID_DATABASE_URL", url.as_str()), ("KUKE_ID_KEYS_DIR", keys.as_str())])
    })
    .await
    .expect("cli runs");
}

#[test]
fn invalid_issuer_stops_start_up_with_exit_code_2_naming_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(dir.path(), &[("KUKE_ID_ISSUER", "not a url")], &["migrate"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("KUKE_ID_ISSUER"), "{}", out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "one line: {}", out.stderr);
    assert!(!out.stderr.contains("panicked"));
}

#[test]
fn non_numeric_setting_names_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(dir.path(), &[("KUKE_ID_BODY_LIMIT_BYTES", "huge")], &["migrate"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("KUKE_ID_BODY_LIMIT_BYTES"), "{}", out.stderr);
}

#[test]
fn unknown_setting_in_the_environment_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(dir.path(), &[("KUKE_ID_ISUER", "https://typo.example")], &["migrate"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("KUKE_ID_ISUER"), "{}", out.stderr);
}

#[test]
fn config_file_values_are_used_and_environment_overrides_them() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("kuke-id.toml");
    fs::write(&file, "issuer = \"https://from-file.example\"\nlisten = \"not-an-address\"\n").expect("write");
    let out = run(dir.path(), &[], &["--config", file.to_str().expect("utf-8"), "migrate"]);
    assert_eq!(out.code, 2, "the file's bad listen value is read");
    assert!(out.stderr.contains("listen in ") && out.stderr.contains("kuke-id.toml"), "{}", out.stderr);
    assert!(!out.stderr.contains("KUKE_ID_LISTEN"), "named as the file names it: {}", out.stderr);
    let env = sqlite_env(dir.path());
    let mut env = env_refs(&env);
    env.push(("KUKE_ID_LISTEN", "127.0.0.1:0"));
    let out = run(dir.path(), &env, &["--config", file.to_str().expect("utf-8"), "migrate"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn the_command_line_and_test_variables_are_not_settings() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("kuke-id.toml");
    fs::write(&file, "").expect("write");
    let env = sqlite_env(dir.path());
    let mut env = env_refs(&env);
    let file = file.display().to_string();
    env.extend([("KUKE_ID_CONFIG", file.as_str()), ("KUKE_ID_LOG_FORMAT", "json"), ("KUKE_ID_TEST_ANYTHING", "1")]);
    let out = run(dir.path(), &env, &["migrate"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn missing_config_file_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(dir.path(), &[], &["--config", "/nonexistent/kuke-id.toml", "migrate"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("/nonexistent/kuke-id.toml"), "{}", out.stderr);
}

#[test]
fn unwritable_database_path_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let blocker = dir.path().join("file");
    fs::write(&blocker, "not a folder").expect("write");
    let url = format!("sqlite://{}/sub/kuke-id.db?mode=rwc", blocker.display());
    let out = run(dir.path(), &[("KUKE_ID_DATABASE_URL", &url)], &["migrate"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("database"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn migrate_twice_is_a_no_op_the_second_time() {
    let dir = tempfile::tempdir().expect("dir");
    let env = sqlite_env(dir.path());
    let first = run(dir.path(), &env_refs(&env), &["migrate"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stdout.contains("applied"), "{}", first.stdout);
    let second = run(dir.path(), &env_refs(&env), &["migrate"]);
    assert_eq!(second.code, 0);
    assert!(second.stdout.contains("up to date"), "{}", second.stdout);
}

#[test]
fn migrate_creates_the_database_and_one_key_per_algorithm_that_keys_list_shows() {
    let dir = tempfile::tempdir().expect("dir");
    let env = sqlite_env(dir.path());
    let migrated = run(dir.path(), &env_refs(&env), &["migrate"]);
    assert_eq!(migrated.code, 0, "{}", migrated.stderr);
    assert!(migrated.stdout.contains("created signing keys"), "{}", migrated.stdout);
    assert!(migrated.stdout.contains("created the key-encryption key"), "{}", migrated.stdout);
    assert!(dir.path().join("db/kuke-id.db").is_file());
    let out = run(dir.path(), &env_refs(&env), &["keys", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for alg in ["RS256", "ES256", "EdDSA"] {
        assert!(out.stdout.contains(alg), "{}", out.stdout);
    }
    let in_folder: Vec<String> = left_behind(&dir.path().join("keys"));
    assert_eq!(in_folder, ["key-encryption-key"], "the keys are in the database, sealed with this key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join("keys/key-encryption-key")).expect("kek").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = run(dir.path(), &env_refs(&env), &["migrate"]);
    assert!(!again.stdout.contains("created signing keys"), "existing keys are kept: {}", again.stdout);
}

#[test]
fn keys_dir_that_cannot_be_created_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let blocker = dir.path().join("file");
    fs::write(&blocker, "x").expect("write");
    let keys = blocker.join("keys");
    let out = run(dir.path(), &[("KUKE_ID_KEYS_DIR", keys.to_str().expect("utf-8"))], &["migrate"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(keys.to_str().expect("utf-8")), "{}", out.stderr);
}

#[test]
fn a_corrupted_key_file_to_import_is_named_in_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let env = sqlite_env(dir.path());
    fs::create_dir(dir.path().join("keys")).expect("keys folder");
    let key = dir.path().join("keys/RS256-1700000000000-broken.pem");
    fs::write(&key, "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n").expect("corrupt it");
    let out = run(dir.path(), &env_refs(&env), &["migrate"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("RS256-1700000000000-broken.pem"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"));
}

#[test]
fn rotate_makes_a_new_active_key_and_retire_unpublishes_the_old_one() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let mut env = env_refs(&env);
    // Signing at once, as a deployment whose relying parties do not cache the JWK set.
    env.push(("KUKE_ID_KEY_PUBLISH_AHEAD_SECS", "0"));
    let listing = run(dir.path(), &env, &["keys", "list"]).stdout;
    let old_kid = listing
        .lines()
        .find(|l| l.contains("ES256"))
        .and_then(|l| l.split_whitespace().nth(2))
        .expect("kid")
        .to_string();
    let rotated = run(dir.path(), &env, &["keys", "rotate", "--alg", "ES256"]);
    assert_eq!(rotated.code, 0, "{}", rotated.stderr);
    let listing = run(dir.path(), &env, &["keys", "list"]).stdout;
    let active_es = listing.lines().find(|l| l.starts_with("active") && l.contains("ES256")).expect("active ES256");
    assert!(!active_es.contains(&old_kid), "the new key is active");
    assert!(listing.contains(&old_kid), "the old key is still published");
    let retired = run(dir.path(), &env, &["keys", "retire", &old_kid]);
    assert_eq!(retired.code, 0, "{}", retired.stderr);
    assert!(!run(dir.path(), &env, &["keys", "list"]).stdout.contains(&old_kid));
}

#[test]
fn a_rotated_key_is_listed_as_next_until_the_publish_ahead_time() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let env = env_refs(&env);
    let rotated = run(dir.path(), &env, &["keys", "rotate", "--alg", "EdDSA"]);
    assert_eq!(rotated.code, 0, "{}", rotated.stderr);
    assert!(rotated.stdout.contains("signs from"), "{}", rotated.stdout);
    let listing = run(dir.path(), &env, &["keys", "list"]).stdout;
    assert!(listing.lines().any(|l| l.starts_with("next") && l.contains("EdDSA")), "{listing}");
    assert!(listing.lines().any(|l| l.starts_with("active") && l.contains("EdDSA")), "{listing}");
}

#[test]
fn retiring_the_active_key_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let env = env_refs(&env);
    let listing = run(dir.path(), &env, &["keys", "list"]).stdout;
    let kid = listing
        .lines()
        .find(|l| l.contains("RS256"))
        .and_then(|l| l.split_whitespace().nth(2))
        .expect("kid")
        .to_string();
    let out = run(dir.path(), &env, &["keys", "retire", &kid]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("rotate"), "{}", out.stderr);
}

#[test]
fn export_writes_owner_only_pem_files_that_a_new_database_imports() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let backup = dir.path().join("backup");
    let out = run(dir.path(), &env_refs(&env), &["keys", "export", backup.to_str().expect("utf-8")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files = left_behind(&backup);
    assert_eq!(files.len(), 3, "{files:?}");
    #[cfg(unix)]
    for file in &files {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(backup.join(file)).expect("meta").permissions().mode() & 0o777, 0o600);
    }
    let to_stdout = run(dir.path(), &env_refs(&env), &["keys", "export"]);
    assert_eq!(to_stdout.stdout.matches("-----BEGIN PRIVATE KEY-----").count(), 3);
    let restored = tempfile::tempdir().expect("dir");
    let restored_env = [
        ("KUKE_ID_DATABASE_URL", format!("sqlite://{}/kuke-id.db?mode=rwc", restored.path().display())),
        ("KUKE_ID_KEYS_DIR", backup.display().to_string()),
    ];
    let restored_env: Vec<(&str, &str)> = restored_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let migrated = run(restored.path(), &restored_env, &["migrate"]);
    assert_eq!(migrated.code, 0, "{}", migrated.stderr);
    assert_eq!(migrated.stdout.matches("imported").count(), 3, "{}", migrated.stdout);
    assert!(!migrated.stdout.contains("created signing keys"), "{}", migrated.stdout);
    let original = run(dir.path(), &env_refs(&env), &["keys", "list"]).stdout;
    let copy = run(restored.path(), &restored_env, &["keys", "list"]).stdout;
    let kids = |listing: &str| {
        let mut kids: Vec<String> =
            listing.lines().skip(1).filter_map(|l| l.split_whitespace().nth(2)).map(str::to_string).collect();
        kids.sort();
        kids
    };
    assert_eq!(kids(&original), kids(&copy));
}

#[test]
fn a_wrong_key_encryption_key_stops_the_command_in_one_line() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let mut env = env_refs(&env);
    env.push(("KUKE_ID_KEY_ENCRYPTION_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    let out = run(dir.path(), &env, &["keys", "export"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("KUKE_ID_KEY_ENCRYPTION_KEY does not open"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "nothing exported");
}

#[test]
fn every_command_has_help() {
    use clap::CommandFactory;
    fn paths(command: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
            let mut path = prefix.clone();
            path.push(sub.get_name().to_string());
            paths(sub, path, out);
        }
    }
    let mut all = Vec::new();
    paths(&kuke_id::cli::Cli::command(), Vec::new(), &mut all);
    assert!(all.len() > 20, "the command tree was read: {all:?}");
    let dir = tempfile::tempdir().expect("dir");
    for path in all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = run(dir.path(), &[], &args);
        assert_eq!(out.code, 0, "{args:?}");
        assert!(out.stdout.contains("Usage"), "{args:?}: {}", out.stdout);
        let about = kuke_id::cli::Cli::command();
        let mut command = &about;
        for name in &path {
            command = command.find_subcommand(name).expect("the subcommand");
        }
        let said = command.get_about().map(ToString::to_string).unwrap_or_default();
        assert!(!said.is_empty() && out.stdout.contains(&said), "{args:?} explains itself: {}", out.stdout);
    }
}

fn clients_lifecycle(dir: &std::path::Path, env: &[(&str, &str)]) {
    let added = run(
        dir,
        env,
        &[
            "clients",
            "add",
            "--name",
            "Portal Klienta",
            "--id",
            "portal",
            "--redirect-uri",
            "https://portal.example/cb",
            "--first-party",
        ],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let secret =
        added.stdout.lines().find_map(|l| l.strip_prefix("client_secret:")).expect("secret printed").trim().to_string();
    assert_eq!(secret.len(), 43, "256-bit secret");

    let listed = run(dir, env, &["clients", "list"]);
    assert!(listed.stdout.contains("portal"), "{}", listed.stdout);
    let shown = run(dir, env, &["clients", "show", "portal"]);
    assert!(shown.stdout.contains("https://portal.example/cb"));
    assert!(!shown.stdout.contains(&secret), "the secret is shown once only");

    let duplicate = run(
        dir,
        env,
        &["clients", "add", "--name", "Again", "--id", "portal", "--redirect-uri", "https://portal.example/cb"],
    );
    assert_eq!(duplicate.code, 1);
    assert!(duplicate.stderr.contains("already exists"), "{}", duplicate.stderr);

    let removed = run(dir, env, &["clients", "remove", "portal"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    let gone = run(dir, env, &["clients", "show", "portal"]);
    assert_eq!(gone.code, 1);
}

#[test]
fn clients_can_be_added_listed_shown_and_removed_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    clients_lifecycle(dir.path(), &env_refs(&env));
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn clients_can_be_added_listed_shown_and_removed_on_postgres() {
    on_postgres(clients_lifecycle).await;
}

/// A client requires PKCE unless added with `--allow-no-pkce`; `clients show` tells which.
fn pkce_opt_out_is_shown(dir: &std::path::Path, env: &[(&str, &str)]) {
    let add = |id: &str, extra: &[&str]| {
        let mut args = vec!["clients", "add", "--name", "RP", "--id", id, "--redirect-uri", "https://rp.example/cb"];
        args.extend_from_slice(extra);
        let out = run(dir, env, &args);
        assert_eq!(out.code, 0, "{}", out.stderr);
    };
    add("modern", &[]);
    add("legacy", &["--allow-no-pkce"]);
    let modern = run(dir, env, &["clients", "show", "modern"]);
    assert!(modern.stdout.contains("require_pkce:   true"), "{}", modern.stdout);
    let legacy = run(dir, env, &["clients", "show", "legacy"]);
    assert!(legacy.stdout.contains("require_pkce:   false"), "{}", legacy.stdout);
}

#[test]
fn clients_add_requires_pkce_unless_allow_no_pkce_and_show_tells_which_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    pkce_opt_out_is_shown(dir.path(), &env_refs(&env));
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn clients_add_requires_pkce_unless_allow_no_pkce_and_show_tells_which_on_postgres() {
    on_postgres(pkce_opt_out_is_shown).await;
}

#[test]
fn client_with_an_http_redirect_uri_off_loopback_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let out = run(
        dir.path(),
        &env_refs(&env),
        &["clients", "add", "--name", "Bad", "--redirect-uri", "http://portal.example/cb"],
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("https"), "{}", out.stderr);
}

#[test]
fn public_client_gets_no_secret() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let out = run(
        dir.path(),
        &env_refs(&env),
        &["clients", "add", "--name", "SPA", "--public", "--redirect-uri", "http://127.0.0.1:5173/cb"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("client_secret"));
    assert!(out.stdout.contains("require_pkce:   true"));
}

#[test]
fn serve_demo_on_an_empty_directory_answers_health_discovery_and_jwks() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let issuer = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kuke-id"))
        .current_dir(dir.path())
        .args(["serve", "--demo"])
        .env("KUKE_ID_LISTEN", format!("127.0.0.1:{port}"))
        .env("KUKE_ID_ISSUER", &issuer)
        .env_remove("KUKE_ID_TEST_POSTGRES_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kuke-id");
    let stdout = child.stdout.take().expect("stdout");
    let printed: Vec<String> =
        BufReader::new(stdout).lines().map_while(Result::ok).take_while(|l| !l.contains("demo account")).collect();
    if !printed.iter().any(|l| l.contains("client_id=demo")) {
        let mut stderr = String::new();
        if let Some(mut err) = child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        panic!("serve --demo printed {printed:?}; stderr: {stderr}");
    }

    let get = |path: &str| -> String {
        for _ in 0..50 {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
                let mut response = String::new();
                let _ = stream.read_to_string(&mut response);
                return response;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("server did not answer");
    };
    assert!(get("/healthz").starts_with("HTTP/1.1 200"));
    assert!(get("/.well-known/openid-configuration").contains(&format!("\"issuer\":\"{issuer}\"")));
    assert!(get("/jwks").contains("\"keys\""));
    assert!(get("/demo").starts_with("HTTP/1.1 200"), "the demo relying party is served");
    assert!(dir.path().join("data/kuke-id.db").exists(), "SQLite file created on first run");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join("data/kuke-id.db")).expect("the database file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the database is readable by its owner only");
    }

    // SIGTERM: graceful shutdown, exit code 0.
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    assert!(!stderr.contains("panicked"), "a background task panicked: {stderr}");
}

/// Starts `kuke-id serve` on a free port, waits for `/healthz` to answer 200 and
/// stops it with SIGTERM; fails with its stderr if it exits or never answers.
fn serves(dir: &std::path::Path, env: &[(&str, &str)]) {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let listen = format!("127.0.0.1:{port}");
    let issuer = format!("http://{listen}");
    let mut env = env.to_vec();
    env.extend([("KUKE_ID_LISTEN", listen.as_str()), ("KUKE_ID_ISSUER", issuer.as_str())]);
    let mut child = spawn(dir, &env, &["serve"]);
    let mut healthy = false;
    for _ in 0..100 {
        if child.try_wait().expect("poll kuke-id").is_some() {
            break;
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = write!(stream, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            if response.starts_with("HTTP/1.1 200") {
                healthy = true;
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    assert!(healthy, "serve did not come up ({status:?}): {stderr}");
    assert!(status.success(), "{status:?}: {stderr}");
}

fn serve_without_terms_is_refused(dir: &std::path::Path, env: &[(&str, &str)]) {
    let mut env = env.to_vec();
    env.push(("KUKE_ID_LISTEN", "127.0.0.1:0"));
    let out = run(dir, &env, &["serve"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "one line: {}", out.stderr);
    assert!(out.stderr.contains("kuke-id terms publish FILE --version V"), "{}", out.stderr);
    assert!(out.stderr.contains("KUKE_ID_TERMS_REQUIRED=false"), "{}", out.stderr);
}

#[test]
fn serve_without_a_terms_version_in_force_exits_2_saying_how_to_publish_one_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let env = sqlite_env(dir.path());
    serve_without_terms_is_refused(dir.path(), &env_refs(&env));
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn serve_without_a_terms_version_in_force_exits_2_saying_how_to_publish_one_on_postgres() {
    on_postgres(serve_without_terms_is_refused).await;
}

#[test]
fn serve_without_terms_starts_when_terms_are_not_required() {
    let dir = tempfile::tempdir().expect("dir");
    let env = sqlite_env(dir.path());
    let mut env = env_refs(&env);
    env.push(("KUKE_ID_TERMS_REQUIRED", "false"));
    serves(dir.path(), &env);
}

#[test]
fn serve_starts_once_a_terms_version_is_published() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let env = env_refs(&env);
    let file = dir.path().join("regulamin.txt");
    fs::write(&file, "§1 Postanowienia ogólne.\n").expect("write");
    let published = run(dir.path(), &env, &["terms", "publish", file.to_str().expect("utf-8"), "--version", "2026-12"]);
    assert_eq!(published.code, 0, "{}", published.stderr);
    serves(dir.path(), &env);
}

#[test]
fn terms_can_be_published_from_a_file_and_listed() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let file = dir.path().join("terms.txt");
    fs::write(&file, "§1 Postanowienia ogólne.\n\n§2 Dane osobowe.\n").expect("write");
    let published =
        run(dir.path(), &env_refs(&env), &["terms", "publish", file.to_str().expect("utf-8"), "--version", "2026-12"]);
    assert_eq!(published.code, 0, "{}", published.stderr);
    let again =
        run(dir.path(), &env_refs(&env), &["terms", "publish", file.to_str().expect("utf-8"), "--version", "2026-12"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let listed = run(dir.path(), &env_refs(&env), &["terms", "list"]);
    assert!(listed.stdout.contains("2026-12"), "{}", listed.stdout);
}

/// `terms publish --file-en` stores the English text beside the Polish one; `terms list` tells which versions have one.
fn terms_with_an_english_text(dir: &std::path::Path, env: &[(&str, &str)]) {
    let polish = dir.join("regulamin.txt");
    let english = dir.join("terms-en.txt");
    fs::write(&polish, "§1 Postanowienia ogólne.\n").expect("write");
    fs::write(&english, "§1 General provisions.\n").expect("write");
    let (polish, english) = (polish.to_str().expect("utf-8"), english.to_str().expect("utf-8"));
    let published = run(dir, env, &["terms", "publish", polish, "--version", "2026-12", "--file-en", english]);
    assert_eq!(published.code, 0, "{}", published.stderr);
    assert!(published.stdout.contains("with an English text"), "{}", published.stdout);
    let polish_only = run(dir, env, &["terms", "publish", polish, "--version", "2027-01"]);
    assert_eq!(polish_only.code, 0, "{}", polish_only.stderr);
    let listed = run(dir, env, &["terms", "list"]);
    let english_of = |version: &str| {
        let line =
            listed.stdout.lines().find(|l| l.starts_with(version)).unwrap_or_else(|| panic!("{}", listed.stdout));
        line.split_whitespace().find(|w| matches!(*w, "yes" | "no")).map(str::to_string)
    };
    assert!(listed.stdout.contains("ENGLISH"), "{}", listed.stdout);
    assert_eq!(english_of("2026-12").as_deref(), Some("yes"), "{}", listed.stdout);
    assert_eq!(english_of("2027-01").as_deref(), Some("no"), "{}", listed.stdout);
}

#[test]
fn terms_can_be_published_with_an_english_text_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    terms_with_an_english_text(dir.path(), &env_refs(&env));
}

#[tokio::test]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn terms_can_be_published_with_an_english_text_on_postgres() {
    on_postgres(terms_with_an_english_text).await;
}

#[test]
fn publishing_terms_from_a_non_utf8_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let file = dir.path().join("terms.txt");
    fs::write(&file, b"Regulamin \xbf\n").expect("write");
    let out = run(dir.path(), &env_refs(&env), &["terms", "publish", file.to_str().expect("utf-8"), "--version", "x"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("not UTF-8"), "{}", out.stderr);
}

#[test]
fn reset_secret_keeps_the_old_secret_for_the_grace_and_records_the_rotation() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let env = env_refs(&env);
    let added = run(
        dir.path(),
        &env,
        &["clients", "add", "--name", "Billing", "--id", "billing", "--redirect-uri", "https://b.example/cb"],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let with_grace = run(dir.path(), &env, &["clients", "reset-secret", "billing", "--grace", "2h"]);
    assert_eq!(with_grace.code, 0, "{}", with_grace.stderr);
    assert!(with_grace.stdout.contains("client_secret:"), "{}", with_grace.stdout);
    assert!(with_grace.stdout.contains("stays valid until"), "{}", with_grace.stdout);
    let without = run(dir.path(), &env, &["clients", "reset-secret", "billing", "--grace", "0"]);
    assert!(without.stdout.contains("no longer works"), "{}", without.stdout);
    let bad = run(dir.path(), &env, &["clients", "reset-secret", "billing", "--grace", "soon"]);
    assert_eq!(bad.code, 2, "a usage error: {}", bad.stderr);
}

#[test]
fn reset_secret_of_a_public_client_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let env = env_refs(&env);
    let added = run(
        dir.path(),
        &env,
        &["clients", "add", "--name", "SPA", "--id", "spa", "--public", "--redirect-uri", "https://s.example/cb"],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let out = run(dir.path(), &env, &["clients", "reset-secret", "spa"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("public"), "{}", out.stderr);
}

/// Entries of `dir` after a command: a command run from the wrong folder leaves none.
fn left_behind(dir: &std::path::Path) -> Vec<String> {
    fs::read_dir(dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn commands_in_an_empty_folder_refuse_in_one_line_and_create_no_database_or_keys() {
    let dir = tempfile::tempdir().expect("dir");
    let work = dir.path().join("elsewhere");
    fs::create_dir(&work).expect("folder");
    let file = dir.path().join("accounts.csv");
    fs::write(&file, "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n")
        .expect("write");
    let file = file.to_str().expect("utf-8");
    let database_commands: [&[&str]; 13] = [
        &["users", "list"],
        &["users", "show", "someone@example.com"],
        &["stats"],
        &["clients", "list"],
        &["clients", "add", "--name", "X", "--redirect-uri", "https://x.example/cb"],
        &["terms", "list"],
        &["import", file],
        &["users", "campaign"],
        &["-v", "stats"],
        &["keys", "list"],
        &["keys", "rotate"],
        &["keys", "retire", "some-kid"],
        &["keys", "export"],
    ];
    for args in database_commands {
        let out = run(&work, &[], args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        let line = out.stderr.lines().find(|l| l.contains("no database")).unwrap_or_default();
        assert!(
            line.ends_with(
                "no database at data/kuke-id.db: run from your server's folder, or pass --config / KUKE_ID_DATABASE_URL"
            ),
            "{args:?}: {}",
            out.stderr
        );
        let verbose = usize::from(args[0] == "-v");
        assert_eq!(out.stderr.trim().lines().count(), 1 + verbose, "{args:?} says it in one line: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert_eq!(left_behind(&work), Vec::<String>::new(), "{args:?} left files behind");
    }
    let migrated = run(&work, &[], &["migrate"]);
    assert_eq!(migrated.code, 0, "{}", migrated.stderr);
    assert!(work.join("data/kuke-id.db").is_file(), "migrate creates the database");
    assert!(work.join("keys").is_dir(), "and the keys");
    let listed = run(&work, &[], &["users", "list"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
}

#[test]
fn verbose_says_which_database_and_stats_and_users_list_name_it_in_their_header() {
    let dir = tempfile::tempdir().expect("dir");
    let env = migrated_env(dir.path());
    let database = dir.path().join("db/kuke-id.db").display().to_string();
    let verbose = run(dir.path(), &env_refs(&env), &["clients", "list", "--verbose"]);
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    assert!(verbose.stderr.contains(&format!("database {database}")), "{}", verbose.stderr);
    let quiet = run(dir.path(), &env_refs(&env), &["clients", "list"]);
    assert!(!quiet.stderr.contains(&database), "{}", quiet.stderr);
    let stats = run(dir.path(), &env_refs(&env), &["stats"]);
    assert!(stats.stdout.lines().next().is_some_and(|l| l.contains(&database)), "{}", stats.stdout);
    let users = run(dir.path(), &env_refs(&env), &["users", "list"]);
    assert!(users.stdout.lines().next().is_some_and(|l| l.contains(&database)), "{}", users.stdout);
    let json = run(dir.path(), &env_refs(&env), &["users", "list", "--json"]);
    assert!(serde_json::from_str::<serde_json::Value>(&json.stdout).is_ok(), "JSON stays JSON: {}", json.stdout);
}

#[test]
fn an_unreachable_postgres_is_one_line_within_the_connect_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let env = [
        ("KUKE_ID_DATABASE_URL", "postgres://postgres@127.0.0.1:1/x"),
        ("KUKE_ID_DATABASE_CONNECT_TIMEOUT_SECS", "1"),
        ("KUKE_ID_LISTEN", "127.0.0.1:0"),
        ("KUKE_ID_KEYS_DIR", "keys"),
    ];
    for args in [&["serve"][..], &["users", "list"], &["migrate"]] {
        let started = std::time::Instant::now();
        let out = run(dir.path(), &env, args);
        let took = started.elapsed();
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{args:?}: one line: {}", out.stderr);
        assert!(out.stderr.contains("postgres://postgres@127.0.0.1:1/x"), "{}", out.stderr);
        assert!(out.stderr.contains("no answer within 1 s"), "{}", out.stderr);
        assert!(out.stderr.contains("KUKE_ID_DATABASE_CONNECT_TIMEOUT_SECS"), "{}", out.stderr);
        assert!(!out.stderr.contains("at line"), "{}", out.stderr);
        assert!(took < std::time::Duration::from_secs(5), "{args:?} took {took:?}");
    }
    assert_eq!(left_behind(dir.path()), Vec::<String>::new(), "no keys made for a server that never started");
}

#[test]
fn a_port_in_use_is_said_once_with_the_setting_that_moves_it() {
    let dir = tempfile::tempdir().expect("dir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let listen = taken.local_addr().expect("addr").to_string();
    let env = sqlite_env(dir.path());
    let mut env = env_refs(&env);
    env.push(("KUKE_ID_LISTEN", listen.as_str()));
    let out = run(dir.path(), &env, &["serve"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert_eq!(out.stderr.matches("already in use").count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains(&listen), "{}", out.stderr);
    assert!(
        out.stderr.contains("KUKE_ID_LISTEN") && out.stderr.contains("listen in the config file"),
        "{}",
        out.stderr
    );
}

#[test]
fn config_file_mistakes_are_named_by_their_file_key() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("kuke-id.toml");
    let config = file.to_str().expect("utf-8");
    let check = |text: &str, wanted: &str, unwanted: &str| {
        fs::write(&file, text).expect("write");
        let out = run(dir.path(), &[], &["--config", config, "stats"]);
        assert_eq!(out.code, 2, "{text}: {}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains(wanted), "{text}: {}", out.stderr);
        assert!(!out.stderr.contains(unwanted), "{text}: {}", out.stderr);
    };
    check("listn = \"127.0.0.1:8081\"\n", "unknown key \"listn\" in ", "KUKE_ID_LISTN");
    check("KUKE_ID_LISTEN = \"127.0.0.1:8081\"\n", "did you mean \"listen\"?", "KUKE_ID_KUKE_ID_LISTEN");
    check("request_timeout_secs = -5\n", "request_timeout_secs in ", "signed int");
    assert!(left_behind(dir.path()).iter().all(|name| name == "kuke-id.toml"));
}

#[test]
fn a_negative_number_in_the_environment_is_named_by_its_variable() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(dir.path(), &[("KUKE_ID_LOCKOUT_SECS", "-5")], &["migrate"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("KUKE_ID_LOCKOUT_SECS: expects a whole number of seconds, not -5"), "{}", out.stderr);
}

#[test]
fn log_format_json_in_the_config_file_is_accepted() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("kuke-id.toml");
    fs::write(&file, "log_format = \"json\"\n").expect("write");
    let env = sqlite_env(dir.path());
    let mut env = env_refs(&env);
    env.push(("RUST_LOG", "info"));
    let out = run(dir.path(), &env, &["--config", file.to_str().expect("utf-8"), "migrate"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with('{'), "the logs are JSON lines: {}", out.stderr);
}

#[test]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
fn a_postgres_database_that_does_not_exist_is_one_line_in_the_servers_words() {
    let Some(Backend::Postgres(admin)) = Backend::postgres_for_test() else {
        return;
    };
    let mut url = url::Url::parse(&admin).expect("admin URL");
    url.set_path("/kuke_id_no_such_database");
    let dir = tempfile::tempdir().expect("dir");
    let out = run(dir.path(), &[("KUKE_ID_DATABASE_URL", url.as_str())], &["users", "list"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("database \"kuke_id_no_such_database\" does not exist"), "{}", out.stderr);
    assert!(!out.stderr.contains("at line") && !out.stderr.contains("Connection Error"), "{}", out.stderr);
}

/// Starts `kuke-id serve args…` listening on a free loopback port with the
/// default issuer (`http://localhost:8080`), fetches discovery once it answers,
/// stops it, and returns (port, discovery body, stdout, stderr).
fn serve_on_another_port(dir: &std::path::Path, args: &[&str]) -> (u16, String, String, String) {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let listen = format!("127.0.0.1:{port}");
    let mut serve = vec!["serve"];
    serve.extend_from_slice(args);
    let env = [("KUKE_ID_LISTEN", listen.as_str()), ("KUKE_ID_TERMS_REQUIRED", "false"), ("RUST_LOG", "warn")];
    let mut child = spawn(dir, &env, &serve);
    let mut discovery = String::new();
    for _ in 0..150 {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = write!(
                stream,
                "GET /.well-known/openid-configuration HTTP/1.1\r\nHost: {listen}\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.read_to_string(&mut discovery);
            if discovery.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    assert!(discovery.starts_with("HTTP/1.1 200"), "never answered; stderr: {stderr}");
    (port, discovery, stdout, stderr)
}

#[test]
fn in_demo_mode_on_another_port_the_issuer_follows_the_listen_address() {
    let dir = tempfile::tempdir().expect("dir");
    let (port, discovery, stdout, stderr) = serve_on_another_port(dir.path(), &["--demo"]);
    let issuer = format!("http://localhost:{port}");
    assert!(discovery.contains(&format!("\"issuer\":\"{issuer}\"")), "{discovery}");
    assert!(stderr.contains(&format!("the issuer follows the listen address: {issuer}")), "{stderr}");
    assert!(stdout.contains(&format!("{issuer}/demo")), "the banner names the right address: {stdout}");
}

#[test]
fn outside_demo_mode_a_loopback_issuer_on_another_port_is_a_start_up_warning() {
    let dir = tempfile::tempdir().expect("dir");
    let (_, discovery, _, stderr) = serve_on_another_port(dir.path(), &[]);
    assert!(discovery.contains("\"issuer\":\"http://localhost:8080\""), "an explicit choice is kept: {discovery}");
    assert!(stderr.contains("KUKE_ID_ISSUER") && stderr.contains("KUKE_ID_LISTEN"), "{stderr}");
}

#[test]
fn a_database_file_open_to_others_is_tightened_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    assert_eq!(run(dir.path(), &[], &["migrate"]).code, 0);
    let file = dir.path().join("data/kuke-id.db");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("0644");
    let again = run(dir.path(), &[], &["migrate"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(fs::metadata(&file).expect("meta").permissions().mode() & 0o777, 0o600);
    assert!(again.stderr.contains("the database file was open to other users"), "{}", again.stderr);
}
