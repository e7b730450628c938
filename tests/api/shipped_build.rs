//! The test-only sign-in route exists only in test builds. The binary as
//! `cargo build [--release]` makes it (which `.ci/run` builds and names in
//! `KUKE_ID_TEST_SHIPPED_BINARY`) answers 404 there, like any unknown path.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use kuke_id::http::test_support::SIGN_IN;

/// A `kuke-id serve --demo` child process on a free loopback port, stopped on drop.
struct Served {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start(binary: &Path) -> Served {
        let dir = tempfile::tempdir().expect("dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let mut command = Command::new(binary);
        for (key, _) in std::env::vars() {
            if key.starts_with("KUKE_ID_") {
                command.env_remove(key);
            }
        }
        let mut child = command
            .current_dir(dir.path())
            .args(["serve", "--demo"])
            .env("KUKE_ID_LISTEN", format!("127.0.0.1:{port}"))
            .env("KUKE_ID_ISSUER", format!("http://127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        // The demo prints its account once it serves.
        let stdout = child.stdout.take().expect("stdout");
        let printed: Vec<String> =
            BufReader::new(stdout).lines().map_while(Result::ok).take_while(|l| !l.contains("demo account")).collect();
        let served = Served { child, port, _dir: dir };
        assert!(
            printed.iter().any(|l| l.contains("client_id=demo")),
            "{} did not serve: {printed:?}",
            binary.display()
        );
        served
    }

    /// The status line of a bodiless form POST to `path`.
    fn post_status(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let _ = write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response.lines().next().unwrap_or_default().to_string()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[cfg_attr(
    kuke_id_skip_shipped,
    ignore = "set KUKE_ID_TEST_SHIPPED_BINARY to a `cargo build --release` binary of kuke-id"
)]
fn a_shipped_build_answers_404_on_the_test_sign_in_route() {
    let shipped =
        std::env::var("KUKE_ID_TEST_SHIPPED_BINARY").expect("KUKE_ID_TEST_SHIPPED_BINARY names the shipped binary");
    let shipped = Path::new(&shipped);
    assert!(shipped.is_file(), "{} does not exist: run `cargo build --release` first", shipped.display());

    // The same request to the test build reaches the route (400: no login given),
    // so the 404 below is the route's absence, not a wrong path.
    let test_build = Served::start(Path::new(env!("CARGO_BIN_EXE_kuke-id")));
    assert!(test_build.post_status(SIGN_IN).starts_with("HTTP/1.1 400"), "{}", test_build.post_status(SIGN_IN));

    let shipped_build = Served::start(shipped);
    assert!(shipped_build.post_status(SIGN_IN).starts_with("HTTP/1.1 404"), "{}", shipped_build.post_status(SIGN_IN));
}
