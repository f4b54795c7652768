//! Model-based test of the scoring [`Engine`].
//!
//! Random sequences of operations (offer a good, doubled, over-capacity,
//! unknown-feature or older feature file; offer a good model, a model that
//! reads more features than the table has, or a broken one; flip the global
//! and per-feature switches; score a request) run against a real
//! `Engine<Request, Logistic<8>, 6>` and against [`Reference`], plain `Vec`s
//! and `f64` arithmetic. After every operation the test compares the
//! operation's result exactly, and every `score` against the reference:
//! `Err(Unscored::Disabled / NoValidTable / NoValidModel)`, or `Ok` with the
//! raw value `bias + Σ w·x` over the table order, where a switched-off or
//! non-finite feature reads its default (within 1e-4 for the engine's `f32`
//! summation order) and the bot score that raw value maps to.
//!
//! Feature-file rules are in `tests/model_based.rs`; here the policy has no
//! growth guard, so the reference only needs the rules the engine adds.

use feature_table::model::logistic::{Logistic, LogisticError};
use feature_table::{
    Accepted, BotScore, Engine, Extractor, FeatureName, IngestError, JsonErrorKind, ModelMismatch, ModelRejected,
    Policy, ReloadError, Unscored, json,
};
use proptest::prelude::*;

/// Table capacity.
const N: usize = 6;
/// Model capacity: more than the table, so a model can out-read it.
const W: usize = 8;
/// Eight names the binary computes, for six slots.
const POOL: [&str; 8] = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"];
/// A name no extractor computes.
const UNKNOWN: &str = "not_computed";
/// Dyadic values, so that sums are exact in `f32` too.
const DEFAULTS: [f32; 5] = [0.0, -0.5, 1.5, 2.0, -0.0];
const WEIGHTS: [f32; 6] = [-2.0, -0.5, 0.25, 1.0, 3.0, 0.0];
const BIASES: [f32; 3] = [-1.0, 0.0, 0.5];
/// What an extractor may return, including "could not compute".
const VALUES: [f32; 8] = [0.0, 1.0, -3.5, 7.25, 0.125, f32::NAN, f32::INFINITY, f32::NEG_INFINITY];

struct Request([f32; 8]);

static EXTRACTORS: &[Extractor<Request>] = &[
    Extractor::new("n0", |r| r.0[0]),
    Extractor::new("n1", |r| r.0[1]),
    Extractor::new("n2", |r| r.0[2]),
    Extractor::new("n3", |r| r.0[3]),
    Extractor::new("n4", |r| r.0[4]),
    Extractor::new("n5", |r| r.0[5]),
    Extractor::new("n6", |r| r.0[6]),
    Extractor::new("n7", |r| r.0[7]),
];

type Real = Engine<Request, Logistic<W>, N>;

fn policy() -> Policy {
    Policy { max_growth: None, ..Policy::DEFAULT }
}

/// A broken model file and its exact error.
#[derive(Debug, Clone, Copy)]
enum BadModel {
    Truncated,
    NonFiniteWeight,
    NoWeights,
    NoBias,
    TooManyWeights,
}

