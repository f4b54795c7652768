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
//! reports both for CatBoost too.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use feature_table::model::catboost::{self, CatBoost, DEFAULT_LIMITS};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catboost");

type Model = CatBoost<100, 6, 64, { 100 << 6 }>;

fn setup() -> (Box<Model>, Vec<Vec<f32>>) {
    let json = std::fs::read(format!("{FIXTURES}/bench_100x6.json")).unwrap();
    let mut model = Box::new(Model::new());
    catboost::ingest(&json, &mut model, DEFAULT_LIMITS).unwrap();
    let csv = std::fs::read_to_string(format!("{FIXTURES}/bench_100x6.csv")).unwrap();
    let rows = csv.lines().map(|line| line.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    (model, rows)
}

fn bench<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let (model, rows) = setup();
    let mut group = c.benchmark_group(group);
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
    group.finish();
}

fn wall(c: &mut Criterion) {
    bench(c, "catboost_100x6_wall");
}

fn cpu(c: &mut Criterion<ThreadCpu>) {
    bench(c, "catboost_100x6_cpu");
}

/// CPU time of the benchmarking thread.
struct ThreadCpu;

fn thread_cpu_now() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Measurement for ThreadCpu {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_now()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu_now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

/// Prints CPU time in µs and throughput in rows/s.
struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, _typical: f64, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v /= 1e3);
        "µs (cpu)"
    }
    fn scale_throughputs(&self, _typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let n = match throughput {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => *n as f64,
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => *n as f64,
            Throughput::Bits(n) => *n as f64,
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
        "elem/s (cpu)"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

criterion_group!(wall_time, wall);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = cpu
}
criterion_main!(wall_time, cpu_time);
