//! kuke-id beside a certified peer: panva's oidc-provider under Node.js
//! (`benches/peer/`), pinned to the same CPU and driven the same way, in
//! alternating rounds (peer, kuke-id, peer, kuke-id, …) so both meet the same
//! neighbours. Server CPU per request is the figure compared; the ratios are
//! printed beside the targets.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::drive::Figures;
use crate::server::Server;
use crate::{Setup, scenario};

/// The scenarios both providers serve, with kuke-id's target ratio.
const COMPARED: [(&str, f64); 3] = [("discovery", 0.10), ("jwks", 0.10), ("client_credentials", 0.12)];

/// Runs the comparison (`LOAD_ROUNDS` rounds, default 3) and prints its table.
pub async fn compare(kuke: &Server, setup: &Arc<Setup>, connections: usize, seconds: Duration, pin: bool) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peer");
    if !dir.join("node_modules").is_dir() {
        let installed = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
            .arg(&dir)
            .status();
        assert!(
            installed.is_ok_and(|s| s.success()),
            "npm ci in {} failed: the peer needs Node.js and npm",
            dir.display()
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let secret = "peer-secret-for-loopback-benchmarks";
    let peer = Server::start_peer(&dir.join("server.mjs"), port, secret, pin).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (peer_idle, _) = peer.memory_mib();
    let (kuke_idle, _) = kuke.memory_mib();
    let mut peer_setup = (**setup).clone();
    peer_setup.base = format!("http://127.0.0.1:{port}");
    peer_setup.machine = ("bench-machine".into(), secret.into());
    let peer_setup = Arc::new(peer_setup);

    let rounds = usize::try_from(crate::env_number("LOAD_ROUNDS", 3)).unwrap_or(3).max(1);
    let mut figures: Vec<(Vec<Figures>, Vec<Figures>)> = COMPARED.iter().map(|_| (Vec::new(), Vec::new())).collect();
    for round in 0..rounds {
        for (i, (name, _)) in COMPARED.iter().enumerate() {
            // Who goes first alternates, so neither always follows the other's load.
            let order = if round % 2 == 0 { [true, false] } else { [false, true] };
            for peer_turn in order {
                if peer_turn {
                    figures[i].1.push(scenario(name, &peer, &peer_setup, connections, seconds).await.1);
                } else {
                    figures[i].0.push(scenario(name, kuke, setup, connections, seconds).await.1);
                }
            }
        }
    }
    println!(
        "\nBeside the certified peer (oidc-provider 9.13.3, Node.js {}), median of {rounds} alternating rounds:\n",
        node_version()
    );
    println!("| scenario | kuke-id CPU µs/req | peer CPU µs/req | ratio | target | kuke-id req/s | peer req/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut kuke_peak: f64 = 0.0;
    let mut peer_peak: f64 = 0.0;
    for ((name, target), (ours, theirs)) in COMPARED.iter().zip(&figures) {
        let cpu = |f: &[Figures]| median(f.iter().map(|f| f.cpu_us).collect());
        let rate = |f: &[Figures]| median(f.iter().map(|f| f.per_second).collect());
        kuke_peak = ours.iter().map(|f| f.peak_rss_mib).fold(kuke_peak, f64::max);
        peer_peak = theirs.iter().map(|f| f.peak_rss_mib).fold(peer_peak, f64::max);
        let ratio = cpu(ours) / cpu(theirs);
        let mark = if ratio <= *target { "met" } else { "missed" };
        println!(
            "| {name} | {:.0} | {:.0} | {ratio:.2} | ≤ {target:.2} ({mark}) | {:.0} | {:.0} |",
            cpu(ours),
            cpu(theirs),
            rate(ours),
            rate(theirs)
        );
    }
    println!("| RSS idle, MiB | {kuke_idle:.1} | {peer_idle:.1} | {:.2} | ≤ 16 MiB | | |", kuke_idle / peer_idle);
    println!(
        "| RSS peak under this load, MiB | {kuke_peak:.1} | {peer_peak:.1} | {:.2} | ≤ 32 MiB | | |",
        kuke_peak / peer_peak
    );
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn node_version() -> String {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "?".into(), |v| v.trim().to_string())
}
