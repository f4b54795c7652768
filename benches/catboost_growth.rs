//! Cost growth of CatBoost's single-row `raw()` (issue 16, item 4): the
//! measurement of `benches/catboost.rs` (one `raw()` call per row, this
//! thread's CPU time, best of several runs) over 18 models, 64 / 200 / 1024
//! features × 100 / 300 / 1000 trees × depth 6 and 8, with where each
//! model's memory goes.
//!
//! The models are generated, not committed: `python3 scripts/train_growth.py
//! target/growth` trains them, and `bash scripts/bench_growth.sh` trains them
//! if missing, times CatBoost's own batch predict on each, runs this bench and
//! prints the whole table. By hand:
//!
//! ```text
//! FT_GROWTH_DIR=target/growth cargo bench --bench catboost_growth [-- NAME...]
//! ```
//!
//! - `FT_GROWTH_DIR` (default `target/growth`): the models
//!   (`f{features}_t{trees}_d{depth}.json`) and rows (`rows_f{features}.csv`).
//!   A model that is absent is reported as skipped, so `cargo bench` without
//!   them (and `cargo bench --no-run`) works.
//! - `FT_GROWTH_BATCH`: a file of `name<TAB>ns/row` lines, CatBoost's batch
//!   figures (written by `scripts/bench_growth.sh`); the table shows them and
//!   the ratio. Without it, "not measured".
//! - `FT_GROWTH_RUNS` (default 7) runs of about `FT_GROWTH_RUN_MS` (default
//!   40) ms of CPU time each; ns/row is the best run.
//! - `FT_GROWTH_ISA` (`portable`, `avx2`, default `avx512`): the highest
//!   instruction-set level the evaluators may use (`set_isa_limit`), to
//!   time or check one path on a CPU that has more.
//! - Each model is also loaded into the compact type (`BLOCKS = 0`) and
//!   timed there: the split evaluator's column, for the choice between it
//!   and a table evaluator.
//! - Before timing, ours is compared with CatBoost's `RawFormulaVal` on
//!   the same rows (`{name}.expected`, written by `train_growth.py`); a
//!   gap over 1e-6 is marked WRONG in the table and the bench exits with 1.
//! - `NAME` arguments keep the models whose name contains one of them;
//!   `--no-header` prints the table rows only.
//! - A debug build (`cargo test --bench catboost_growth`) or `--test`
//!   loads and checks every model but does not time it.
//!
//! Each model has its own type with its exact capacities: `TREES`, `DEPTH`,
//! `FEATURES` = the model's feature count, capped at [`MAX_FEATURES`],
//! `LEAVES = TREES << DEPTH` and `BLOCKS = table_blocks(TREES, DEPTH,
//! FEATURES)`. `MAX_FEATURES` is 4096 now; a model wider than the limit
//! (1024 features when it was 256) goes into a type capped at the limit,
//! ingest rejects it, and its row shows the typed error, not a figure.
//!
//! The types are large (20,584,432 bytes for 1000 trees × depth 8 × 1024
//! features), far more than a thread's default stack. Each model is built
//! and timed on a thread of its own whose stack is twice the type's size
//! plus 8 MiB, and lives in a `Box`: even if the compiler builds
//! `CatBoost::new()` on the stack before moving it into the box (as a debug
//! build does), the stack has room for it. Stack pages that are never
//! touched cost no memory.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::measurement::Measurement;
use feature_table::model::catboost::{self, CatBoost, DEFAULT_LIMITS, Isa, MAX_FEATURES, table_blocks};

#[path = "support/thread_cpu.rs"]
mod thread_cpu;

use thread_cpu::ThreadCpu;

/// The feature capacity of a model with `features` columns: the model's
/// own count, or the crate's limit.
const fn cap(features: usize) -> usize {
    if features < MAX_FEATURES { features } else { MAX_FEATURES }
}

/// One model of the grid: its shape and the bench of its own type.
struct Spec {
    features: usize,
    trees: usize,
    depth: usize,
    run: fn(&Input) -> Loaded,
}

impl Spec {
    fn name(&self) -> String {
        format!("f{}_t{}_d{}", self.features, self.trees, self.depth)
    }
}

/// The grid: one `CatBoost` type per model, with its exact capacities.
macro_rules! grid {
    ($(($features:literal, $trees:literal, $depth:literal)),* $(,)?) => {
        const GRID: &[Spec] = &[$(Spec {
            features: $features,
            trees: $trees,
            depth: $depth,
            run: run::<$trees, $depth, { cap($features) }, { $trees << $depth }, { table_blocks($trees, $depth, cap($features)) }>,
        }),*];
    };
}

