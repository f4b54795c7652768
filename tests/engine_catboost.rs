//! The whole request path with a real CatBoost model: extractors → feature
//! vector in table order → CatBoost → verdict, against CatBoost's own
//! predictions, and the pair swapped as one unit.

use feature_table::model::catboost::CatBoost;
use feature_table::{Engine, Extractor, ModelMismatch, ModelRejected, Policy, ReloadError, Unscored};

/// A request as the host sees it: the 60 raw signals of the benchmark model.
struct Row([f32; 60]);

macro_rules! columns {
    ($($i:literal)*) => { &[$(Extractor::new(concat!("c", stringify!($i)), |r: &Row| r.0[$i]),)*] };
}

static EXTRACTORS: &[Extractor<Row>] = columns!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
    30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
);

type Model = CatBoost<128, 6, 64, { 128 << 6 }>;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/catboost/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn features_file(version: u64, columns: usize) -> String {
    let entries: Vec<String> = (0..columns).map(|i| format!(r#"{{"name":"c{i}"}}"#)).collect();
    format!(r#"{{"version":{version},"features":[{}]}}"#, entries.join(","))
}

/// Rows without NaN (the engine reads a non-finite extractor output as the
/// feature's default, by design) and CatBoost's raw value for each.
fn rows() -> Vec<(Row, f64)> {
    let csv = String::from_utf8(fixture("bench_100x6.csv")).unwrap();
    let expected = String::from_utf8(fixture("bench_100x6.expected")).unwrap();
    csv.lines()
        .zip(expected.lines())
        .filter(|(line, _)| !line.contains("nan"))
        .map(|(line, raw)| {
            let mut row = [0.0; 60];
            for (slot, field) in row.iter_mut().zip(line.split(',')) {
                *slot = field.parse().unwrap();
            }
            (Row(row), raw.trim().parse().unwrap())
        })
        .collect()
}

fn engine() -> Box<Engine<Row, Model, 64>> {
    Box::new(Engine::new(EXTRACTORS, Policy::DEFAULT, Model::new(), Model::new()))
}

#[test]
fn engine_with_catboost_matches_catboost_on_every_row() {
    let mut engine = engine();
    engine.offer_features(features_file(1, 60).as_bytes()).unwrap();
    engine.offer_model(&fixture("bench_100x6.json")).unwrap();
    let rows = rows();
    assert!(rows.len() >= 40, "too few NaN-free rows: {}", rows.len());
    for (i, (row, expected)) in rows.iter().enumerate() {
        let score = engine.score(row).unwrap();
        assert!((score.raw - expected).abs() <= 1e-6, "row {i}: ours {}, CatBoost {expected}", score.raw);
        assert!((1..=99).contains(&score.bot_score.get()));
    }
}

#[test]
fn a_table_too_small_for_the_model_is_rejected_and_the_pair_keeps_serving() {
    let mut engine = engine();
    engine.offer_features(features_file(1, 60).as_bytes()).unwrap();
    engine.offer_model(&fixture("bench_100x6.json")).unwrap();
    let (row, expected) = rows().into_iter().next().unwrap();
    // 50 columns: within the growth ratio, but the model reads 60.
    let err = engine.offer_features(features_file(2, 50).as_bytes()).unwrap_err();
    assert_eq!(err, ReloadError::ModelMismatch(ModelMismatch { model_reads: 60, table_has: 50 }));
    assert!((engine.score(&row).unwrap().raw - expected).abs() <= 1e-6);
    // A model CatBoost-exported with categorical features is refused too.
    assert!(matches!(engine.offer_model(&fixture("reject_categorical.json")), Err(ModelRejected::Load(_))));
    assert!((engine.score(&row).unwrap().raw - expected).abs() <= 1e-6);
    engine.set_enabled(false);
    assert_eq!(engine.score(&row), Err(Unscored::Disabled));
}
