//! The CatBoost evaluator against CatBoost itself, on committed fixtures made
//! by `scripts/train_catboost.py` (CI has no Python), and every rejection
//! `ModelError` names, on real exports where CatBoost can produce them.

use std::sync::Mutex;

use feature_table::model::catboost::{self, CatBoost, DEFAULT_LIMITS, ModelError, ModelField, table_blocks};
use feature_table::{JsonErrorKind, Limits, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catboost");

/// Roomy enough for every parity fixture: 256 KiB of leaves.
type Model = CatBoost<128, 8, 64, { 128 << 8 }>;
/// The same capacities with the table evaluator.
type Table = CatBoost<128, 8, 64, { 128 << 8 }, { table_blocks(128, 8, 64) }>;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

fn load(bytes: &[u8]) -> Result<Box<Model>, ModelError> {
    let mut model = Box::new(Model::new());
    catboost::ingest(bytes, &mut model, DEFAULT_LIMITS).map(|()| model)
}

fn rows(name: &str) -> Vec<Vec<f32>> {
    let text = String::from_utf8(fixture(&format!("{name}.csv"))).unwrap();
    text.lines().map(|line| line.split(',').map(|v| v.parse::<f32>().unwrap()).collect()).collect()
}

fn expected(name: &str) -> Vec<f64> {
    let text = String::from_utf8(fixture(&format!("{name}.expected"))).unwrap();
    text.lines().map(|v| v.parse::<f64>().unwrap()).collect()
}

/// Asserts |ours − CatBoost| ≤ 1e-6 on every row; returns the largest gap.
fn assert_parity(name: &str) -> f64 {
    let model = load(&fixture(&format!("{name}.json"))).unwrap();
    static TABLE: Mutex<Table> = Mutex::new(Table::new());
    let mut table = TABLE.lock().unwrap();
    catboost::ingest(&fixture(&format!("{name}.json")), &mut table, DEFAULT_LIMITS).unwrap();
    assert!(table.uses_table(), "{name}: the table evaluator must take the fixture");
    assert_eq!(table.uses_avx512(), *AVX512_CPU, "{name}: the AVX-512 evaluator runs exactly on AVX-512 CPUs");
    let (rows, expected) = (rows(name), expected(name));
    assert_eq!(rows.len(), expected.len(), "{name}: rows and expected values differ in count");
    assert!(rows.len() >= 100, "{name}: too few rows to mean anything");
    let mut worst = 0.0_f64;
    let mut table_worst = 0.0_f64;
    for (i, (row, want)) in rows.iter().zip(&expected).enumerate() {
        assert_eq!(model.feature_count(), row.len(), "{name}: row {i} width");
        let got = model.raw(row);
        let gap = (got - want).abs();
        assert!(gap <= 1e-6, "{name}: row {i}: ours {got:?}, CatBoost {want:?}");
        worst = worst.max(gap);
        let fast = table.raw(row);
        let table_gap = (fast - want).abs();
        assert!(table_gap <= 1e-6, "{name}: row {i}: table {fast:?}, CatBoost {want:?}");
        table_worst = table_worst.max(table_gap);
    }
    eprintln!(
        "{name}: {} rows, max |ours - CatBoost| = {worst:e} (split evaluator), {table_worst:e} (table evaluator)",
        rows.len()
    );
    worst.max(table_worst)
}

#[test]
fn depth_1_regressor_with_bias_matches_catboost() {
    let model = load(&fixture("depth1_rmse_bias.json")).unwrap();
    assert!(model.bias() > 9.0, "the fixture must exercise a non-zero bias");
    assert_parity("depth1_rmse_bias");
}

#[test]
fn depth_6_classifier_with_nan_mode_min_matches_catboost() {
    assert_parity("depth6_logloss_nan_min");
}

#[test]
fn depth_6_classifier_with_nan_mode_max_matches_catboost() {
    assert_parity("depth6_logloss_nan_max");
}

#[test]
fn depth_8_regressor_with_nan_mode_max_and_scale_matches_catboost() {
    let model = load(&fixture("depth8_rmse_nan_max.json")).unwrap();
    assert_eq!(model.scale(), 0.75);
    assert_parity("depth8_rmse_nan_max");
}

#[test]
fn benchmark_model_100_trees_depth_6_on_60_features_matches_catboost() {
    let model = load(&fixture("bench_100x6.json")).unwrap();
    assert_eq!((model.tree_count(), model.feature_count()), (100, 60));
    assert_parity("bench_100x6");
}

/// A real export over 256 columns (320; 116 of them split on, up to column
/// 319): both layouts match CatBoost's own predictions, and the table
/// evaluators take it (the AVX-512 one reads at most 256 columns).
#[test]
fn model_over_256_columns_matches_catboost() {
    type Wide = CatBoost<32, 6, 320, { 32 << 6 }>;
    type WideTable = CatBoost<32, 6, 320, { 32 << 6 }, { table_blocks(32, 6, 320) }>;
    static COMPACT: Mutex<Wide> = Mutex::new(Wide::new());
    static TABLE: Mutex<WideTable> = Mutex::new(WideTable::new());
    let (mut compact, mut table) = (COMPACT.lock().unwrap(), TABLE.lock().unwrap());
    let json = fixture("wide_320.json");
    catboost::ingest(&json, &mut compact, DEFAULT_LIMITS).unwrap();
    catboost::ingest(&json, &mut table, DEFAULT_LIMITS).unwrap();
    assert_eq!(compact.feature_count(), 320);
    assert!(table.uses_table() && !table.uses_avx512());
    let (rows, expected) = (rows("wide_320"), expected("wide_320"));
    assert_eq!(rows.len(), expected.len());
    assert!(rows.len() >= 100);
    for (i, (row, want)) in rows.iter().zip(&expected).enumerate() {
        for (name, got) in [("compact", compact.raw(row)), ("table", table.raw(row))] {
            assert!((got - want).abs() <= 1e-6, "row {i}: {name} {got:?}, CatBoost {want:?}");
        }
    }
}

#[test]
fn nan_mode_decides_where_a_missing_value_goes() {
    // Same single split; only nan_value_treatment differs.
    let json = |nan: &str| {
        format!(
            r#"{{"features_info":{{"float_features":[{{"borders":[0],"feature_index":0,"flat_feature_index":0,
            "nan_value_treatment":"{nan}"}}]}},"oblivious_trees":[{{"leaf_values":[1,2],
            "splits":[{{"border":0,"float_feature_index":0,"split_type":"FloatFeature"}}]}}],"scale_and_bias":[1,[0]]}}"#
        )
    };
    for (nan, want) in [("AsIs", 1.0), ("AsFalse", 1.0), ("AsTrue", 2.0)] {
        let model = load(json(nan).as_bytes()).unwrap();
        assert_eq!(model.raw(&[f32::NAN]), want, "{nan}: NaN");
        assert_eq!(model.raw(&[]), want, "{nan}: a missing column is a NaN");
        assert_eq!(model.raw(&[0.0]), 1.0, "{nan}: the bit is value > border, strictly");
        assert_eq!(model.raw(&[f32::MIN_POSITIVE]), 2.0, "{nan}: just above the border");
        assert_eq!(model.raw(&[f32::INFINITY]), 2.0, "{nan}: +inf");
    }
}

