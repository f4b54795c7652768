//! Ingest + validate of a 200-feature file, against the obvious std code:
//! `serde_json` into `Vec<struct { name: String, .. }>` plus a `HashMap`
//! index that catches duplicates.
//!
//! ```text
//! cargo bench --bench ingest
//! ```

use std::collections::HashMap;
use std::hint::black_box;

use criterion::Criterion;
use criterion::measurement::Measurement;

#[macro_use]
#[path = "support/thread_cpu.rs"]
mod thread_cpu;
use feature_table::{FeatureTable, Limits, ingest};
use serde::Deserialize;

const N: usize = 200;

/// A realistic 200-feature file, with producer metadata per entry; entry
/// `k` is feature `order[k]`.
fn feature_file(order: impl Iterator<Item = usize>) -> String {
    let entries: Vec<String> = order
        .map(|i| format!(r#"{{"name":"feature_{i:03}.ua","default":{}.25,"source":"r0.features"}}"#, i % 5))
        .collect();
    format!(r#"{{"version":42,"generated_by":"bot-features-query","features":[{}]}}"#, entries.join(","))
}

#[derive(Deserialize)]
struct StdEntry {
    name: String,
    #[serde(default)]
    default: f32,
}

#[derive(Deserialize)]
struct StdFile {
    version: u64,
    features: Vec<StdEntry>,
}

/// What the std way builds: the version, the entries and a name index.
type StdTable = (u64, Vec<StdEntry>, HashMap<String, usize>);

/// The std way: parse, then validate names and defaults and build the name
/// index, rejecting duplicates and an over-long list: the same checks as
/// ours.
fn std_ingest(bytes: &[u8]) -> Result<StdTable, String> {
    let file: StdFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if file.features.len() > N {
        return Err(format!("{} entries for capacity {N}", file.features.len()));
    }
    let mut index = HashMap::with_capacity(file.features.len());
    for (i, f) in file.features.iter().enumerate() {
        let valid = |b: u8| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-');
        if f.name.is_empty() || f.name.len() > 32 || !f.name.bytes().all(valid) {
            return Err(format!("entry {i}: invalid name {:?}", f.name));
        }
        if !f.default.is_finite() {
            return Err(format!("entry {i}: non-finite default"));
        }
        if let Some(first) = index.insert(f.name.clone(), i) {
            return Err(format!("duplicate name {} at entries {first} and {i}", f.name));
        }
    }
    Ok((file.version, file.features, index))
}

/// A fixed permutation of `0..N` (multiplication by 7 modulo the prime
/// 211, keeping what falls below N).
fn shuffled() -> impl Iterator<Item = usize> {
    (1..=211).map(|k| (k * 7) % 211).filter(|&i| i < N)
}

fn bench<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    // Names in sorted order (a file generated from sorted rows) and in no
    // particular order: the name index is a hash table, so both should cost
    // the same; a gap between them points at the index.
    for (order, file) in [("sorted", feature_file(0..N)), ("shuffled", feature_file(shuffled()))] {
        let bytes = file.as_bytes();
        let mut table = Box::new(FeatureTable::<N>::new(0));
        ingest(bytes, &mut table, Limits::DEFAULT).unwrap();
        let (_, entries, _) = std_ingest(bytes).unwrap();
        assert_eq!(table.len(), entries.len());

        let mut group = c.benchmark_group(format!("{group}_{order}"));
        group.throughput(criterion::Throughput::Bytes(bytes.len() as u64));
        group.bench_function("feature_table_ingest", |b| {
            b.iter(|| ingest(black_box(bytes), &mut table, Limits::DEFAULT).unwrap())
        });
        group.bench_function("serde_json_vec_hashmap", |b| b.iter(|| std_ingest(black_box(bytes)).unwrap()));
        group.finish();
    }
}

wall_and_cpu_main!(bench, "ingest_200_features");
