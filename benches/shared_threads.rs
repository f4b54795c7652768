//! Thread scaling of [`SharedEngine`]: 1, 2 and (as far as the machine has
//! cores) 4 and 8 threads score requests through one engine, each thread
//! timing its own CPU time. Per-request cost should not grow with threads:
//! the handle is one `arc_swap` load and the counters are sharded per
//! thread. Three loops: `score` (a request's 200 extractors), `load` (the
//! handle alone) and `score_signals` (the fast lane, 200 precomputed
//! signals, where a per-request counter weighs most); and for contrast the
//! fast lane plus one `fetch_add` on a single counter every thread shares,
//! as `SharedEngine` counted before its counters were sharded.
//!
//! ```text
//! cargo bench --features std --bench shared_threads
//! ```
//!
//! Each sample: every thread scores `iters` requests; the reported time per
//! iteration is the mean over threads of each thread's CPU time / `iters`,
//! so it is the per-request cost a worker pays. Threads beyond the cores
//! are not run (they would measure time slicing, not sharing).

#[path = "../examples/proxy/service.rs"]
#[allow(unused_imports)]
mod service;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use service::Engine;

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

/// This thread's CPU time.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The old design's per-request write: one counter every worker shares.
static SHARED_COUNTER: AtomicU64 = AtomicU64::new(0);

/// `threads` threads each run `per_request` `iters` times; returns the mean
/// of their CPU times (criterion divides by `iters`).
fn run(threads: usize, iters: u64, per_request: &(impl Fn() + Sync)) -> Duration {
    let start = Barrier::new(threads);
    let total: Duration = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    let begin = thread_cpu();
                    for _ in 0..iters {
                        per_request();
                    }
                    thread_cpu() - begin
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total / threads as u32
}

fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or_else(|| std::env::consts::ARCH.to_string(), |m| m.trim().to_string())
}

fn benches(c: &mut Criterion) {
    let engine = Arc::new(Engine::new(service::EXTRACTORS, service::POLICY));
    engine.reload(&service::feature_file(1, 1, 0), service::MODEL).unwrap();
    let request = request();
    // The fast lane: the host's 200 signals, already computed.
    let signals: Vec<f32> = (0..200).map(|i| (i % 7) as f32 * 0.25).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("CPU: {} ({cores} cores)", cpu_model());
    let counts: Vec<usize> = [1, 2, 4, 8].into_iter().filter(|&t| t <= 2 || t <= cores).collect();

    let mut group = c.benchmark_group("shared_threads");
    for &threads in &counts {
        group.bench_with_input(BenchmarkId::new("score", threads), &threads, |b, &threads| {
            b.iter_custom(|iters| {
                run(threads, iters, &|| {
                    let _ = black_box(engine.score(black_box(&request)));
                })
            })
        });
        group.bench_with_input(BenchmarkId::new("load", threads), &threads, |b, &threads| {
            b.iter_custom(|iters| {
                run(threads, iters, &|| {
                    engine.with_current(|pair| {
                        black_box(pair.is_some());
                    })
                })
            })
        });
        group.bench_with_input(BenchmarkId::new("score_signals", threads), &threads, |b, &threads| {
            b.iter_custom(|iters| {
                run(threads, iters, &|| {
                    let _ = black_box(engine.score_signals(black_box(&signals)));
                })
            })
        });
        group.bench_with_input(
            BenchmarkId::new("score_signals+one_shared_counter", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    run(threads, iters, &|| {
                        let _ = black_box(engine.score_signals(black_box(&signals)));
                        SHARED_COUNTER.fetch_add(1, Ordering::Relaxed);
                    })
                })
            },
        );
    }
    group.finish();
    assert_eq!(engine.stats().unscored(), 0);
}

criterion_group!(shared_threads, benches);
criterion_main!(shared_threads);
