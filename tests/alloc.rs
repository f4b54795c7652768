//! Zero heap allocation on every library path a proxy runs: ingest, offer
//! (accepted and rejected), `active`, `by_name`, `get`, `Feature::resolve`.
//!
//! A counting global allocator wraps the system one. Only allocations made
//! by a thread inside [`allocations_during`] are counted, and a mutex runs
//! one measurement at a time, so the test harness's own threads cannot
//! disturb a count. Inputs are built before counting starts.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{doubled_feature_file, feature_file, names};
use feature_table::{FeatureTable, Limits, Policy, Reloader, ingest};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

thread_local! {
    // `const` and without a destructor: reading it never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: every call is forwarded unchanged to `System`; counting touches
// only an atomic and a const thread-local.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many heap allocations this thread made meanwhile.
fn allocations_during<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    let result = black_box(f());
    COUNTING.with(|c| c.set(false));
    (ALLOCATIONS.load(Ordering::SeqCst), result)
}

#[test]
fn the_counter_sees_a_deliberate_allocation() {
    // Without this, every "zero" below could be a broken counter.
    let (n, v) = allocations_during(|| black_box(Vec::<u8>::with_capacity(64)));
    assert!(n >= 1, "a Vec::with_capacity(64) was not counted");
    drop(v);
    let (n, s) = allocations_during(|| black_box(format!("{}", black_box(42))));
    assert!(n >= 1, "format! was not counted");
    drop(s);
}

#[test]
fn ingest_allocates_nothing_whether_it_accepts_or_rejects() {
    let good = feature_file(1, &names(60));
    let doubled = doubled_feature_file(2, &names(60));
    let over = doubled_feature_file(3, &names(120));
    let truncated = good[..good.len() / 2].to_string();
    let mut table = Box::new(FeatureTable::<200>::new(0));

    let (n, result) = allocations_during(|| ingest(good.as_bytes(), &mut table, Limits::DEFAULT));
    assert_eq!((n, result), (0, Ok(())));
    assert_eq!(table.len(), 60);

    for (what, bytes) in [("doubled", &doubled), ("over capacity", &over), ("truncated", &truncated)] {
        let (n, result) = allocations_during(|| ingest(bytes.as_bytes(), &mut table, Limits::DEFAULT));
        assert!(result.is_err(), "{what} was accepted");
        assert_eq!(n, 0, "ingest of the {what} file allocated");
    }
}

#[test]
fn offer_allocates_nothing_when_accepting_or_rejecting() {
    let first = feature_file(1, &names(60));
    let second = feature_file(2, &names(70));
    let doubled = doubled_feature_file(3, &names(70));
    let over = doubled_feature_file(4, &names(120));
    let stale = feature_file(2, &names(70));
    let grown = feature_file(5, &names(140));
    let mut reloader = Box::new(Reloader::<200>::new(Policy::DEFAULT));

    for (what, bytes, accept) in [
        ("first", &first, true),
        ("second", &second, true),
        ("doubled", &doubled, false),
        ("over capacity", &over, false),
        ("stale version", &stale, false),
        ("grown 2x", &grown, false),
    ] {
        let (n, result) = allocations_during(|| reloader.offer(bytes.as_bytes()));
        assert_eq!(result.is_ok(), accept, "{what}: {result:?}");
        assert_eq!(n, 0, "offer of the {what} file allocated");
    }
    assert_eq!(reloader.stats().rejected, 4);
}

#[test]
fn request_path_lookups_allocate_nothing() {
    let file = feature_file(1, &names(200));
    let mut reloader = Box::new(Reloader::<200>::new(Policy::DEFAULT));
    reloader.offer(file.as_bytes()).unwrap();
    reloader.set_feature_enabled("tls_ja4", false).unwrap();

    let (n, sum) = allocations_during(|| {
        let mut sum = 0.0f32;
        let table = reloader.active().unwrap();
        for name in ["ua_entropy", "tls_ja4", "hdr_count_accept.v6", "absent_feature"] {
            if let Some(feature) = table.by_name(black_box(name)) {
                sum += feature.resolve(black_box(1.0));
            }
        }
        for i in 0..table.len() + 1 {
            if let Some(feature) = table.get(black_box(i)) {
                sum += feature.resolve(black_box(f32::NAN));
            }
        }
        sum += reloader.warning().map_or(0.0, |_| 1.0);
        sum
    });
    assert_eq!(n, 0, "lookups allocated");
    assert!(sum.is_finite());
}

mod scoring {
    use super::*;
    use feature_table::model::logistic::Logistic;
    use feature_table::{Engine, Extractor, FeatureVector};

    struct Request {
        ua_len: f32,
        path_depth: f32,
    }

    static EXTRACTORS: &[Extractor<Request>] =
        &[Extractor::new("ua_len", |r| r.ua_len), Extractor::new("path_depth", |r| r.path_depth)];