#[test]
fn short_rows_never_panic_and_read_missing_columns_as_nan() {
    let model = load(&fixture("depth6_logloss_nan_max.json")).unwrap();
    let row = &rows("depth6_logloss_nan_max")[0];
    let mut padded = row[..3].to_vec();
    padded.resize(row.len(), f32::NAN);
    assert_eq!(model.raw(&row[..3]), model.raw(&padded));
    let mut longer = row.clone();
    longer.extend([1.0, 2.0, 3.0]);
    assert_eq!(model.raw(&longer), model.raw(row), "extra columns are ignored");
}

#[test]
fn memory_formula_matches_size_of() {
    fn formula(trees: usize, depth: usize, features: usize, leaves: usize, blocks: usize) -> usize {
        (8 * leaves + 6 * trees * depth + trees + 6 * features + 32 * blocks + 36).next_multiple_of(16)
    }
    assert_eq!(size_of::<CatBoost<1024, 8, 256, { 1024 << 8 }>>(), formula(1024, 8, 256, 1024 << 8, 0));
    assert_eq!(size_of::<CatBoost<1024, 8, 256, { 1024 << 8 }>>(), 2_148_912);
    assert_eq!(size_of::<CatBoost<100, 6, 64, { 100 << 6 }>>(), formula(100, 6, 64, 100 << 6, 0));
    assert_eq!(size_of::<CatBoost<3, 1, 5, 6>>(), formula(3, 1, 5, 6, 0));
    assert_eq!(size_of::<CatBoost<3, 1, 5, 6, 7>>(), formula(3, 1, 5, 6, 7));
    const BLOCKS: usize = table_blocks(100, 6, 64);
    assert_eq!(BLOCKS, 5_315);
    assert_eq!(size_of::<CatBoost<100, 6, 64, { 100 << 6 }, BLOCKS>>(), formula(100, 6, 64, 100 << 6, BLOCKS));
    assert_eq!(size_of::<Table>(), formula(128, 8, 64, 128 << 8, table_blocks(128, 8, 64)));
}

