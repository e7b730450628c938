//! A PostgreSQL server of the test's own (`initdb` into a temporary folder, on
//! a free loopback port), which the test may stop and start again. PostgreSQL
//! refuses to run as root: as root, the server runs as the `postgres` user.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// A running server; stopped (immediately) when dropped.
pub struct OwnPostgres {
    bin: PathBuf,
    dir: TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    as_postgres: bool,
}

/// Where `initdb` and `pg_ctl` live: `/usr/local/bin`, or Debian's versioned folder.
fn bin_dir() -> Option<PathBuf> {
    let local = Path::new("/usr/local/bin");
    if local.join("initdb").exists() && local.join("pg_ctl").exists() {
        return Some(local.to_path_buf());
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl OwnPostgres {
    /// Initialises and starts a server, or says why it cannot (no PostgreSQL
    /// binaries, or root without a `postgres` user).
    pub fn start() -> Result<Self, String> {
        let bin = bin_dir().ok_or("no initdb/pg_ctl (install PostgreSQL)")?;
        let as_postgres = is_root();
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        if as_postgres {
            let chowned = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status();
            if !chowned.is_ok_and(|s| s.success()) {
                return Err("running as root, and the folder cannot be given to a `postgres` user".into());
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let server = Self { bin, dir, port, as_postgres };
        let data = server.data();
        server.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"])?;
        server.start_again()?;
        Ok(server)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command.args(args).output().map_err(|e| format!("{tool}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Starts the (stopped) server again on the same port and data, and waits until it accepts connections.
    pub fn start_again(&self) -> Result<(), String> {
        let data = self.data();
        let socket_dir = self.dir.path().display().to_string();
        let options = format!("-p {} -c listen_addresses=127.0.0.1 -k {socket_dir} -c fsync=off", self.port);
        let log = self.dir.path().join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start"])
    }

    /// Stops the server at once, as a crash or a killed machine would (`-m immediate`).
    pub fn stop_now(&self) -> Result<(), String> {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"])
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self.stop_now();
    }
}
