//! Single-row `raw()` of the 100-tree, depth-6, 60-feature CatBoost model
//! (`tests/fixtures/catboost/bench_100x6.json`, trained by
//! `scripts/train_catboost.py`), against CatBoost itself on the same machine,
//! in the same run.
//!
//! Run: `cargo bench --bench catboost` (a baseline build: no `RUSTFLAGS`).
//!
//! 1. Criterion groups, wall time and this thread's CPU time
//!    (`CLOCK_THREAD_CPUTIME_ID`, which stays meaningful when other
//!    processes share the cores): each pass scores the fixture's 200 rows
//!    one `raw()` call at a time (ns/row = time / 200), with the evaluator
//!    the CPU dispatches to (`raw_single_row`), then each evaluator forced
//!    by `set_isa_limit` (`raw_single_row/<evaluator>`), and the compact
//!    layout (`raw_single_row_compact`, the split evaluator). The `_load`
//!    groups time loading the model file (230 KB), with and without the
//!    table build.
//! 2. The peers, when the run is not filtered (or the filter names
//!    `peers`): the CPU model, the detected level and dispatched evaluator,
//!    then, back to back, ours per evaluator (best of 7 thread-CPU-time
//!    runs), CatBoost's batch `predict` with 1 thread
//!    (`scripts/bench_catboost.py`, needs `pip install catboost numpy`),
//!    ours again, and CatBoost's standalone C++ export, called one row at a
//!    time (`scripts/bench_catboost_cpp.sh`, needs `g++` too); ours is the
//!    better of its two measurements. It prints ns/row, the ratios and
//!    whether the goals are met: the dispatched evaluator at most ⅓ of
//!    CatBoost's batch time per row, the AVX2 one at most ½. A peer that
//!    cannot run is reported as not measured, never guessed.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};
use feature_table::model::catboost::{self, CatBoost, DEFAULT_LIMITS, Evaluator, Isa, table_blocks};

#[macro_use]
#[path = "support/thread_cpu.rs"]
mod thread_cpu;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catboost");

/// The fast layout (`BLOCKS` from `table_blocks`): table evaluators.
type Model = CatBoost<100, 6, 64, { 100 << 6 }, { table_blocks(100, 6, 64) }>;
/// The compact layout (`BLOCKS = 0`): the split evaluator.
type Compact = CatBoost<100, 6, 64, { 100 << 6 }>;

fn rows() -> Vec<Vec<f32>> {
    let csv = std::fs::read_to_string(format!("{FIXTURES}/bench_100x6.csv")).unwrap();
    csv.lines().map(|line| line.split(',').map(|v| v.parse().unwrap()).collect()).collect()
}

fn json() -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/bench_100x6.json")).unwrap()
}

/// The model loaded with its evaluator limited to `isa`.
fn model(json: &[u8], isa: Isa) -> Box<Model> {
    let mut model = Box::new(Model::new());
    model.set_isa_limit(isa);
    catboost::ingest(json, &mut model, DEFAULT_LIMITS).unwrap();
    model
}

/// The levels this CPU has, best first.
fn levels() -> Vec<Isa> {
    [Isa::Avx512, Isa::Avx2, Isa::Portable].into_iter().filter(|&isa| isa <= Isa::detected()).collect()
}

fn score_all(model: &Model, rows: &[Vec<f32>]) -> f64 {
    let mut sum = 0.0;
    for row in rows {
        sum += model.raw(black_box(row));
    }
    sum
}

fn bench<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let json = json();
    let best = model(&json, Isa::Avx512);
    let mut compact = Box::new(Compact::new());
    catboost::ingest(&json, &mut compact, DEFAULT_LIMITS).unwrap();
    let rows = rows();
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("raw_single_row", |b| b.iter(|| black_box(score_all(&best, &rows))));
    for isa in levels() {
        let forced = model(&json, isa);
        group.bench_function(format!("raw_single_row/{}", forced.evaluator()), |b| {
            b.iter(|| black_box(score_all(&forced, &rows)))
        });
    }
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
    let mut model = best;
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

wall_and_cpu_groups!(bench, "catboost_100x6");

