//! The signals lane (`score_signals`) gives the same verdict as the
//! extractor lane (`score`) for the same values: whatever the file order,
//! switches, non-finite or missing signals, with the vector filled or read in
//! place.

use feature_table::model::logistic::Logistic;
use feature_table::{Engine, Extractor, FeatureVector, Policy, compute_signals};
use proptest::prelude::*;

const E: usize = 12;

/// The host's request: its signals, some of which may be NaN or infinite.
struct Request {
    signals: [f32; E],
}

macro_rules! extractors {
    ($($i:literal)*) => {
        &[$(Extractor::new(concat!("s", stringify!($i)), |r: &Request| r.signals[$i]),)*]
    };
}

static EXTRACTORS: &[Extractor<Request>] = extractors!(0 1 2 3 4 5 6 7 8 9 10 11);

type TestEngine = Engine<Request, Logistic<E>, E>;

fn signal() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => -100.0_f32..100.0,
        1 => Just(f32::NAN),
        1 => prop_oneof![Just(f32::INFINITY), Just(f32::NEG_INFINITY)],
    ]
}

/// A file naming a subset of the extractors in any order, each with a
/// default; a model with one weight per feature; features to switch off;
/// requests; and how many signals the host passes.
/// (file order, defaults, weights, switched off, requests, signals passed).
type Case = (Vec<usize>, Vec<f32>, Vec<f32>, Vec<bool>, Vec<[f32; E]>, usize);

fn case() -> impl Strategy<Value = Case> {
    // Often all E features, so that the binary order is the identity.
    prop_oneof![2 => Just(E), 1 => 1..E].prop_flat_map(|len| {
        (
            Just((0..E).collect::<Vec<_>>()).prop_shuffle().prop_map(move |order| order[..len].to_vec()),
            prop::collection::vec(-5.0_f32..5.0, len),
            prop::collection::vec(-1.0_f32..1.0, len),
            prop::collection::vec(prop::bool::weighted(0.05), len),
            prop::collection::vec(prop::array::uniform12(signal()), 1..8),
            prop_oneof![4 => Just(E), 1 => 0..E],
        )
    })
}