impl BadModel {
    fn bytes(self) -> &'static [u8] {
        match self {
            Self::Truncated => br#"{"bias":0,"weights":[1,2"#,
            Self::NonFiniteWeight => br#"{"bias":0,"weights":[1,1e999]}"#,
            Self::NoWeights => br#"{"bias":0,"weights":[]}"#,
            Self::NoBias => br#"{"weights":[1]}"#,
            Self::TooManyWeights => br#"{"bias":0,"weights":[1,1,1,1,1,1,1,1,1]}"#,
        }
    }

    fn error(self) -> LogisticError {
        match self {
            Self::Truncated => LogisticError::Json {
                error: json::Error::syntax(JsonErrorKind::EofWhileParsingList, 24),
                weight: Some(2),
            },
            Self::NonFiniteWeight => LogisticError::NonFinite { weight: Some(1) },
            Self::NoWeights => LogisticError::NoWeights,
            Self::NoBias => LogisticError::MissingField { field: "bias" },
            Self::TooManyWeights => LogisticError::TooManyWeights { capacity: W, found: W + 1 },
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Distinct names from the pool, a newer version.
    OfferGood {
        names: Vec<usize>,
        defaults: Vec<usize>,
        newer_by: u64,
    },
    /// The active file's entries twice (or a fixed pair twice).
    OfferDoubled {
        newer_by: u64,
    },
    /// `N + extra` distinct names.
    OfferOverCapacity {
        extra: usize,
        newer_by: u64,
    },
    /// A good file with a name no extractor computes at entry `at`.
    OfferUnknown {
        names: Vec<usize>,
        at: usize,
        newer_by: u64,
    },
    /// The active file again, `back` versions older (0 = the same version).
    OfferOlder {
        back: u64,
    },
    /// A valid model with `weights.len()` weights (up to `W`, which may be
    /// more than the table has).
    OfferModel {
        bias: usize,
        weights: Vec<usize>,
    },
    OfferBadModel(BadModel),
    SetEnabled(bool),
    /// Switch a pool name (or, for `POOL.len()`, the unknown name).
    SetFeature {
        name: usize,
        on: bool,
    },
    Score {
        values: [usize; 8],
    },
}

fn op() -> impl Strategy<Value = Op> {
    let names = || Just((0..POOL.len()).collect::<Vec<_>>()).prop_shuffle();
    prop_oneof![
        4 => (names(), 1..=N, prop::collection::vec(0..DEFAULTS.len(), N), 1..3u64).prop_map(
            |(names, size, defaults, newer_by)| Op::OfferGood { names: names[..size].to_vec(), defaults, newer_by }
        ),
        1 => (1..3u64).prop_map(|newer_by| Op::OfferDoubled { newer_by }),
        1 => (1..=POOL.len() - N, 1..3u64).prop_map(|(extra, newer_by)| Op::OfferOverCapacity { extra, newer_by }),
        1 => (names(), 1..N, 0..N, 1..3u64).prop_map(|(names, size, at, newer_by)| {
            Op::OfferUnknown { names: names[..size].to_vec(), at: at.min(size), newer_by }
        }),
        1 => (0..2u64).prop_map(|back| Op::OfferOlder { back }),
        4 => (0..BIASES.len(), prop::collection::vec(0..WEIGHTS.len(), 1..=W))
            .prop_map(|(bias, weights)| Op::OfferModel { bias, weights }),
        1 => prop_oneof![
            Just(BadModel::Truncated),
            Just(BadModel::NonFiniteWeight),
            Just(BadModel::NoWeights),
            Just(BadModel::NoBias),
            Just(BadModel::TooManyWeights),
        ]
        .prop_map(Op::OfferBadModel),
        1 => any::<bool>().prop_map(Op::SetEnabled),
        2 => (0..=POOL.len(), any::<bool>()).prop_map(|(name, on)| Op::SetFeature { name, on }),
        6 => prop::array::uniform8(0..VALUES.len()).prop_map(|values| Op::Score { values }),
    ]
}

/// A feature file: version and `(name, default)` entries.
#[derive(Debug, Clone)]
struct File {
    version: u64,
    entries: Vec<(&'static str, f32)>,
}

impl File {
    fn render(&self) -> Vec<u8> {
        let entries: Vec<String> = self
            .entries
            .iter()
            .map(|(name, default)| format!(r#"{{"name":"{name}","default":{default:?}}}"#))
            .collect();
        format!(r#"{{"version":{},"features":[{}]}}"#, self.version, entries.join(",")).into_bytes()
    }
}

/// A model: bias and weights in table order.
#[derive(Debug, Clone)]
struct LogisticRef {
    bias: f32,
    weights: Vec<f32>,
}

impl LogisticRef {
    fn render(&self) -> Vec<u8> {
        let weights: Vec<String> = self.weights.iter().map(|w| format!("{w:?}")).collect();
        format!(r#"{{"bias":{:?},"weights":[{}]}}"#, self.bias, weights.join(",")).into_bytes()
    }
}

/// A feature of the reference table: name, default, switched on.
type RefFeature = (&'static str, f32, bool);

/// What must be serving, in plain structs.
#[derive(Debug, Clone, Default)]
struct Reference {
    /// Version and `(name, default, switched on)` in file order.
    table: Option<(u64, Vec<RefFeature>)>,
    model: Option<LogisticRef>,
    disabled: bool,
    model_accepted: u32,
    model_rejected: u32,
}

/// What an operation returned.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Features(Result<Accepted, ReloadError>),
    Model(Result<(), ModelRejected<LogisticError>>),
    Switch(Result<bool, Unscored>),
    None,
}

impl Reference {
    fn version(&self) -> u64 {
        self.table.as_ref().map_or(0, |(v, _)| *v)
    }

    fn active_entries(&self) -> Vec<(&'static str, f32)> {
        self.table
            .as_ref()
            .map_or_else(|| vec![("n0", 0.0), ("n1", 1.5)], |(_, f)| f.iter().map(|&(n, d, _)| (n, d)).collect())
    }

    fn file_for(&self, op: &Op) -> Option<File> {
        let version = |by: u64| self.version() + by;
        Some(match op {
            Op::OfferGood { names, defaults, newer_by } => File {
                version: version(*newer_by),
                entries: names.iter().zip(defaults).map(|(&n, &d)| (POOL[n], DEFAULTS[d])).collect(),
            },
            Op::OfferDoubled { newer_by } => {
                let mut entries = self.active_entries();
                entries.extend(entries.clone());
                File { version: version(*newer_by), entries }
            }
            Op::OfferOverCapacity { extra, newer_by } => {
                File { version: version(*newer_by), entries: POOL[..N + extra].iter().map(|&n| (n, 0.5)).collect() }
            }
            Op::OfferUnknown { names, at, newer_by } => {
                let mut entries: Vec<_> = names.iter().map(|&n| (POOL[n], 0.0)).collect();
                entries.insert(*at, (UNKNOWN, 0.0));
                File { version: version(*newer_by), entries }
            }
            Op::OfferOlder { back } => {
                File { version: self.version().saturating_sub(*back), entries: self.active_entries() }
            }
            _ => return None,
        })
    }

    /// The engine's rules for a feature file, in the order it applies them:
    /// ingest (capacity, then the first duplicate), the version policy, the
    /// extractor bindings, then the active model.
    fn predict_features(&self, file: &File) -> Result<Accepted, ReloadError> {
        let found = file.entries.len();
        if found > N {
            return Err(IngestError::CapacityExceeded { capacity: N, found }.into());
        }
        for (i, (name, _)) in file.entries.iter().enumerate() {
            if let Some(first) = file.entries[..i].iter().position(|(n, _)| n == name) {
                let name = FeatureName::new(name).unwrap();
                return Err(IngestError::DuplicateName { name, first, second: i }.into());
            }
        }
        if let Some((active, _)) = &self.table
            && file.version <= *active
        {
            return Err(ReloadError::VersionNotNewer { active: *active, offered: file.version });
        }
        if let Some(entry) = file.entries.iter().position(|(n, _)| !POOL.contains(n)) {
            let name = FeatureName::new(file.entries[entry].0).unwrap();
            return Err(ReloadError::UnknownFeature { name, entry });
        }
        if let Some(model) = &self.model
            && model.weights.len() > found
        {
            return Err(ReloadError::ModelMismatch(ModelMismatch {
                model_reads: model.weights.len(),
                table_has: found,
            }));
        }
        let off: Vec<&str> = self.table.iter().flat_map(|(_, f)| f).filter(|f| !f.2).map(|f| f.0).collect();
        let switches_dropped = off.iter().filter(|n| !file.entries.iter().any(|(m, _)| m == *n)).count();
        Ok(Accepted { version: file.version, len: found, switches_dropped })
    }

    fn apply(&mut self, op: &Op) -> (Outcome, Option<Vec<u8>>) {
        if let Some(file) = self.file_for(op) {
            let result = self.predict_features(&file);
            if result.is_ok() {
                let off: Vec<&str> = self.table.iter().flat_map(|(_, f)| f).filter(|f| !f.2).map(|f| f.0).collect();
                let features = file.entries.iter().map(|&(n, d)| (n, d, !off.contains(&n))).collect();
                self.table = Some((file.version, features));
            }
            return (Outcome::Features(result), Some(file.render()));
        }
        match op {
            Op::OfferModel { bias, weights } => {
                let model = LogisticRef { bias: BIASES[*bias], weights: weights.iter().map(|&w| WEIGHTS[w]).collect() };
                let result = match &self.table {
                    // A model that cannot tell rows apart is refused on load.
                    _ if model.weights.iter().all(|&w| w == 0.0) => {
                        Err(ModelRejected::Load(LogisticError::AllWeightsZero))
                    }
                    Some((_, features)) if model.weights.len() > features.len() => {
                        Err(ModelRejected::ModelMismatch(ModelMismatch {
                            model_reads: model.weights.len(),
                            table_has: features.len(),
                        }))
                    }
                    _ => Ok(()),
                };
                let bytes = model.render();
                if result.is_ok() {
                    self.model = Some(model);
                    self.model_accepted += 1;
                } else {
                    self.model_rejected += 1;
                }
                (Outcome::Model(result), Some(bytes))
            }
            Op::OfferBadModel(bad) => {
                self.model_rejected += 1;
                (Outcome::Model(Err(ModelRejected::Load(bad.error()))), Some(bad.bytes().to_vec()))
            }
            Op::SetEnabled(on) => {
                self.disabled = !on;
                (Outcome::None, None)
            }
            Op::SetFeature { name, on } => {
                let name = POOL.get(*name).copied().unwrap_or(UNKNOWN);
                let result = match &mut self.table {
                    None => Err(Unscored::NoValidTable),
                    Some((_, features)) => Ok(features.iter_mut().find(|f| f.0 == name).map(|f| f.2 = *on).is_some()),
                };
                (Outcome::Switch(result), None)
            }
            _ => (Outcome::None, None),
        }
    }

    /// What `score` must return: the reason, or the raw value.
    fn score(&self, request: &Request) -> Result<f64, Unscored> {
        if self.disabled {
            return Err(Unscored::Disabled);
        }
        let (_, features) = self.table.as_ref().ok_or(Unscored::NoValidTable)?;
        let model = self.model.as_ref().ok_or(Unscored::NoValidModel)?;
        let mut raw = f64::from(model.bias);
        for (&(name, default, on), &w) in features.iter().zip(&model.weights) {
            let computed = request.0[POOL.iter().position(|&n| n == name).unwrap()];
            let x = if on && computed.is_finite() { computed } else { default };
            raw += f64::from(w) * f64::from(x);
        }
        Ok(raw)
    }
}

fn run(engine: &mut Real, op: &Op, bytes: Option<&[u8]>) -> Outcome {
    match (op, bytes) {
        (Op::OfferModel { .. } | Op::OfferBadModel(_), Some(bytes)) => Outcome::Model(engine.offer_model(bytes)),
        (_, Some(bytes)) => Outcome::Features(engine.offer_features(bytes)),
        (Op::SetEnabled(on), None) => {
            engine.set_enabled(*on);
            Outcome::None
        }
        (Op::SetFeature { name, on }, None) => {
            Outcome::Switch(engine.set_feature_enabled(POOL.get(*name).copied().unwrap_or(UNKNOWN), *on))
        }
        _ => Outcome::None,
    }
}

fn check(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut engine = Real::new(EXTRACTORS, policy(), Logistic::new(), Logistic::new());
    let mut reference = Reference::default();
    for (step, op) in ops.iter().enumerate() {
        let (expected, bytes) = reference.apply(op);
        let outcome = run(&mut engine, op, bytes.as_deref());
        prop_assert_eq!(&outcome, &expected, "step {}: {:?}", step, op);
        let stats = engine.model_stats();
        prop_assert_eq!((stats.accepted, stats.rejected), (reference.model_accepted, reference.model_rejected));
        if let Op::Score { values } = op {
            let request = Request(values.map(|i| VALUES[i]));
            let verdict = engine.score(&request);
            match (reference.score(&request), verdict) {
                (Err(reason), verdict) => prop_assert_eq!(verdict, Err(reason), "step {}", step),
                (Ok(raw), Ok(score)) => {
                    prop_assert!((score.raw - raw).abs() <= 1e-4, "step {}: raw {} != {}", step, score.raw, raw);
                    prop_assert_eq!(Some(score.bot_score), BotScore::from_logit(score.raw));
                    prop_assert!((1..=99).contains(&score.bot_score.get()));
                }
                (Ok(raw), Err(reason)) => prop_assert!(false, "step {}: expected raw {}, got {:?}", step, raw, reason),
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn engine_scores_exactly_what_the_reference_predicts(ops in prop::collection::vec(op(), 1..60)) {
        check(&ops)?;
    }
}

#[test]
fn the_reference_predicts_a_load_mismatch_and_switch_sequence() {
    let ops = [
        Op::Score { values: [1; 8] },
        Op::OfferModel { bias: 2, weights: vec![3, 3, 3] },
        Op::OfferGood { names: vec![0, 1], defaults: vec![2, 2], newer_by: 1 },
        Op::OfferModel { bias: 2, weights: vec![3, 3, 3] },
        Op::OfferGood { names: vec![0, 1, 2], defaults: vec![2, 2, 2], newer_by: 1 },
        Op::Score { values: [1; 8] },
        Op::OfferModel { bias: 2, weights: vec![3, 3, 3] },
        Op::Score { values: [1; 8] },
        Op::SetFeature { name: 1, on: false },
        Op::Score { values: [1; 8] },
        Op::OfferDoubled { newer_by: 1 },
        Op::OfferUnknown { names: vec![0, 1, 2], at: 1, newer_by: 1 },
        Op::OfferGood { names: vec![0], defaults: vec![0], newer_by: 1 },
        Op::OfferBadModel(BadModel::Truncated),
        Op::SetEnabled(false),
        Op::Score { values: [1; 8] },
    ];
    let mut reference = Reference::default();
    let mut outcomes = Vec::new();
    let mut scores = Vec::new();
    for op in &ops {
        outcomes.push(reference.apply(op).0);
        if let Op::Score { values } = op {
            scores.push(reference.score(&Request(values.map(|i| VALUES[i]))));
        }
    }
    // With no table any model is taken; a table narrower than the model is
    // refused; the pair then scores 0.5 + 1 + 1 + 1, and with n1 switched
    // off n1 reads its default 1.5.
    assert_eq!(
        outcomes[2],
        Outcome::Features(Err(ReloadError::ModelMismatch(ModelMismatch { model_reads: 3, table_has: 2 })))
    );
    assert_eq!(outcomes[3], Outcome::Model(Ok(())));
    let doubled = IngestError::DuplicateName { name: FeatureName::new("n0").unwrap(), first: 0, second: 3 };
    assert_eq!(outcomes[10], Outcome::Features(Err(doubled.into())));
    let unknown = ReloadError::UnknownFeature { name: FeatureName::new(UNKNOWN).unwrap(), entry: 1 };
    assert_eq!(outcomes[11], Outcome::Features(Err(unknown)));
    assert_eq!(
        outcomes[12],
        Outcome::Features(Err(ReloadError::ModelMismatch(ModelMismatch { model_reads: 3, table_has: 1 })))
    );
    assert_eq!(scores, [Err(Unscored::NoValidTable), Ok(3.5), Ok(3.5), Ok(4.0), Err(Unscored::Disabled)]);
    check(&ops).unwrap();
}
