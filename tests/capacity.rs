//! Capacity edges: a table of capacity `N` takes `N - 1` and `N` entries,
//! refuses `N + 1` and `2N` with the true count, and a refused file changes
//! nothing that is serving.

mod common;

use common::{feature_file, names};
use feature_table::{FeatureTable, IngestError, Limits, Policy, ReloadError, Reloader, ingest};

/// Ingests a generated file of `len` unique features into a fresh `FeatureTable<N>`.
fn ingest_len<const N: usize>(len: usize) -> Result<FeatureTable<N>, IngestError> {
    let mut table = FeatureTable::<N>::new(0);
    ingest(feature_file(1, &names(len)).as_bytes(), &mut table, Limits::DEFAULT).map(|()| table)
}

fn accepts_n_minus_one_and_n<const N: usize>() {
    for len in [N - 1, N] {
        let table = ingest_len::<N>(len).unwrap_or_else(|e| panic!("N={N}, {len} entries: {e}"));
        assert_eq!(table.len(), len);
        let expected = names(len);
        for (i, name) in expected.iter().enumerate() {
            assert_eq!(table.index_of(name), Some(i), "N={N}: {name}");
        }
    }
}

fn rejects_n_plus_one_and_2n_with_the_true_count<const N: usize>() {
    for len in [N + 1, 2 * N] {
        assert_eq!(
            ingest_len::<N>(len).unwrap_err(),
            IngestError::CapacityExceeded { capacity: N, found: len },
            "N={N}, {len} entries"
        );
    }
}

/// The growth guard is off so that only capacity decides.
fn capacity_only() -> Policy {
    Policy { max_growth: None, ..Policy::DEFAULT }
}

fn reloader_keeps_the_previous_table_after_a_capacity_rejection<const N: usize>() {
    let mut reloader = Box::new(Reloader::<N>::new(capacity_only()));
    reloader.offer(feature_file(1, &names(N - 1)).as_bytes()).unwrap();
    reloader.offer(feature_file(2, &names(N)).as_bytes()).unwrap();
    let before = reloader.active().unwrap().clone();
    assert_eq!((before.version(), before.len()), (2, N));

    for (version, len) in [(3, N + 1), (4, 2 * N)] {
        let err = reloader.offer(feature_file(version, &names(len)).as_bytes()).unwrap_err();
        assert_eq!(err, ReloadError::Ingest(IngestError::CapacityExceeded { capacity: N, found: len }));
        let after = reloader.active().unwrap();
        assert_eq!(after, &before, "N={N}: a rejected file changed the active table");
        // The name index is intact too, not just the feature list.
        for (i, feature) in before.features().iter().enumerate() {
            assert_eq!(after.index_of(feature.name().as_str()), Some(i));
        }
    }
    assert_eq!((reloader.stats().accepted, reloader.stats().rejected), (2, 2));
}

#[test]
fn capacity_200_accepts_199_and_200_entries() {
    accepts_n_minus_one_and_n::<200>();
}

#[test]
fn capacity_200_rejects_201_and_400_entries_reporting_the_true_count() {
    rejects_n_plus_one_and_2n_with_the_true_count::<200>();
}

#[test]
fn small_capacities_have_the_same_edges() {
    accepts_n_minus_one_and_n::<2>();
    rejects_n_plus_one_and_2n_with_the_true_count::<2>();
    accepts_n_minus_one_and_n::<7>();
    rejects_n_plus_one_and_2n_with_the_true_count::<7>();
}

#[test]
fn capacity_1_accepts_one_entry_and_rejects_two() {
    assert_eq!(ingest_len::<1>(1).unwrap().len(), 1);
    assert_eq!(ingest_len::<1>(2).unwrap_err(), IngestError::CapacityExceeded { capacity: 1, found: 2 });
}

#[test]
fn reloader_keeps_the_previous_table_byte_for_byte_after_capacity_rejections() {
    reloader_keeps_the_previous_table_after_a_capacity_rejection::<200>();
    reloader_keeps_the_previous_table_after_a_capacity_rejection::<2>();
    reloader_keeps_the_previous_table_after_a_capacity_rejection::<7>();
}

#[test]
fn capacity_is_checked_before_duplicates_so_the_count_is_what_is_reported() {
    // 2N entries that are N names twice: over capacity wins over the duplicate.
    let mut doubled = names(7);
    doubled.extend(names(7));
    let mut table = FeatureTable::<7>::new(0);
    assert_eq!(
        ingest(feature_file(1, &doubled).as_bytes(), &mut table, Limits::DEFAULT),
        Err(IngestError::CapacityExceeded { capacity: 7, found: 14 })
    );
}
