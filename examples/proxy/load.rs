//! The 2025-11-18 sequence replayed against a live proxy under load, shared by
//! `tests/replay_under_load.rs` and `examples/replay.rs --under-load`.
//!
//! An in-process upstream (200 with the score it received), the proxy on
//! 127.0.0.1 port 0, N client tasks, and a thread that swaps the feature file
//! (good, doubled, good, doubled, over capacity, …) every `swap_every` while
//! the watcher reloads it. The same churn then runs through the incident's
//! unwrap loader.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use feature_table::shared::Watcher;
use feature_table::{Accepted, ReloadError};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{Request, header};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;

use crate::service::{self, CAPACITY, Engine, Proxy, Scorer, UnwrapLoader};

/// How hard and how long.
#[derive(Debug, Clone, Copy)]
pub struct LoadConfig {
    /// Concurrent client tasks.
    pub clients: usize,
    /// Length of each of the three phases.
    pub phase: Duration,
    /// Upper bound on requests per client per phase.
    pub max_requests_per_client: usize,
    /// Time between feature-file swaps.
    pub swap_every: Duration,
}

/// One phase's client-side view.
#[derive(Debug, Default)]
pub struct Phase {
    /// Requests sent.
    pub requests: usize,
    /// Responses that were not 2xx (or failed outright).
    pub failed: usize,
    /// 2xx responses whose upstream saw no numeric `x-bot-score`.
    pub unscored: usize,
    /// Sorted latencies.
    pub latencies: Vec<Duration>,
}

impl Phase {
    /// The `q`-quantile latency (0.5, 0.99).
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i]
    }
}

/// One file the swapper wrote.
#[derive(Debug)]
pub struct Swap {
    /// "good", "doubled" or "over capacity".
    pub kind: &'static str,
    /// Entries in the file.
    pub entries: usize,
    /// What feature-table did with it (`None` for the unwrap loader, which
    /// takes anything).
    pub outcome: Option<Result<Accepted, ReloadError>>,
}

/// Everything measured.
#[derive(Debug)]
pub struct Report {
    /// feature-table, no reloads.
    pub steady: Phase,
    /// feature-table, files swapped every `swap_every`.
    pub churn: Phase,
    /// The unwrap loader, same churn.
    pub unwrap_churn: Phase,
    /// The feature-table swaps and their outcomes.
    pub swaps: Vec<Swap>,
    /// The unwrap-loader swaps.
    pub unwrap_swaps: Vec<Swap>,
    /// The engine's counters at the end.
    pub stats: feature_table::shared::SharedStats,
    /// Scoring panics caught in the unwrap proxy.
    pub unwrap_panics: u64,
}

/// The incident's sequence: (kind, copies, minimum entries).
const SEQUENCE: [(&str, usize, usize); 5] =
    [("good", 1, 0), ("doubled", 2, 0), ("good", 1, 0), ("doubled", 2, 0), ("over capacity", 1, 240)];

