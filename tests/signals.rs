//! The signals lane (`score_signals`) gives the same verdict as the
//! extractor lane (`score`) for the same values: whatever the file order,
//! switches, non-finite or missing signals, with the vector filled or read in
//! place.

use feature_table::model::logistic::Logistic;
use feature_table::{Engine, Extractor, FeatureVector, Model, Policy, compute_signals};
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

/// No growth limit: these tests swap files of different lengths.
const LAX: Policy = Policy { max_growth: None, ..Policy::DEFAULT };

/// The file `order` (names `s{i}`, default `i`) and a model with weight
/// `w(i)` for feature `s{i}`, wherever the file lists it.
fn pair(version: u64, order: &[usize], w: impl Fn(usize) -> f32) -> (String, String) {
    let entries: Vec<String> = order.iter().map(|i| format!(r#"{{"name":"s{i}","default":{i}}}"#)).collect();
    let weights: Vec<String> = order.iter().map(|&i| format!("{:?}", w(i))).collect();
    (
        format!(r#"{{"version":{version},"features":[{}]}}"#, entries.join(",")),
        format!(r#"{{"bias":0.5,"weights":[{}]}}"#, weights.join(",")),
    )
}

/// Every lane of `engine` gives the verdicts of a new engine built from the
/// same pair, bit for bit, and both are the pair's value within rounding.
fn assert_serves(engine: &TestEngine, order: &[usize], w: &impl Fn(usize) -> f32) {
    let (file, model) = pair(1, order, w);
    let mut fresh = Box::new(TestEngine::new(EXTRACTORS, LAX, Logistic::new(), Logistic::new()));
    fresh.offer_features(file.as_bytes()).unwrap();
    fresh.offer_model(model.as_bytes()).unwrap();
    for seed in 0..4 {
        let signals: [f32; E] = core::array::from_fn(|i| ((i * 5 + seed) % 7) as f32 - 2.5);
        let request = Request { signals };
        let expected = fresh.score(&request).unwrap();
        let exact = 0.5 + order.iter().map(|&i| f64::from(w(i)) * f64::from(signals[i])).sum::<f64>();
        assert!((expected.raw - exact).abs() < 1e-4, "{} vs {exact}", expected.raw);
        assert_eq!(fresh.score_signals(&signals), Ok(expected));
        assert_eq!(engine.score(&request), Ok(expected), "order {order:?}");
        assert_eq!(engine.score_signals(&signals), Ok(expected), "order {order:?}");
        let mut vector = FeatureVector::new();
        assert_eq!(engine.score_signals_into(&signals, &mut vector), Ok(expected));
    }
}

/// The model's plan (the signal order it sums in) is made again whenever a
/// model or a file is accepted, and never by a rejected one: a stale plan
/// would read the signals with another file's weights.
#[test]
fn the_plan_follows_every_accepted_change_and_no_rejected_one() {
    let identity: Vec<usize> = (0..E).collect();
    let reversed: Vec<usize> = (0..E).rev().collect();
    let stride: Vec<usize> = (0..E).map(|k| k * 5 % E).collect(); // E = 12, 5 coprime
    let subset = [3, 0, 7, 1]; // not the first extractors: gathered
    let w1 = |i: usize| (i as f32 * 0.7).sin();
    let w2 = |i: usize| (i as f32 * 1.3).cos() * 2.0;
    let mut engine = Box::new(TestEngine::new(EXTRACTORS, LAX, Logistic::new(), Logistic::new()));
    // The model first when it shrinks, the file first when it grows.
    let offer = |engine: &mut TestEngine, version, order: &[usize], w: &dyn Fn(usize) -> f32| {
        let (file, model) = pair(version, order, w);
        if engine.model().is_some_and(|m| m.feature_count() > order.len()) {
            engine.offer_model(model.as_bytes()).unwrap();
            engine.offer_features(file.as_bytes()).unwrap();
        } else {
            engine.offer_features(file.as_bytes()).unwrap();
            engine.offer_model(model.as_bytes()).unwrap();
        }
    };
    offer(&mut engine, 1, &identity, &w1);
    assert_serves(&engine, &identity, &w1);
    // A new file order with the same model file: the weights now belong to
    // other features, so offer the matching model right after.
    let (file, model) = pair(2, &reversed, w1);
    engine.offer_features(file.as_bytes()).unwrap();
    engine.offer_model(model.as_bytes()).unwrap();
    assert_serves(&engine, &reversed, &w1);
    // A model alone.
    let (_, model) = pair(2, &reversed, w2);
    engine.offer_model(model.as_bytes()).unwrap();
    assert_serves(&engine, &reversed, &w2);
    // A file alone, listing the same features in another order, whose
    // positions the served model's weights then follow.
    let (file, _) = pair(3, &stride, w2);
    engine.offer_features(file.as_bytes()).unwrap();
    let moved = |i: usize| w2(reversed[stride.iter().position(|&s| s == i).unwrap()]);
    assert_serves(&engine, &stride, &moved);
    // Rejected: a model that does not load, one too long for the table, a
    // file the binary cannot compute, a file too short for the model.
    assert!(engine.offer_model(b"{\"bias\":1,\"weights\":[1,").is_err());
    assert!(engine.offer_model(pair(3, &[0; E + 1], w1).1.as_bytes()).is_err());
    assert!(engine.offer_features(br#"{"version":4,"features":[{"name":"zz"}]}"#).is_err());
    assert!(engine.offer_features(pair(4, &subset, w1).0.as_bytes()).is_err());
    assert_serves(&engine, &stride, &moved);
    // A subset (gathered) and back to a permutation (in place).
    let (file, _) = pair(4, &identity, w1);
    engine.offer_features(file.as_bytes()).unwrap();
    offer(&mut engine, 5, &subset, &w1);
    assert_serves(&engine, &subset, &w1);
    offer(&mut engine, 6, &stride, &w2);
    assert_serves(&engine, &stride, &w2);
}

/// The same for the multi-threaded handle, whose pairs carry their plan.
#[cfg(feature = "std")]
#[test]
fn the_shared_handle_makes_a_plan_for_every_pair_it_publishes() {
    use feature_table::shared::SharedEngine;

    let engine = SharedEngine::<Request, Logistic<E>, E>::new(EXTRACTORS, LAX);
    let reversed: Vec<usize> = (0..E).rev().collect();
    let stride: Vec<usize> = (0..E).map(|k| k * 5 % E).collect();
    let w1 = |i: usize| (i as f32 * 0.7).sin();
    let w2 = |i: usize| (i as f32 * 1.3).cos() * 2.0;
    let check = |order: &[usize], w: &dyn Fn(usize) -> f32| {
        let (file, model) = pair(1, order, w);
        let mut fresh = Box::new(TestEngine::new(EXTRACTORS, LAX, Logistic::new(), Logistic::new()));
        fresh.offer_features(file.as_bytes()).unwrap();
        fresh.offer_model(model.as_bytes()).unwrap();
        let signals: [f32; E] = core::array::from_fn(|i| i as f32 - 4.25);
        let expected = fresh.score_signals(&signals).unwrap();
        assert_eq!(engine.score(&Request { signals }), Ok(expected), "order {order:?}");
        assert_eq!(engine.score_signals(&signals), Ok(expected), "order {order:?}");
    };
    let (file, model) = pair(1, &reversed, w1);
    engine.reload(file.as_bytes(), model.as_bytes()).unwrap();
    check(&reversed, &w1);
    let (_, model) = pair(1, &reversed, w2);
    engine.reload_model(model.as_bytes()).unwrap();
    check(&reversed, &w2);
    let (file, _) = pair(2, &stride, w2);
    engine.reload_features(file.as_bytes()).unwrap();
    let moved = |i: usize| w2(reversed[stride.iter().position(|&s| s == i).unwrap()]);
    check(&stride, &moved);
    assert!(engine.reload_model(b"{").is_err());
    check(&stride, &moved);
    engine.with_current(|pair| assert!(pair.is_some_and(|p| p.plan.is_reordered())));
}