/// Rows for comparing the two evaluators: values around the synthetic
/// borders (0 and ±0.5), ±inf, NaN and short rows.
fn probe_rows(features: usize, count: usize) -> Vec<Vec<f32>> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|i| {
            let width = if i % 17 == 5 { features / 2 } else { features };
            (0..width)
                .map(|_| match next() % 8 {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    2 => f32::NEG_INFINITY,
                    3 => 0.0,
                    4 => 0.5,
                    5 => -0.5,
                    _ => (next() % 2000) as f32 / 1000.0 - 1.0,
                })
                .collect()
        })
        .collect()
}

/// The table evaluator agrees with the split evaluator (to summation
/// rounding) on synthetic models with 1 to 18 groups of 16 trees, depths 1
/// to 8, many borders per feature, and all three NaN treatments.
#[test]
fn table_evaluator_matches_split_evaluator() {
    type Split = CatBoost<300, 8, 64, { 300 << 8 }>;
    type Fast = CatBoost<300, 8, 64, { 300 << 8 }, { table_blocks(300, 8, 64) }>;
    // Megabytes: statics, never on a stack.
    static SPLIT: Mutex<Split> = Mutex::new(Split::new());
    static FAST: Mutex<Fast> = Mutex::new(Fast::new());
    let (mut split, mut fast) = (SPLIT.lock().unwrap(), FAST.lock().unwrap());
    for (trees, depth, features) in
        [(1, 1, 1), (3, 2, 5), (16, 6, 60), (17, 8, 3), (100, 6, 60), (129, 7, 64), (300, 8, 64)]
    {
        let json = varied(trees, depth, features);
        catboost::ingest(json.as_bytes(), &mut split, DEFAULT_LIMITS).unwrap();
        catboost::ingest(json.as_bytes(), &mut fast, DEFAULT_LIMITS).unwrap();
        assert!(fast.uses_table() && !split.uses_table(), "{trees}x{depth}");
        assert_eq!(fast.uses_avx512(), *AVX512_CPU, "{trees}x{depth}");
        for row in probe_rows(features, 300) {
            let (want, got) = (split.raw(&row), fast.raw(&row));
            assert!((want - got).abs() <= 1e-9 * want.abs().max(1.0), "{trees}x{depth}: {got} vs {want} on {row:?}");
        }
    }
}

/// Whether this CPU has AVX-512 F, BW and VBMI, where the AVX-512 evaluator
/// replaces the table evaluator (chosen at run time; `catboost_paths`
/// compares every path this CPU has).
static AVX512_CPU: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| catboost::Isa::detected() == catboost::Isa::Avx512);

/// Wide rows (up to 256 columns; over 64 is the AVX-512 evaluator's general
/// row path), rows shorter than the model (missing columns read as NaN),
/// shorter than 16, and 2 columns (whose borders the AVX-512 layout cuts
/// into several pieces): the fast evaluator agrees with the split evaluator.
#[test]
fn fast_evaluator_matches_split_evaluator_on_wide_and_short_rows() {
    type Split = CatBoost<64, 6, 256, { 64 << 6 }>;
    type Fast = CatBoost<64, 6, 256, { 64 << 6 }, { table_blocks(64, 6, 256) }>;
    static SPLIT: Mutex<Split> = Mutex::new(Split::new());
    static FAST: Mutex<Fast> = Mutex::new(Fast::new());
    let (mut split, mut fast) = (SPLIT.lock().unwrap(), FAST.lock().unwrap());
    // The last reads 200 columns: more than the AVX-512 layout's 128 lanes,
    // so the table evaluator runs.
    for (trees, depth, features, avx512) in
        [(30, 4, 250, true), (24, 5, 256, true), (64, 6, 70, true), (64, 6, 2, true), (64, 6, 200, false)]
    {
        let json = varied(trees, depth, features);
        catboost::ingest(json.as_bytes(), &mut split, DEFAULT_LIMITS).unwrap();
        catboost::ingest(json.as_bytes(), &mut fast, DEFAULT_LIMITS).unwrap();
        assert!(fast.uses_table(), "{trees}x{depth} on {features}");
        assert_eq!(fast.uses_avx512(), *AVX512_CPU && avx512, "{trees}x{depth} on {features}");
        for row in probe_rows(features, 200) {
            for len in [row.len(), row.len() / 2, 15, 3, 0] {
                let row = &row[..len.min(row.len())];
                let (want, got) = (split.raw(row), fast.raw(row));
                assert!(
                    (want - got).abs() <= 1e-9 * want.abs().max(1.0),
                    "{trees}x{depth}, {len} of {features}: {got} vs {want}"
                );
            }
        }
    }
}

