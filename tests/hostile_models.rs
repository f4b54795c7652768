//! Hostile model files against the engine.
//!
//! Every input below is offered to an [`Engine`] serving a good pair (five
//! features and the real CatBoost export `depth1_rmse_bias.json`, or a
//! logistic model). For each one the test states the exact error, checks that
//! the pair is unchanged (the same verdicts on fixed requests before and
//! after) and that `model_stats()` counted the rejection once, with that
//! error. Small inputs are committed under `tests/corpus/models/` (written by
//! `scripts/hostile_models.py`, one change each to a real export); the
//! truncations, deep nesting and the oversized file are generated here.

use std::path::Path;

use feature_table::model::catboost::{self, CatBoost, ModelError, ModelField};
use feature_table::model::logistic::{Logistic, LogisticError};
use feature_table::{
    Engine, Extractor, JsonError, JsonErrorKind, Model, ModelMismatch, ModelRejected, Policy, Verdict, json,
};

/// Small enough that every capacity is reachable by a small file.
type Cb = CatBoost<16, 8, 16, 512>;

struct Request([f32; 5]);

static EXTRACTORS: &[Extractor<Request>] = &[
    Extractor::new("f0", |r| r.0[0]),
    Extractor::new("f1", |r| r.0[1]),
    Extractor::new("f2", |r| r.0[2]),
    Extractor::new("f3", |r| r.0[3]),
    Extractor::new("f4", |r| r.0[4]),
];

const FEATURES: &[u8] = br#"{"version": 1, "features": [
    {"name": "f0"}, {"name": "f1"}, {"name": "f2"}, {"name": "f3", "default": 1.0}, {"name": "f4"}]}"#;
const REAL: &[u8] = include_bytes!("fixtures/catboost/depth1_rmse_bias.json");
const LOGISTIC: &[u8] = br#"{"bias": -0.5, "weights": [1.0, -1.0, 0.5, 0.25, 2.0]}"#;

fn requests() -> [Request; 4] {
    [
        Request([0.0; 5]),
        Request([1.0, -0.5, 2.0, -3.0, 0.6]),
        Request([-1.0, 0.5, f32::NAN, 2.0, -2.5]),
        Request([9.0, 9.0, 9.0, 9.0, 9.0]),
    ]
}

fn corpus(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/models").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catboost").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An engine serving the five features and `model`.
fn serving<M: Model + Default>(model: &[u8]) -> Engine<Request, M, 8> {
    let mut engine = Engine::new(EXTRACTORS, Policy::DEFAULT, M::default(), M::default());
    engine.offer_features(FEATURES).unwrap();
    engine.offer_model(model).unwrap();
    engine
}

fn verdicts<M: Model>(engine: &Engine<Request, M, 8>) -> Vec<Verdict> {
    requests().iter().map(|r| engine.score(r)).collect()
}

/// Offers `bytes` and checks that the rejection is exactly `expected`, that
/// the pair serves the same verdicts as before and that the rejection was
/// counted once.
fn assert_rejected_and_pair_unchanged<M: Model>(
    engine: &mut Engine<Request, M, 8>,
    bytes: &[u8],
    expected: &ModelRejected<M::Error>,
    what: &str,
) {
    let before = verdicts(engine);
    assert!(before.iter().all(Result::is_ok), "{what}: the pair was not serving");
    let rejected = engine.model_stats().rejected;
    assert_eq!(engine.offer_model(bytes).as_ref(), Err(expected), "{what}");
    assert_eq!(verdicts(engine), before, "{what}: the serving pair changed");
    assert_eq!(engine.model_stats().rejected, rejected + 1, "{what}");
    assert_eq!(engine.model_stats().last_error.as_ref(), Some(expected), "{what}");
}

fn load(error: ModelError) -> ModelRejected<ModelError> {
    ModelRejected::Load(error)
}

/// The byte offset marked by `|` in `pattern`, which occurs in the corpus
/// file `file` without the `|`: where a `Json` syntax error must point.
fn at(file: &str, pattern: &str) -> usize {
    let (before, after) = pattern.split_once('|').unwrap();
    let needle = format!("{before}{after}");
    let bytes = corpus(file);
    let found = bytes.windows(needle.len()).position(|w| w == needle.as_bytes());
    found.unwrap_or_else(|| panic!("{needle:?} not in {file}")) + before.len()
}

