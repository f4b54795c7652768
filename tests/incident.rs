//! The 2025-11-18 incident as a specification.
//!
//! A metadata query started returning every feature row twice. The feature
//! file doubled, exceeded the proxy's 200-feature preallocation, the loader's
//! `Err` was unwrapped, and every worker panicked. Here the same files are
//! typed rejections, and the last good table keeps serving.

mod common;

use common::{doubled_feature_file, feature_file, names};
use feature_table::{
    FeatureName, FeatureTable, IngestError, Limits, Policy, ReloadError, Reloader, Unscored, ingest, json,
};

fn name(s: &str) -> FeatureName {
    FeatureName::new(s).unwrap()
}

#[test]
fn doubled_60_feature_file_is_rejected_naming_the_first_duplicate_and_both_entries() {
    let features = names(60);
    let file = doubled_feature_file(2, &features);
    let mut table = FeatureTable::<200>::new(0);
    assert_eq!(
        ingest(file.as_bytes(), &mut table, Limits::DEFAULT),
        Err(IngestError::DuplicateName { name: name(&features[0]), first: 0, second: 60 })
    );
    assert_eq!(features[0], "ua_entropy");
}

#[test]
fn doubled_120_feature_file_is_rejected_as_240_entries_for_capacity_200() {
    let file = doubled_feature_file(2, &names(120));
    let mut table = FeatureTable::<200>::new(0);
    let err = ingest(file.as_bytes(), &mut table, Limits::DEFAULT).unwrap_err();
    assert_eq!(err, IngestError::CapacityExceeded { capacity: 200, found: 240 });
    assert_eq!(err.to_string(), "240 entries for capacity 200");
}

#[test]
fn the_undoubled_files_are_accepted() {
    // Guards the two tests above: they fail for the doubling, not the generator.
    let mut table = FeatureTable::<200>::new(0);
    ingest(feature_file(1, &names(60)).as_bytes(), &mut table, Limits::DEFAULT).unwrap();
    assert_eq!((table.version(), table.len()), (1, 60));
    ingest(feature_file(1, &names(120)).as_bytes(), &mut table, Limits::DEFAULT).unwrap();
    assert_eq!((table.version(), table.len()), (1, 120));
}

#[test]
fn alternating_good_and_bad_files_always_leave_the_last_good_table_serving() {
    let mut reloader = Reloader::<200>::new(Policy::DEFAULT);
    // Versions increase as a generator's would, good or bad.
    let steps: Vec<(u64, String, Option<ReloadError>)> = vec![
        (1, feature_file(1, &names(60)), None),
        (
            2,
            doubled_feature_file(2, &names(60)),
            Some(ReloadError::Ingest(IngestError::DuplicateName { name: name("ua_entropy"), first: 0, second: 60 })),
        ),
        (3, feature_file(3, &names(62)), None),
        (
            4,
            doubled_feature_file(4, &names(120)),
            Some(ReloadError::Ingest(IngestError::CapacityExceeded { capacity: 200, found: 240 })),
        ),
        (5, feature_file(5, &names(64)), None),
        (
            6,
            feature_file(6, &names(120)),
            Some(ReloadError::GrowthExceeded { previous: 64, found: 120, max: Policy::DEFAULT.max_growth.unwrap() }),
        ),
    ];

    let (mut last_good, mut last_good_len, mut accepted, mut rejected, mut consecutive) = (0, 0, 0, 0, 0);
    let mut last_error = None;
    for (version, file, expected_error) in steps {
        let outcome = reloader.offer(file.as_bytes());
        match expected_error {
            None => {
                let ok = outcome.unwrap_or_else(|e| panic!("version {version} should be accepted: {e}"));
                assert_eq!(ok.version, version);
                (last_good, last_good_len) = (version, ok.len);
                accepted += 1;
                consecutive = 0;
            }
            Some(expected) => {
                assert_eq!(outcome.unwrap_err(), expected, "version {version}");
                rejected += 1;
                consecutive += 1;
                last_error = Some(expected);
            }
        }
        let active = reloader.active().unwrap();
        assert_eq!((active.version(), active.len()), (last_good, last_good_len), "after version {version}");
        let stats = reloader.stats();
        assert_eq!(
            (stats.accepted, stats.rejected, stats.consecutive_rejections),
            (accepted, rejected, consecutive),
            "after version {version}"
        );
        assert_eq!(stats.last_error, last_error, "after version {version}");
        assert_eq!(stats.active_version, Some(last_good));
    }
    assert_eq!((last_good, accepted, rejected), (5, 3, 3));

    // More bad files in a row: the streak grows, the table still serves.
    reloader.offer(doubled_feature_file(7, &names(64)).as_bytes()).unwrap_err();
    reloader.offer(b"{\"version\":8,\"features\":[{\"name\":\"ua_entropy\"").unwrap_err();
    assert_eq!(reloader.stats().consecutive_rejections, 3);
    assert!(matches!(
        reloader.stats().last_error,
        Some(ReloadError::Ingest(IngestError::Json { error: json::Error::Syntax(_), .. }))
    ));
    assert_eq!(reloader.active().unwrap().version(), 5);
}

#[test]
fn global_kill_switch_gives_disabled_and_never_a_table() {
    let mut reloader = Reloader::<200>::new(Policy::DEFAULT);
    reloader.set_enabled(false);
    assert_eq!(reloader.active().err(), Some(Unscored::Disabled));

    // Files are still validated and staged while scoring is off...
    reloader.offer(feature_file(1, &names(60)).as_bytes()).unwrap();
    reloader.offer(doubled_feature_file(2, &names(60)).as_bytes()).unwrap_err();
    assert_eq!(reloader.active().err(), Some(Unscored::Disabled));
    assert!(!reloader.is_enabled());
    // ...and the last good table is there for inspection, not scoring.
    assert_eq!(reloader.last_good().map(|t| t.version()), Some(1));

    reloader.set_enabled(true);
    assert_eq!(reloader.active().unwrap().version(), 1);
    assert_eq!(reloader.active().unwrap().by_name("ua_entropy").unwrap().resolve(0.75), 0.75);
}

#[test]
fn no_table_yet_is_reported_as_unscored_not_as_a_value() {
    let mut reloader = Reloader::<200>::new(Policy::DEFAULT);
    reloader.offer(doubled_feature_file(1, &names(120)).as_bytes()).unwrap_err();
    assert_eq!(reloader.active().err(), Some(Unscored::NoValidTable));
}