/// Mixed depths, depth 9 and a too-small `BLOCKS` fall back to the split
/// evaluator, with the same results.
#[test]
fn table_evaluator_falls_back_when_the_model_does_not_fit() {
    type Deep = CatBoost<8, 10, 16, { 8 << 10 }>;
    type DeepFast = CatBoost<8, 10, 16, { 8 << 10 }, { table_blocks(8, 10, 16) }>;
    type Tiny = CatBoost<8, 10, 16, { 8 << 10 }, 3>;
    static SPLIT: Mutex<Deep> = Mutex::new(Deep::new());
    static FAST: Mutex<DeepFast> = Mutex::new(DeepFast::new());
    static TINY: Mutex<Tiny> = Mutex::new(Tiny::new());
    let (mut split, mut fast, mut tiny) = (SPLIT.lock().unwrap(), FAST.lock().unwrap(), TINY.lock().unwrap());
    for (json, table) in [(varied(8, 9, 16), false), (mixed_depths(), false), (varied(8, 4, 16), true)] {
        catboost::ingest(json.as_bytes(), &mut split, DEFAULT_LIMITS).unwrap();
        catboost::ingest(json.as_bytes(), &mut fast, DEFAULT_LIMITS).unwrap();
        catboost::ingest(json.as_bytes(), &mut tiny, DEFAULT_LIMITS).unwrap();
        assert_eq!((fast.uses_table(), tiny.uses_table()), (table, false));
        for row in probe_rows(16, 100) {
            let want = split.raw(&row);
            assert!((fast.raw(&row) - want).abs() <= 1e-9 * want.abs().max(1.0));
            assert!((tiny.raw(&row) - want).abs() <= 1e-9 * want.abs().max(1.0));
        }
    }
}

/// Two trees of depth 1 and 3 on two columns.
fn mixed_depths() -> String {
    r#"{"features_info":{"float_features":[
        {"borders":[0],"feature_index":0,"flat_feature_index":0,"nan_value_treatment":"AsTrue"},
        {"borders":[0.5],"feature_index":1,"flat_feature_index":1,"nan_value_treatment":"AsFalse"}]},
      "oblivious_trees":[
        {"leaf_values":[1,2],"splits":[{"border":0,"float_feature_index":0,"split_type":"FloatFeature"}]},
        {"leaf_values":[1,2,3,4,5,6,7,8],"splits":[
          {"border":0.5,"float_feature_index":1,"split_type":"FloatFeature"},
          {"border":-0.5,"float_feature_index":0,"split_type":"FloatFeature"},
          {"border":0.25,"float_feature_index":1,"split_type":"FloatFeature"}]}]}"#
        .to_string()
}