grid!(
    (64, 100, 6),
    (64, 100, 8),
    (64, 300, 6),
    (64, 300, 8),
    (64, 1000, 6),
    (64, 1000, 8),
    (200, 100, 6),
    (200, 100, 8),
    (200, 300, 6),
    (200, 300, 8),
    (200, 1000, 6),
    (200, 1000, 8),
    (1024, 100, 6),
    (1024, 100, 8),
    (1024, 300, 6),
    (1024, 300, 8),
    (1024, 1000, 6),
    (1024, 1000, 8),
);

/// Largest |ours − CatBoost| accepted on a row, as in
/// `tests/catboost_parity.rs`: above it, the model's figure is of a wrong
/// evaluator and the bench fails.
const MAX_GAP: f64 = 1e-6;

/// What a model's bench reads.
struct Input {
    json: Vec<u8>,
    rows: Vec<Vec<f32>>,
    /// CatBoost's `RawFormulaVal` for each row, if the file is there.
    expected: Option<Vec<f64>>,
    runs: usize,
    run_ns: f64,
    /// The highest level the evaluators may use (`FT_GROWTH_ISA`).
    isa: Isa,
    /// Load and check the rows, no timing (debug build or `--test`).
    smoke: bool,
}

/// The model's type and what it did with the file.
struct Loaded {
    /// `size_of` of the type.
    size: usize,
    /// `FEATURES`, `LEAVES`, `BLOCKS` of the type.
    features: usize,
    leaves: usize,
    blocks: usize,
    /// What the loaded model did, or ingest's error.
    outcome: Result<Ran, String>,
}

/// A loaded model's evaluator and figures.
struct Ran {
    /// `evaluator()`, `uses_table()`, `uses_avx512()`.
    evaluator: String,
    uses_table: bool,
    uses_avx512: bool,
    /// Largest |ours − CatBoost| over the rows, when CatBoost's figures
    /// are there.
    gap: Option<f64>,
    /// ns/row; `None` when not timed (debug build or `--test`).
    ns: Option<f64>,
    /// ns/row of the split evaluator (the compact type, `BLOCKS = 0`) on
    /// the same rows, for the choice between it and the table.
    split_ns: Option<f64>,
}

/// Loads `input.json` into a `CatBoost<TREES, DEPTH, FEATURES, LEAVES,
/// BLOCKS>` on a thread with room for it (see the module documentation) and
/// times `raw()` there.
fn run<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize>(
    input: &Input,
) -> Loaded {
    let size = size_of::<CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>>();
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("growth".into())
            .stack_size(2 * size + (8 << 20))
            .spawn_scoped(scope, || {
                let mut model = Box::new(CatBoost::<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>::new());
                model.set_isa_limit(input.isa);
                catboost::ingest(&input.json, &mut model, DEFAULT_LIMITS).map_err(|e| e.to_string())?;
                let gap = input.expected.as_ref().map(|expected| {
                    assert_eq!(expected.len(), input.rows.len(), "one CatBoost figure per row");
                    input.rows.iter().zip(expected).map(|(row, want)| (model.raw(row) - want).abs()).fold(0.0, f64::max)
                });
                let ns = (!input.smoke).then(|| ns_per_row(|row| model.raw(row), input));
                let (evaluator, uses_table, uses_avx512) =
                    (model.evaluator().to_string(), model.uses_table(), model.uses_avx512());
                drop(model);
                // The same model in the compact type: the split evaluator.
                let mut compact = Box::new(CatBoost::<TREES, DEPTH, FEATURES, LEAVES>::new());
                catboost::ingest(&input.json, &mut compact, DEFAULT_LIMITS).map_err(|e| e.to_string())?;
                let split_ns = (!input.smoke).then(|| ns_per_row(|row| compact.raw(row), input));
                Ok(Ran { evaluator, uses_table, uses_avx512, gap, ns, split_ns })
            })
            .expect("spawn the bench thread")
            .join()
            .expect("the bench thread panicked")
    });
    Loaded { size, features: FEATURES, leaves: LEAVES, blocks: BLOCKS, outcome }
}

fn score_all(raw: impl Fn(&[f32]) -> f64, rows: &[Vec<f32>]) -> f64 {
    let mut sum = 0.0;
    for row in rows {
        sum += raw(black_box(row));
    }
    sum
}

