//! A sequence of operations (the input split on NUL bytes) on one
//! `Engine<Request, Logistic<16>, 16>`. The first byte of each operation
//! decides what it is: `F` offers the rest as a feature file, `M` as a
//! model, `+`/`-` switch the feature named by the rest on/off, `!` flips the
//! global switch; anything else is skipped.
//!
//! After every operation the serving pair is exactly the last accepted file
//! and model (with the switches applied, and inherited by name across
//! files), a rejection changes nothing and is counted, and `score` on a fixed request is what a plain reference
//! computation says: `Ok` with a bot score in 1..=99, or the one `Unscored`
//! reason the state calls for.
#![no_main]

use feature_table::model::Model;
use feature_table::model::logistic::Logistic;
use feature_table::{BotScore, Engine, Extractor, FeatureTable, Limits, Policy, Score, Unscored, ingest};
use libfuzzer_sys::fuzz_target;

const N: usize = 16;

struct Request {
    a: f32,
    b: f32,
}

static EXTRACTORS: &[Extractor<Request>] = &[
    Extractor::new("a", |r| r.a),
    Extractor::new("b", |r| r.b),
    Extractor::new("c", |_| f32::NAN),
    Extractor::new("d", |r| r.a * r.b),
    Extractor::new("ua_entropy", |_| 3.5),
    Extractor::new("ua_length", |_| f32::INFINITY),
];

const REQUEST: Request = Request { a: 1.5, b: -2.0 };

/// What `score(&REQUEST)` must return for this table, model and switch.
fn expected(enabled: bool, table: Option<&FeatureTable<N>>, model: Option<&Logistic<N>>) -> Result<Score, Unscored> {
    if !enabled {
        return Err(Unscored::Disabled);
    }
    let table = table.ok_or(Unscored::NoValidTable)?;
    let model = model.ok_or(Unscored::NoValidModel)?;
    assert!(model.feature_count() <= table.len(), "an unchecked pair serves");
    let row: Vec<f32> = table
        .features()
        .iter()
        .map(|feature| {
            let extractor = EXTRACTORS.iter().find(|e| e.name() == feature.name().as_str()).expect("bound");
            let value = extractor.compute(&REQUEST);
            if feature.is_enabled() && value.is_finite() { value } else { feature.default() }
        })
        .collect();
    let raw = model.raw(&row);
    let bot_score = BotScore::from_logit(raw).ok_or(Unscored::NonFiniteOutput)?;
    Ok(Score { bot_score, raw })
}

fuzz_target!(|data: &[u8]| {
    let mut engine =
        Engine::<Request, Logistic<N>, N>::new(EXTRACTORS, Policy::DEFAULT, Logistic::new(), Logistic::new());
    let mut table: Option<FeatureTable<N>> = None;
    let mut model: Option<Logistic<N>> = None;
    let mut enabled = true;
    let mut model_offers = 0u32;
    for op in data.split(|&b| b == 0) {
        let Some((&kind, rest)) = op.split_first() else { continue };
        match kind {
            b'F' => match engine.offer_features(rest) {
                Ok(accepted) => {
                    let mut fresh = FeatureTable::<N>::new(0);
                    ingest(rest, &mut fresh, Limits::DEFAULT).expect("accepted by the engine but not by ingest");
                    assert_eq!((fresh.version(), fresh.len()), (accepted.version, accepted.len));
                    // Switched-off features stay off under the same name;
                    // the rest are counted as dropped.
                    let mut dropped = 0;
                    for old in table.iter().flat_map(|t| t.features()).filter(|f| !f.is_enabled()) {
                        match fresh.index_of(old.name().as_str()) {
                            Some(index) => fresh.set_feature_enabled(index, false).unwrap(),
                            None => dropped += 1,
                        }
                    }
                    assert_eq!(accepted.switches_dropped, dropped);
                    table = Some(fresh);
                }
                Err(error) => assert_eq!(engine.features().stats().last_error.as_ref(), Some(&error)),
            },
            b'M' => {
                model_offers += 1;
                match engine.offer_model(rest) {
                    Ok(()) => {
                        let mut fresh = Logistic::<N>::new();
                        fresh.load(rest).expect("accepted by the engine but not by load");
                        model = Some(fresh);
                    }
                    Err(error) => assert_eq!(engine.model_stats().last_error.as_ref(), Some(&error)),
                }
                let stats = engine.model_stats();
                assert_eq!(stats.accepted + stats.rejected, model_offers);
            }
            b'+' | b'-' => {
                let on = kind == b'+';
                let name = core::str::from_utf8(rest).unwrap_or("\u{0}");
                let result = engine.set_feature_enabled(name, on);
                match table.as_mut() {
                    None => assert_eq!(result, Err(Unscored::NoValidTable)),
                    Some(table) => {
                        let index = table.index_of(name);
                        assert_eq!(result, Ok(index.is_some()));
                        if let Some(index) = index {
                            table.set_feature_enabled(index, on).unwrap();
                        }
                    }
                }
            }
            b'!' => {
                enabled = !enabled;
                engine.set_enabled(enabled);
            }
            _ => continue,
        }
        assert_eq!(engine.features().last_good(), table.as_ref(), "the serving table is not the last accepted");
        assert_eq!(engine.model(), model.as_ref(), "the serving model is not the last accepted");
        let verdict = engine.score(&REQUEST);
        assert_eq!(verdict, expected(enabled, table.as_ref(), model.as_ref()));
        if let Ok(score) = verdict {
            assert!((1..=99).contains(&score.bot_score.get()) && score.raw.is_finite());
        }
    }
});