/// `trees` depth-`depth` trees on `features` columns with varied borders
/// (several per feature, some repeated across trees, -0 and 0) and NaN
/// treatments, and leaves worth `tree + i/1000`.
fn varied(trees: usize, depth: usize, features: usize) -> String {
    let nan = ["AsIs", "AsFalse", "AsTrue"];
    let float_features: Vec<String> = (0..features)
        .map(|i| {
            format!(
                r#"{{"borders":[0],"feature_index":{i},"flat_feature_index":{i},"nan_value_treatment":"{}"}}"#,
                nan[i % 3]
            )
        })
        .collect();
    let borders = ["0", "-0.0", "0.5", "-0.5", "0.25", "-0.999", "0.75", "0.125"];
    let trees: Vec<String> = (0..trees)
        .map(|t| {
            let leaves: Vec<String> = (0..1usize << depth).map(|i| format!("{}.{:03}", t % 7, i % 1000)).collect();
            let splits: Vec<String> = (0..depth)
                .map(|d| {
                    let feature = (t * 7 + d * 3) % features;
                    let border = borders[(t + d * 5 + feature) % borders.len()];
                    format!(r#"{{"border":{border},"float_feature_index":{feature},"split_type":"FloatFeature"}}"#)
                })
                .collect();
            format!(r#"{{"leaf_values":[{}],"splits":[{}]}}"#, leaves.join(","), splits.join(","))
        })
        .collect();
    format!(
        r#"{{"features_info":{{"float_features":[{}]}},"oblivious_trees":[{}],"scale_and_bias":[1.5,[-0.25]]}}"#,
        float_features.join(","),
        trees.join(",")
    )
}

/// A synthetic export of `trees` depth-`depth` trees on `features` columns:
/// tree t's split d reads column (t·depth + d) mod features against border
/// 0, and leaf i is worth i.
fn synthetic(trees: usize, depth: usize, features: usize) -> String {
    let float_features: Vec<String> = (0..features)
        .map(|i| {
            format!(r#"{{"borders":[0],"feature_index":{i},"flat_feature_index":{i},"nan_value_treatment":"AsFalse"}}"#)
        })
        .collect();
    let trees: Vec<String> = (0..trees)
        .map(|t| {
            let leaves: Vec<String> = (0..1usize << depth).map(|i| i.to_string()).collect();
            let splits: Vec<String> = (0..depth)
                .map(|d| {
                    format!(
                        r#"{{"border":0,"float_feature_index":{},"split_index":0,"split_type":"FloatFeature"}}"#,
                        (t * depth + d) % features
                    )
                })
                .collect();
            format!(r#"{{"leaf_values":[{}],"splits":[{}]}}"#, leaves.join(","), splits.join(","))
        })
        .collect();
    format!(
        r#"{{"features_info":{{"float_features":[{}]}},"model_info":{{"params":{{"a":{{"b":[1]}}}}}},"oblivious_trees":[{}],"scale_and_bias":[2,[0.5]]}}"#,
        float_features.join(","),
        trees.join(",")
    )
}

/// 2 MiB of leaves: a `static`, never on a stack.
static BIG: Mutex<CatBoost<1024, 8, 256, { 1024 << 8 }>> = Mutex::new(CatBoost::new());

#[test]
fn model_of_1024_trees_depth_8_on_256_features_loads_into_a_static() {
    let json = synthetic(1024, 8, 256);
    let mut model = BIG.lock().unwrap();
    catboost::ingest(json.as_bytes(), &mut model, DEFAULT_LIMITS).unwrap();
    assert_eq!((model.tree_count(), model.feature_count()), (1024, 256));
    // All bits set: every tree lands on leaf 255; none set: leaf 0.
    assert_eq!(model.raw(&[1.0; 256]), 2.0 * (1024.0 * 255.0) + 0.5);
    assert_eq!(model.raw(&[-1.0; 256]), 0.5);
    // Column 0 only: split level 0 of trees 0, 32, 64, ... (t·8 mod 256 = 0).
    let mut row = [-1.0_f32; 256];
    row[0] = 1.0;
    assert_eq!(model.raw(&row), 2.0 * 32.0 + 0.5);
    // One tree more does not fit, and says by how much.
    let json = synthetic(1025, 8, 256);
    assert_eq!(
        catboost::ingest(json.as_bytes(), &mut model, DEFAULT_LIMITS),
        Err(ModelError::TooManyTrees { capacity: 1024, found: 1025 })
    );
}

#[test]
fn real_exports_pass_depth_limit_16_and_nest_deeper_than_8() {
    let bytes = fixture("depth6_logloss_nan_min.json");
    assert!(load(&bytes).is_ok());
    let mut model = Box::new(Model::new());
    let err = catboost::ingest(&bytes, &mut model, Limits { max_depth: 8, ..DEFAULT_LIMITS }).unwrap_err();
    assert!(matches!(err, ModelError::Json { error: json::Error::TooDeep { .. }, .. }), "{err:?}");
}

#[test]
fn hostile_nesting_is_too_deep_at_the_bracket_that_crosses_the_limit() {
    let json = format!(r#"{{"model_info":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        load(json.as_bytes()).unwrap_err(),
        ModelError::Json { error: json::Error::TooDeep { limit: 16, offset: 29 }, field: None, index: None }
    );
}

#[test]
fn non_json_in_a_skipped_section_is_malformed_where_it_starts() {
    // serde-json-core skipped a bare value up to the next `,`, `]` or `}`
    // and read `+1` and `1.` as numbers; the scanner is strict JSON
    // everywhere, the sections the loader skips included.
    let text = String::from_utf8(fixture("depth1_rmse_bias.json")).unwrap();
    let model_info = text.find("\"model_info\":").unwrap() + "\"model_info\":".len();
    for (value, kind, at) in [
        ("bare", JsonErrorKind::ExpectedSomeValue, 0),
        ("+1", JsonErrorKind::ExpectedSomeValue, 0),
        ("01", JsonErrorKind::InvalidNumber, 1),
        ("1.", JsonErrorKind::InvalidNumber, 2),
        ("NaN", JsonErrorKind::ExpectedSomeValue, 0),
        ("[,1]", JsonErrorKind::ExpectedSomeValue, 1),
        ("\"\\x\"", JsonErrorKind::InvalidEscapeSequence, 2),
    ] {
        let json = format!("{}{value},\"skipped\":{}", &text[..model_info], &text[model_info..]);
        let offset = model_info + at;
        let expected = ModelError::Json { error: json::Error::syntax(kind, offset), field: None, index: None };
        assert_eq!(load(json.as_bytes()).unwrap_err(), expected, "{value}");
    }
}

#[test]
fn oversized_input_is_rejected_by_size_first() {
    let mut model = Box::new(Model::new());
    let limits = Limits { max_bytes: 100, ..DEFAULT_LIMITS };
    let bytes = fixture("depth1_rmse_bias.json");
    assert_eq!(
        catboost::ingest(&bytes, &mut model, limits),
        Err(ModelError::Json {
            error: json::Error::TooLarge { len: bytes.len(), limit: 100 },
            field: None,
            index: None
        })
    );
}

#[test]
fn categorical_features_are_rejected_from_a_real_export() {
    assert_eq!(
        load(&fixture("reject_categorical.json")).unwrap_err(),
        ModelError::UnsupportedFeatures { field: ModelField::CategoricalFeatures, count: 1 }
    );
}

#[test]
fn multiclass_is_rejected_from_a_real_export() {
    assert_eq!(load(&fixture("reject_multiclass.json")).unwrap_err(), ModelError::MultiDimensional { dimension: 3 });
}

#[test]
fn non_symmetric_trees_are_rejected_from_a_real_export() {
    assert_eq!(load(&fixture("reject_depthwise.json")).unwrap_err(), ModelError::NonSymmetricTrees);
}

#[test]
fn tree_deeper_than_the_type_is_rejected() {
    let mut model = Box::new(CatBoost::<128, 6, 64, { 128 << 6 }>::new());
    assert_eq!(
        catboost::ingest(&fixture("depth8_rmse_nan_max.json"), &mut model, DEFAULT_LIMITS),
        Err(ModelError::TreeTooDeep { tree: 0, depth: 8, max: 6 })
    );
}

#[test]
fn too_many_trees_reports_the_true_count() {
    let mut model = Box::new(CatBoost::<50, 6, 64, { 50 << 6 }>::new());
    assert_eq!(
        catboost::ingest(&fixture("bench_100x6.json"), &mut model, DEFAULT_LIMITS),
        Err(ModelError::TooManyTrees { capacity: 50, found: 100 })
    );
}

#[test]
fn leaves_over_the_pool_report_the_true_total() {
    let mut model = Box::new(CatBoost::<128, 6, 64, 1000>::new());
    assert_eq!(
        catboost::ingest(&fixture("depth6_logloss_nan_min.json"), &mut model, DEFAULT_LIMITS),
        Err(ModelError::TooManyLeaves { capacity: 1000, found: 20 * 64 })
    );
}

#[test]
fn feature_index_over_capacity_is_rejected() {
    let mut model = Box::new(CatBoost::<128, 6, 32, { 128 << 6 }>::new());
    assert_eq!(
        catboost::ingest(&fixture("bench_100x6.json"), &mut model, DEFAULT_LIMITS),
        Err(ModelError::FeatureIndexOutOfRange { feature: 32, index: 32, capacity: 32 })
    );
}

/// The depth-1 fixture (CatBoost's own pretty-printed output) with one
/// textual edit.
fn edited(from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture("depth1_rmse_bias.json")).unwrap();
    let at = text.find(from).unwrap_or_else(|| panic!("{from:?} not in fixture"));
    let mut out = text[..at].to_string();
    out.push_str(to);
    out.push_str(&text[at + from.len()..]);
    out.into_bytes()
}

#[test]
fn truncated_file_is_malformed_and_says_which_tree_and_field() {
    let text = fixture("depth1_rmse_bias.json");
    let s = String::from_utf8(text.clone()).unwrap();
    // Cut inside the fourth tree's leaf values.
    let tree3 = s.match_indices("\"leaf_values\"").nth(3).unwrap().0;
    let cut = &text[..tree3 + 40];
    assert_eq!(
        load(cut).unwrap_err(),
        ModelError::Json {
            error: json::Error::syntax(JsonErrorKind::EofWhileParsingList, cut.len()),
            field: Some(ModelField::LeafValues),
            index: Some(3)
        }
    );
    assert_eq!(
        load(&text[..text.len() - 1]).unwrap_err(),
        ModelError::Json {
            error: json::Error::syntax(JsonErrorKind::EofWhileParsingObject, text.len() - 1),
            field: None,
            index: None
        }
    );
}

#[test]
fn non_finite_border_leaf_scale_or_bias_is_rejected() {
    let border = edited("\"border\":", "\"border\":1e39,\"x\":");
    assert_eq!(load(&border).unwrap_err(), ModelError::NonFinite { field: ModelField::Border, index: Some(0) });
    let border = edited("\"border\":", "\"border\":null,\"x\":");
    assert_eq!(load(&border).unwrap_err(), ModelError::NonFinite { field: ModelField::Border, index: Some(0) });
    let json = |leaves: &str, scale_and_bias: &str| {
        format!(
            r#"{{"features_info":{{"float_features":[{{"flat_feature_index":0,"borders":[1e300]}}]}},
            "oblivious_trees":[{{"leaf_values":[{leaves}],
            "splits":[{{"border":0,"float_feature_index":0,"split_type":"FloatFeature"}}]}}],"scale_and_bias":{scale_and_bias}}}"#
        )
    };
    assert_eq!(
        load(json("1,1e999", "[1,[0]]").as_bytes()).unwrap_err(),
        ModelError::NonFinite { field: ModelField::Borders, index: Some(0) },
        "float_features come first in the file"
    );
    let json = |leaves: &str, scale_and_bias: &str| {
        format!(
            r#"{{"features_info":{{"float_features":[{{"flat_feature_index":0,"borders":[0]}}]}},
            "oblivious_trees":[{{"leaf_values":[{leaves}],
            "splits":[{{"border":0,"float_feature_index":0,"split_type":"FloatFeature"}}]}}],"scale_and_bias":{scale_and_bias}}}"#
        )
    };
    assert!(load(json("1,2", "[1,[0]]").as_bytes()).is_ok());
    assert_eq!(
        load(json("1,1e999", "[1,[0]]").as_bytes()).unwrap_err(),
        ModelError::NonFinite { field: ModelField::LeafValues, index: Some(0) }
    );
    assert_eq!(
        load(json("1,2", "[null,[0]]").as_bytes()).unwrap_err(),
        ModelError::NonFinite { field: ModelField::ScaleAndBias, index: None }
    );
    assert_eq!(
        load(json("1,2", "[1,[-1e400]]").as_bytes()).unwrap_err(),
        ModelError::NonFinite { field: ModelField::ScaleAndBias, index: None }
    );
}

