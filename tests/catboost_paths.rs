//! Every CatBoost evaluator this CPU can run gives the same score, bit for
//! bit: the table evaluator as compiled for the build, the same code compiled
//! for AVX2 (for models of more than 256 used features), the AVX2 evaluator
//! (bins looked up by byte shuffles, up to 256 used features) and the
//! AVX-512 evaluator, each chosen at
//! run time. The paths
//! are forced one after the other with `set_isa_limit` on one loaded model,
//! over random models (1 to 255 borders a feature, so the AVX-512 layout cuts
//! features into several pieces; leaves of mixed magnitudes, so a different
//! summation order would show) and random rows (NaN, infinities, values on
//! and next to the borders, short rows). The split evaluator, which sums in
//! tree order, agrees to rounding.
//!
//! A path the CPU does not have is not run, and `evaluators_this_cpu_runs`
//! says which ran (`cargo test --test catboost_paths -- --nocapture`).

use std::sync::Mutex;

use feature_table::model::catboost::{self, CatBoost, DEFAULT_LIMITS, Evaluator, Isa, table_blocks};
use proptest::prelude::*;

const TREES: usize = 160;
const DEPTH: usize = 8;
const FEATURES: usize = 256;
type Fast = CatBoost<TREES, DEPTH, FEATURES, { TREES << DEPTH }, { table_blocks(TREES, DEPTH, FEATURES) }>;
type Split = CatBoost<TREES, DEPTH, FEATURES, { TREES << DEPTH }>;

// Megabytes: statics, never on a test thread's stack.
static FAST: Mutex<Fast> = Mutex::new(Fast::new());
static SPLIT: Mutex<Split> = Mutex::new(Split::new());

