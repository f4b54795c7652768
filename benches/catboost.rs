//! Single-row `raw()` of the 100-tree, depth-6, 60-feature CatBoost model
//! (`tests/fixtures/catboost/bench_100x6.json`, trained by
//! `scripts/train_catboost.py`), to compare with CatBoost's own batch
//! throughput from `scripts/bench_catboost.py` on the same machine.
//!
//! Run: `cargo bench --bench catboost`. Each pass scores the fixture's 200
//! rows one `raw()` call at a time; ns/row = time / 200 (criterion also
//! prints rows/s). Two groups: wall time (criterion's default) and this
//! thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which stays meaningful
//! when other processes share the cores; `scripts/bench_catboost.py`
//! reports both for CatBoost too. The `_load` groups time loading the model
//! file itself (230 KB), with and without building the table.

use std::hint::black_box;

use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};
use feature_table::model::catboost::{self, CatBoost, DEFAULT_LIMITS, table_blocks};

#[macro_use]
#[path = "support/thread_cpu.rs"]
mod thread_cpu;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catboost");

/// The table evaluator (`BLOCKS` from `table_blocks`): the fast layout.
type Model = CatBoost<100, 6, 64, { 100 << 6 }, { table_blocks(100, 6, 64) }>;
/// The compact layout (`BLOCKS = 0`): the split evaluator.
type Compact = CatBoost<100, 6, 64, { 100 << 6 }>;

fn rows() -> Vec<Vec<f32>> {
    let csv = std::fs::read_to_string(format!("{FIXTURES}/bench_100x6.csv")).unwrap();
    csv.lines().map(|line| line.split(',').map(|v| v.parse().unwrap()).collect()).collect()
}

fn bench<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let json = std::fs::read(format!("{FIXTURES}/bench_100x6.json")).unwrap();
    let mut model = Box::new(Model::new());
    catboost::ingest(&json, &mut model, DEFAULT_LIMITS).unwrap();
    let mut compact = Box::new(Compact::new());
    catboost::ingest(&json, &mut compact, DEFAULT_LIMITS).unwrap();
    let rows = rows();
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("raw_single_row", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for row in &rows {
                sum += model.raw(black_box(row));
            }
            black_box(sum)
        })
    });
    group.bench_function("raw_single_row_compact", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for row in &rows {
                sum += compact.raw(black_box(row));
            }
            black_box(sum)
        })
    });
    group.finish();

    // Loading: the whole model file (scanner, exact decimal conversion,
    // validation; and the table build for the table evaluator), as a reload
    // pays it.
    let mut group = c.benchmark_group(format!("{group_name}_load"));
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("ingest_json", |b| {
        b.iter(|| catboost::ingest(black_box(&json), &mut compact, DEFAULT_LIMITS).unwrap())
    });
    group.bench_function("ingest_json_and_build_table", |b| {
        b.iter(|| catboost::ingest(black_box(&json), &mut model, DEFAULT_LIMITS).unwrap())
    });
    group.finish();
}

wall_and_cpu_main!(bench, "catboost_100x6");
