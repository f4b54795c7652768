//! Per-request fill + logistic score of a 200-feature request, against the
//! obvious by-name std code (`HashMap<String, f32>` of features, weights
//! looked up by name).
//!
//! ```text
//! cargo bench --bench score
//! ```

use std::collections::HashMap;
use std::hint::black_box;

use criterion::Criterion;
use criterion::measurement::Measurement;

#[macro_use]
#[path = "support/thread_cpu.rs"]
mod thread_cpu;
use feature_table::model::logistic::Logistic;
use feature_table::{Engine, Extractor, Policy};

const N: usize = 200;

/// The host's request: 200 raw signals the proxy already has at hand.
struct Request {
    signals: [f32; N],
}

macro_rules! extractors {
    ($($i:literal)*) => {
        &[$(Extractor::new(concat!("f", stringify!($i)), |r: &Request| r.signals[$i]),)*]
    };
}

static EXTRACTORS: &[Extractor<Request>] = extractors!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119 120 121 122 123 124 125 126 127 128 129 130 131 132 133 134 135 136 137 138 139 140 141 142 143 144 145 146 147 148 149 150 151 152 153 154 155 156 157 158 159 160 161 162 163 164 165 166 167 168 169 170 171 172 173 174 175 176 177 178 179 180 181 182 183 184 185 186 187 188 189 190 191 192 193 194 195 196 197 198 199);

/// The feature file, listing `f{order[k]}` as entry `k`.
fn feature_file(order: impl Iterator<Item = usize>) -> String {
    let entries: Vec<String> = order.map(|i| format!(r#"{{"name":"f{i}","default":0.5}}"#)).collect();
    format!(r#"{{"version":1,"features":[{}]}}"#, entries.join(","))
}

/// A fixed permutation of `0..N` (multiplication by 7 modulo the prime
/// 211, keeping what falls below N): the file lists the features in an
/// order unrelated to the binary's.
fn shuffled() -> impl Iterator<Item = usize> + Clone {
    (1..=211).map(|k| (k * 7) % 211).filter(|&i| i < N)
}

/// The weight of feature `f{i}`.
fn weight(i: usize) -> f32 {
    ((i * 37) % 101) as f32 / 1000.0 - 0.05
}

/// The logistic model for a file listing `f{order[k]}` as entry `k`: the
/// same function of the request whatever the file order.
fn model_file(order: impl Iterator<Item = usize>) -> String {
    let w: Vec<String> = order.map(|i| weight(i).to_string()).collect();
    format!(r#"{{"bias":-0.25,"weights":[{}]}}"#, w.join(","))
}

fn request(seed: usize) -> Request {
    let mut signals = [0.0; N];
    for (i, s) in signals.iter_mut().enumerate() {
        *s = ((i * 7 + seed) % 13) as f32 / 13.0;
    }
    Request { signals }
}

/// The baseline: features and weights by name, as a std proxy would write it
/// without this crate. It calls the same extractor functions.
struct ByName {
    extractors: HashMap<String, Extractor<Request>>,
    names: Vec<String>,
    weights: HashMap<String, f32>,
    bias: f32,
}

impl ByName {
    fn new() -> Self {
        let extractors = EXTRACTORS.iter().map(|e| (e.name().to_string(), *e)).collect();
        let names: Vec<String> = (0..N).map(|i| format!("f{i}")).collect();
        let weights = names.iter().cloned().zip((0..N).map(weight)).collect();
        Self { extractors, names, weights, bias: -0.25 }
    }

    fn score(&self, request: &Request) -> f32 {
        let mut features: HashMap<String, f32> = HashMap::with_capacity(N);
        for name in &self.names {
            let value = self.extractors.get(name).map_or(0.5, |e| e.compute(request));
            features.insert(name.clone(), value);
        }
        let mut sum = self.bias;
        for (name, value) in &features {
            sum += self.weights.get(name).copied().unwrap_or(0.0) * value;
        }
        sum
    }
}

type ScoreEngine = Engine<Request, Logistic<N>, N>;

/// An engine serving the file and model listing the features in `order`.
fn engine(order: impl Iterator<Item = usize> + Clone) -> Box<ScoreEngine> {
    let mut engine = Box::new(ScoreEngine::new(EXTRACTORS, Policy::DEFAULT, Logistic::new(), Logistic::new()));
    engine.offer_features(feature_file(order.clone()).as_bytes()).unwrap();
    engine.offer_model(model_file(order).as_bytes()).unwrap();
    engine
}

fn bench<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    // The file in the binary's order and in an unrelated order (the signals
    // lane reads in place either way: the model's plan sums in signal
    // order); and listing all but `f0`, in that unrelated order, so that
    // the lane gathers.
    let in_order = engine(0..N);
    let gathered = engine(shuffled().filter(|&i| i != 0));
    let shuffled = engine(shuffled());
    let requests: Vec<Request> = (0..64).map(request).collect();
    let baseline = ByName::new();

    // All compute the same score (within f32 summation order).
    let theirs = baseline.score(&requests[1]);
    for ours in [
        in_order.score(&requests[1]),
        in_order.score_signals(&requests[1].signals),
        shuffled.score(&requests[1]),
        shuffled.score_signals(&requests[1].signals),
    ] {
        let ours = ours.unwrap().raw as f32;
        assert!((ours - theirs).abs() < 1e-3, "{ours} vs {theirs}");
    }
    assert_eq!(gathered.score_signals(&requests[1].signals), gathered.score(&requests[1]));

    let mut group = c.benchmark_group(group);
    let mut i = 0;
    // One extractor call per feature (`Engine::score`).
    group.bench_function("feature_table_engine", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(in_order.score(black_box(&requests[i])))
        })
    });
    // The host's signals, computed in one pass (`Engine::score_signals`);
    // the file lists the features in the binary's order.
    group.bench_function("feature_table_signals", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(in_order.score_signals(black_box(&requests[i].signals)))
        })
    });
    // The same, with the file in an unrelated order.
    group.bench_function("feature_table_signals_shuffled", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(shuffled.score_signals(black_box(&requests[i].signals)))
        })
    });
    // 199 features, without the binary's first: a gather.
    group.bench_function("feature_table_signals_gathered", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(gathered.score_signals(black_box(&requests[i].signals)))
        })
    });
    group.bench_function("hashmap_by_name_baseline", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(baseline.score(black_box(&requests[i])))
        })
    });
    group.finish();
}

wall_and_cpu_main!(bench, "score_200_features");
