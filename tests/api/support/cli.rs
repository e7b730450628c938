//! Runs the real `kuke-id` binary with a given environment.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// Output of one CLI run.
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// The `kuke-id` command in `dir` with `env` (and no inherited KUKE_ID_* settings), not yet started.
pub fn command(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kuke-id"));
    command.current_dir(dir).args(args).env("RUST_LOG", "warn");
    for (key, _) in std::env::vars() {
        if key.starts_with("KUKE_ID_") {
            command.env_remove(key);
        }
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Runs `kuke-id args…` in `dir` with `env` (and no inherited KUKE_ID_* settings).
pub fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let Output { status, stdout, stderr } = command(dir, env, args).output().expect("run kuke-id");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Starts `kuke-id args…` like [`run`] without waiting for it; stdout and stderr are piped.
pub fn spawn(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Child {
    command(dir, env, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start kuke-id")
}
