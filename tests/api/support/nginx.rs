//! Debian's nginx as a child process with its own prefix folder, running the
//! README's configuration (`deploy/nginx/kuke-id.conf`) in front of a cluster.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where Debian installs nginx.
pub const NGINX: &str = "/usr/sbin/nginx";

/// Set to `1` (as `.ci/run` does) to fail instead of skip when nginx is missing.
pub const REQUIRE_NGINX_ENV: &str = "KUKE_ID_TEST_REQUIRE_NGINX";

/// The configuration the README shows.
const TEMPLATE: &str = include_str!("../../../deploy/nginx/kuke-id.conf");

/// Whether nginx can run here; fails when it cannot but the run requires it.
pub fn available() -> bool {
    let present = Path::new(NGINX).is_file();
    let required = std::env::var(REQUIRE_NGINX_ENV).is_ok_and(|v| v == "1");
    assert!(present || !required, "{REQUIRE_NGINX_ENV}=1, but {NGINX} is missing (apt-get install nginx)");
    if !present {
        eprintln!("skipped: nginx is not installed (apt-get install nginx)");
    }
    present
}

/// The shipped configuration with this test's addresses: the `# node` lines
/// become `nodes`, the `# listen` line loopback `port`, the `# tls` lines go.
pub fn render(port: u16, nodes: &[String]) -> String {
    let mut out = String::new();
    let mut nodes_written = false;
    for line in TEMPLATE.lines() {
        if line.ends_with("# node") {
            if !nodes_written {
                for node in nodes {
                    out.push_str(&format!("    server {node} max_fails=3 fail_timeout=10s;\n"));
                }
                nodes_written = true;
            }
        } else if line.ends_with("# listen") {
            out.push_str(&format!("    listen 127.0.0.1:{port};\n"));
        } else if !line.ends_with("# tls") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A running nginx (one process: `master_process off`, so killing it leaves no
/// worker behind); killed when dropped.
pub struct Nginx {
    child: Child,
}

impl Nginx {
    /// Starts nginx in `dir` with `site` (a server configuration) inside a minimal http block.
    pub async fn start(dir: &Path, port: u16, site: &str) -> Self {
        std::fs::create_dir_all(dir.join("temp")).expect("nginx folder");
        std::fs::write(dir.join("kuke-id.conf"), site).expect("site");
        let temp = dir.join("temp").display().to_string();
        // As root, nginx's workers would otherwise become `nobody`, who cannot read the private folder.
        let user = if is_root() { "user root;\n" } else { "" };
        let main = format!(
            "{user}worker_processes 1;\nevents {{ worker_connections 256; }}\nhttp {{\n  access_log off;\n  \
             client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n  fastcgi_temp_path {temp}/fastcgi;\n  \
             uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n  include kuke-id.conf;\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), main).expect("nginx.conf");
        let prefix = format!("{}/", dir.display());
        let globals =
            format!("daemon off; master_process off; pid {}/nginx.pid; error_log stderr warn;", dir.display());
        let child = Command::new(NGINX)
            .args(["-e", "stderr", "-p", &prefix, "-c", "nginx.conf", "-g", &globals])
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(dir.join("stderr.log")).expect("log")))
            .spawn()
            .expect("start nginx");
        let mut nginx = Self { child };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if let Some(status) = nginx.child.try_wait().expect("poll nginx") {
                let log = std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
                panic!("nginx exited ({status}): {log}");
            }
            assert!(tokio::time::Instant::now() < deadline, "nginx did not listen within 10 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}