#[test]
fn the_good_pair_scores_the_real_export_as_catboost_does() {
    let engine = serving::<Cb>(REAL);
    // RMSE around a bias of 9.78: positive raw values, all distinct.
    let raws: Vec<f64> = verdicts(&engine).into_iter().map(|v| v.unwrap().raw).collect();
    assert!(raws.iter().all(|r| r.is_finite() && *r > 0.0), "{raws:?}");
    assert!(raws.windows(2).all(|w| w[0] != w[1]), "{raws:?}");
    assert_eq!(engine.model().unwrap().feature_count(), 5);
}

/// Whether `prefix` ends inside a JSON string.
fn ends_inside_string(prefix: &[u8]) -> bool {
    let (mut inside, mut escaped) = (false, false);
    for &b in prefix {
        match b {
            _ if escaped => escaped = false,
            b'\\' if inside => escaped = true,
            b'"' => inside = !inside,
            _ => {}
        }
    }
    inside
}

#[test]
fn every_truncation_of_a_real_export_is_malformed_at_its_end_and_changes_nothing() {
    let mut engine = serving::<Cb>(REAL);
    let mut numbers_cut = 0;
    for len in 0..REAL.len() {
        let prefix = &REAL[..len];
        // Every strict prefix ends while parsing something, and the error
        // points at the end. A prefix that ends inside a number where it
        // needs a digit (`-`, `1.`, `1e`) ends while parsing that number
        // (serde-json-core called these `InvalidNumber`; the scanner knows
        // the input ended).
        let number_tail = prefix.iter().rev().take_while(|b| b"0123456789.eE+-".contains(b)).count();
        let inside_number = !ends_inside_string(prefix)
            && prefix.get(len - number_tail).is_some_and(|b| b"-0123456789".contains(b))
            && matches!(prefix.last(), Some(b'-' | b'+' | b'.' | b'e' | b'E'));
        let error = engine.offer_model(prefix).unwrap_err();
        let ModelRejected::Load(ModelError::Json {
            error: json::Error::Syntax(JsonError { kind, offset, .. }), ..
        }) = error
        else {
            panic!("prefix of {len} bytes: {error:?}");
        };
        assert_eq!(offset, len, "prefix of {len} bytes: {kind:?}");
        let eof = matches!(
            kind,
            JsonErrorKind::EofWhileParsingList
                | JsonErrorKind::EofWhileParsingObject
                | JsonErrorKind::EofWhileParsingString
                | JsonErrorKind::EofWhileParsingValue
        );
        let in_number = kind == JsonErrorKind::EofWhileParsingNumber;
        assert!(eof || in_number, "prefix of {len} bytes: {kind:?}");
        assert_eq!(in_number, inside_number, "prefix of {len} bytes: {kind:?}");
        numbers_cut += usize::from(in_number);
        if len % 1000 == 0 {
            assert_eq!(verdicts(&engine), verdicts(&serving::<Cb>(REAL)), "prefix of {len} bytes");
        }
    }
    // Cuts after a `-`, `.` or `e` (counted on this file). 26 before the
    // scanner: serde-json-core took `1.` for a whole number.
    assert_eq!(numbers_cut, 82);
    assert_eq!(engine.model_stats().rejected, u32::try_from(REAL.len()).unwrap());
    assert_eq!(engine.model_stats().accepted, 1);
    assert_eq!(verdicts(&engine), verdicts(&serving::<Cb>(REAL)));
}

#[test]
fn the_truncations_name_the_field_they_end_in() {
    let mut engine = serving::<Cb>(REAL);
    let cut_in = |marker: &str| {
        let at = REAL.windows(marker.len()).position(|w| w == marker.as_bytes()).unwrap();
        &REAL[..at + marker.len()]
    };
    let cases = [
        // Each marker is the start of the first number of its field.
        ("-0.17662", ModelField::Borders, Some(1), JsonErrorKind::EofWhileParsingList),
        ("0.6868194", ModelField::LeafValues, Some(0), JsonErrorKind::EofWhileParsingList),
        ("9.781", ModelField::ScaleAndBias, None, JsonErrorKind::EofWhileParsingList),
    ];
    for (marker, field, index, kind) in cases {
        let cut = cut_in(marker);
        let expected =
            load(ModelError::Json { error: json::Error::syntax(kind, cut.len()), field: Some(field), index });
        assert_rejected_and_pair_unchanged(&mut engine, cut, &expected, marker);
    }
}

