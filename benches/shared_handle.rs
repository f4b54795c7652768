//! The per-request cost of [`SharedEngine`]: the handle alone (`arc_swap`
//! load) and load + score, each without reloads and with another thread
//! reloading feature files in a loop.
//!
//! ```text
//! cargo bench --features std --bench shared_handle
//! ```
//!
//! Goal: the handle costs at most 20 ns and does not change under churn.

#[path = "support/request.rs"]
mod request;
#[path = "../examples/proxy/service.rs"]
#[allow(unused_imports)]
mod service;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use criterion::{Criterion, criterion_group, criterion_main};
use request::request;
use service::Engine;

fn engine() -> Arc<Engine> {
    let engine = Arc::new(Engine::new(service::EXTRACTORS, service::POLICY));
    engine.reload(&service::feature_file(1, 1, 0), service::MODEL).unwrap();
    engine
}

/// Reloads in a loop until dropped: a good file, a doubled one (rejected),
/// the next good one, ...
struct Churn {
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<u64>>,
}

impl Churn {
    /// `pause`: time between reload pairs (`None`: a tight loop, far more
    /// than any real deployment; feature files change every few minutes).
    fn start(engine: &Arc<Engine>, pause: Option<std::time::Duration>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (Arc::clone(engine), Arc::clone(&stop));
        // Start above the serving version: an earlier churn left it higher.
        let serving = engine.with_current(|pair| pair.map_or(1, |pair| pair.features.table.version()));
        let thread = thread::spawn(move || {
            let mut version = serving;
            while !flag.load(Ordering::Relaxed) {
                version += 1;
                engine.reload_features(&service::feature_file(version, 1, 0)).unwrap();
                let _ = engine.reload_features(&service::feature_file(version + 1, 2, 0)).unwrap_err();
                if let Some(pause) = pause {
                    thread::sleep(pause);
                }
            }
            version - serving
        });
        Self { stop, thread: Some(thread) }
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let published = thread.join().unwrap();
            eprintln!("  (churn thread published {published} feature files)");
        }
    }
}

fn benches(c: &mut Criterion) {
    let engine = engine();
    let request = request();
    let mut group = c.benchmark_group("shared_handle");
    group.bench_function("load/no_reloads", |b| b.iter(|| engine.with_current(|pair| black_box(pair.is_some()))));
    // The same scoring through the single-threaded Engine: what the handle adds.
    let mut single = Box::new(feature_table::Engine::<_, feature_table::model::logistic::Logistic<200>, 200>::new(
        service::EXTRACTORS,
        service::POLICY,
        Default::default(),
        Default::default(),
    ));
    single.offer_features(&service::feature_file(1, 1, 0)).unwrap();
    single.offer_model(service::MODEL).unwrap();
    group.bench_function("engine_score/single_threaded", |b| b.iter(|| black_box(single.score(black_box(&request)))));
    group.bench_function("load+score/no_reloads", |b| b.iter(|| black_box(engine.score(black_box(&request)))));
    for (name, pause) in [("reload_every_1ms", Some(std::time::Duration::from_millis(1))), ("reload_tight_loop", None)]
    {
        let _churn = Churn::start(&engine, pause);
        group.bench_function(format!("load/{name}"), |b| {
            b.iter(|| engine.with_current(|pair| black_box(pair.is_some())))
        });
        group.bench_function(format!("load+score/{name}"), |b| b.iter(|| black_box(engine.score(black_box(&request)))));
    }
    group.finish();
    assert_eq!(engine.stats().unscored(), 0);
}

criterion_group!(shared_handle, benches);
criterion_main!(shared_handle);