fn write_atomically(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Swaps the file through [`SEQUENCE`] until `stop`, waiting (bounded) for
/// each outcome the watcher reports on `outcomes`.
fn swapper(
    path: PathBuf,
    every: Duration,
    first_version: u64,
    stop: Arc<AtomicBool>,
    outcomes: Option<mpsc::Receiver<Result<Accepted, ReloadError>>>,
) -> std::thread::JoinHandle<Vec<Swap>> {
    std::thread::spawn(move || {
        let mut swaps = Vec::new();
        let mut version = first_version;
        for &(kind, copies, min_entries) in SEQUENCE.iter().cycle() {
            if stop.load(Ordering::Relaxed) || swaps.len() >= 10_000 {
                break;
            }
            std::thread::sleep(every);
            version += 1;
            let bytes = service::feature_file(version, copies, min_entries);
            write_atomically(&path, &bytes);
            let outcome = outcomes.as_ref().map(|rx| rx.recv_timeout(Duration::from_secs(5)).unwrap());
            swaps.push(Swap { kind, entries: min_entries.max(service::EXTRACTORS.len() * copies), outcome });
        }
        swaps
    })
}

/// Runs `clients` tasks against `addr` for `phase` (bounded count).
async fn drive(addr: std::net::SocketAddr, config: LoadConfig) -> Phase {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let deadline = Instant::now() + config.phase;
    let tasks: Vec<_> = (0..config.clients)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut phase = Phase { latencies: Vec::with_capacity(4096), ..Phase::default() };
                while Instant::now() < deadline && phase.requests < config.max_requests_per_client {
                    let browser = (i + phase.requests).is_multiple_of(2);
                    let uri = format!("http://{addr}/shop/item/{}?ref=home&q={}", phase.requests, i);
                    let mut request = Request::get(uri);
                    request = if browser {
                        request
                            .header(header::USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131")
                            .header(header::ACCEPT, "text/html")
                            .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
                            .header(header::COOKIE, "session=abc; theme=dark")
                    } else {
                        request.header(header::USER_AGENT, "python-requests/2.32")
                    };
                    let started = Instant::now();
                    phase.requests += 1;
                    let response = client.request(request.body(Empty::new()).unwrap()).await;
                    let ok = match response {
                        Ok(response) if response.status().is_success() => {
                            let body = response.into_body().collect().await.map(|b| b.to_bytes());
                            let scored = body.as_ref().ok().and_then(|b| std::str::from_utf8(b).ok());
                            let scored =
                                scored.and_then(|s| s.parse::<u8>().ok()).is_some_and(|s| (1..=99).contains(&s));
                            phase.unscored += usize::from(!scored);
                            body.is_ok()
                        }
                        Ok(response) => {
                            let _ = response.into_body().collect().await;
                            false
                        }
                        Err(_) => false,
                    };
                    phase.latencies.push(started.elapsed());
                    phase.failed += usize::from(!ok);
                }
                phase
            })
        })
        .collect();
    let mut total = Phase::default();
    for task in tasks {
        let phase = task.await.unwrap();
        total.requests += phase.requests;
        total.failed += phase.failed;
        total.unscored += phase.unscored;
        total.latencies.extend(phase.latencies);
    }
    total.latencies.sort_unstable();
    total
}

async fn start_proxy(proxy: Arc<Proxy>) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (addr, tokio::spawn(service::serve(listener, proxy, std::future::pending())))
}

