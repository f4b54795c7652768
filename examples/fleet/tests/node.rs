//! The node's pieces that need no etcd: its extractors, its status
//! encoding, its cache file.

use feature_table::shared::SharedStats;
use feature_table_fleet::cache::{self, CacheError, Cached};
use feature_table_fleet::node;
use feature_table_fleet::status::{NodeRejection, NodeReport, NodeStatus, STATUS_CAPACITY, StatusError};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)).unwrap()
}

#[test]
fn extractor_names_are_the_good_120_fixtures_names_in_order() {
    let file: serde_json::Value = serde_json::from_slice(&fixture("good-120.json")).unwrap();
    let names: Vec<&str> = file["features"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    let extractors: Vec<&str> = node::extractors().iter().map(|e| e.name()).collect();
    assert_eq!(extractors, names);
}

#[test]
fn extractor_i_reads_signal_i_and_a_missing_signal_reads_nan() {
    let signals: Vec<f32> = (0..120).map(|i| i as f32).collect();
    for (i, extractor) in node::extractors().iter().enumerate() {
        assert_eq!(extractor.compute(&signals), i as f32);
    }
    assert!(node::extractors()[119].compute(&signals[..10]).is_nan());
}

#[test]
fn the_local_check_refuses_what_a_node_refuses_and_accepts_what_it_accepts() {
    let model = br#"{"bias": 0.0, "weights": [1.0]}"#;
    assert!(node::check(None, &fixture("good-60.json"), model).is_ok());
    let doubled = node::check(None, &fixture("doubled-120.json"), model).unwrap_err();
    assert!(doubled.to_string().contains("duplicate name"), "{doubled}");
    let over = node::check(None, &fixture("doubled-240.json"), model).unwrap_err();
    assert!(over.to_string().contains("240 entries for capacity 200"), "{over}");
    // Against a serving 60-feature file, 120 is growth beyond 1.5x.
    let grown = node::check(Some((&fixture("good-60.json"), model)), &fixture("good-120.json"), model).unwrap_err();
    assert!(grown.to_string().contains("120"), "{grown}");
    assert!(node::check(None, &fixture("good-120.json"), model).is_ok());
}

fn doubled_rejection() -> NodeRejection {
    let model = br#"{"bias": 0.0, "weights": [1.0]}"#;
    NodeRejection::Pair(node::check(None, &fixture("doubled-120.json"), model).unwrap_err())
}

fn status<'a>(cache: &'a str, last: Option<&'a NodeRejection>) -> NodeStatus<'a> {
    let stats = SharedStats {
        scored: 10,
        reloads_accepted: 1,
        reloads_rejected: 1,
        active_version: Some(7),
        ..SharedStats::default()
    };
    NodeStatus {
        node: "edge-1",
        cohort: "canary",
        serving: Some(3),
        target: Some(4),
        rejected: Some(4),
        cache,
        enabled: true,
        scored: 10,
        unscored: 0,
        unscored_permille: 0,
        reloads: NodeStatus::reloads(&stats, last),
    }
}

#[test]
fn a_status_carries_the_cores_rejection_report_and_reads_back_on_the_publisher_side() {
    let rejection = doubled_rejection();
    let mut buf = [0u8; STATUS_CAPACITY];
    let bytes = status("loaded seq 3", Some(&rejection)).encode(&mut buf).unwrap();
    let json = std::str::from_utf8(bytes).unwrap();
    // The core's report shape: kind, counts, the typed error's text.
    assert!(json.contains(r#""kind":"DuplicateName""#), "{json}");
    assert!(json.contains(r#""counts":{"first":0,"second":60}"#), "{json}");
    let report = NodeReport::decode(bytes).unwrap();
    assert_eq!((report.node.as_str(), report.cohort.as_str()), ("edge-1", "canary"));
    assert_eq!((report.serving, report.target, report.rejected), (Some(3), Some(4), Some(4)));
    assert_eq!(report.cache, "loaded seq 3");
    assert_eq!(report.reloads.active_version, Some(7));
    // The core reports the features' own error (without the pair's "feature file: ").
    assert_eq!(report.last_error(), Some("duplicate name `ua_entropy` at entries 0 and 60"));
    assert_eq!(rejection.to_string(), "feature file: duplicate name `ua_entropy` at entries 0 and 60");
}

#[test]
fn a_status_too_large_for_the_buffer_is_an_error_not_a_truncation() {
    let long = "x".repeat(STATUS_CAPACITY);
    let mut buf = [0u8; STATUS_CAPACITY];
    assert_eq!(status(&long, None).encode(&mut buf), Err(StatusError::TooLarge { capacity: STATUS_CAPACITY }));
}

#[test]
fn a_cache_written_atomically_reads_back_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.cache");
    let pair =
        Cached { seq: 42, features: fixture("good-60.json"), model: b"{\"bias\": 0.0, \"weights\": []}".to_vec() };
    cache::write(&path, &pair).unwrap();
    assert_eq!(cache::read(&path).unwrap(), pair);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert!(matches!(cache::read(&dir.path().join("absent")), Err(CacheError::Missing)));
}

#[test]
fn every_torn_prefix_of_a_cache_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.cache");
    let pair = Cached { seq: 1, features: b"{\"version\":1,\"features\":[]}".to_vec(), model: b"{}".to_vec() };
    cache::write(&path, &pair).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for len in 0..bytes.len() {
        assert!(cache::parse(&bytes[..len]).is_err(), "a file torn at {len} of {} bytes was accepted", bytes.len());
    }
    assert_eq!(cache::parse(&bytes).unwrap(), pair);
}

#[test]
fn every_flipped_byte_of_a_cache_file_is_rejected() {
    let pair = Cached { seq: 9, features: b"{\"version\":9,\"features\":[]}".to_vec(), model: b"{}".to_vec() };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.cache");
    cache::write(&path, &pair).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for i in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0x01;
        assert!(cache::parse(&flipped).is_err(), "a flip of byte {i} was accepted");
    }
}

#[test]
fn the_kill_switch_file_reads_back_what_was_written_and_anything_else_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = cache::kill_path(&dir.path().join("edge-1.pair"));
    assert_eq!(path, dir.path().join("edge-1.kill"));
    assert!(matches!(cache::read_kill(&path), Err(CacheError::Missing)));
    for on in [true, false, true] {
        cache::write_kill(&path, on).unwrap();
        assert_eq!(cache::read_kill(&path).unwrap(), on);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");
    let bytes = std::fs::read(&path).unwrap();
    for len in 0..bytes.len() {
        std::fs::write(&path, &bytes[..len]).unwrap();
        assert!(cache::read_kill(&path).is_err(), "a kill file torn at {len} bytes was accepted");
    }
    for extra in ["feature-table-fleet kill v1\nON\n", "feature-table-fleet kill v1\non\non\n", "on\n"] {
        std::fs::write(&path, extra).unwrap();
        assert!(matches!(cache::read_kill(&path), Err(CacheError::Header { .. })), "{extra:?} was accepted");
    }
}

/// The first `entries` features of `good-120.json`.
fn sized(entries: usize) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&fixture("good-120.json")).unwrap();
    v["features"].as_array_mut().unwrap().truncate(entries);
    serde_json::to_vec(&v).unwrap()
}

