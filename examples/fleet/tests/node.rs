//! The node's pieces that need no etcd: its extractors, its status
//! encoding, its cache file.

use std::borrow::Cow;

use feature_table_fleet::cache::{self, CacheError, Cached};
use feature_table_fleet::node;
use feature_table_fleet::status::{EngineReport, NodeStatus, STATUS_CAPACITY, StatusError};

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

fn status(error: Option<&str>) -> NodeStatus<'_> {
    NodeStatus {
        node: "edge-1".into(),
        cohort: "canary".into(),
        serving: Some(3),
        target: Some(4),
        rejected: Some(4),
        last_error: error.map(Cow::Borrowed),
        cache: "loaded seq 3".into(),
        unscored_permille: 0,
        engine: EngineReport {
            active_version: Some(7),
            scored: 10,
            unscored: 0,
            reloads_accepted: 1,
            reloads_rejected: 1,
            enabled: true,
        },
    }
}

#[test]
fn a_status_round_trips_through_the_fixed_buffer_with_escaped_error_text() {
    let error = r#"feature file: duplicate name "ua_entropy" at entries 0 and 60"#;
    let original = status(Some(error));
    let mut buf = [0u8; STATUS_CAPACITY];
    let bytes = original.encode(&mut buf).unwrap();
    let decoded = NodeStatus::decode(bytes).unwrap();
    assert_eq!(decoded, original);
}

#[test]
fn a_status_too_large_for_the_buffer_is_an_error_not_a_truncation() {
    let long = "x".repeat(STATUS_CAPACITY);
    let mut buf = [0u8; STATUS_CAPACITY];
    assert_eq!(status(Some(&long)).encode(&mut buf), Err(StatusError::TooLarge { capacity: STATUS_CAPACITY }));
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
