//! The provider under load: a `kuke-id serve` child process (the release build
//! `cargo bench` makes), pinned to the last CPU when `taskset` is there, and
//! what the kernel says about it (CPU time, resident memory).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running provider, stopped on drop.
pub struct Server {
    child: Child,
    /// Process start → `/readyz` 200.
    pub ready_after: Duration,
}

/// The environment every start of the bench's provider shares.
pub fn env(dir: &Path, port: u16) -> Vec<(String, String)> {
    let base = format!("http://127.0.0.1:{port}");
    [
        ("KUKE_ID_LISTEN", format!("127.0.0.1:{port}")),
        ("KUKE_ID_ISSUER", base),
        ("KUKE_ID_DATABASE_URL", format!("sqlite://{}/kuke-id.db?mode=rwc", dir.display())),
        ("KUKE_ID_KEYS_DIR", dir.join("keys").display().to_string()),
        // Far above what one machine's load generator sends from one address.
        ("KUKE_ID_ADDRESS_FAILURES_LIMIT", "1000000".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    // The server logs as it would in production (its default level) unless
    // `LOAD_SERVER_LOG` says otherwise, e.g. `info,kuke_id::sql=trace` for the
    // statements behind the round-trip counts.
    .chain(std::env::var("LOAD_SERVER_LOG").ok().map(|filter| ("RUST_LOG".to_string(), filter)))
    // `LOAD_SERVER_ENV="KUKE_ID_DATABASE_MAX_CONNECTIONS=4 …"`: settings to try
    // on the server under load, space-separated.
    .chain(
        std::env::var("LOAD_SERVER_ENV")
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|pair| pair.split_once('=').map(|(key, value)| (key.to_string(), value.to_string())))
            .collect::<Vec<_>>(),
    )
    .collect()
}

impl Server {
    /// Starts the binary on `env` and waits for `/readyz`.
    pub async fn start(binary: &Path, env: &[(String, String)], base: &str, pin: bool) -> Server {
        let mut command = if pin { taskset_last_cpu(binary) } else { Command::new(binary) };
        for (key, _) in std::env::vars() {
            if key.starts_with("KUKE_ID_") || key == "RUST_LOG" {
                command.env_remove(key);
            }
        }
        command.arg("serve").envs(env.iter().map(|(k, v)| (k, v)));
        Server::spawn(command, &format!("{base}/readyz")).await
    }

    /// Starts the peer (`benches/peer/server.mjs` under Node.js) on `port`,
    /// pinned like kuke-id, and waits for its discovery document.
    pub async fn start_peer(script: &Path, port: u16, secret: &str, pin: bool) -> Server {
        let node = Path::new("node");
        let mut command = if pin { taskset_last_cpu(node) } else { Command::new(node) };
        command
            .arg(script)
            .env("NODE_ENV", "production")
            .env("PEER_PORT", port.to_string())
            .env("PEER_CLIENT_SECRET", secret);
        Server::spawn(command, &format!("http://127.0.0.1:{port}/.well-known/openid-configuration")).await
    }

    async fn spawn(mut command: Command, ready: &str) -> Server {
        command.stdout(Stdio::null()).stderr(Stdio::inherit());
        let started = Instant::now();
        let child = command.spawn().expect("start the server");
        let http = reqwest::Client::new();
        loop {
            if let Ok(response) = http.get(ready).send().await
                && response.status() == 200
            {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{ready} did not answer 200 within 30 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Server { child, ready_after: started.elapsed() }
    }

    /// The process id (of kuke-id itself, also under `taskset`, which execs it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User + system CPU time the process has used so far.
    pub fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        let total = ticks(11) + ticks(12);
        Duration::from_secs_f64(total as f64 / clock_ticks_per_second())
    }

    /// Resident memory now (`VmRSS`) and its peak so far (`VmHWM`), in MiB.
    pub fn memory_mib(&self) -> (f64, f64) {
        (self.status_mib("VmRSS:"), self.status_mib("VmHWM:"))
    }

    /// Resident memory now split into the process's own (`RssAnon`) and the
    /// pages of files it maps, mostly its own code (`RssFile`), in MiB.
    pub fn memory_split_mib(&self) -> (f64, f64) {
        (self.status_mib("RssAnon:"), self.status_mib("RssFile:"))
    }

    /// A `kB` field of `/proc/<pid>/status`, in MiB.
    fn status_mib(&self, name: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn taskset_last_cpu(binary: &Path) -> Command {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let taskset = PathBuf::from("/usr/bin/taskset");
    if cpus < 2 || !taskset.exists() {
        return Command::new(binary);
    }
    let mut command = Command::new(taskset);
    command.arg("-c").arg((cpus - 1).to_string()).arg(binary);
    command
}

fn clock_ticks_per_second() -> f64 {
    // USER_HZ is 100 on every Linux this runs on; `getconf` confirms it when present.
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

impl Server {
    /// CPU time of every live thread of the process, in nanoseconds, by
    /// thread id (`/proc/<pid>/task/*/schedstat`): fine enough to time one
    /// request, where `cpu` counts in 10 ms ticks. By thread, so that a
    /// difference of two readings counts only threads seen in the later one
    /// and never goes negative when a thread exits in between.
    pub fn cpu_by_thread(&self) -> std::collections::HashMap<u32, u64> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid())).into_iter().flatten().flatten();
        tasks
            .filter_map(|task| {
                let tid = task.file_name().to_str()?.parse::<u32>().ok()?;
                let line = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
                Some((tid, line.split_whitespace().next()?.parse::<u64>().ok()?))
            })
            .collect()
    }
}
