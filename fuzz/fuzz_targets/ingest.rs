//! Arbitrary bytes into `FeatureTable<200>`: ingest must never panic, must be
//! deterministic, and anything it accepts must be a valid table.
#![no_main]

use feature_table::{FeatureName, FeatureTable, IngestError, Limits, ingest, json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut table = FeatureTable::<200>::new(0);
    match ingest(data, &mut table, Limits::DEFAULT) {
        Ok(()) => {
            assert!(!table.is_empty() && table.len() <= 200);
            for (i, feature) in table.features().iter().enumerate() {
                assert!(feature.default().is_finite());
                assert!(feature.is_enabled());
                assert_eq!(FeatureName::new(feature.name().as_str()).as_ref(), Ok(feature.name()));
                assert_eq!(table.index_of(feature.name().as_str()), Some(i));
            }
            // The same bytes into a table that already held something give
            // the same table: nothing of the old contents survives.
            let mut dirty = FeatureTable::<200>::new(u64::MAX);
            ingest(br#"{"version":1,"features":[{"name":"zz","default":9}]}"#, &mut dirty, Limits::DEFAULT).unwrap();
            ingest(data, &mut dirty, Limits::DEFAULT).unwrap();
            assert_eq!(dirty, table);
        }
        Err(IngestError::Json { error: json::Error::TooDeep { .. }, .. }) => {
            // The deepest nesting the limits allow must not exhaust the
            // stack either.
            let mut deep = FeatureTable::<200>::new(0);
            let _ = ingest(data, &mut deep, Limits { max_bytes: u32::MAX, max_depth: u8::MAX });
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