#[test]
fn leaf_count_other_than_two_to_the_depth_is_rejected() {
    let leaf = edited("\"leaf_values\":\n          [", "\"leaf_values\":[0.5,");
    assert_eq!(load(&leaf).unwrap_err(), ModelError::LeafCountMismatch { tree: 0, depth: 1, found: 3 });
}

#[test]
fn split_types_other_than_float_feature_are_rejected() {
    let split = edited("\"FloatFeature\"", "\"OnlineCtr\"");
    assert_eq!(load(&split).unwrap_err(), ModelError::UnsupportedSplitType { tree: 0, split: 0 });
}

#[test]
fn split_on_an_undefined_float_feature_is_rejected() {
    let split = edited("\"float_feature_index\":", "\"float_feature_index\":77,\"x\":");
    assert_eq!(load(&split).unwrap_err(), ModelError::UnknownFloatFeature { tree: 0, split: 0, index: 77 });
    // Past 255 too, even for a type with 256 feature slots.
    let split = edited("\"float_feature_index\":", "\"float_feature_index\":300,\"x\":");
    let mut model = Box::new(CatBoost::<16, 2, 256, 64>::new());
    assert_eq!(
        catboost::ingest(&split, &mut model, DEFAULT_LIMITS),
        Err(ModelError::UnknownFloatFeature { tree: 0, split: 0, index: 300 })
    );
}

