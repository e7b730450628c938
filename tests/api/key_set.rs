//! The key set in the database: nodes started at once agree on one, a wrong or
//! missing key-encryption key stops start-up, PEM files are imported once.

use base64::Engine;
use kuke_id::app::App;
use kuke_id::config::Settings;
use kuke_id::domain::clock::Clock;
use kuke_id::domain::signing_alg::SigningAlg;
use kuke_id::store::{IfMissing, Store};

use crate::support::Backend;
use crate::support::postgres::PgDatabase;

fn random_kek() -> String {
    base64::engine::general_purpose::STANDARD.encode(uuid::Uuid::new_v4().as_bytes().repeat(2))
}

/// Settings of one node on `database_url` with its own keys folder.
fn node_settings(database_url: &str, keys_dir: &std::path::Path, kek: Option<&str>) -> Settings {
    let kek_line = kek.map(|k| format!("key_encryption_key = \"{k}\"\n")).unwrap_or_default();
    Settings::from_toml(&format!(
        "database_url = \"{database_url}\"\nkeys_dir = \"{}\"\nlisten = \"127.0.0.1:0\"\nterms_required = false\n{kek_line}",
        keys_dir.display()
    ))
    .expect("node settings")
}

/// A database for the test: a SQLite file in `dir`, or a fresh PostgreSQL database.
async fn database(backend: Backend, dir: &std::path::Path) -> (String, Option<PgDatabase>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}/kuke-id.db?mode=rwc", dir.display()), None),
        Backend::Postgres(admin) => {
            let db = PgDatabase::create(&admin).await;
            (db.url.clone(), Some(db))
        }
    }
}

async fn start(settings: Settings) -> Result<App, kuke_id::app::StartError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    App::build_on(settings, Clock::default(), listener).await
}

fn kids(app: &App) -> Vec<String> {
    let mut kids: Vec<String> = app.state().keys().jwks().keys.iter().filter_map(|k| k.common.key_id.clone()).collect();
    kids.sort();
    kids
}

async fn nodes_started_at_once_on_an_empty_database_agree_on_one_key_set(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let (url, _db) = database(backend, dir.path()).await;
    let kek = random_kek();
    // The schema first, as `kuke-id migrate` in a deployment; the nodes then race for the keys.
    let first = node_settings(&url, &dir.path().join("keys-0"), Some(&kek));
    let store = Store::connect(&first, IfMissing::Create).await.expect("connect");
    store.migrate().await.expect("migrate");
    let starts: Vec<_> = (0..4)
        .map(|n| tokio::spawn(start(node_settings(&url, &dir.path().join(format!("keys-{n}")), Some(&kek)))))
        .collect();
    let mut sets = Vec::new();
    for started in starts {
        sets.push(kids(&started.await.expect("task").expect("the node starts")));
    }
    assert_eq!(sets[0].len(), 3, "one key per algorithm");
    assert!(sets.iter().all(|set| *set == sets[0]), "every node publishes the same keys: {sets:?}");
    let stored = kuke_id::store::signing_keys::all(store.conn()).await.expect("keys");
    assert_eq!(stored.len(), 3, "no node made keys of its own");
    for n in 0..4 {
        assert!(!dir.path().join(format!("keys-{n}/key-encryption-key")).exists(), "the variable is used, no file");
    }
}

async fn a_wrong_key_encryption_key_stops_start_up_and_makes_no_keys(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let (url, _db) = database(backend, dir.path()).await;
    let first = start(node_settings(&url, &dir.path().join("keys"), Some(&random_kek()))).await.expect("first start");
    let before = kids(&first);
    let error = start(node_settings(&url, &dir.path().join("keys"), Some(&random_kek())))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("KUKE_ID_KEY_ENCRYPTION_KEY") && error.contains("does not open"), "{error}");
    let stored = kuke_id::store::signing_keys::all(first.state().store.conn()).await.expect("keys");
    assert_eq!(stored.len(), before.len(), "no new key set");
}

