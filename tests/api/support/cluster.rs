//! Several real `kuke-id serve` processes on one PostgreSQL database, behind
//! the round-robin [`Balancer`], all delivering to one SMTP sink: a deployment
//! of several nodes as an operator runs it, in one test.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use kuke_id::config::Settings;
use kuke_id::store::{IfMissing, Store};
use tempfile::TempDir;

use super::balancer::Balancer;
use super::cli;
use super::postgres::PgDatabase;
use super::smtp::SmtpSink;

/// How a cluster is started.
pub struct Options {
    /// How many nodes.
    pub nodes: usize,
    /// Whether a terms version is published before the nodes start (else they
    /// run with `KUKE_ID_TERMS_REQUIRED=false`).
    pub terms: bool,
    /// The issuer, when the front door is not the built-in balancer (nginx).
    pub issuer: Option<String>,
    /// More `KUKE_ID_*` settings for every node.
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self { nodes: 3, terms: false, issuer: None, env: Vec::new() }
    }
}

/// One `kuke-id serve` process.
pub struct Node {
    /// `http://127.0.0.1:<port>`: the node itself, bypassing the balancer.
    pub base: String,
    child: Child,
    log: PathBuf,
}

impl Node {
    /// What the node wrote on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The running deployment. Dropping it kills the nodes and drops the database.
pub struct Cluster {
    /// The balancer in front of the nodes.
    pub balancer: Balancer,
    /// The nodes, in the balancer's order.
    pub nodes: Vec<Node>,
    /// The SMTP server every node delivers to.
    pub mailbox: SmtpSink,
    /// The test's own connection to the shared database, for setting up and checking.
    pub store: Store,
    /// The issuer every node announces (the balancer's address unless [`Options::issuer`]).
    pub issuer: String,
    dir: TempDir,
    _database: PgDatabase,
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
}

/// Prepares the signing keys of one node and returns the settings that point it
/// at them: an empty keys folder of its own. The keys themselves live in the
/// database, sealed under the key-encryption key every node of the cluster
/// shares (`KUKE_ID_KEY_ENCRYPTION_KEY`, in the shared settings).
fn node_keys(node_dir: &Path) -> Vec<(String, String)> {
    let keys = node_dir.join("keys");
    std::fs::create_dir_all(&keys).expect("keys folder");
    vec![("KUKE_ID_KEYS_DIR".into(), keys.display().to_string())]
}

/// A fresh key-encryption key: base64 of 32 random bytes.
fn key_encryption_key() -> String {
    use base64::Engine;
    let bytes: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()].iter().flat_map(|id| *id.as_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

impl Cluster {
    /// A cluster on the PostgreSQL server of the test run; `None` (the test
    /// reports itself skipped) when no server is configured.
    pub async fn on_postgres(options: Options) -> Option<Self> {
        let super::Backend::Postgres(admin) = super::Backend::postgres_for_test()? else { return None };
        Some(Self::start(&admin, options).await)
    }

    /// Starts `options.nodes` nodes on a fresh database on the server of `admin_url`.
    pub async fn start(admin_url: &str, options: Options) -> Self {
        super::install_tls_provider();
        let database = PgDatabase::create(admin_url).await;
        let dir = tempfile::tempdir().expect("temporary folder");
        let mailbox = SmtpSink::start().await;
        let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind balancer");
        let issuer = options.issuer.clone().unwrap_or_else(|| format!("http://{}", front.local_addr().expect("addr")));
        let origin = dir.path().join("keys-origin");
        let mut shared: Vec<(String, String)> = vec![
            ("KUKE_ID_DATABASE_URL".into(), database.url.clone()),
            ("KUKE_ID_ISSUER".into(), issuer.clone()),
            ("KUKE_ID_SMTP_URL".into(), mailbox.url()),
            ("KUKE_ID_ARGON2_MEMORY_KIB".into(), "8192".into()),
            ("KUKE_ID_ARGON2_ITERATIONS".into(), "1".into()),
            ("KUKE_ID_DATABASE_MAX_CONNECTIONS".into(), "5".into()),
            ("KUKE_ID_BACKCHANNEL_ALLOW_INTERNAL".into(), "true".into()),
            ("KUKE_ID_KEY_ENCRYPTION_KEY".into(), key_encryption_key()),
        ];
        if !options.terms {
            shared.push(("KUKE_ID_TERMS_REQUIRED".into(), "false".into()));
        }
        shared.extend(options.env.iter().cloned());
        let (setup_dir, setup_env) = (dir.path().to_path_buf(), {
            let mut env = shared.clone();
            env.push(("KUKE_ID_KEYS_DIR".into(), origin.display().to_string()));
            env
        });
        let terms = options.terms;
        tokio::task::spawn_blocking(move || prepare(&setup_dir, &setup_env, terms)).await.expect("set-up runs");

        let mut nodes = Vec::new();
        for index in 0..options.nodes {
            let node_dir = dir.path().join(format!("node-{index}"));
            std::fs::create_dir_all(&node_dir).expect("node folder");
            let port = free_port();
            let mut env = shared.clone();
            env.extend(node_keys(&node_dir));
            env.push(("KUKE_ID_LISTEN".into(), format!("127.0.0.1:{port}")));
            let log = node_dir.join("stderr.log");
            let mut command = cli::command(&node_dir, &refs(&env), &["serve"]);
            command.stdout(Stdio::null()).stderr(Stdio::from(std::fs::File::create(&log).expect("log file")));
            let child = command.spawn().expect("start kuke-id serve");
            nodes.push(Node { base: format!("http://127.0.0.1:{port}"), child, log });
        }
        for node in &mut nodes {
            wait_ready(node).await;
        }
        let addresses =
            nodes.iter().map(|node| node.base.trim_start_matches("http://").parse().expect("node address")).collect();
        let balancer = Balancer::start(front, addresses);
        let settings =
            Settings::from_toml(&format!("database_url = \"{}\"\ndatabase_max_connections = 4\n", database.url))
                .expect("settings of the test's connection");
        let store = Store::connect(&settings, IfMissing::Refuse).await.expect("the test's database connection");
        Self { balancer, nodes, mailbox, store, issuer, dir, _database: database }
    }

    /// The balancer's address (`http://127.0.0.1:<port>`).
    pub fn base(&self) -> &str {
        &self.balancer.base
    }

    /// The cluster's temporary folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Asserts that every node took part, and returns how many connections each took.
    pub fn assert_every_node_served(&self) -> Vec<usize> {
        let counts = self.balancer.connections_per_node(self.nodes.len());
        assert!(counts.iter().all(|&n| n > 0), "every node served requests: {counts:?}");
        counts
    }
}

/// `kuke-id migrate` (the database and the first keys), and the terms when wanted.
fn prepare(dir: &Path, env: &[(String, String)], terms: bool) {
    let migrated = cli::run(dir, &refs(env), &["migrate"]);
    assert_eq!(migrated.code, 0, "migrate: {}", migrated.stderr);
    if terms {
        let file = dir.join("regulamin.txt");
        std::fs::write(&file, "§1 Postanowienia ogólne.\n\n§2 Konto.\n").expect("write terms");
        let published =
            cli::run(dir, &refs(env), &["terms", "publish", file.to_str().expect("utf-8"), "--version", "2026-12"]);
        assert_eq!(published.code, 0, "terms publish: {}", published.stderr);
    }
}

async fn wait_ready(node: &mut Node) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("http client");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = node.child.try_wait().expect("poll kuke-id") {
            panic!("node {} exited ({status}): {}", node.base, node.log());
        }
        if let Ok(response) = http.get(format!("{}/readyz", node.base)).send().await
            && response.status() == 200
        {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "node {} not ready in 30 s: {}", node.base, node.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
