//! A criterion measurement of the benchmarking thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`): on a machine whose cores are shared with other
//! work, wall time counts the time this thread waited for a core, CPU time
//! does not. Benches report both.

use std::time::Duration;

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// CPU time of the benchmarking thread.
pub struct ThreadCpu;

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
        let (n, unit) = match throughput {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => (*n as f64, "elem/s (cpu)"),
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (*n as f64, "B/s (cpu)"),
            Throughput::Bits(n) => (*n as f64, "bit/s (cpu)"),
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
        unit
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// The two criterion groups of a `bench(c, group)` function generic over the
/// measurement: `wall_time` (`<group>_wall`) and `cpu_time` (thread CPU time,
/// `<group>_cpu`), for a bench that writes its own `main`.
#[allow(unused_macros)]
macro_rules! wall_and_cpu_groups {
    ($bench:ident, $group:literal) => {
        fn wall(c: &mut criterion::Criterion) {
            $bench(c, concat!($group, "_wall"));
        }

        fn cpu(c: &mut criterion::Criterion<thread_cpu::ThreadCpu>) {
            $bench(c, concat!($group, "_cpu"));
        }

        criterion::criterion_group!(wall_time, wall);
        criterion::criterion_group! {
            name = cpu_time;
            config = criterion::Criterion::default().with_measurement(thread_cpu::ThreadCpu);
            targets = cpu
        }
    };
}

/// `criterion_main!` for a `bench(c, group)` function generic over the
/// measurement: runs it once with wall time (`<group>_wall`) and once with
/// thread CPU time (`<group>_cpu`).
#[allow(unused_macros)]
macro_rules! wall_and_cpu_main {
    ($bench:ident, $group:literal) => {
        wall_and_cpu_groups!($bench, $group);
        criterion::criterion_main!(wall_time, cpu_time);
    };
}
