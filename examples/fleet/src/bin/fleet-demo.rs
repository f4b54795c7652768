//! The 2025-11-18 incident at fleet scale: a 3-member etcd cluster on
//! loopback, 8 nodes (agents in this process, each with its own engine,
//! cache and scoring load the whole time), the incident's sequence of files
//! (good, doubled, good, doubled, over capacity, good) published with staged
//! rollout and then with push-to-all, side by side.
//!
//! The publisher runs with its local check off: the drill is what happens
//! when the generator ships a bad file anyway, so the nodes are the check.
//!
//! Exits non-zero if a bad file reached more than the canary under staged
//! rollout or any request failed; the timings are printed, not checked.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::Parser;
use feature_table_fleet::agent::{Agent, AgentConfig};
use feature_table_fleet::local::LocalEtcd;
use feature_table_fleet::node::{self, NodeEngine};
use feature_table_fleet::publish::{PublishOptions, Publisher, parse_stages};

#[derive(Parser)]
#[command(about = "The 2025-11-18 incident on 8 nodes: staged rollout vs push-to-all")]
struct Args {
    /// First of the six loopback ports the 3 etcd members use.
    #[arg(long, default_value_t = 24170)]
    base_port: u16,
    /// Good publishes per mode for the timing percentiles.
    #[arg(long, default_value_t = 100)]
    measure: usize,
    /// Milliseconds between the incident's publishes.
    #[arg(long, default_value_t = 1000)]
    gap_ms: u64,
}

/// The cohorts of the 8 nodes.
const COHORTS: [&str; 8] = ["canary", "wave-1", "wave-1", "all", "all", "all", "all", "all"];

struct Node {
    engine: Arc<NodeEngine>,
    agent: Agent,
}

/// Scoring load on every node: batches of 64 requests, then 1 ms of sleep.
struct Load {
    stop: Arc<AtomicBool>,
    failed: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
    threads: Vec<JoinHandle<()>>,
}

impl Load {
    fn start(nodes: &[Node]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicU64::new(0));
        let total = Arc::new(AtomicU64::new(0));
        let threads = nodes
            .iter()
            .enumerate()
            .map(|(n, node)| {
                let (engine, stop, failed, total) =
                    (Arc::clone(&node.engine), Arc::clone(&stop), Arc::clone(&failed), Arc::clone(&total));
                std::thread::spawn(move || {
                    let mut signals = [0.0f32; 120];
                    let mut i = n as u32;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..64 {
                            i = i.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                            if let Some(s) = signals.get_mut((i >> 8) as usize % 120) {
                                *s = (i >> 16) as f32 / 65536.0;
                            }
                            if engine.score_signals(&signals).is_err() {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        total.fetch_add(64, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(1));
                    }
                })
            })
            .collect();
        Self { stop, failed, total, threads }
    }

    fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
        (self.failed.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }
}

struct ModeResult {
    /// For each bad file: its label and the nodes that received it.
    bad: Vec<(String, usize)>,
    failed: u64,
    total: u64,
    /// Publish call to all 8 nodes serving the good file.
    to_all_serving: Vec<Duration>,
    /// The last stage's commit to every node's status showing the file.
    last_stage: Vec<Duration>,
}

fn fixture(name: &str, version: u64) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name);
    let mut file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    if let Some(v) = file.get_mut("version") {
        *v = version.into();
    }
    Ok(serde_json::to_vec(&file)?)
}

