//! `kuke-id serve` as a child process on a fixed port and database, which a test
//! may kill with SIGKILL and start again, as a crashed node restarts.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A node of the real binary; killed when dropped.
pub struct Node {
    dir: PathBuf,
    env: Vec<(String, String)>,
    /// `http://127.0.0.1:<port>`, also the issuer.
    pub base: String,
    child: Option<Child>,
}

impl Node {
    /// A node in `dir` on `database_url`, delivering mail to `smtp_url`; not started yet.
    pub fn new(dir: PathBuf, database_url: &str, smtp_url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let base = format!("http://127.0.0.1:{port}");
        let env = [
            ("KUKE_ID_LISTEN", format!("127.0.0.1:{port}")),
            ("KUKE_ID_ISSUER", base.clone()),
            ("KUKE_ID_DATABASE_URL", database_url.to_string()),
            ("KUKE_ID_KEYS_DIR", dir.join("keys").display().to_string()),
            ("KUKE_ID_SMTP_URL", smtp_url.to_string()),
            ("KUKE_ID_TERMS_REQUIRED", "false".to_string()),
            ("KUKE_ID_CAMPAIGN_MAILS_PER_MINUTE", "0".to_string()),
            ("KUKE_ID_REQUEST_TIMEOUT_SECS", "120".to_string()),
            ("KUKE_ID_ARGON2_MEMORY_KIB", "8192".to_string()),
            ("KUKE_ID_ARGON2_ITERATIONS", "1".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Self { dir, env, base, child: None }
    }

    /// Starts the process and waits until `/healthz` answers.
    pub async fn start(&mut self) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kuke-id"));
        command.current_dir(&self.dir).arg("serve").env("RUST_LOG", "warn");
        for (key, _) in std::env::vars() {
            if key.starts_with("KUKE_ID_") {
                command.env_remove(key);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("node.log")).expect("log");
        command.stdout(Stdio::null()).stderr(log);
        self.child = Some(command.spawn().expect("start kuke-id"));
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = http.get(format!("{}/healthz", self.base)).send().await
                && response.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("kuke-id serve exited with {status}: {}", self.log());
            }
            assert!(tokio::time::Instant::now() < deadline, "kuke-id serve did not come up: {}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the process with SIGKILL (no shutdown, no cleanup) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// What the node logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("node.log")).unwrap_or_default()
    }

    /// Absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
