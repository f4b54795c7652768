//! Thread scaling of [`SharedEngine`]: 1, 2 and (as far as the machine has
//! CPUs) 4 and 8 threads score through one engine, each thread timing its
//! own CPU time. The per-request cost should not grow with threads: the
//! handle is one `arc_swap` load and the per-request counters are sharded
//! per thread.
//!
//! ```text
//! cargo bench --features std --bench shared_scaling
//! ```
//!
//! Per thread count, four loops: `score` (a request's extractors), `load`
//! (the handle alone), `score_signals` (the fast lane, 200 precomputed
//! signals, where a per-request counter weighs most), and for contrast
//! `score_signals/one_shard`: the same through an engine with one counter
//! shard, the layout before sharding, where every thread writes one line.
//!
//! Each sample: every thread scores `iters` requests; the reported time per
//! iteration is the mean over threads of each thread's CPU time / `iters`,
//! the per-request cost a worker pays. Thread counts beyond the CPUs are not
//! run (they would measure time slicing, not sharing).

#[path = "support/request.rs"]
mod request;
#[path = "../examples/proxy/service.rs"]
#[allow(unused_imports)]
mod service;

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use request::request;
use service::Engine;

/// This thread's CPU time.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `threads` threads each run `per_request` `iters` times, started together;
/// returns the mean of their CPU times (criterion divides by `iters`).
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

/// An engine serving the proxy's pair, with `shards` counter shards (or the
/// default, one per CPU).
fn engine(shards: Option<usize>) -> Arc<Engine> {
    let engine = match shards {
        None => Engine::new(service::EXTRACTORS, service::POLICY),
        Some(shards) => Engine::with_counter_shards(service::EXTRACTORS, service::POLICY, shards),
    };
    engine.reload(&service::feature_file(1, 1, 0), service::MODEL).unwrap();
    Arc::new(engine)
}

fn benches(c: &mut Criterion) {
    let (sharded, one_shard) = (engine(None), engine(Some(1)));
    let request = request();
    // The fast lane: 200 signals, already computed.
    let signals: Vec<f32> = (0..200).map(|i| (i % 7) as f32 * 0.25).collect();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("CPU: {} ({cpus} CPUs; {} counter shards by default)", cpu_model(), sharded.counter_shards());
    let counts: Vec<usize> = [1, 2, 4, 8].into_iter().filter(|&t| t <= 2 || t <= cpus).collect();

    let mut group = c.benchmark_group("shared_scaling");
    for &threads in &counts {
        group.bench_with_input(BenchmarkId::new("score", threads), &threads, |b, &threads| {
            b.iter_custom(|iters| {
                run(threads, iters, &|| {
                    let _ = black_box(sharded.score(black_box(&request)));
                })
            })
        });
        group.bench_with_input(BenchmarkId::new("load", threads), &threads, |b, &threads| {
            b.iter_custom(|iters| {
                run(threads, iters, &|| {
                    sharded.with_current(|pair| black_box(pair.is_some()));
                })
            })
        });
        for (name, engine) in [("score_signals", &sharded), ("score_signals/one_shard", &one_shard)] {
            group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &threads| {
                b.iter_custom(|iters| {
                    run(threads, iters, &|| {
                        let _ = black_box(engine.score_signals(black_box(&signals)));
                    })
                })
            });
        }
    }
    group.finish();
    assert_eq!(sharded.stats().unscored() + one_shard.stats().unscored(), 0);
}

criterion_group!(shared_scaling, benches);
criterion_main!(shared_scaling);
