//! Model-based test of the [`Reloader`].
//!
//! Random sequences of operations (offer a good, doubled, over-capacity,
//! grown-too-much, older or garbage file; flip the global and per-feature
//! switches; read and resolve) run against a real `Reloader<8>` and against
//! [`Model`], a plain `Vec`-based statement of what must be true. After every
//! operation the test compares the operation's result and the whole
//! observable state: the active table, the kill switch, the warning and the
//! statistics.
//!
//! The model is written for clarity, not speed: each rule of ingest and of
//! the policy is one `if` in [`Model::predict`]. To cover scoring later, add
//! `Op` variants (e.g. `Score { computed: Vec<f32> }`) with their expected
//! outcome in [`Model::apply`].

use feature_table::{
    Accepted, FeatureName, IngestError, Policy, Ratio, ReloadError, ReloadStats, Reloader, Unscored, Warning,
};
use proptest::prelude::*;

const N: usize = 8;
/// Twelve names for at most eight slots: generated files can repeat names
/// and reloads can drop and add them.
const POOL: [&str; 12] = [
    "ua_entropy",
    "path_depth",
    "tls_ja4_rarity",
    "hdr_count",
    "hdr.accept-language",
    "ip_asn_rarity",
    "req_rate_10s",
    "cookie_age_s",
    "h2_settings_hash",
    "geo_country_rarity",
    "session_age_s",
    "body_size_entropy",
];
/// Finite defaults, including the awkward ones (signed zero, subnormal-ish,
/// huge); they round-trip exactly through `{:?}` and the parser.
const DEFAULTS: [f32; 7] = [0.0, -0.0, 0.5, -1.5, 1e-7, 3.4e38, 100.0];

/// One operation against the reloader.
#[derive(Debug, Clone)]
enum Op {
    /// A plausible next file: a newer version, a size within the growth
    /// ratio of the active table, names from a shuffled pool. Optionally one
    /// entry has a non-finite default (written `1e999`).
    OfferGood {
        names: Vec<usize>,
        size: usize,
        defaults: Vec<usize>,
        newer_by: u64,
        non_finite_at: Option<usize>,
    },
    /// The active file's entries twice (the 2025-11-18 incident).
    OfferDoubled {
        newer_by: u64,
    },
    /// `N + extra` entries.
    OfferOverCapacity {
        extra: usize,
        newer_by: u64,
    },
    /// More than the growth ratio allows, but within capacity if possible.
    OfferGrownTooMuch {
        newer_by: u64,
    },
    /// Fewer entries than the growth ratio allows (none when the active
    /// table has one entry or there is none).
    OfferShrunkTooMuch {
        newer_by: u64,
    },
    /// The active file again with a version `back` steps older (0 = same).
    OfferOlder {
        back: u64,
    },
    /// Not a feature file: a truncated good file or arbitrary bytes.
    OfferGarbage(Garbage),
    SetEnabled(bool),
    SetFeature {
        name: usize,
        enabled: bool,
    },
    Read,
    Resolve {
        name: usize,
        computed: f32,
    },
}