    #[test]
    fn scoring_a_request_and_reloading_the_pair_allocate_nothing() {
        let features = br#"{"version":1,"features":[{"name":"ua_len"},{"name":"path_depth","default":1}]}"#;
        let features_v2 = br#"{"version":2,"features":[{"name":"path_depth"},{"name":"ua_len"}]}"#;
        let unknown = br#"{"version":3,"features":[{"name":"tls_ja4"},{"name":"ua_len"}]}"#;
        let model = br#"{"bias":0.5,"weights":[-0.1,0.3]}"#;
        let requests: Vec<Request> =
            (0..100).map(|i| Request { ua_len: i as f32, path_depth: f32::from(i as u8 % 5) }).collect();
        let mut engine = Box::new(Engine::<Request, Logistic<8>, 8>::new(
            EXTRACTORS,
            Policy::DEFAULT,
            Logistic::new(),
            Logistic::new(),
        ));

        let (n, ()) = allocations_during(|| {
            engine.offer_features(features).unwrap();
            engine.offer_model(model).unwrap();
            engine.offer_features(features_v2).unwrap();
            assert!(engine.offer_features(unknown).is_err());
            assert!(engine.offer_model(b"{\"bias\":").is_err());
        });
        assert_eq!(n, 0, "reloading the table + model pair allocated");

        let (n, scored) = allocations_during(|| {
            let mut vector = FeatureVector::<8>::new();
            requests.iter().filter(|r| engine.score_into(r, &mut vector).is_ok()).count()
        });
        assert_eq!((n, scored), (0, 100), "scoring allocated");

        // The signals lane, gathering (the file lists the features out of
        // the binary's order) and reading in place (in its order).
        let signals: Vec<[f32; 2]> = requests.iter().map(|r| [r.ua_len, r.path_depth]).collect();
        let out_of_order = br#"{"version":10,"features":[{"name":"path_depth"},{"name":"ua_len"}]}"#;
        let in_order = br#"{"version":11,"features":[{"name":"ua_len"},{"name":"path_depth"}]}"#;
        for file in [&out_of_order[..], &in_order[..]] {
            engine.offer_features(file).unwrap();
            let (n, scored) =
                allocations_during(|| signals.iter().filter(|s| engine.score_signals(&s[..]).is_ok()).count());
            assert_eq!((n, scored), (0, 100), "scoring from signals allocated");
        }

        engine.set_enabled(false);
        let (n, disabled) = allocations_during(|| requests.iter().filter(|r| engine.score(r).is_err()).count());
        assert_eq!((n, disabled), (0, 100));
    }
}

#[cfg(feature = "std")]
mod shared {
    use super::*;
    use feature_table::model::logistic::Logistic;
    use feature_table::shared::SharedEngine;
    use feature_table::{Extractor, Unscored};
    use std::sync::Arc;

    struct Request {
        ua_len: f32,
    }

    static EXTRACTORS: &[Extractor<Request>] = &[Extractor::new("ua_len", |r| r.ua_len)];

    /// On a new thread, the counted region includes the thread's very first
    /// request, which is when it takes its counter shard: that allocates
    /// nothing. Before it, outside the count, one handle load: `arc_swap`
    /// gives each thread a debt node on its first load (a heap allocation
    /// when no exited thread left one to reuse; once per thread, see
    /// `arc_swap::debt::list::Node::get`).
    #[test]
    fn a_new_thread_scores_through_the_shared_handle_without_allocating_from_its_first_request() {
        let engine =
            Arc::new(SharedEngine::<Request, Logistic<8>, 8>::with_counter_shards(EXTRACTORS, Policy::DEFAULT, 4));
        engine.reload(br#"{"version":1,"features":[{"name":"ua_len"}]}"#, br#"{"bias":0.5,"weights":[-0.1]}"#).unwrap();
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let engine = Arc::clone(&engine);
                std::thread::spawn(move || {
                    engine.with_current(|pair| assert!(pair.is_some()));
                    let requests: Vec<Request> = (0..100).map(|i| Request { ua_len: i as f32 }).collect();
                    let (n, scored) =
                        allocations_during(|| requests.iter().filter(|r| engine.score(r).is_ok()).count());
                    assert_eq!((n, scored), (0, 100), "scoring on a new thread allocated");
                    let (n, stats) = allocations_during(|| engine.stats());
                    assert_eq!(n, 0, "reading the counters allocated");
                    stats
                })
            })
            .collect();
        for worker in workers {
            assert!(worker.join().unwrap().scored >= 100);
        }
        engine.set_enabled(false);
        let (n, verdict) = allocations_during(|| engine.score(&Request { ua_len: 1.0 }));
        assert_eq!((n, verdict), (0, Err(Unscored::Disabled)));
        assert_eq!(engine.stats().scored, 300);
    }
}