#[test]
fn every_hostile_catboost_file_is_rejected_with_its_exact_error() {
    use ModelError::*;
    use ModelField::*;
    // Each malformed file with the spot its error points at, marked by `|`.
    let malformed = |name, pattern, kind, field, index| {
        let offset = at(&format!("catboost_{name}.json"), pattern);
        (name, Json { error: json::Error::syntax(kind, offset), field, index })
    };
    let cases: Vec<(&str, ModelError)> = vec![
        // NaN and Infinity are not JSON; 1e999 parses to infinity.
        malformed("border_nan", r#"[|NaN]"#, JsonErrorKind::InvalidNumber, Some(Borders), Some(1)),
        malformed("border_infinity", r#"[|Infinity]"#, JsonErrorKind::InvalidNumber, Some(Borders), Some(1)),
        ("border_1e999", NonFinite { field: Borders, index: Some(1) }),
        ("border_f32_overflow", NonFinite { field: Borders, index: Some(1) }),
        ("split_border_1e999", NonFinite { field: Border, index: Some(0) }),
        ("leaf_1e999", NonFinite { field: LeafValues, index: Some(0) }),
        ("leaf_minus_1e999", NonFinite { field: LeafValues, index: Some(0) }),
        malformed("leaf_nan", r#"[|NaN,"#, JsonErrorKind::InvalidNumber, Some(LeafValues), Some(0)),
        ("leaf_null", NonFinite { field: LeafValues, index: Some(0) }),
        ("scale_1e999", NonFinite { field: ScaleAndBias, index: None }),
        ("bias_1e999", NonFinite { field: ScaleAndBias, index: None }),
        malformed("bias_nan", r#"[|NaN]"#, JsonErrorKind::InvalidNumber, Some(ScaleAndBias), None),
        // Wrong types, one field at a time.
        malformed(
            "type_flat_feature_index_string",
            r#""flat_feature_index":|"1""#,
            JsonErrorKind::InvalidType,
            Some(FlatFeatureIndex),
            Some(1),
        ),
        malformed(
            "type_feature_index_negative",
            r#""feature_index":|-1"#,
            JsonErrorKind::InvalidNumber,
            Some(FeatureIndex),
            Some(1),
        ),
        malformed(
            "type_nan_value_treatment_number",
            r#""nan_value_treatment":|3"#,
            JsonErrorKind::InvalidType,
            Some(NanValueTreatment),
            Some(1),
        ),
        malformed("type_borders_string", r#""borders":|"x""#, JsonErrorKind::InvalidType, Some(Borders), Some(1)),
        malformed("type_borders_bool", r#""borders":[|true]"#, JsonErrorKind::InvalidNumber, Some(Borders), Some(1)),
        malformed(
            "type_float_features_object",
            r#""float_features":|{}"#,
            JsonErrorKind::InvalidType,
            Some(FloatFeatures),
            None,
        ),
        malformed(
            "type_features_info_list",
            r#""features_info":|[]"#,
            JsonErrorKind::InvalidType,
            Some(FeaturesInfo),
            None,
        ),
        malformed(
            "type_oblivious_trees_object",
            r#""oblivious_trees":|{}"#,
            JsonErrorKind::InvalidType,
            Some(ObliviousTrees),
            None,
        ),
        malformed(
            "type_leaf_values_string",
            r#""leaf_values":|"x""#,
            JsonErrorKind::InvalidType,
            Some(LeafValues),
            Some(0),
        ),
        malformed("type_splits_object", r#""splits":|{}"#, JsonErrorKind::InvalidType, Some(Splits), Some(0)),
        // `0` parses as the index; the parser then trips on `.5` after the
        // field is done, so only the tree is known.
        malformed(
            "type_float_feature_index_fraction",
            r#""float_feature_index":0|.5"#,
            JsonErrorKind::ExpectedObjectCommaOrEnd,
            None,
            Some(0),
        ),
        malformed("type_border_string", r#""border":|"x""#, JsonErrorKind::InvalidNumber, Some(Border), Some(0)),
        malformed("type_split_type_number", r#""split_type":|1"#, JsonErrorKind::InvalidType, Some(SplitType), Some(0)),
        malformed(
            "type_scale_and_bias_string",
            r#""scale_and_bias":|"x""#,
            JsonErrorKind::InvalidType,
            Some(ScaleAndBias),
            None,
        ),
        malformed(
            "type_scale_and_bias_flat",
            r#""scale_and_bias":[1,|0]"#,
            JsonErrorKind::InvalidType,
            Some(ScaleAndBias),
            None,
        ),
        malformed("type_root_list", r#"|[{"#, JsonErrorKind::InvalidType, None, None),
        // What the evaluator cannot compute exactly.
        ("nan_value_treatment_unknown", UnknownNanTreatment { feature: 1 }),
        ("split_type_online_ctr", UnsupportedSplitType { tree: 0, split: 0 }),
        ("split_undefined_float_feature", UnknownFloatFeature { tree: 0, split: 0, index: 9 }),
        ("leaf_count_mismatch", LeafCountMismatch { tree: 1, depth: 1, found: 3 }),
        // Missing and duplicate keys.
        ("missing_oblivious_trees", MissingField { field: ObliviousTrees, index: None }),
        ("missing_leaf_values", MissingField { field: LeafValues, index: Some(0) }),
        ("missing_splits", MissingField { field: Splits, index: Some(1) }),
        ("missing_flat_feature_index", MissingField { field: FlatFeatureIndex, index: Some(1) }),
        ("duplicate_scale_and_bias", DuplicateField { field: ScaleAndBias, index: None }),
        ("duplicate_oblivious_trees", DuplicateField { field: ObliviousTrees, index: None }),
        ("duplicate_features_info", DuplicateField { field: FeaturesInfo, index: None }),
        ("duplicate_float_features", DuplicateField { field: FloatFeatures, index: None }),
        ("duplicate_borders", DuplicateField { field: Borders, index: Some(1) }),
        ("duplicate_leaf_values", DuplicateField { field: LeafValues, index: Some(0) }),
        ("duplicate_border", DuplicateField { field: Border, index: Some(0) }),
        // However the second is spelt (`leaf_v\u0061lues`, `oblivious\u005ftrees`).
        ("duplicate_leaf_values_escaped", DuplicateField { field: LeafValues, index: Some(0) }),
        ("duplicate_oblivious_trees_escaped", DuplicateField { field: ObliviousTrees, index: None }),
        // Models that cannot tell one row from another.
        ("no_trees", NoTrees),
        ("constant_trees", Constant),
        ("zero_scale", Constant),
        // Over the capacities of CatBoost<16, 8, 16, 512>.
        ("over_trees_17", TooManyTrees { capacity: 16, found: 17 }),
        ("over_depth_9", TreeTooDeep { tree: 0, depth: 9, max: 8 }),
        ("over_leaves_768", TooManyLeaves { capacity: 512, found: 768 }),
        ("over_flat_feature_index_16", FeatureIndexOutOfRange { feature: 4, index: 16, capacity: 16 }),
        ("over_feature_index_300", FeatureIndexOutOfRange { feature: 4, index: 300, capacity: 16 }),
    ];
    let mut engine = serving::<Cb>(REAL);
    for (name, error) in &cases {
        let file = format!("catboost_{name}.json");
        assert_rejected_and_pair_unchanged(&mut engine, &corpus(&file), &load(error.clone()), &file);
    }
    // Every committed CatBoost file is covered, and the base they were made
    // from is itself accepted.
    let committed = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/models"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.starts_with("catboost_") && f != "catboost_base.json")
        .count();
    assert_eq!(committed, cases.len());
    assert_eq!(engine.offer_model(&corpus("catboost_base.json")), Ok(()));
}

#[test]
fn real_categorical_multiclass_and_depthwise_exports_are_rejected_by_kind() {
    let mut engine = serving::<Cb>(REAL);
    let cases = [
        (
            "reject_categorical.json",
            load(ModelError::UnsupportedFeatures { field: ModelField::CategoricalFeatures, count: 1 }),
        ),
        ("reject_multiclass.json", load(ModelError::MultiDimensional { dimension: 3 })),
        ("reject_depthwise.json", load(ModelError::NonSymmetricTrees)),
    ];
    for (file, expected) in &cases {
        assert_rejected_and_pair_unchanged(&mut engine, &fixture(file), expected, file);
    }
    // A valid export that reads column 7 where the table has five.
    let wide = String::from_utf8(corpus("catboost_base.json"))
        .unwrap()
        .replace(r#""feature_index":4,"flat_feature_index":4"#, r#""feature_index":4,"flat_feature_index":7"#);
    let expected = ModelRejected::ModelMismatch(ModelMismatch { model_reads: 8, table_has: 5 });
    assert_rejected_and_pair_unchanged(&mut engine, wide.as_bytes(), &expected, "column 7");
}

/// `{"model_info": [[...]], ...the base export}`: the document nests
/// `levels + 1` deep; `model_info`'s first bracket is at byte 14.
fn nested_model_info(levels: usize) -> Vec<u8> {
    let base = corpus("catboost_base.json");
    let mut out = format!(r#"{{"model_info":{}{},"#, "[".repeat(levels), "]".repeat(levels)).into_bytes();
    out.extend_from_slice(&base[1..]);
    out
}

#[test]
fn deep_nesting_in_model_info_is_too_deep_at_the_bracket_that_crosses_the_limit() {
    let limit = catboost::DEFAULT_LIMITS.max_depth;
    let mut engine = serving::<Cb>(REAL);
    // The deepest nesting the limits allow is skipped like any model_info.
    assert_eq!(engine.offer_model(&nested_model_info(usize::from(limit) - 1)), Ok(()));
    engine.offer_model(REAL).unwrap();
    for levels in [usize::from(limit), 100, 100_000] {
        let expected = load(ModelError::Json {
            error: json::Error::TooDeep { limit, offset: 14 + usize::from(limit) - 1 },
            field: None,
            index: None,
        });
        assert_rejected_and_pair_unchanged(&mut engine, &nested_model_info(levels), &expected, "nested");
    }
}

#[test]
fn a_file_over_the_size_limit_is_too_large_before_it_is_parsed() {
    let mut engine = serving::<Cb>(REAL);
    let limit = catboost::DEFAULT_LIMITS.max_bytes;
    let huge = vec![b' '; limit as usize + 1];
    let expected =
        load(ModelError::Json { error: json::Error::TooLarge { len: huge.len(), limit }, field: None, index: None });
    assert_rejected_and_pair_unchanged(&mut engine, &huge, &expected, "64 MiB + 1");
}

#[test]
fn every_hostile_logistic_file_is_rejected_with_its_exact_error() {
    use LogisticError::*;
    let cases: Vec<(&str, ModelRejected<LogisticError>)> = vec![
        ("weight_1e999", ModelRejected::Load(NonFinite { weight: Some(1) })),
        (
            "weight_nan",
            ModelRejected::Load(Json { error: json::Error::syntax(JsonErrorKind::InvalidNumber, 23), weight: Some(1) }),
        ),
        ("weight_null", ModelRejected::Load(NonFinite { weight: Some(1) })),
        ("bias_1e999", ModelRejected::Load(NonFinite { weight: None })),
        (
            "bias_string",
            ModelRejected::Load(Json { error: json::Error::syntax(JsonErrorKind::InvalidNumber, 8), weight: None }),
        ),
        (
            "weights_object",
            ModelRejected::Load(Json { error: json::Error::syntax(JsonErrorKind::InvalidType, 20), weight: None }),
        ),
        ("duplicate_weights", ModelRejected::Load(DuplicateField { field: "weights" })),
        ("duplicate_weights_escaped", ModelRejected::Load(DuplicateField { field: "weights" })),
        ("missing_bias", ModelRejected::Load(MissingField { field: "bias" })),
        ("no_weights", ModelRejected::Load(NoWeights)),
        ("all_weights_zero", ModelRejected::Load(AllWeightsZero)),
        ("over_weights_17", ModelRejected::Load(TooManyWeights { capacity: 16, found: 17 })),
    ];
    let mut engine = serving::<Logistic<16>>(LOGISTIC);
    for (name, expected) in &cases {
        let file = format!("logistic_{name}.json");
        assert_rejected_and_pair_unchanged(&mut engine, &corpus(&file), expected, &file);
    }
    // A valid model that reads more features than the table has.
    let six = br#"{"bias": 0, "weights": [1, 1, 1, 1, 1, 1]}"#;
    let expected = ModelRejected::ModelMismatch(ModelMismatch { model_reads: 6, table_has: 5 });
    assert_rejected_and_pair_unchanged(&mut engine, six, &expected, "six weights");
    // Every truncation of the good model.
    for len in 0..LOGISTIC.len() {
        let before = verdicts(&engine);
        assert!(
            matches!(
                engine.offer_model(&LOGISTIC[..len]),
                Err(ModelRejected::Load(Json { error: json::Error::Syntax(_), .. }))
            ),
            "prefix of {len} bytes"
        );
        assert_eq!(verdicts(&engine), before);
    }
}