/// Why a rollback never needs to bypass the growth guard: the guard is
/// symmetric, so a node that accepted a file coming from the last good one
/// also accepts going back, and the publisher's local check holds every new
/// file within the guard of the last good one.
#[test]
fn the_growth_guard_is_symmetric_so_going_back_is_allowed_exactly_when_going_forward_was() {
    let model = br#"{"bias": 0.0, "weights": [1.0]}"#;
    let sizes: Vec<usize> = (20..=120).step_by(5).chain([59, 61, 89, 91]).collect();
    let (mut allowed, mut refused) = (0, 0);
    for &from in &sizes {
        for &to in &sizes {
            let (a, b) = (sized(from), sized(to));
            let forward = node::check(Some((&a, model)), &b, model).is_ok();
            let back = node::check(Some((&b, model)), &a, model).is_ok();
            assert_eq!(forward, back, "{from} -> {to} allowed: {forward}, back: {back}");
            if forward { allowed += 1 } else { refused += 1 }
        }
    }
    // The edges: exactly 1.5x either way passes, one entry more does not.
    assert!(node::check(Some((&sized(60), model)), &sized(90), model).is_ok());
    assert!(node::check(Some((&sized(90), model)), &sized(60), model).is_ok());
    assert!(node::check(Some((&sized(60), model)), &sized(91), model).is_err());
    assert!(allowed > 0 && refused > 0, "both outcomes were exercised: {allowed} allowed, {refused} refused");
}