#[derive(Debug, Clone)]
enum Garbage {
    /// The first `keep` bytes of the rendering of the active file (or a
    /// small file), always a proper prefix.
    Truncated { keep: usize },
    /// Arbitrary bytes after a `x`, which cannot start a JSON document.
    Bytes(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    let shuffled = Just((0..POOL.len()).collect::<Vec<_>>()).prop_shuffle();
    let good = (
        shuffled,
        0..100usize,
        prop::collection::vec(0..DEFAULTS.len(), N + 4),
        1..4u64,
        prop::option::weighted(0.1, 0..N),
    )
        .prop_map(|(names, size, defaults, newer_by, non_finite_at)| Op::OfferGood {
            names,
            size,
            defaults,
            newer_by,
            non_finite_at,
        });
    let garbage = prop_oneof![
        (0..2000usize).prop_map(|keep| Garbage::Truncated { keep }),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Garbage::Bytes),
    ];
    let computed =
        prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY), Just(-0.0f32), -1000.0f32..1000.0];
    prop_oneof![
        6 => good,
        1 => (1..3u64).prop_map(|newer_by| Op::OfferDoubled { newer_by }),
        1 => (1..5usize, 1..3u64).prop_map(|(extra, newer_by)| Op::OfferOverCapacity { extra, newer_by }),
        1 => (1..3u64).prop_map(|newer_by| Op::OfferGrownTooMuch { newer_by }),
        1 => (1..3u64).prop_map(|newer_by| Op::OfferShrunkTooMuch { newer_by }),
        1 => (0..3u64).prop_map(|back| Op::OfferOlder { back }),
        2 => garbage.prop_map(Op::OfferGarbage),
        1 => any::<bool>().prop_map(Op::SetEnabled),
        2 => (0..POOL.len(), any::<bool>()).prop_map(|(name, enabled)| Op::SetFeature { name, enabled }),
        2 => Just(Op::Read),
        3 => (0..POOL.len(), computed).prop_map(|(name, computed)| Op::Resolve { name, computed }),
    ]
}

