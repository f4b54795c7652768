//! The 2025-11-18 sequence replayed against a live proxy under load: files
//! swapped every 100 ms (good, doubled, good, doubled, over capacity) while
//! 16 clients send requests through it. feature-table must fail no request
//! and reject exactly the bad files; the incident's unwrap loader, run
//! through the same churn, is counted next to it.
//!
//! Latencies are printed (`cargo test --features std --test replay_under_load
//! -- --nocapture`), not asserted: timing goals belong in benches.

#[path = "../examples/proxy/service.rs"]
mod service;

#[path = "../examples/proxy/load.rs"]
mod load;

use std::time::Duration;

use feature_table::{IngestError, ReloadError};
use load::LoadConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_churn_fails_no_request_and_rejects_exactly_the_bad_files() {
    // The unwrap loader's panics are caught and counted; keep them quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let config = LoadConfig {
        clients: 16,
        phase: Duration::from_millis(1000),
        max_requests_per_client: 20_000,
        swap_every: Duration::from_millis(100),
    };
    let report = tokio::time::timeout(Duration::from_secs(60), load::run(config)).await.unwrap();
    let _ = std::panic::take_hook();
    println!("{}", load::render(&report, &config));

    // No request failed or went unscored, with or without churn.
    for phase in [&report.steady, &report.churn] {
        assert!(phase.requests > 0);
        assert_eq!((phase.failed, phase.unscored), (0, 0), "{phase:?}");
    }

    // Each file got the outcome its kind calls for.
    assert!(report.swaps.len() >= 5, "the whole sequence ran at least once: {:?}", report.swaps);
    for swap in &report.swaps {
        let outcome = swap.outcome.as_ref().unwrap();
        match swap.kind {
            "good" => assert!(outcome.is_ok(), "{swap:?}"),
            "doubled" => assert!(
                matches!(outcome, Err(ReloadError::Ingest(IngestError::DuplicateName { first: 0, second: 11, .. }))),
                "{swap:?}"
            ),
            "over capacity" => assert_eq!(
                outcome,
                &Err(ReloadError::Ingest(IngestError::CapacityExceeded { capacity: 200, found: 240 })),
                "{swap:?}"
            ),
            other => panic!("unknown kind {other}"),
        }
    }

    // The counters agree with what the clients and the swapper saw.
    let good = report.swaps.iter().filter(|s| s.kind == "good").count() as u64;
    let bad = report.swaps.len() as u64 - good;
    let s = report.stats;
    assert_eq!((s.reloads_accepted, s.reloads_rejected), (1 + good, bad));
    assert_eq!(s.scored, (report.steady.requests + report.churn.requests) as u64);
    assert_eq!(s.unscored(), 0);
    let last_good = report.swaps.iter().rposition(|s| s.kind == "good").unwrap() as u64 + 2;
    assert_eq!(s.active_version, Some(last_good));
    let trailing_bad = report.swaps.iter().rev().take_while(|s| s.kind != "good").count() as u64;
    assert_eq!(s.consecutive_rejections, trailing_bad);

    // The incident's loader, same churn: the over-capacity file made requests fail.
    assert!(report.unwrap_swaps.iter().any(|s| s.kind == "over capacity"));
    assert!(report.unwrap_panics > 0 && report.unwrap_churn.failed as u64 >= report.unwrap_panics);
}
