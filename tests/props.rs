//! Properties over arbitrary input: `ingest` and `Reloader::offer` never
//! panic, and a rejected offer leaves the active table exactly as it was;
//! the table's name index agrees with a `HashMap` whatever names come in.
//!
//! Inputs are arbitrary bytes and mutations (byte flips, truncations,
//! insertions, deletions) of a valid generated file, whose producer metadata
//! gives the mutations strings, escapes and nesting to break.

mod common;

use common::{feature_file, names};
use std::collections::HashMap;

use feature_table::{FeatureName, FeatureTable, Limits, Policy, Reloader, TableError, ingest};
use proptest::prelude::*;

const CAPACITY: usize = 16;

/// One edit of a byte string; positions are taken modulo its length.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Set { at: usize, byte: u8 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to JSON are over-represented among inserted ones.
    let json_byte = prop_oneof![
        4 => prop::sample::select(b"{}[]\":,\\-.0123456789eEtfn u".to_vec()),
        1 => any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (any::<usize>(), json_byte.clone()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), prop::collection::vec(json_byte, 1..8)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1..16usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let pos = |at: usize, len: usize| if len == 0 { 0 } else { at % len };
    match mutation {
        Mutation::Flip { at, mask } => {
            if !bytes.is_empty() {
                let i = pos(*at, bytes.len());
                bytes[i] ^= mask;
            }
        }
        Mutation::Set { at, byte } => {
            if !bytes.is_empty() {
                let i = pos(*at, bytes.len());
                bytes[i] = *byte;
            }
        }
        Mutation::Truncate { at } => bytes.truncate(pos(*at, bytes.len() + 1)),
        Mutation::Insert { at, bytes: new } => {
            let i = pos(*at, bytes.len() + 1);
            bytes.splice(i..i, new.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let i = pos(*at, bytes.len() + 1);
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
    }
}

/// A valid file of `len` features at `version`.
fn valid(version: u64, len: usize) -> Vec<u8> {
    feature_file(version, &names(len)).into_bytes()
}

/// A reloader serving a valid 10-feature table at version 1.
fn serving() -> Reloader<CAPACITY> {
    let mut reloader = Reloader::new(Policy::DEFAULT);
    reloader.offer(&valid(1, 10)).unwrap();
    reloader
}

/// Offers `bytes` and checks the last-known-good contract either way.
fn offer_keeps_contract(reloader: &mut Reloader<CAPACITY>, bytes: &[u8]) -> Result<(), TestCaseError> {
    let before = reloader.last_good().cloned();
    let rejected_before = reloader.stats().rejected;
    match reloader.offer(bytes) {
        Ok(accepted) => {
            let active = reloader.active().unwrap();
            prop_assert_eq!((active.version(), active.len()), (accepted.version, accepted.len));
            prop_assert!(!active.is_empty() && active.len() <= CAPACITY);
            for (i, feature) in active.features().iter().enumerate() {
                prop_assert!(feature.default().is_finite());
                prop_assert_eq!(active.index_of(feature.name().as_str()), Some(i));
            }
        }
        Err(error) => {
            prop_assert_eq!(reloader.last_good().cloned(), before, "rejection changed the table: {}", error);
            prop_assert_eq!(reloader.stats().rejected, rejected_before + 1);
            prop_assert_eq!(reloader.stats().last_error.as_ref(), Some(&error));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_ingest(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut table = FeatureTable::<CAPACITY>::new(0);
        let _ = ingest(&bytes, &mut table, Limits::DEFAULT);
    }

    #[test]
    fn arbitrary_bytes_offered_never_panic_and_never_replace_the_table(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut reloader = serving();
        offer_keeps_contract(&mut reloader, &bytes)?;
        let mut empty = Reloader::<CAPACITY>::new(Policy::DEFAULT);
        offer_keeps_contract(&mut empty, &bytes)?;
    }

    #[test]
    fn mutated_valid_files_never_panic_and_rejections_keep_the_last_good_table(
        len in 1..=20usize,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        // Up to 20 features for capacity 16, so some bases are over capacity.
        let mut bytes = valid(2, len);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let mut table = FeatureTable::<CAPACITY>::new(0);
        let _ = ingest(&bytes, &mut table, Limits::DEFAULT);
        let mut reloader = serving();
        offer_keeps_contract(&mut reloader, &bytes)?;
    }

    /// The hash index against the obvious model: any names, in any order,
    /// with repeats and past capacity. Short names from a four-letter
    /// alphabet make repeats and probe collisions (a capacity-16 table has 32
    /// slots) common; every outcome and every lookup, present or absent,
    /// must be the model's.
    #[test]
    fn the_name_index_agrees_with_a_hash_map(
        names in prop::collection::vec("[abcd]{1,3}", 0..40),
        absent in prop::collection::vec("[abcde]{1,4}", 0..8),
    ) {
        let mut table = FeatureTable::<CAPACITY>::new(0);
        let mut model: HashMap<String, usize> = HashMap::new();
        for name in &names {
            let result = table.push(FeatureName::new(name).unwrap(), 1.0);
            let len = model.len();
            let expected = match model.get(name) {
                Some(&first) => Err(TableError::DuplicateName {
                    name: FeatureName::new(name).unwrap(),
                    first,
                    second: len,
                }),
                None if len == CAPACITY => Err(TableError::CapacityExceeded { capacity: CAPACITY }),
                None => {
                    model.insert(name.clone(), len);
                    Ok(())
                }
            };
            prop_assert_eq!(result, expected);
            prop_assert_eq!(table.len(), model.len());
        }
        for name in names.iter().chain(&absent) {
            prop_assert_eq!(table.index_of(name), model.get(name).copied(), "{}", name);
        }
        for (i, feature) in table.features().iter().enumerate() {
            prop_assert_eq!(model.get(feature.name().as_str()), Some(&i));
        }
    }

    #[test]
    fn a_stream_of_mutated_files_never_loses_the_last_good_table(
        edits in prop::collection::vec(prop::collection::vec(mutation(), 0..3), 1..8),
    ) {
        let mut reloader = serving();
        for (i, mutations) in edits.iter().enumerate() {
            let mut bytes = valid(2 + i as u64, 8 + i % 4);
            for m in mutations {
                apply(&mut bytes, m);
            }
            offer_keeps_contract(&mut reloader, &bytes)?;
            prop_assert!(reloader.active().is_ok());
        }
    }
}

#[test]
fn the_unmutated_base_files_are_accepted() {
    // Guards the properties above: mutation, not the base file, is what fails.
    let mut reloader = serving();
    reloader.offer(&valid(2, 12)).unwrap();
    let mut table = FeatureTable::<CAPACITY>::new(0);
    ingest(&valid(2, CAPACITY), &mut table, Limits::DEFAULT).unwrap();
}