/// Runs the three phases and reports.
pub async fn run(config: LoadConfig) -> Report {
    let dir = std::env::temp_dir().join(format!("feature-table-load-{}-{}", std::process::id(), config.clients));
    std::fs::create_dir_all(&dir).unwrap();

    let upstream_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = upstream_listener.local_addr().unwrap();
    let upstream_task = tokio::spawn(service::serve_upstream(upstream_listener, std::future::pending()));

    // feature-table: steady, then churn.
    let path = dir.join("features.json");
    write_atomically(&path, &service::feature_file(1, 1, 0));
    let engine = Arc::new(Engine::new(service::EXTRACTORS, service::POLICY));
    engine.reload(&std::fs::read(&path).unwrap(), service::MODEL).unwrap();
    let (tx, rx) = mpsc::channel();
    let watched = Arc::clone(&engine);
    let watcher = Watcher::spawn(&path, Duration::from_millis(5), move |bytes| {
        let _ = tx.send(watched.reload_features(bytes));
    })
    .unwrap();
    let (addr, proxy_task) =
        start_proxy(Arc::new(Proxy::new(Scorer::FeatureTable(Arc::clone(&engine)), upstream, false))).await;
    let steady = drive(addr, config).await;

    let stop = Arc::new(AtomicBool::new(false));
    let swaps = swapper(path.clone(), config.swap_every, 1, Arc::clone(&stop), Some(rx));
    let churn = drive(addr, config).await;
    stop.store(true, Ordering::Relaxed);
    let swaps = swaps.join().unwrap();
    drop(watcher);
    proxy_task.abort();
    let stats = engine.stats();

    // The incident's loader, same churn.
    let path = dir.join("features-unwrap.json");
    write_atomically(&path, &service::feature_file(1, 1, 0));
    let model: serde_json::Value = serde_json::from_slice(service::MODEL).unwrap();
    let weights = model["weights"].as_array().unwrap().iter().map(|w| w.as_f64().unwrap() as f32).collect();
    let loader = Arc::new(UnwrapLoader::new(weights));
    loader.load(&std::fs::read(&path).unwrap());
    let watched = Arc::clone(&loader);
    let (tx, rx) = mpsc::channel();
    let watcher = Watcher::spawn(&path, Duration::from_millis(5), move |bytes| {
        watched.load(bytes);
        let _ = tx.send(Ok(Accepted { version: 0, len: 0, switches_dropped: 0 }));
    })
    .unwrap();
    let unwrap_proxy = Arc::new(Proxy::new(Scorer::Unwrap(loader), upstream, false));
    let (addr, proxy_task) = start_proxy(Arc::clone(&unwrap_proxy)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let unwrap_swaps = swapper(path, config.swap_every, 1, Arc::clone(&stop), Some(rx));
    let unwrap_churn = drive(addr, config).await;
    stop.store(true, Ordering::Relaxed);
    let mut unwrap_swaps = unwrap_swaps.join().unwrap();
    unwrap_swaps.iter_mut().for_each(|s| s.outcome = None);
    drop(watcher);
    proxy_task.abort();
    upstream_task.abort();
    std::fs::remove_dir_all(&dir).unwrap();

    let unwrap_panics = unwrap_proxy.panics.load(Ordering::Relaxed);
    Report { steady, churn, unwrap_churn, swaps, unwrap_swaps, stats, unwrap_panics }
}

/// The report as a person reads it.
pub fn render(report: &Report, config: &LoadConfig) -> String {
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1000.0);
    let count = |swaps: &[Swap], kind: &str| swaps.iter().filter(|s| s.kind == kind).count();
    let mut out = String::new();
    out.push_str(&format!(
        "under load: {} clients, {:?} per phase, feature file swapped every {:?} (good, doubled, good, doubled, over capacity)\n\n",
        config.clients, config.phase, config.swap_every
    ));
    out.push_str(&format!(
        "{:<34} {:>10} {:>10} {:>10} {:>12} {:>12}\n",
        "", "requests", "failed", "unscored", "p50", "p99"
    ));
    for (name, phase) in [
        ("feature-table, no reloads", &report.steady),
        ("feature-table, reload churn", &report.churn),
        ("unwrap loader, reload churn", &report.unwrap_churn),
    ] {
        out.push_str(&format!(
            "{:<34} {:>10} {:>10} {:>10} {:>12} {:>12}\n",
            name,
            phase.requests,
            phase.failed,
            phase.unscored,
            ms(phase.quantile(0.5)),
            ms(phase.quantile(0.99))
        ));
    }
    let rejected = report.swaps.iter().filter(|s| matches!(s.outcome, Some(Err(_)))).count();
    out.push_str(&format!(
        "\nfeature-table: {} files offered ({} good, {} doubled, {} over capacity): {} accepted, {} rejected; 0 requests failed by design\n",
        report.swaps.len(),
        count(&report.swaps, "good"),
        count(&report.swaps, "doubled"),
        count(&report.swaps, "over capacity"),
        report.swaps.len() - rejected,
        rejected
    ));
    if let Some(Swap { outcome: Some(Err(e)), .. }) = report.swaps.iter().find(|s| s.kind == "doubled") {
        out.push_str(&format!("  doubled file:       {e}\n"));
    }
    if let Some(Swap { outcome: Some(Err(e)), .. }) = report.swaps.iter().find(|s| s.kind == "over capacity") {
        out.push_str(&format!("  over-capacity file: {e}\n"));
    }
    out.push_str(&format!(
        "unwrap loader: {} files stored unchecked; {} requests panicked in scoring (caught and counted here; in the incident, dead workers)\n",
        report.unwrap_swaps.len(),
        report.unwrap_panics
    ));
    out.push_str(&format!("capacity: {CAPACITY} features\n"));
    out
}
