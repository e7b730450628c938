//! A closed-loop load generator: `connections` tasks, each repeating one
//! operation for a fixed time, with the server's CPU time and memory read
//! before, during and after.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::server::Server;

/// What one scenario measured.
pub struct Figures {
    /// Operations that succeeded.
    pub ok: usize,
    /// Operations that failed (each is printed once per kind).
    pub failed: usize,
    /// Successful operations per second.
    pub per_second: f64,
    /// Server CPU time per successful operation.
    pub cpu_us: f64,
    /// Latency percentiles of one operation.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Highest resident memory sampled during the run, MiB.
    pub peak_rss_mib: f64,
}

/// Runs `op` on `connections` workers for `seconds` (after `warmup`); each worker
/// owns a state made by `worker(i)`, which `op` takes and gives back.
pub async fn run<S, F, Op, Fut>(
    server: &Server,
    connections: usize,
    warmup: Duration,
    seconds: Duration,
    worker: F,
    op: Op,
) -> Figures
where
    S: Send + 'static,
    F: Fn(usize) -> S,
    Op: Fn(S) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = (S, Result<(), String>)> + Send,
{
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for i in 0..connections {
        let mut state = Some(worker(i));
        let (op, measuring, stop) = (op.clone(), measuring.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut failures) = (Vec::new(), Vec::<String>::new());
            while let Some(taken) = state.take().filter(|_| !stop.load(Ordering::Relaxed)) {
                let started = Instant::now();
                let (back, result) = op(taken).await;
                state = Some(back);
                if !measuring.load(Ordering::Relaxed) {
                    continue;
                }
                match result {
                    Ok(()) => latencies.push(started.elapsed()),
                    Err(error) => failures.push(error),
                }
            }
            (latencies, failures)
        }));
    }
    tokio::time::sleep(warmup).await;
    let cpu_before = server.cpu();
    let started = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    let mut peak_rss_mib: f64 = 0.0;
    while started.elapsed() < seconds {
        tokio::time::sleep(Duration::from_millis(250)).await;
        peak_rss_mib = peak_rss_mib.max(server.memory_mib().0);
    }
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let cpu = server.cpu().saturating_sub(cpu_before);
    stop.store(true, Ordering::Relaxed);
    let (mut latencies, mut failures) = (Vec::new(), Vec::new());
    for task in tasks {
        if let Ok((l, f)) = task.await {
            latencies.extend(l);
            failures.extend(f);
        }
    }
    let failed = failures.len();
    failures.sort();
    failures.dedup();
    for failure in failures.iter().take(3) {
        eprintln!("  failure: {failure}");
    }
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let ok = latencies.len();
    Figures {
        ok,
        failed,
        per_second: ok as f64 / elapsed.as_secs_f64(),
        cpu_us: if ok == 0 { 0.0 } else { cpu.as_secs_f64() * 1e6 / ok as f64 },
        p50: at(0.5),
        p99: at(0.99),
        peak_rss_mib,
    }
}
