//! Does the per-request cost of [`SharedEngine`] grow with threads? 1, 2, 4
//! and 8 threads (as many as `available_parallelism` allows) score the same
//! request through ONE engine (the model and request of `shared_handle`),
//! three ways:
//!
//! - `sharded`: the engine as built by `new` (one counter shard per CPU);
//! - `one shard`: the engine built with one counter shard, so every thread
//!   increments the same counter line (the layout before sharding);
//! - `sharded + shared atomic`: `sharded`, plus a `fetch_add` per request on
//!   one atomic of this bench shared by all threads: the contention a single
//!   counter adds, made visible in the same run.
//!
//! Two lanes: `score` (the extractors read the request head) and
//! `score_signals` (the same request's signals, precomputed), where a
//! counter's share of the cost is larger.
//!
//! It also prints the handle's load cost (one `arc_swap` load), the CPU
//! model and the load average, because the numbers mean nothing without them.
//!
//! ```text
//! cargo bench --features std --bench shared_scaling
//! ```
//!
//! Per-request time is per thread: each thread's wall time (and its own CPU
//! time, `CLOCK_THREAD_CPUTIME_ID`) over its requests, averaged over the
//! threads; the best of 5 runs. Flat across thread counts means the
//! threads do not slow each other down. Compare the CPU columns: on a
//! machine busy with other work, two threads may take turns on one CPU,
//! which inflates wall time and hides contention. At one thread, a few ns
//! between the engines can come from where each one's pair landed in memory,
//! not from its counters: swapping the order the engines are built in moved
//! a 5 ns gap (score_signals, one thread) from one engine to the other. Without `--bench` (as `cargo test
//! --benches` runs it) it does a few requests per case, to check it runs.

#[path = "../examples/proxy/service.rs"]
#[allow(unused_imports)]
mod service;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use service::Engine;

/// A browser-like request head (as in `shared_handle`).
fn request() -> hyper::http::request::Parts {
    let request = hyper::Request::get("http://127.0.0.1/shop/item/42?ref=home")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131")
        .header("accept", "text/html")
        .header("accept-language", "en-GB,en;q=0.9")
        .header("cookie", "session=abc; theme=dark")
        .body(())
        .unwrap();
    request.into_parts().0
}

fn engine(shards: Option<usize>) -> Arc<Engine> {
    let engine = match shards {
        None => Engine::new(service::EXTRACTORS, service::POLICY),
        Some(shards) => Engine::with_counter_shards(service::EXTRACTORS, service::POLICY, shards),
    };
    engine.reload(&service::feature_file(1, 1, 0), service::MODEL).unwrap();
    Arc::new(engine)
}

/// CPU time of the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| info.lines().find(|l| l.starts_with("model name")).map(|l| l.to_string()))
        .and_then(|line| line.split_once(':').map(|(_, model)| model.trim().to_string()))
        .unwrap_or_else(|| "unknown (no /proc/cpuinfo model name)".into())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(|_| "unknown".into(), |l| l.trim().to_string())
}

/// How a request is scored.
#[derive(Clone, Copy)]
enum Lane {
    /// `score`: the extractors read the request head.
    Request,
    /// `score_signals`: the host's precomputed signals of the same request
    /// (much cheaper, so a counter's contention weighs more).
    Signals,
}

/// Per-request (wall, CPU) ns, averaged over `threads` threads each scoring
/// `requests` requests through `engine` (and bumping `shared` if given).
fn per_request(
    engine: &Arc<Engine>,
    lane: Lane,
    threads: usize,
    requests: u64,
    shared: Option<&Arc<AtomicU64>>,
) -> (f64, f64) {
    let start = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (engine, start, shared) = (Arc::clone(engine), Arc::clone(&start), shared.cloned());
            thread::spawn(move || {
                let request = request();
                let signals: Vec<f32> = service::EXTRACTORS.iter().map(|e| e.compute(&request)).collect();
                let score = |engine: &Engine| match lane {
                    Lane::Request => engine.score(black_box(&request)),
                    Lane::Signals => engine.score_signals(black_box(&signals)),
                };
                // The thread's first load and counter-shard pick, untimed.
                score(&engine).unwrap();
                start.wait();
                let (wall, cpu) = (Instant::now(), thread_cpu_time());
                for _ in 0..requests {
                    black_box(score(&engine)).unwrap();
                    if let Some(shared) = &shared {
                        shared.fetch_add(1, Ordering::Relaxed);
                    }
                }
                (wall.elapsed(), thread_cpu_time() - cpu)
            })
        })
        .collect();
    let (mut wall, mut cpu) = (0.0, 0.0);
    for worker in workers {
        let (w, c) = worker.join().unwrap();
        wall += w.as_nanos() as f64;
        cpu += c.as_nanos() as f64;
    }
    let n = (threads as u64 * requests) as f64;
    (wall / n, cpu / n)
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (requests, runs) = if measuring { (1_000_000_u64, 5) } else { (1_000, 1) };
    let cpus = thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    println!("shared_scaling: SharedEngine per-request cost by thread count");
    println!("  CPU: {} ({cpus} available to this process)", cpu_model());
    println!("  load average before: {}", load_average());
    println!("  {requests} requests per thread per run, best of {runs} runs; ns per request per thread");

    // The handle alone: one `arc_swap` load.
    let sharded = engine(None);
    let loads = requests * 20;
    let best = (0..runs)
        .map(|_| {
            let (wall, cpu) = (Instant::now(), thread_cpu_time());
            for _ in 0..loads {
                sharded.with_current(|pair| black_box(pair.is_some()));
            }
            (
                wall.elapsed().as_nanos() as f64 / loads as f64,
                (thread_cpu_time() - cpu).as_nanos() as f64 / loads as f64,
            )
        })
        .fold((f64::INFINITY, f64::INFINITY), |(w, c), (w2, c2)| (w.min(w2), c.min(c2)));
    println!("  handle load (one arc_swap load): {:.1} ns wall, {:.1} ns CPU (goal: < 20 ns)", best.0, best.1);
    println!("  counter shards of `sharded`: {}", sharded.counter_shards());

    let one_shard = engine(Some(1));
    let shared = Arc::new(AtomicU64::new(0));
    println!();
    println!(
        "  | lane | threads | sharded (wall / CPU) | one shard (wall / CPU) | sharded + shared atomic (wall / CPU) |"
    );
    println!("  |---|---|---|---|---|");
    for (lane, name) in [(Lane::Request, "score (request)"), (Lane::Signals, "score_signals")] {
        for threads in [1, 2, 4, 8].into_iter().filter(|&t| t <= cpus) {
            let best = |engine: &Arc<Engine>, shared: Option<&Arc<AtomicU64>>| {
                (0..runs)
                    .map(|_| per_request(engine, lane, threads, requests, shared))
                    .fold((f64::INFINITY, f64::INFINITY), |(w, c), (w2, c2)| (w.min(w2), c.min(c2)))
            };
            let cells = [best(&sharded, None), best(&one_shard, None), best(&sharded, Some(&shared))]
                .map(|(wall, cpu)| format!("{wall:.1} / {cpu:.1}"));
            println!("  | {name} | {threads} | {} |", cells.join(" | "));
        }
    }
    if cpus < 8 {
        println!("  (thread counts above {cpus} skipped: this process may use {cpus} CPUs)");
    }
    println!("  load average after: {}", load_average());
    for engine in [&sharded, &one_shard] {
        assert_eq!(engine.stats().unscored(), 0);
    }
}