fn engine(order: &[usize], defaults: &[f32], weights: &[f32]) -> Box<TestEngine> {
    let entries: Vec<String> =
        order.iter().zip(defaults).map(|(i, d)| format!(r#"{{"name":"s{i}","default":{d:?}}}"#)).collect();
    let file = format!(r#"{{"version":1,"features":[{}]}}"#, entries.join(","));
    let weights: Vec<String> = weights.iter().map(|w| format!("{w:?}")).collect();
    let model = format!(r#"{{"bias":0.25,"weights":[{}]}}"#, weights.join(","));
    let mut engine = Box::new(TestEngine::new(
        EXTRACTORS,
        Policy { max_growth: None, ..Policy::DEFAULT },
        Logistic::new(),
        Logistic::new(),
    ));
    engine.offer_features(file.as_bytes()).unwrap();
    engine.offer_model(model.as_bytes()).unwrap();
    engine
}

proptest! {
    #[test]
    fn signals_and_extractors_give_the_same_verdict(
        (order, defaults, weights, off, requests, passed) in case(),
        in_binary_order in prop::bool::ANY,
    ) {
        let mut order = order;
        if in_binary_order {
            // With all E features, the identity binding: the copy lane.
            order.sort_unstable();
        }
        let mut engine = engine(&order, &defaults, &weights);
        for (&i, &off) in order.iter().zip(&off) {
            if off {
                prop_assert_eq!(engine.set_feature_enabled(&format!("s{i}"), false), Ok(true));
            }
        }
        for raw in &requests {
            let request = Request { signals: *raw };
            // Signals beyond `passed` are missing: they read as NaN, which
            // the extractor lane must see too.
            let mut signals = [0.0_f32; E];
            compute_signals(EXTRACTORS, &request, &mut signals);
            let mut short = Request { signals: [f32::NAN; E] };
            short.signals[..passed].copy_from_slice(&signals[..passed]);

            let expected = engine.score(&short);
            let mut vector = FeatureVector::new();
            let mut by_signals = FeatureVector::new();
            prop_assert_eq!(engine.score_into(&short, &mut vector), expected);
            prop_assert_eq!(engine.score_signals(&signals[..passed]), expected);
            prop_assert_eq!(engine.score_signals_into(&signals[..passed], &mut by_signals), expected);
            prop_assert_eq!(
                vector.as_slice().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                by_signals.as_slice().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn the_copy_lane_reads_defaults_for_non_finite_signals_and_switched_off_features() {
    let order: Vec<usize> = (0..E).collect();
    let defaults: Vec<f32> = (0..E).map(|i| i as f32).collect();
    let weights = vec![1.0; E];
    let mut engine = engine(&order, &defaults, &weights);
    let mut signals = [10.0_f32; E];
    let all_ten = engine.score_signals(&signals).unwrap().raw;
    assert_eq!(all_ten, 0.25 + 10.0 * E as f64);

    // NaN reads default 3; +inf reads default 5.
    signals[3] = f32::NAN;
    signals[5] = f32::INFINITY;
    assert_eq!(engine.score_signals(&signals).unwrap().raw, all_ten - 7.0 - 5.0);

    // Switched off: default 7 even though its signal is finite.
    assert_eq!(engine.set_feature_enabled("s7", false), Ok(true));
    assert_eq!(engine.score_signals(&signals).unwrap().raw, all_ten - 7.0 - 5.0 - 3.0);

    // Too few signals: the missing ones read their defaults.
    assert_eq!(engine.set_feature_enabled("s7", true), Ok(true));
    assert_eq!(engine.score_signals(&[10.0; 2]).unwrap().raw, 0.25 + 20.0 + (2..E).map(|i| i as f64).sum::<f64>());
}

/// The multi-threaded handle's signals lane: the same verdicts as its
/// extractor lane, and both counted.
#[cfg(feature = "std")]
#[test]
fn the_shared_handle_gives_the_same_verdicts_on_both_lanes() {
    use feature_table::shared::SharedEngine;

    let engine =
        SharedEngine::<Request, Logistic<E>, E>::new(EXTRACTORS, Policy { max_growth: None, ..Policy::DEFAULT });
    let signals = [1.5_f32; E];
    let request = Request { signals };
    assert_eq!(engine.score_signals(&signals), engine.score(&request)); // both NoValidTable
    // In the binary's order (in place) and reversed (gathered), with a NaN.
    for (version, order) in [(0..E).collect::<Vec<_>>(), (0..E).rev().collect()].into_iter().enumerate() {
        let entries: Vec<String> = order.iter().map(|i| format!(r#"{{"name":"s{i}","default":{i}}}"#)).collect();
        let file = format!(r#"{{"version":{},"features":[{}]}}"#, version + 1, entries.join(","));
        let weights: Vec<String> = order.iter().map(|i| format!("{}", *i as f32 / 10.0)).collect();
        let model = format!(r#"{{"bias":0.5,"weights":[{}]}}"#, weights.join(","));
        engine.reload(file.as_bytes(), model.as_bytes()).unwrap();
        let mut signals = signals;
        signals[4] = f32::NAN;
        let request = Request { signals };
        let by_extractors = engine.score(&request).unwrap();
        assert_eq!(engine.score_signals(&signals).unwrap(), by_extractors);
        let mut vector = FeatureVector::new();
        assert_eq!(engine.score_signals_into(&signals, &mut vector).unwrap(), by_extractors);
        assert_eq!(vector.as_slice()[order.iter().position(|&i| i == 4).unwrap()], 4.0);
    }
    assert_eq!(engine.stats().scored, 6);
}