async fn a_missing_key_encryption_key_file_with_keys_in_the_database_stops_start_up(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let (url, _db) = database(backend, dir.path()).await;
    let first = start(node_settings(&url, &dir.path().join("keys"), None)).await.expect("first start");
    assert!(dir.path().join("keys/key-encryption-key").is_file(), "one node keeps its KEK in the keys folder");
    let elsewhere = dir.path().join("other-keys");
    let error = start(node_settings(&url, &elsewhere, None)).await.err().expect("refused").to_string();
    assert!(error.contains("no key-encryption key") && error.contains("other-keys/key-encryption-key"), "{error}");
    assert!(!elsewhere.join("key-encryption-key").exists(), "no new KEK made");
    let stored = kuke_id::store::signing_keys::all(first.state().store.conn()).await.expect("keys");
    assert_eq!(stored.len(), 3);
}

async fn pem_files_of_an_earlier_version_are_imported_once_and_left_in_place(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let (url, _db) = database(backend, dir.path()).await;
    let keys_dir = dir.path().join("keys");
    let now = time::OffsetDateTime::now_utc();
    let mut pem_kids = Vec::new();
    for alg in SigningAlg::ALL {
        let key = kuke_id::tokens::keys::create(alg, now, now).expect("key");
        kuke_id::tokens::keys::write_pem(&keys_dir, &key).expect("pem file");
        pem_kids.push(key.kid.clone());
    }
    pem_kids.sort();
    let settings = node_settings(&url, &keys_dir, None);
    let store = Store::connect(&settings, IfMissing::Create).await.expect("connect");
    store.migrate().await.expect("migrate");
    let clock = Clock::default();
    let first = kuke_id::app::open_keys(&settings, &store, &clock).await.expect("first open");
    assert_eq!(first.imported.len(), 3);
    assert!(first.created.is_empty(), "the imported keys are the key set");
    let second = kuke_id::app::open_keys(&settings, &store, &clock).await.expect("second open");
    assert!(second.imported.is_empty(), "imported once");
    let mut ring: Vec<String> = second.ring.keys().iter().map(|k| k.kid.clone()).collect();
    ring.sort();
    assert_eq!(ring, pem_kids);
    assert!(first.imported.iter().all(|file| file.is_file()), "left in place");
}

async fn a_pem_file_added_beside_a_key_set_in_use_is_published_before_it_signs(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let (url, _db) = database(backend, dir.path()).await;
    let keys_dir = dir.path().join("keys");
    let settings = node_settings(&url, &keys_dir, None);
    let store = Store::connect(&settings, IfMissing::Create).await.expect("connect");
    store.migrate().await.expect("migrate");
    let clock = Clock::default();
    let first = kuke_id::app::open_keys(&settings, &store, &clock).await.expect("first open");
    let signing = first.ring.active(SigningAlg::Es256).expect("ES256").kid.clone();
    let now = clock.now();
    let own = kuke_id::tokens::keys::create(SigningAlg::Es256, now, now).expect("key");
    kuke_id::tokens::keys::write_pem(&keys_dir, &own).expect("pem file");
    let second = kuke_id::app::open_keys(&settings, &store, &clock).await.expect("second open");
    assert_eq!(second.imported.len(), 1);
    assert!(second.ring.by_kid(&own.kid).is_some(), "published at once");
    assert_eq!(second.ring.active(SigningAlg::Es256).map(|k| k.kid.clone()), Some(signing), "signs later");
    let later = second.ring.at(now + time::Duration::seconds(601));
    assert_eq!(later.active(SigningAlg::Es256).map(|k| k.kid.clone()), Some(own.kid));
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name(crate::support::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                #[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
                async fn postgres() {
                    let Some(backend) = crate::support::Backend::postgres_for_test() else { return };
                    super::$name(backend).await;
                }
            }
        )*
    };
}

on_both_backends!(
    nodes_started_at_once_on_an_empty_database_agree_on_one_key_set,
    a_wrong_key_encryption_key_stops_start_up_and_makes_no_keys,
    a_missing_key_encryption_key_file_with_keys_in_the_database_stops_start_up,
    pem_files_of_an_earlier_version_are_imported_once_and_left_in_place,
    a_pem_file_added_beside_a_key_set_in_use_is_published_before_it_signs,
);