/// A feature file as the model sees it.
#[derive(Debug, Clone)]
struct File {
    version: u64,
    /// (name, default); a default of `None` is written `1e999`.
    entries: Vec<(&'static str, Option<f32>)>,
}

impl File {
    fn render(&self) -> Vec<u8> {
        let entries: Vec<String> = self
            .entries
            .iter()
            .map(|(name, default)| match default {
                Some(d) => format!(r#"{{"name":"{name}","default":{d:?}}}"#),
                None => format!(r#"{{"name":"{name}","default":1e999}}"#),
            })
            .collect();
        format!(r#"{{"version":{},"features":[{}]}}"#, self.version, entries.join(",")).into_bytes()
    }
}

/// A feature in the model: name, default, switched on.
type ModelFeature = (&'static str, f32, bool);

/// What must be active, and what every read must return.
#[derive(Debug, Clone, Default)]
struct Model {
    policy: Option<Policy>,
    /// The active table: version and (name, default, enabled) in file order.
    active: Option<(u64, Vec<ModelFeature>)>,
    /// The global kill switch is off.
    disabled: bool,
    stats: ReloadStats,
}

/// What an operation returned.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Offer(Result<Accepted, ReloadError>),
    /// A garbage offer: any ingest error will do.
    RejectedAsNotAFeatureFile,
    SetFeature(Result<bool, Unscored>),
    Resolve(Result<Option<u32>, Unscored>),
    Nothing,
}

impl Model {
    fn new(policy: Policy) -> Self {
        Self { policy: Some(policy), ..Self::default() }
    }

    fn policy(&self) -> Policy {
        self.policy.unwrap()
    }

    fn active_version(&self) -> Option<u64> {
        self.active.as_ref().map(|(v, _)| *v)
    }

    /// The active entries as a file, or a small file when nothing is active.
    fn active_file(&self, version: u64) -> File {
        let entries = match &self.active {
            Some((_, features)) => features.iter().map(|&(n, d, _)| (n, Some(d))).collect(),
            None => vec![(POOL[0], Some(0.5)), (POOL[1], Some(0.0)), (POOL[2], Some(-1.5))],
        };
        File { version, entries }
    }

    fn newer(&self, by: u64) -> u64 {
        self.active_version().unwrap_or(100) + by
    }

    /// The file an offer operation sends, built from the current state.
    fn file_for(&self, op: &Op) -> Option<File> {
        let len = self.active.as_ref().map_or(0, |(_, f)| f.len());
        Some(match op {
            Op::OfferGood { names, size, defaults, newer_by, non_finite_at } => {
                // Sizes within 1.5x either way of the active length (any size
                // when nothing is active), and within capacity.
                let (lo, hi) = if len == 0 { (1, N) } else { (((len * 2).div_ceil(3)).max(1), (len * 3 / 2).min(N)) };
                let size = lo + size % (hi - lo + 1);
                let entries = names
                    .iter()
                    .zip(defaults)
                    .take(size)
                    .enumerate()
                    .map(|(i, (&n, &d))| (POOL[n], if *non_finite_at == Some(i) { None } else { Some(DEFAULTS[d]) }))
                    .collect();
                File { version: self.newer(*newer_by), entries }
            }
            Op::OfferDoubled { newer_by } => {
                let mut file = self.active_file(self.newer(*newer_by));
                file.entries.extend(file.entries.clone());
                file
            }
            Op::OfferOverCapacity { extra, newer_by } => {
                let entries = (0..N + extra).map(|i| (POOL[i % POOL.len()], Some(1.0))).collect();
                File { version: self.newer(*newer_by), entries }
            }
            Op::OfferGrownTooMuch { newer_by } => {
                // One more than the ratio allows; over capacity when that is
                // more than N, and a plausible full file when nothing is active.
                let size = if len == 0 { N } else { len * 3 / 2 + 1 };
                let entries = (0..size).map(|i| (POOL[i % POOL.len()], Some(0.25))).collect();
                File { version: self.newer(*newer_by), entries }
            }
            Op::OfferShrunkTooMuch { newer_by } => {
                let mut file = self.active_file(self.newer(*newer_by));
                file.entries.truncate((2 * len).div_ceil(3).saturating_sub(1));
                file
            }
            Op::OfferOlder { back } => self.active_file(self.active_version().unwrap_or(100).saturating_sub(*back)),
            _ => return None,
        })
    }

    /// What offering `file` must do: ingest's rules, then the policy's.
    fn predict(&self, file: &File) -> Result<Accepted, ReloadError> {
        let found = file.entries.len();
        if found > N {
            return Err(IngestError::CapacityExceeded { capacity: N, found }.into());
        }
        for (i, (name, default)) in file.entries.iter().enumerate() {
            if default.is_none() {
                return Err(IngestError::NonFiniteDefault { entry: i }.into());
            }
            if let Some(first) = file.entries[..i].iter().position(|(n, _)| n == name) {
                let name = FeatureName::new(name).unwrap();
                return Err(IngestError::DuplicateName { name, first, second: i }.into());
            }
        }
        if found == 0 {
            return Err(IngestError::EmptyFeatureList.into());
        }
        let policy = self.policy();
        if let Some((active, features)) = &self.active {
            if policy.require_newer_version && file.version <= *active {
                return Err(ReloadError::VersionNotNewer { active: *active, offered: file.version });
            }
            if let Some(max) = policy.max_growth {
                let (p, f, r) = (features.len() as u64, found as u64, u64::from(max.permille()));
                if f * 1000 > p * r || p * 1000 > f * r {
                    return Err(ReloadError::GrowthExceeded { previous: features.len(), found, max });
                }
            }
        }
        let off: Vec<&str> = self.active.iter().flat_map(|(_, f)| f).filter(|f| !f.2).map(|f| f.0).collect();
        let switches_dropped = off.iter().filter(|n| !file.entries.iter().any(|(m, _)| m == *n)).count();
        Ok(Accepted { version: file.version, len: found, switches_dropped })
    }

    fn record(&mut self, file: Option<&File>, result: &Result<Accepted, ReloadError>) {
        match result {
            Ok(accepted) => {
                let file = file.unwrap();
                let off: Vec<&str> = self.active.iter().flat_map(|(_, f)| f).filter(|f| !f.2).map(|f| f.0).collect();
                let features =
                    file.entries.iter().map(|&(n, d)| (n, d.unwrap(), !off.contains(&n))).collect::<Vec<_>>();
                self.active = Some((accepted.version, features));
                self.stats.accepted += 1;
                self.stats.consecutive_rejections = 0;
                self.stats.active_version = Some(accepted.version);
            }
            Err(error) => {
                self.stats.rejected += 1;
                self.stats.consecutive_rejections += 1;
                self.stats.last_error = Some(error.clone());
            }
        }
    }

    /// Applies `op` to the model and returns what the reloader must return
    /// and the bytes to offer, if any.
    fn apply(&mut self, op: &Op) -> (Outcome, Option<Vec<u8>>) {
        if let Some(file) = self.file_for(op) {
            let result = self.predict(&file);
            self.record(Some(&file), &result);
            return (Outcome::Offer(result), Some(file.render()));
        }
        match op {
            Op::OfferGarbage(garbage) => {
                let bytes = match garbage {
                    Garbage::Truncated { keep } => {
                        let whole = self.active_file(self.newer(1)).render();
                        whole[..keep % whole.len()].to_vec()
                    }
                    Garbage::Bytes(bytes) => [b"x".as_slice(), bytes].concat(),
                };
                // The exact error is the parser's business; the counters
                // are recorded once the actual error is known.
                (Outcome::RejectedAsNotAFeatureFile, Some(bytes))
            }
            Op::SetEnabled(on) => {
                self.disabled = !on;
                (Outcome::Nothing, None)
            }
            Op::SetFeature { name, enabled } => {
                let result = match &mut self.active {
                    None => Err(Unscored::NoValidTable),
                    Some((_, features)) => Ok(match features.iter_mut().find(|f| f.0 == POOL[*name]) {
                        Some(feature) => {
                            feature.2 = *enabled;
                            true
                        }
                        None => false,
                    }),
                };
                (Outcome::SetFeature(result), None)
            }
            Op::Read => (Outcome::Nothing, None),
            Op::Resolve { name, computed } => {
                let result = self.readable().map(|features| {
                    features.iter().find(|f| f.0 == POOL[*name]).map(|&(_, default, enabled)| {
                        if enabled && computed.is_finite() { computed.to_bits() } else { default.to_bits() }
                    })
                });
                (Outcome::Resolve(result), None)
            }
            _ => unreachable!("offers are handled above"),
        }
    }

    /// What `Reloader::active` must return, as the model's features.
    fn readable(&self) -> Result<&[ModelFeature], Unscored> {
        if self.disabled {
            return Err(Unscored::Disabled);
        }
        self.active.as_ref().map(|(_, f)| f.as_slice()).ok_or(Unscored::NoValidTable)
    }
}

/// Runs `op` on the reloader and returns its outcome in the model's terms.
fn run(reloader: &mut Reloader<N>, op: &Op, bytes: Option<&[u8]>) -> Outcome {
    match op {
        Op::OfferGarbage(_) => match reloader.offer(bytes.unwrap()) {
            Err(ReloadError::Ingest(_)) => Outcome::RejectedAsNotAFeatureFile,
            other => Outcome::Offer(other),
        },
        Op::SetEnabled(on) => {
            reloader.set_enabled(*on);
            Outcome::Nothing
        }
        Op::SetFeature { name, enabled } => Outcome::SetFeature(reloader.set_feature_enabled(POOL[*name], *enabled)),
        Op::Read => Outcome::Nothing,
        Op::Resolve { name, computed } => {
            Outcome::Resolve(reloader.active().map(|t| t.by_name(POOL[*name]).map(|f| f.resolve(*computed).to_bits())))
        }
        _ => Outcome::Offer(reloader.offer(bytes.unwrap())),
    }
}

/// The whole observable state of the reloader equals the model's.
fn assert_same_state(reloader: &Reloader<N>, model: &Model) -> Result<(), TestCaseError> {
    let observed = reloader.last_good().map(|t| {
        let features =
            t.features().iter().map(|f| (f.name().as_str().to_owned(), f.default().to_bits(), f.is_enabled()));
        (t.version(), features.collect::<Vec<_>>())
    });
    let expected = model.active.as_ref().map(|(v, features)| {
        (*v, features.iter().map(|&(n, d, e)| (n.to_owned(), d.to_bits(), e)).collect::<Vec<_>>())
    });
    prop_assert_eq!(observed, expected);
    prop_assert_eq!(reloader.is_enabled(), !model.disabled);
    prop_assert_eq!(reloader.active().err(), model.readable().err());
    prop_assert_eq!(reloader.stats(), &model.stats);
    let len = model.active.as_ref().map_or(0, |(_, f)| f.len());
    let over = model.active.is_some() && len * 100 > N * usize::from(model.policy().headroom_percent);
    prop_assert_eq!(reloader.warning(), over.then_some(Warning::Headroom { len, capacity: N }));
    Ok(())
}

fn check(policy: Policy, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut reloader = Reloader::<N>::new(policy);
    let mut model = Model::new(policy);
    for (step, op) in ops.iter().enumerate() {
        let (expected, bytes) = model.apply(op);
        let got = run(&mut reloader, op, bytes.as_deref());
        prop_assert_eq!(&got, &expected, "step {}: {:?}", step, op);
        if let Outcome::RejectedAsNotAFeatureFile = got {
            // Count the rejection with the error the reloader reported.
            let error = reloader.stats().last_error.clone().unwrap();
            model.record(None, &Err(error));
        }
        assert_same_state(&reloader, &model)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn reloader_under_the_default_policy_behaves_like_the_model(ops in prop::collection::vec(op(), 1..60)) {
        check(Policy::DEFAULT, &ops)?;
    }

    #[test]
    fn reloader_without_version_or_growth_guards_behaves_like_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let lax = Policy { max_growth: None, require_newer_version: false, headroom_percent: 50, ..Policy::DEFAULT };
        check(lax, &ops)?;
    }

    #[test]
    fn reloader_with_a_tight_growth_ratio_behaves_like_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let tight = Policy { max_growth: Ratio::from_permille(1250), ..Policy::DEFAULT };
        check(tight, &ops)?;
    }
}

/// The model must not be vacuous: a fixed sequence that walks through the
/// incident exercises acceptance, each rejection kind and both switches.
#[test]
fn the_model_predicts_the_incident_sequence() {
    let mut model = Model::new(Policy::DEFAULT);
    let good =
        Op::OfferGood { names: (0..12).collect(), size: 3, defaults: vec![2; 12], newer_by: 1, non_finite_at: None };
    let (outcome, _) = model.apply(&good);
    // `size: 3` in the range 1..=N picks 4 entries.
    assert_eq!(outcome, Outcome::Offer(Ok(Accepted { version: 101, len: 4, switches_dropped: 0 })));
    let (outcome, _) = model.apply(&Op::OfferDoubled { newer_by: 1 });
    let name = FeatureName::new(POOL[0]).unwrap();
    assert_eq!(outcome, Outcome::Offer(Err(IngestError::DuplicateName { name, first: 0, second: 4 }.into())));
    let (outcome, _) = model.apply(&Op::OfferOlder { back: 0 });
    assert_eq!(outcome, Outcome::Offer(Err(ReloadError::VersionNotNewer { active: 101, offered: 101 })));
    check(
        Policy::DEFAULT,
        &[
            good,
            Op::OfferDoubled { newer_by: 1 },
            Op::OfferOverCapacity { extra: 1, newer_by: 1 },
            Op::OfferGrownTooMuch { newer_by: 1 },
            Op::OfferShrunkTooMuch { newer_by: 1 },
            Op::OfferOlder { back: 1 },
            Op::OfferGarbage(Garbage::Truncated { keep: 30 }),
            Op::SetFeature { name: 0, enabled: false },
            Op::Resolve { name: 0, computed: 7.0 },
            Op::SetEnabled(false),
            Op::Resolve { name: 1, computed: 7.0 },
            Op::Read,
        ],
    )
    .unwrap();
}
