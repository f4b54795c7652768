//! Wrapping errors follow one rule (the Rust API guidelines' convention):
//! an error that wraps another either includes the inner message in its
//! `Display` or returns it from `source()`, never both. A reporter that
//! walks the chain (anyhow's `{:#}`, eyre) then prints every message once.

use std::error::Error;

use feature_table::{Engine, Extractor, Logistic, ModelRejected, Policy, ReloadError};

struct Req;

static EXTRACTORS: &[Extractor<Req>] = &[Extractor::new("a", |_| 1.0), Extractor::new("b", |_| 2.0)];

/// The chain as a reporter prints it: every `Display` from the outer error
/// down through `source()`, joined with ": ".
fn chain(error: &dyn Error) -> (Vec<String>, String) {
    let mut messages = vec![error.to_string()];
    let mut next = error.source();
    while let Some(inner) = next {
        messages.push(inner.to_string());
        next = inner.source();
    }
    let joined = messages.join(": ");
    (messages, joined)
}

/// `outer` wraps `inner`: the inner message, and every message of the
/// chain, appears exactly once in the joined chain.
fn assert_each_message_once(outer: &dyn Error, inner: &dyn Error) {
    let (messages, joined) = chain(outer);
    let inner = inner.to_string();
    assert_eq!(joined.matches(inner.as_str()).count(), 1, "inner `{inner}` in `{joined}`");
    for message in &messages {
        assert_eq!(joined.matches(message.as_str()).count(), 1, "`{message}` in `{joined}`");
    }
}

fn engine() -> Engine<Req, Logistic<4>, 4> {
    let lax = Policy { max_growth: None, ..Policy::DEFAULT };
    Engine::new(EXTRACTORS, lax, Logistic::new(), Logistic::new())
}

#[test]
fn a_rejected_feature_file_prints_its_cause_once_in_the_chain() {
    let mut engine = engine();
    for bad in [&br#"{"version":1,"features":[{"name":"a"},{"name":"a"}]}"#[..], b"{", b"[]"] {
        let error = engine.offer_features(bad).unwrap_err();
        let ReloadError::Ingest(inner) = &error else { panic!("not an ingest error: {error:?}") };
        assert_each_message_once(&error, inner);
    }
    engine.offer_features(br#"{"version":1,"features":[{"name":"a"},{"name":"b"}]}"#).unwrap();
    engine.offer_model(br#"{"bias":0,"weights":[1,1]}"#).unwrap();
    let error = engine.offer_features(br#"{"version":2,"features":[{"name":"a"}]}"#).unwrap_err();
    let ReloadError::ModelMismatch(inner) = &error else { panic!("not a mismatch: {error:?}") };
    assert_each_message_once(&error, inner);
}

#[test]
fn a_rejected_model_prints_its_cause_once_in_the_chain() {
    let mut engine = engine();
    engine.offer_features(br#"{"version":1,"features":[{"name":"a"}]}"#).unwrap();
    let error = engine.offer_model(b"{").unwrap_err();
    let ModelRejected::Load(inner) = &error else { panic!("not a load error: {error:?}") };
    assert_each_message_once(&error, inner);
    let error = engine.offer_model(br#"{"bias":0,"weights":[1,1]}"#).unwrap_err();
    let ModelRejected::ModelMismatch(inner) = &error else { panic!("not a mismatch: {error:?}") };
    assert_each_message_once(&error, inner);
}

#[cfg(feature = "std")]
#[test]
fn a_rejected_pair_prints_each_cause_once_in_the_chain() {
    use feature_table::shared::{PairRejected, SharedEngine};
    let engine = SharedEngine::<Req, Logistic<4>, 4>::new(EXTRACTORS, Policy::DEFAULT);
    let model = br#"{"bias":0,"weights":[1]}"#;
    let error = engine.reload(br#"{"version":1,"features":[{"name":"a"},{"name":"a"}]}"#, model).unwrap_err();
    let PairRejected::Features(inner) = &error else { panic!("not a feature error: {error:?}") };
    assert_each_message_once(&error, inner);
    let ReloadError::Ingest(innermost) = inner else { panic!("not an ingest error: {inner:?}") };
    assert_each_message_once(&error, innermost);
    let error = engine.reload(br#"{"version":1,"features":[{"name":"a"}]}"#, b"{").unwrap_err();
    let PairRejected::Model(inner) = &error else { panic!("not a model error: {error:?}") };
    assert_each_message_once(&error, inner);
}