/// The levels this CPU has, lowest first.
fn levels() -> Vec<Isa> {
    [Isa::Portable, Isa::Avx2, Isa::Avx512].into_iter().filter(|&isa| isa <= Isa::detected()).collect()
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A random export: `trees` trees of depth `depth` on `features` columns,
/// with each column's borders drawn from its own set of up to `most_borders`
/// (at most 255); also the borders and the evaluator the AVX2 level runs
/// (`Avx2` for at most 256 used features, else `TableAvx2`).
fn random_model(
    rng: &mut Rng,
    trees: usize,
    depth: usize,
    features: usize,
    most_borders: usize,
) -> (String, Vec<Vec<f32>>, Evaluator) {
    assert!(most_borders <= 255);
    let borders: Vec<Vec<f32>> = (0..features)
        .map(|_| {
            let k = 1 + rng.below(most_borders);
            (0..k).map(|_| (rng.below(20_001) as f32 - 10_000.0) / 1000.0).collect()
        })
        .collect();
    let nan = ["AsIs", "AsFalse", "AsTrue"];
    let float_features: Vec<String> = (0..features)
        .map(|i| {
            let mut b = borders[i].clone();
            b.sort_by(f32::total_cmp);
            b.dedup();
            let list: Vec<String> = b.iter().map(|b| b.to_string()).collect();
            format!(
                r#"{{"borders":[{}],"feature_index":{i},"flat_feature_index":{i},"nan_value_treatment":"{}"}}"#,
                list.join(","),
                nan[rng.below(3)]
            )
        })
        .collect();
    let mut used = std::collections::BTreeSet::new();
    let trees: Vec<String> = (0..trees)
        .map(|_| {
            let leaves: Vec<String> = (0..1_usize << depth)
                .map(|_| {
                    // Mixed magnitudes: a different order of additions rounds differently.
                    let mantissa = rng.below(2_000_001) as f64 - 1_000_000.0;
                    let exponent = rng.below(13) as i32 - 12;
                    (mantissa * 10f64.powi(exponent)).to_string()
                })
                .collect();
            let splits: Vec<String> = (0..depth)
                .map(|_| {
                    let feature = rng.below(features);
                    used.insert(feature);
                    let border = borders[feature][rng.below(borders[feature].len())];
                    format!(r#"{{"border":{border},"float_feature_index":{feature},"split_type":"FloatFeature"}}"#)
                })
                .collect();
            format!(r#"{{"leaf_values":[{}],"splits":[{}]}}"#, leaves.join(","), splits.join(","))
        })
        .collect();
    let json = format!(
        r#"{{"features_info":{{"float_features":[{}]}},"oblivious_trees":[{}],"scale_and_bias":[0.75,[0.125]]}}"#,
        float_features.join(","),
        trees.join(",")
    );
    let avx2 = if used.len() <= 256 { Evaluator::Avx2 } else { Evaluator::TableAvx2 };
    (json, borders, avx2)
}

/// Random rows: NaN, ±inf, values on a border, one ulp either side of it,
/// anything in between; one row in eight is short.
fn random_rows(rng: &mut Rng, borders: &[Vec<f32>], count: usize) -> Vec<Vec<f32>> {
    (0..count)
        .map(|_| {
            let width = if rng.below(8) == 0 { rng.below(borders.len() + 1) } else { borders.len() };
            borders
                .iter()
                .take(width)
                .map(|b| {
                    let on = b[rng.below(b.len())];
                    match rng.below(8) {
                        0 => f32::NAN,
                        1 => f32::INFINITY,
                        2 => f32::NEG_INFINITY,
                        3 => on,
                        4 => f32::from_bits(on.to_bits() + 1),
                        5 => f32::from_bits(on.to_bits().wrapping_sub(1)),
                        _ => (rng.below(24_001) as f32 - 12_000.0) / 1000.0,
                    }
                })
                .collect()
        })
        .collect()
}

/// Columns of the wide models: over the 256 the AVX-512 evaluator reads.
const WIDE: usize = 1024;
type WideFast = CatBoost<64, DEPTH, WIDE, { 64 << DEPTH }, { table_blocks(64, DEPTH, WIDE) }>;
type WideSplit = CatBoost<64, DEPTH, WIDE, { 64 << DEPTH }>;
static WIDE_FAST: Mutex<WideFast> = Mutex::new(WideFast::new());
static WIDE_SPLIT: Mutex<WideSplit> = Mutex::new(WideSplit::new());

/// A capacity that is not a multiple of the 16 features binarized per step:
/// a model using all of them has a last, partial step.
const ODD: usize = 200;
type OddFast = CatBoost<TREES, DEPTH, ODD, { TREES << DEPTH }, { table_blocks(TREES, DEPTH, ODD) }>;
type OddSplit = CatBoost<TREES, DEPTH, ODD, { TREES << DEPTH }>;
static ODD_FAST: Mutex<OddFast> = Mutex::new(OddFast::new());
static ODD_SPLIT: Mutex<OddSplit> = Mutex::new(OddSplit::new());

/// Loads `json` once, then for each level this CPU has: the expected
/// evaluator runs (`avx2` at the AVX2 level, and at the AVX-512 level when
/// the AVX-512 evaluator does not fit), and every row's score has the same
/// bits as the table evaluator's; the split evaluator agrees to rounding.
fn assert_paths_agree(json: &str, rows: &[Vec<f32>], avx2: Evaluator, avx512_fits: Option<bool>) -> Vec<Evaluator> {
    assert_paths_agree_in(&mut FAST.lock().unwrap(), &mut SPLIT.lock().unwrap(), json, rows, avx2, avx512_fits)
}

fn assert_paths_agree_in<const T: usize, const F: usize, const L: usize, const B: usize>(
    fast: &mut CatBoost<T, DEPTH, F, L, B>,
    split: &mut CatBoost<T, DEPTH, F, L>,
    json: &str,
    rows: &[Vec<f32>],
    avx2: Evaluator,
    avx512_fits: Option<bool>,
) -> Vec<Evaluator> {
    fast.set_isa_limit(Isa::Avx512);
    catboost::ingest(json.as_bytes(), fast, DEFAULT_LIMITS).unwrap();
    catboost::ingest(json.as_bytes(), split, DEFAULT_LIMITS).unwrap();
    assert_eq!(split.evaluator(), Evaluator::Split);
    let mut ran = Vec::new();
    let mut baseline: Vec<u64> = Vec::new();
    for isa in levels() {
        fast.set_isa_limit(isa);
        let evaluator = fast.evaluator();
        match isa {
            Isa::Portable => assert_eq!(evaluator, Evaluator::Table),
            Isa::Avx2 => assert_eq!(evaluator, avx2),
            Isa::Avx512 => match avx512_fits {
                Some(true) => assert_eq!(evaluator, Evaluator::Avx512),
                Some(false) => assert_eq!(evaluator, avx2),
                None => assert!(evaluator == Evaluator::Avx512 || evaluator == avx2, "{evaluator}"),
            },
        }
        let bits: Vec<u64> = rows.iter().map(|row| fast.raw(row).to_bits()).collect();
        if baseline.is_empty() {
            for (row, &got) in rows.iter().zip(&bits) {
                let (got, want) = (f64::from_bits(got), split.raw(row));
                assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "table {got} vs split {want} on {row:?}");
            }
            baseline = bits;
        } else {
            for ((row, &got), &want) in rows.iter().zip(&bits).zip(&baseline) {
                assert_eq!(
                    got,
                    want,
                    "{evaluator}: {} vs table {} on {row:?}",
                    f64::from_bits(got),
                    f64::from_bits(want)
                );
            }
        }
        ran.push(evaluator);
    }
    // The limit is kept by later loads, and lifting it restores the best path.
    fast.set_isa_limit(Isa::Portable);
    catboost::ingest(json.as_bytes(), fast, DEFAULT_LIMITS).unwrap();
    assert_eq!(fast.evaluator(), Evaluator::Table);
    fast.set_isa_limit(Isa::Avx512);
    assert_eq!(fast.evaluator(), *ran.last().unwrap());
    ran
}

/// Which evaluators this CPU runs on the benchmark model, printed so that a
/// CI log says which paths the tests compared.
#[test]
fn evaluators_this_cpu_runs() {
    let json =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catboost/bench_100x6.json"))
            .unwrap();
    let csv = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catboost/bench_100x6.csv"))
        .unwrap();
    let rows: Vec<Vec<f32>> = csv.lines().map(|line| line.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    // 58 used features: the AVX2 level runs the lookup evaluator.
    let ran = assert_paths_agree(&json, &rows, Evaluator::Avx2, Some(true));
    let names: Vec<&str> = ran.iter().map(|e| e.name()).collect();
    println!("CPU level {}: evaluators compared bit for bit: {}", Isa::detected(), names.join(", "));
    let missing: Vec<&str> =
        [Evaluator::Avx2, Evaluator::Avx512].iter().filter(|e| !ran.contains(e)).map(|e| e.name()).collect();
    if !missing.is_empty() {
        println!("not run (this CPU lacks them): {}", missing.join(", "));
    }
}

/// A model of more than 256 used features: the AVX2 level runs the table
/// (the lookup evaluator's tables hold 256 bins), still bit for bit.
#[test]
fn the_avx2_table_takes_models_of_more_than_256_used_features() {
    let mut rng = Rng(0x5eed);
    let (json, borders, avx2) = random_model(&mut rng, 64, 8, WIDE, 40);
    assert_eq!(avx2, Evaluator::TableAvx2, "the model should use more than 256 features");
    let rows = random_rows(&mut rng, &borders, 32);
    assert_paths_agree_in(
        &mut WIDE_FAST.lock().unwrap(),
        &mut WIDE_SPLIT.lock().unwrap(),
        &json,
        &rows,
        avx2,
        Some(false),
    );
}

/// A model whose table would be slower than its splits (380 of 1,024
/// features used by 100 trees of depth 6: 2,660 block ORs a row against 600
/// splits) runs the split evaluator at every level, with the compact
/// type's result, bit for bit.
#[test]
fn a_model_whose_table_would_be_slower_runs_the_split_evaluator() {
    type Big = CatBoost<100, 6, WIDE, { 100 << 6 }, { table_blocks(100, 6, WIDE) }>;
    type BigSplit = CatBoost<100, 6, WIDE, { 100 << 6 }>;
    static BIG: Mutex<Big> = Mutex::new(Big::new());
    static BIG_SPLIT: Mutex<BigSplit> = Mutex::new(BigSplit::new());
    let mut rng = Rng(0xb16);
    let (json, borders, avx2) = random_model(&mut rng, 100, 6, WIDE, 40);
    assert_eq!(avx2, Evaluator::TableAvx2, "the model should use more than 256 features");
    let rows = random_rows(&mut rng, &borders, 32);
    let (mut big, mut split) = (BIG.lock().unwrap(), BIG_SPLIT.lock().unwrap());
    catboost::ingest(json.as_bytes(), &mut *split, DEFAULT_LIMITS).unwrap();
    for isa in levels() {
        big.set_isa_limit(isa);
        catboost::ingest(json.as_bytes(), &mut *big, DEFAULT_LIMITS).unwrap();
        assert_eq!(big.evaluator(), Evaluator::Split, "at {isa}");
        assert!(!big.uses_table());
        for row in &rows {
            assert_eq!(big.raw(row).to_bits(), split.raw(row).to_bits());
        }
    }
}

/// A model the AVX2 evaluator takes (200 features) whose portable table
/// would be slower than its splits (1,000 trees: a table over 2 MiB): with
/// AVX2 ruled out it moves to the split evaluator, which agrees to rounding
/// and equals the compact type bit for bit.
#[test]
fn ruling_out_avx2_moves_a_model_whose_table_would_be_slower_to_the_split_evaluator() {
    const T: usize = 1000;
    type Many = CatBoost<T, 6, 200, { T << 6 }, { table_blocks(T, 6, 200) }>;
    type ManySplit = CatBoost<T, 6, 200, { T << 6 }>;
    static MANY: Mutex<Many> = Mutex::new(Many::new());
    static MANY_SPLIT: Mutex<ManySplit> = Mutex::new(ManySplit::new());
    let mut rng = Rng(0x1000);
    let (json, borders, avx2) = random_model(&mut rng, T, 6, 200, 40);
    assert_eq!(avx2, Evaluator::Avx2);
    let rows = random_rows(&mut rng, &borders, 32);
    let (mut many, mut split) = (MANY.lock().unwrap(), MANY_SPLIT.lock().unwrap());
    catboost::ingest(json.as_bytes(), &mut *split, DEFAULT_LIMITS).unwrap();
    many.set_isa_limit(Isa::Portable);
    catboost::ingest(json.as_bytes(), &mut *many, DEFAULT_LIMITS).unwrap();
    assert_eq!(many.evaluator(), Evaluator::Split);
    let portable: Vec<f64> = rows.iter().map(|row| many.raw(row)).collect();
    for (row, &got) in rows.iter().zip(&portable) {
        assert_eq!(got.to_bits(), split.raw(row).to_bits());
    }
    if Isa::detected() >= Isa::Avx2 {
        many.set_isa_limit(Isa::Avx2);
        assert_eq!(many.evaluator(), Evaluator::Avx2);
        for (row, &want) in rows.iter().zip(&portable) {
            let got = many.raw(row);
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "avx2 {got} vs split {want}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Narrow models (up to 64 columns: the AVX-512 row in four registers).
    #[test]
    fn every_evaluator_gives_the_same_bits_on_narrow_models(
        trees in 1..=TREES, depth in 1..=8_usize, features in 1..=64_usize, most_borders in 1..=40_usize, seed in 1..u64::MAX
    ) {
        let mut rng = Rng(seed);
        let (json, borders, avx2) = random_model(&mut rng, trees, depth, features, most_borders);
        let rows = random_rows(&mut rng, &borders, 64);
        assert_paths_agree(&json, &rows, avx2, None);
    }

    /// Models on up to 1,024 columns, splits reading columns past 256: the
    /// AVX-512 evaluator (whose lanes name columns in a byte) declines when
    /// the model is wider than 256, and the table evaluators take them.
    #[test]
    fn every_evaluator_gives_the_same_bits_on_models_over_256_columns(
        trees in 1..=64_usize, depth in 1..=8_usize, features in 257..=WIDE, most_borders in 1..=40_usize, seed in 1..u64::MAX
    ) {
        let mut rng = Rng(seed);
        let (json, borders, avx2) = random_model(&mut rng, trees, depth, features, most_borders);
        let rows = random_rows(&mut rng, &borders, 32);
        let ran = assert_paths_agree_in(&mut WIDE_FAST.lock().unwrap(), &mut WIDE_SPLIT.lock().unwrap(), &json, &rows, avx2, Some(false));
        prop_assert!(!ran.contains(&Evaluator::Avx512));
    }

    /// A type of 200 columns and models using nearly all of them, past the
    /// last multiple of 16 (1,000 or more splits on 185 to 200 columns; 200
    /// is not a multiple of the 16 features binarized per step).
    #[test]
    fn every_evaluator_gives_the_same_bits_when_capacity_is_not_a_multiple_of_16(
        trees in 125..=TREES, depth in 8..=8_usize, features in 185..=ODD, most_borders in 1..=20_usize, seed in 1..u64::MAX
    ) {
        let mut rng = Rng(seed);
        let (json, borders, avx2) = random_model(&mut rng, trees, depth, features, most_borders);
        let rows = random_rows(&mut rng, &borders, 32);
        assert_paths_agree_in(&mut ODD_FAST.lock().unwrap(), &mut ODD_SPLIT.lock().unwrap(), &json, &rows, avx2, None);
    }

    /// Wide models (up to 256 columns) with up to 255 borders a column.
    #[test]
    fn every_evaluator_gives_the_same_bits_on_wide_models(
        trees in 1..=64_usize, depth in 1..=8_usize, features in 65..=FEATURES, most_borders in 1..=255_usize, seed in 1..u64::MAX
    ) {
        let mut rng = Rng(seed);
        let (json, borders, avx2) = random_model(&mut rng, trees, depth, features, most_borders);
        let rows = random_rows(&mut rng, &borders, 32);
        assert_paths_agree(&json, &rows, avx2, None);
    }
}