/// This thread's CPU time in ns.
fn thread_ns() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// ns/row of thread CPU time: best of 7 runs of 2,000 passes over the rows
/// (about 40 ms each).
fn ours(model: &Model, rows: &[Vec<f32>]) -> f64 {
    let passes = 2_000;
    black_box(score_all(model, rows));
    (0..7)
        .map(|_| {
            let start = thread_ns();
            for _ in 0..passes {
                black_box(score_all(model, rows));
            }
            (thread_ns() - start) / (passes * rows.len()) as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Runs `program args` in the repository and returns the number after
/// `key` on the first line of its output that has it, or why not.
fn peer(program: &str, args: &[&str], line_has: &str, key: &str) -> Result<f64, String> {
    let out = Command::new(program).args(args).current_dir(ROOT).output().map_err(|e| format!("{program}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim();
        return Err(format!("{program} {} failed: {last}", args.join(" ")));
    }
    text.lines()
        .filter(|line| line.contains(line_has))
        .find_map(|line| {
            let at = line.find(key)?;
            line[..at].split_whitespace().last()?.parse().ok()
        })
        .ok_or_else(|| format!("no `{key}` figure in the output of {program} {}", args.join(" ")))
}

fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.trim().to_string())
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    match (field("model name"), field("cpu family"), field("model")) {
        (Some(name), Some(family), Some(model)) => format!("{name} (family {family}, model {model}), {cores} cores"),
        (Some(name), _, _) => format!("{name}, {cores} cores"),
        _ => format!("{}, {cores} cores", std::env::consts::ARCH),
    }
}

/// The peers table (see the module documentation).
fn peers() {
    let json = json();
    let rows = rows();
    let models: Vec<(Evaluator, Box<Model>)> = levels()
        .into_iter()
        .map(|isa| {
            let m = model(&json, isa);
            (m.evaluator(), m)
        })
        .collect();
    let dispatched = models.first().map(|(e, _)| *e).unwrap_or(Evaluator::Split);
    println!();
    println!("CatBoost 100 trees x depth 6, 60 features: one row per call, thread CPU time");
    println!("CPU: {}", cpu_model());
    println!("detected: {}; dispatched evaluator: {dispatched} (baseline build, no target-cpu flags)", Isa::detected());
    let started = Instant::now();
    let first: Vec<f64> = models.iter().map(|(_, m)| ours(m, &rows)).collect();
    let batch = peer("python3", &["scripts/bench_catboost.py", "200000", "5"], "thread_count= 1", "ns/row cpu");
    let second: Vec<f64> = models.iter().map(|(_, m)| ours(m, &rows)).collect();
    let cpp = peer("bash", &["scripts/bench_catboost_cpp.sh", "500", "5"], "ns/row", "ns/row");
    let ours: Vec<f64> = first.iter().zip(&second).map(|(a, b)| a.min(*b)).collect();

    let show = |peer: &Result<f64, String>| match peer {
        Ok(ns) => format!("{ns:.1}"),
        Err(_) => "not measured".to_string(),
    };
    println!();
    println!(
        "| evaluator | ours, ns/row | CatBoost batch, 1 thread | ours / batch | goal | CatBoost C++ export | ours / C++ |"
    );
    println!("|---|---|---|---|---|---|---|");
    for ((evaluator, _), &ns) in models.iter().zip(&ours) {
        let goal = match evaluator {
            e if *e == dispatched => Some(1.0 / 3.0),
            Evaluator::Avx2 | Evaluator::TableAvx2 => Some(0.5),
            _ => None,
        };
        let (ratio, verdict) = match (&batch, goal) {
            (Ok(b), Some(goal)) => {
                let r = ns / b;
                let met = if r <= goal { "met" } else { "NOT met" };
                (format!("{r:.3}"), format!("≤ {goal:.3}: {met}"))
            }
            (Ok(b), None) => (format!("{:.3}", ns / b), "–".to_string()),
            (Err(_), _) => ("–".to_string(), "not measured".to_string()),
        };
        let vs_cpp = cpp.as_ref().map_or("–".to_string(), |c| format!("{:.3}", ns / c));
        let name = if *evaluator == dispatched { format!("{evaluator} (dispatched)") } else { evaluator.to_string() };
        println!("| {name} | {ns:.1} | {} | {ratio} | {verdict} | {} | {vs_cpp} |", show(&batch), show(&cpp));
    }
    for (what, peer) in [("CatBoost batch", &batch), ("CatBoost C++ export", &cpp)] {
        if let Err(why) = peer {
            println!("{what}: not measured: {why}");
        }
    }
    println!("(peers measured in {:.0} s)", started.elapsed().as_secs_f64());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes --bench; `cargo test --benches` does not (then
    // criterion runs each benchmark once, and the peers are skipped).
    let testing = !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--list");
    let filter = args.iter().find(|a| !a.starts_with('-'));
    if filter.is_none_or(|f| !f.contains("peers")) {
        wall_time();
        cpu_time();
        Criterion::default().configure_from_args().final_summary();
    }
    if !testing && filter.is_none_or(|f| f.contains("peers")) {
        peers();
    }
}