fn model() -> Vec<u8> {
    let weights: Vec<String> = (0..60).map(|i| format!("{:.2}", f64::from(i % 7 - 3) / 10.0)).collect();
    format!(r#"{{"bias": 0.5, "weights": [{}]}}"#, weights.join(", ")).into_bytes()
}

/// Waits until every node serves `seq` (10 s bound); the time since `start`.
async fn all_serving(nodes: &[Node], seq: u64, start: Instant) -> Option<Duration> {
    while start.elapsed() < Duration::from_secs(10) {
        if nodes.iter().all(|n| n.agent.serving() == Some(seq)) {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    None
}

async fn run_mode(
    etcd: &LocalEtcd,
    dir: &Path,
    name: &str,
    waves: &str,
    args: &Args,
) -> Result<ModeResult, Box<dyn std::error::Error>> {
    let prefix = format!("/fleet-demo/{name}");
    let nodes: Vec<Node> = COHORTS
        .iter()
        .enumerate()
        .map(|(i, cohort)| {
            let engine = Arc::new(node::engine());
            let cache = dir.join(format!("{name}-node-{i}.cache"));
            let config = AgentConfig {
                status_interval: Duration::from_millis(200),
                ..AgentConfig::new(etcd.endpoints(), &prefix, &format!("node-{i}"), cohort, cache)
            };
            Node { agent: Agent::start(config, Arc::clone(&engine)), engine }
        })
        .collect();
    let publisher = Publisher::connect(&etcd.endpoints(), &prefix).await?;
    let options = PublishOptions {
        stages: parse_stages(waves),
        stage_deadline: Duration::from_secs(10),
        local_check: false,
        poll: Duration::from_millis(2),
        ..PublishOptions::new()
    };
    let model = model();

    // The first good file, then load on every node from the moment all serve it.
    let first = publisher.publish(&fixture("good-60.json", 1)?, &model, &options).await?;
    all_serving(&nodes, first.seq, Instant::now()).await.ok_or("the first good file did not reach every node")?;
    let load = Load::start(&nodes);

    let mut result =
        ModeResult { bad: Vec::new(), failed: 0, total: 0, to_all_serving: Vec::new(), last_stage: Vec::new() };
    let sequence = [
        ("doubled (v2)", "doubled-120.json", false),
        ("good (v3)", "good-60.json", true),
        ("doubled (v4)", "doubled-120.json", false),
        ("over capacity (v5)", "doubled-240.json", false),
        ("good (v6)", "good-60.json", true),
    ];
    let mut seq = first.seq;
    for (version, (label, file, good)) in (2u64..).zip(sequence) {
        tokio::time::sleep(Duration::from_millis(args.gap_ms)).await;
        seq += 1;
        let start = Instant::now();
        let outcome = publisher.publish(&fixture(file, version)?, &model, &options).await?;
        if outcome.seq != seq {
            return Err(format!("expected seq {seq}, the publisher gave {}", outcome.seq).into());
        }
        if good {
            let took = all_serving(&nodes, seq, start).await.ok_or("a good file did not reach every node")?;
            result.to_all_serving.push(took);
        } else {
            let received =
                nodes.iter().filter(|n| n.agent.rejected() == Some(seq) || n.agent.serving() == Some(seq)).count();
            result.bad.push((label.to_owned(), received));
        }
    }
    for version in 7u64..7 + args.measure as u64 {
        seq += 1;
        let start = Instant::now();
        let outcome = publisher.publish(&fixture("good-60.json", version)?, &model, &options).await?;
        if let Some(reason) = outcome.halted {
            return Err(format!("a good publish halted: {reason}").into());
        }
        let took = all_serving(&nodes, seq, start).await.ok_or("a good file did not reach every node")?;
        result.to_all_serving.push(took);
        if let Some(after) = outcome.stages.last().and_then(|s| s.all_serving_after) {
            result.last_stage.push(after);
        }
    }
    (result.failed, result.total) = load.stop();
    for node in nodes {
        node.agent.stop().await;
    }
    Ok(result)
}

fn percentile(samples: &[Duration], p: usize) -> String {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).map_or("-".to_owned(), |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    let args = Args::parse();
    let dir: PathBuf = std::env::temp_dir().join(format!("fleet-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let started = Instant::now();
    let results = {
        let etcd = LocalEtcd::start(&dir, args.base_port, 3).await?;
        println!("etcd: 3 members on {}", etcd.endpoints().join(" "));
        let both = async {
            let staged = run_mode(&etcd, &dir, "staged", "canary,wave-1,all", &args).await?;
            let push = run_mode(&etcd, &dir, "push", "canary+wave-1+all", &args).await?;
            Ok::<_, Box<dyn std::error::Error>>((staged, push))
        };
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        // On Ctrl-C or SIGTERM the members are killed on the way out (`etcd`'s Drop).
        tokio::select! {
            results = both => results,
            _ = tokio::signal::ctrl_c() => Err("interrupted".into()),
            _ = term.recv() => Err("terminated".into()),
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let (staged, push) = results?;

    let n = staged.to_all_serving.len();
    println!(
        "\nThe 2025-11-18 sequence on 8 nodes (cohorts: 1 canary, 2 wave-1, 5 all), load on every node throughout,\n\
         publisher's local check off (the nodes are the check), {} ms between the incident's publishes, then {} more good publishes.\n",
        args.gap_ms, args.measure
    );
    let row = |label: &str, a: String, b: String| println!("| {label:<62} | {a:>20} | {b:>20} |");
    row("", "staged (3 stages)".into(), "push to all".into());
    println!("|{:-<64}|{:->22}|{:->22}|", "", "", "");
    for ((label, s), (_, p)) in staged.bad.iter().zip(&push.bad) {
        row(&format!("nodes that received {label}"), format!("{s} of 8"), format!("{p} of 8"));
    }
    row(
        "requests failed (unscored) / scored",
        format!("{} / {}", staged.failed, staged.total),
        format!("{} / {}", push.failed, push.total),
    );
    row(
        &format!("publish -> all 8 serving a good file, p50 (n={n})"),
        percentile(&staged.to_all_serving, 50),
        percentile(&push.to_all_serving, 50),
    );
    row(
        &format!("publish -> all 8 serving a good file, p99 (n={n})"),
        percentile(&staged.to_all_serving, 99),
        percentile(&push.to_all_serving, 99),
    );
    let m = staged.last_stage.len();
    row(
        &format!("last stage's commit -> all its statuses show it, p50 (n={m})"),
        percentile(&staged.last_stage, 50),
        percentile(&push.last_stage, 50),
    );
    row(
        &format!("last stage's commit -> all its statuses show it, p99 (n={m})"),
        percentile(&staged.last_stage, 99),
        percentile(&push.last_stage, 99),
    );
    println!("\ndemo took {:.1} s", started.elapsed().as_secs_f64());

    // What the staged rollout promises; timings are printed, not checked
    // (they depend on the machine's load).
    if let Some((label, n)) = staged.bad.iter().find(|(_, n)| *n > 1) {
        return Err(format!("staged rollout: {label} reached {n} nodes, more than the canary").into());
    }
    if staged.failed > 0 || push.failed > 0 {
        return Err(format!("requests failed: {} staged, {} push-to-all", staged.failed, push.failed).into());
    }
    Ok(())
}