#[test]
fn unknown_nan_treatment_is_rejected() {
    let nan = edited("\"AsIs\"", "\"AsMaybe\"");
    assert_eq!(load(&nan).unwrap_err(), ModelError::UnknownNanTreatment { feature: 0 });
}

#[test]
fn duplicate_and_missing_fields_are_named() {
    let dup = edited("\"border\":", "\"border\":1,\"border\":");
    assert_eq!(load(&dup).unwrap_err(), ModelError::DuplicateField { field: ModelField::Border, index: Some(0) });
    let missing = edited("\"border\":", "\"not_border\":");
    assert_eq!(load(&missing).unwrap_err(), ModelError::MissingField { field: ModelField::Border, index: Some(0) });
    assert_eq!(
        load(br#"{"features_info":{"float_features":[]}}"#).unwrap_err(),
        ModelError::MissingField { field: ModelField::ObliviousTrees, index: None }
    );
}

#[test]
fn rejected_file_leaves_the_model_empty() {
    let mut model = Box::new(Model::new());
    catboost::ingest(&fixture("depth1_rmse_bias.json"), &mut model, DEFAULT_LIMITS).unwrap();
    assert_eq!(model.tree_count(), 12);
    let bad = edited("\"FloatFeature\"", "\"OneHotFeature\"");
    assert!(catboost::ingest(&bad, &mut model, DEFAULT_LIMITS).is_err());
    assert_eq!((model.tree_count(), model.feature_count(), model.raw(&[1.0; 5])), (0, 0, 0.0));
}

#[test]
fn errors_display_what_and_where() {
    let err = ModelError::Json {
        error: json::Error::syntax(JsonErrorKind::EofWhileParsingList, 1234),
        field: Some(ModelField::LeafValues),
        index: Some(3),
    };
    assert_eq!(
        err.to_string(),
        "CatBoost model: malformed JSON at byte 1234: EOF while parsing a list in tree 3 at field `leaf_values`"
    );
    assert_eq!(ModelError::TooManyTrees { capacity: 50, found: 100 }.to_string(), "100 trees for capacity 50");
    assert_eq!(
        ModelError::NonFinite { field: ModelField::Borders, index: Some(2) }.to_string(),
        "non-finite number in `borders` in float feature 2"
    );
}

/// A model of `trees` (each `(splits, leaf values)`, on column 0) as
/// CatBoost exports it, with scale 1 and bias 0.5.
fn model_of(trees: &[(usize, &[f64])]) -> Vec<u8> {
    let trees: Vec<String> = trees
        .iter()
        .map(|(depth, leaves)| {
            let split = r#"{"border":0.5,"float_feature_index":0,"split_type":"FloatFeature"}"#;
            let splits = vec![split; *depth].join(",");
            let leaves: Vec<String> = leaves.iter().map(|v| format!("{v:?}")).collect();
            format!(r#"{{"leaf_values":[{}],"splits":[{splits}]}}"#, leaves.join(","))
        })
        .collect();
    format!(
        r#"{{"features_info":{{"float_features":[{{"borders":[0.5],"feature_index":0,"flat_feature_index":0,"nan_value_treatment":"AsIs"}}]}},"oblivious_trees":[{}],"scale_and_bias":[1,[0.5]]}}"#,
        trees.join(",")
    )
    .into_bytes()
}

#[test]
fn a_model_that_scores_every_row_the_same_is_rejected_and_one_constant_tree_is_not() {
    assert_eq!(load(&model_of(&[])).unwrap_err(), ModelError::NoTrees);
    // Depth-0 trees (one leaf each), and equal leaves in every tree.
    assert_eq!(load(&model_of(&[(0, &[1.0]), (0, &[2.0])])).unwrap_err(), ModelError::Constant);
    assert_eq!(load(&model_of(&[(1, &[3.0, 3.0]), (2, &[-1.0; 4])])).unwrap_err(), ModelError::Constant);
    // One tree that tells rows apart is enough, wherever it is.
    let model = load(&model_of(&[(1, &[3.0, 3.0]), (0, &[1.0]), (1, &[0.0, 1.0])])).unwrap();
    assert_eq!((model.raw(&[0.0]), model.raw(&[1.0])), (4.5, 5.5));
    let model = load(&model_of(&[(2, &[0.0, 0.0, 0.0, 1.0]), (1, &[2.0, 2.0])])).unwrap();
    assert_eq!(model.raw(&[1.0]), 3.5);
}
