//! Arbitrary bytes into both model loaders, `CatBoost<64, 8, 64, {64 << 8}>`
//! and `Logistic<256>`: loading never panics, a rejected CatBoost model is
//! left empty (its raw value is exactly 0 on any row), an accepted one stays
//! within its capacities and evaluates fixed rows without panicking, and the
//! result does not depend on what the model held before.
#![no_main]

use feature_table::{Limits, json};
use feature_table::model::Model;
use feature_table::model::catboost::{self, CatBoost, ModelError};
use feature_table::model::logistic::{Logistic, LogisticError};
use libfuzzer_sys::fuzz_target;

type Cb = CatBoost<64, 8, 64, { 64 << 8 }>;

/// A small valid export, loaded first into the "dirty" model.
const PREVIOUS: &[u8] = br#"{"features_info":{"float_features":[
 {"borders":[0.5],"feature_index":0,"flat_feature_index":0,"nan_value_treatment":"AsTrue"},
 {"borders":[1.5],"feature_index":1,"flat_feature_index":3,"nan_value_treatment":"AsFalse"}]},
 "oblivious_trees":[{"leaf_values":[-1,2,3,4],"splits":[
  {"border":0.5,"float_feature_index":0,"split_type":"FloatFeature"},
  {"border":1.5,"float_feature_index":1,"split_type":"FloatFeature"}]}],
 "scale_and_bias":[2,[0.25]]}"#;

/// Rows of every length around the capacity, with NaN and extremes.
fn rows() -> [Vec<f32>; 5] {
    [
        Vec::new(),
        vec![0.0; 3],
        (0..64).map(|i| i as f32 * 0.37 - 5.0).collect(),
        (0..300).map(|i| if i % 3 == 0 { f32::NAN } else { i as f32 }).collect(),
        vec![f32::MAX, f32::MIN, f32::INFINITY, f32::NEG_INFINITY, -0.0, f32::MIN_POSITIVE],
    ]
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

thread_local! {
    /// Two models kept across runs (134 KB each, too big to zero per run):
    /// `FROM_PREVIOUS` always holds `PREVIOUS` before each input,
    /// `LEFTOVER` whatever the last input left in it.
    static MODELS: std::cell::RefCell<(Box<Cb>, Box<Cb>)> = std::cell::RefCell::new((Box::new(Cb::new()), Box::new(Cb::new())));
}

fn catboost_case(data: &[u8]) {
    MODELS.with(|models| {
        let (fresh, dirty) = &mut *models.borrow_mut();
        catboost_pair(data, fresh, dirty);
    });
}

fn catboost_pair(data: &[u8], fresh: &mut Cb, dirty: &mut Cb) {
    catboost::ingest(PREVIOUS, fresh, catboost::DEFAULT_LIMITS).expect("the fixed model loads");
    let result = catboost::ingest(data, fresh, catboost::DEFAULT_LIMITS);
    assert_eq!(catboost::ingest(data, dirty, catboost::DEFAULT_LIMITS), result, "depends on the old model");
    match &result {
        Ok(()) => {
            assert!(fresh.tree_count() <= 64 && fresh.feature_count() <= 64);
            assert!(fresh.scale().is_finite() && fresh.bias().is_finite());
            for row in rows() {
                assert!(same(fresh.raw(&row), dirty.raw(&row)), "depends on the old model");
            }
        }
        Err(error) => {
            assert!(!error.to_string().is_empty());
            for model in [&*fresh, &*dirty] {
                assert_eq!((model.tree_count(), model.feature_count()), (0, 0));
                for row in rows() {
                    assert_eq!(model.raw(&row), 0.0, "a rejected model is not empty");
                }
            }
            if let ModelError::Json { error: json::Error::TooDeep { .. }, .. } = error {
                // The deepest nesting the limits allow must not exhaust
                // the stack either.
                let _ = catboost::ingest(data, fresh, Limits { max_bytes: u32::MAX, max_depth: u8::MAX });
            }
        }
    }
}

fn logistic_case(data: &[u8]) {
    let mut model = Logistic::<256>::new();
    let result = model.load(data);
    match &result {
        Ok(()) => {
            assert!((1..=256).contains(&model.feature_count()));
            assert!(model.bias().is_finite() && model.weights().iter().all(|w| w.is_finite()));
        }
        Err(LogisticError::Json { error: json::Error::TooDeep { .. }, .. }) => {
            let _ = model.load_with(data, Limits { max_bytes: u32::MAX, max_depth: u8::MAX });
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
    // Whatever happened, the model is valid: evaluating it does not panic.
    for row in rows() {
        let _ = model.raw(&row);
    }
    // And loading is deterministic, whatever the model held before.
    let mut dirty = Logistic::<256>::new();
    dirty.load(br#"{"bias":1,"weights":[1,2,3]}"#).expect("the fixed model loads");
    assert_eq!(dirty.load(data), result);
    if result.is_ok() {
        assert_eq!(dirty, model);
    }
}

fuzz_target!(|data: &[u8]| {
    catboost_case(data);
    logistic_case(data);
});
