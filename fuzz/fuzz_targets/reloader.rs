//! A sequence of files (the input split on NUL bytes) offered to one
//! `Reloader<200>`: after every offer the active table is the last accepted
//! file, exactly, and a rejection changes nothing.
#![no_main]

use feature_table::{FeatureTable, Limits, Policy, Reloader, Unscored, ingest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reloader = Reloader::<200>::new(Policy::DEFAULT);
    let mut last: Option<FeatureTable<200>> = None;
    let mut offers = 0u32;
    for file in data.split(|&b| b == 0) {
        offers += 1;
        match reloader.offer(file) {
            Ok(accepted) => {
                // No switch is ever flipped here, so the active table must
                // equal a fresh ingest of the same bytes.
                let mut fresh = FeatureTable::<200>::new(0);
                ingest(file, &mut fresh, Limits::DEFAULT).expect("accepted by the reloader but not by ingest");
                let active = reloader.active().expect("accepted but nothing active");
                assert_eq!(active, &fresh);
                assert_eq!((active.version(), active.len()), (accepted.version, accepted.len));
                if let Some(previous) = &last {
                    assert!(accepted.version > previous.version());
                }
                last = Some(active.clone());
            }
            Err(error) => {
                assert!(!error.to_string().is_empty());
                assert_eq!(reloader.active().ok(), last.as_ref());
                assert_eq!(reloader.stats().last_error.as_ref(), Some(&error));
            }
        }
        if last.is_none() {
            assert_eq!(reloader.active().err(), Some(Unscored::NoValidTable));
        }
        let stats = reloader.stats();
        assert_eq!(stats.accepted + stats.rejected, offers);
        assert_eq!(stats.active_version, last.as_ref().map(FeatureTable::version));
    }
});