/// ns/row of this thread's CPU time: the best of `input.runs` runs of about
/// `input.run_ns` each, every run whole passes over the rows.
fn ns_per_row(raw: impl Fn(&[f32]) -> f64, input: &Input) -> f64 {
    let rows = &input.rows;
    let start = ThreadCpu.start();
    black_box(score_all(&raw, rows));
    let pass = ThreadCpu.to_f64(&ThreadCpu.end(start)).max(1.0);
    let passes = ((input.run_ns / pass) as usize).max(1);
    (0..input.runs)
        .map(|_| {
            let start = ThreadCpu.start();
            for _ in 0..passes {
                black_box(score_all(&raw, rows));
            }
            ThreadCpu.to_f64(&ThreadCpu.end(start)) / (passes * rows.len()) as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// What the model file says the table evaluator needs, by the layout
/// `CatBoost`'s documentation gives: Σ (k + 1) table rows over the features
/// some split reads (`k`: the feature's unique borders among the splits, as
/// `f32`), of ⌈trees / 16⌉ blocks each.
fn table_need(json: &[u8], trees: usize) -> Result<(usize, usize), String> {
    let doc: serde_json::Value = serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
    let mut borders = std::collections::BTreeMap::<u64, std::collections::BTreeSet<u32>>::new();
    let splits = doc["oblivious_trees"].as_array().ok_or("no oblivious_trees")?.iter().flat_map(|t| {
        t["splits"].as_array().into_iter().flatten().map(|s| (s["float_feature_index"].as_u64(), s["border"].as_f64()))
    });
    for split in splits {
        let (Some(feature), Some(border)) = split else { return Err("a split without feature or border".into()) };
        // -0 and +0 are one border: `value > border` cannot tell them apart.
        let border = border as f32 + 0.0;
        borders.entry(feature).or_default().insert(border.to_bits());
    }
    let rows = borders.values().map(|k| k.len() + 1).sum();
    Ok((rows, rows * trees.div_ceil(16)))
}

fn kib(bytes: usize) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

/// `name<TAB>ns` lines of `FT_GROWTH_BATCH`.
fn batch_figures() -> Vec<(String, f64)> {
    let Ok(path) = std::env::var("FT_GROWTH_BATCH") else { return Vec::new() };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("FT_GROWTH_BATCH={path}: {e}"));
    text.lines()
        .filter_map(|line| {
            let (name, ns) = line.split_once('\t')?;
            Some((name.to_string(), ns.trim().parse().ok()?))
        })
        .collect()
}

fn read_rows(path: &Path) -> std::io::Result<Vec<Vec<f32>>> {
    let csv = std::fs::read_to_string(path)?;
    Ok(csv.lines().map(|line| line.split(',').map(|v| v.parse().expect("an f32 in the rows file")).collect()).collect())
}

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name).map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name}={v}: not a number")))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A debug build (`cargo test --benches`) or `--test`: load, check and
    // score, no timing: unoptimized figures would mean nothing.
    let smoke = cfg!(debug_assertions) || args.iter().any(|a| a == "--test" || a == "--list");
    let header = !args.iter().any(|a| a == "--no-header");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let dir = PathBuf::from(std::env::var("FT_GROWTH_DIR").unwrap_or_else(|_| "target/growth".into()));
    let runs = env_number("FT_GROWTH_RUNS", 7.0).max(1.0) as usize;
    let run_ns = env_number("FT_GROWTH_RUN_MS", 40.0) * 1e6;
    let batch = batch_figures();
    let isa = match std::env::var("FT_GROWTH_ISA").as_deref() {
        Err(_) | Ok("avx512") => Isa::Avx512,
        Ok("avx2") => Isa::Avx2,
        Ok("portable") => Isa::Portable,
        Ok(other) => panic!("FT_GROWTH_ISA={other}: portable, avx2 or avx512"),
    };

    if header {
        println!(
            "CatBoost single-row raw(), thread CPU time, best of {runs} runs of ~{} ms; models from {}",
            run_ns / 1e6,
            dir.display()
        );
        println!(
            "detected: {}, limit (FT_GROWTH_ISA): {isa} (baseline build: the evaluator is chosen at run time)",
            Isa::detected()
        );
        println!(
            "Memory is the type's size_of by part: leaves 8·LEAVES, splits 6·TREES·DEPTH + TREES, \
             table rows 16·BLOCKS, stream 16·BLOCKS (features and fields: the rest). \
             \"Table need\" is what the model file needs by the documented layout, \
             Σ (k+1) rows × ⌈trees/16⌉ blocks, of the BLOCKS = table_blocks(..) capacity."
        );
        println!();
        println!(
            "| features | trees | depth | JSON bytes | size_of | leaves | splits | table rows + stream \
             | table need / capacity (blocks) | evaluator (uses_table, uses_avx512) \
             | max \\|ours − CatBoost\\| | ours, ns/row | split evaluator, ns/row \
             | CatBoost batch, 1 thread, ns/row | ours / batch |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    }
    let mut wrong = Vec::new();
    for spec in GRID {
        let name = spec.name();
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let model_path = dir.join(format!("{name}.json"));
        let rows_path = dir.join(format!("rows_f{}.csv", spec.features));
        let (Ok(json), Ok(rows)) = (std::fs::read(&model_path), read_rows(&rows_path)) else {
            println!(
                "| {} | {} | {} | skipped: no {} or {} (train them: python3 scripts/train_growth.py {}) |",
                spec.features,
                spec.trees,
                spec.depth,
                model_path.display(),
                rows_path.display(),
                dir.display()
            );
            continue;
        };
        let json_bytes = json.len();
        let need = table_need(&json, spec.trees);
        let expected = std::fs::read_to_string(dir.join(format!("{name}.expected")))
            .ok()
            .map(|text| text.lines().map(|v| v.parse().expect("an f64 in the expected file")).collect());
        let input = Input { json, rows, expected, runs, run_ns, isa, smoke };
        let loaded = (spec.run)(&input);

        let (leaves, splits) = (8 * loaded.leaves, 6 * spec.trees * spec.depth + spec.trees);
        let table = 16 * loaded.blocks;
        let mut row = format!(
            "| {} | {} | {} | {} | {} | {} | {} | 2 × {} | ",
            spec.features,
            spec.trees,
            spec.depth,
            json_bytes,
            loaded.size,
            kib(leaves),
            kib(splits),
            kib(table)
        );
        match need {
            Ok((_, blocks)) => write!(row, "{blocks} / {}", loaded.blocks),
            Err(why) => write!(row, "? ({why}) / {}", loaded.blocks),
        }
        .unwrap();
        let ours = match &loaded.outcome {
            Ok(Ran { evaluator, uses_table, uses_avx512, gap, ns, split_ns }) => {
                write!(row, " | {evaluator} ({uses_table}, {uses_avx512}) | ").unwrap();
                match gap {
                    Some(gap) if *gap > MAX_GAP => {
                        wrong.push(format!("{name}: ours differs from CatBoost by up to {gap:e}"));
                        write!(row, "WRONG: {gap:.1e} | ").unwrap();
                    }
                    Some(gap) => write!(row, "{gap:.1e} | ").unwrap(),
                    None => row.push_str("not checked | "),
                }
                match (ns, split_ns) {
                    (Some(ns), Some(split)) => write!(row, "{ns:.1} | {split:.1}").unwrap(),
                    _ => row.push_str("not timed (debug build or --test) | –"),
                }
                *ns
            }
            Err(error) => {
                write!(row, " | not loaded | – | – | rejected by ingest into FEATURES = {}: {error}", loaded.features)
                    .unwrap();
                None
            }
        };
        match batch.iter().find(|(n, _)| *n == name) {
            Some((_, b)) => {
                let ratio = ours.map_or("–".to_string(), |o| format!("{:.2}", o / b));
                write!(row, " | {b:.1} | {ratio} |").unwrap();
            }
            None => row.push_str(" | not measured | – |"),
        }
        println!("{row}");
        // What the documented size formula leaves for the feature slots and
        // fields must be 6·FEATURES + a few dozen bytes; more means the
        // formula above no longer describes the type.
        let rest = loaded.size.checked_sub(leaves + splits + 2 * table);
        assert!(
            rest.is_some_and(|r| r >= 6 * loaded.features && r < 6 * loaded.features + 64),
            "{name}: size_of {} is not 8·LEAVES + 6·TREES·DEPTH + TREES + 32·BLOCKS + 6·FEATURES + a few bytes",
            loaded.size
        );
    }
    if !wrong.is_empty() {
        eprintln!("scores that differ from CatBoost's by more than {MAX_GAP:e}:");
        for line in &wrong {
            eprintln!("  {line}");
        }
        std::process::exit(1);
    }
}
