//! Per-request scoring: a table + model pair, swapped as one unit, and an
//! explicit verdict for every request.

use core::fmt;

use crate::extract::{Bindings, Extractor, FeatureVector};
use crate::model::Model;
use crate::reload::{Accepted, Policy, ReloadError, ReloadStats, Reloader, Unscored};
use crate::table::FeatureTable;

/// Cloudflare's bot score convention: 1 = certainly automated, 99 =
/// certainly human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BotScore(u8);

impl BotScore {
    /// The score from a model's raw value, read as the log-odds that the
    /// request is automated (CatBoost `Logloss` with label 1 = bot; the
    /// logistic model likewise): `99 − 98·sigmoid(raw)`, rounded.
    /// `None` for a NaN or infinite `raw`: a failure never becomes a number.
    pub fn from_logit(raw: f64) -> Option<Self> {
        if !raw.is_finite() {
            return None;
        }
        let p_bot = 1.0 / (1.0 + libm::exp(-raw));
        let score = libm::round(99.0 - 98.0 * p_bot);
        // `score` is in 1.0..=99.0 because `p_bot` is in 0.0..=1.0.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(Self(score.clamp(1.0, 99.0) as u8))
    }

    /// The score, in `1..=99`.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for BotScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A scored request: the bot score and the model's raw value.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Score {
    /// 1 (automated) ..= 99 (human).
    pub bot_score: BotScore,
    /// The model's raw value (CatBoost's `RawFormulaVal`).
    pub raw: f64,
}

/// The outcome of scoring one request: a [`Score`], or an explicit reason it
/// was not scored. There is no path that turns a failure into a number.
pub type Verdict = Result<Score, Unscored>;

/// Scores one request against a table, its bindings and a model, filling
/// `vector` on the way. The building block of [`Engine::score`] and of the
/// multi-threaded handle.
///
/// Cost: one extractor call per feature plus the model; no allocation, no
/// panic.
#[inline]
pub fn score_with<R: ?Sized, M: Model, const N: usize>(
    table: &FeatureTable<N>,
    bindings: &Bindings<N>,
    extractors: &[Extractor<R>],
    model: &M,
    request: &R,
    vector: &mut FeatureVector<N>,
) -> Verdict {
    vector.fill(table, bindings, extractors, request);
    let raw = model.raw(vector.as_slice());
    let bot_score = BotScore::from_logit(raw).ok_or(Unscored::NonFiniteOutput)?;
    Ok(Score { bot_score, raw })
}

/// Checks that `model` reads only features that `table` has.
pub fn check_pair<M: Model, const N: usize>(table: &FeatureTable<N>, model: &M) -> Result<(), ReloadError> {
    if model.feature_count() > table.len() {
        return Err(ReloadError::ModelMismatch { model_reads: model.feature_count(), table_has: table.len() });
    }
    Ok(())
}

/// Why the [`Engine`] rejected a model. The active pair is unchanged.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ModelRejected<E> {
    /// The model file itself is invalid.
    Load(E),
    /// The model reads more features than the active table has.
    Mismatch {
        /// Features the model reads.
        model_reads: usize,
        /// Features in the active table.
        table_has: usize,
    },
}

impl<E: fmt::Display> fmt::Display for ModelRejected<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(e) => fmt::Display::fmt(e, f),
            Self::Mismatch { model_reads, table_has } => {
                write!(f, "the model reads {model_reads} features, the active table has {table_has}")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for ModelRejected<E> {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    A,
    B,
}

/// The staging slot when `active` is the active one.
const fn staging(active: Option<Which>) -> Which {
    match active {
        Some(Which::A) => Which::B,
        None | Some(Which::B) => Which::A,
    }
}

/// A single-threaded scoring engine: a [`Reloader`] for feature files, the
/// extractor bindings of each table, and a last-known-good model, checked
/// against each other whenever either changes.
///
/// A feature file is accepted only if the binary can compute every feature
/// it names and the active model reads no feature it lacks; a model only if
/// it fits the active table. Either way the pair that serves is always a
/// checked pair, and a rejection leaves it untouched.
///
/// Memory: two [`FeatureTable<N>`], two [`Bindings<N>`] and two `M`, plus
/// fixed statistics.
///
/// ```
/// use feature_table::{Engine, Extractor, Policy, Unscored, model::logistic::Logistic};
///
/// struct Request { ua_len: usize }
/// static EXTRACTORS: &[Extractor<Request>] = &[Extractor::new("ua_len", |r| r.ua_len as f32)];
///
/// let mut engine = Engine::<Request, Logistic<8>, 8>::new(EXTRACTORS, Policy::DEFAULT, Logistic::new(), Logistic::new());
/// assert_eq!(engine.score(&Request { ua_len: 3 }), Err(Unscored::NoValidTable));
/// engine.offer_features(br#"{"version": 1, "features": [{"name": "ua_len"}]}"#)?;
/// assert_eq!(engine.score(&Request { ua_len: 3 }), Err(Unscored::NoValidModel));
/// engine.offer_model(br#"{"bias": 0.0, "weights": [-1.0]}"#)?;
/// let score = engine.score(&Request { ua_len: 3 })?;
/// assert_eq!((score.raw, score.bot_score.get()), (-3.0, 94));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Engine<R: ?Sized + 'static, M: Model, const N: usize> {
    extractors: &'static [Extractor<R>],
    features: Reloader<N>,
    bindings_a: Bindings<N>,
    bindings_b: Bindings<N>,
    bindings: Option<Which>,
    model_a: M,
    model_b: M,
    model: Option<Which>,
    model_stats: ReloadStats<ModelRejected<M::Error>>,
}

impl<R: ?Sized + 'static, M: Model, const N: usize> Engine<R, M, N> {
    /// An engine with no table and no model. Pass two empty models (the
    /// active and the staging slot); `const`, so an engine can be a `static`.
    pub const fn new(extractors: &'static [Extractor<R>], policy: Policy, empty_a: M, empty_b: M) -> Self {
        Self {
            extractors,
            features: Reloader::new(policy),
            bindings_a: Bindings::new(),
            bindings_b: Bindings::new(),
            bindings: None,
            model_a: empty_a,
            model_b: empty_b,
            model: None,
            model_stats: ReloadStats::new(),
        }
    }

    fn active_model(&self) -> Option<&M> {
        match self.model? {
            Which::A => Some(&self.model_a),
            Which::B => Some(&self.model_b),
        }
    }

    fn active_bindings(&self) -> &Bindings<N> {
        match self.bindings {
            Some(Which::B) => &self.bindings_b,
            _ => &self.bindings_a,
        }
    }

    /// Offers a feature file: ingest, policy, extractor binding and model
    /// check, then the new table serves. On error nothing changes and the
    /// error is the one report of this rejection.
    ///
    /// Cost: O(len + N·E), no allocation.
    pub fn offer_features(&mut self, bytes: &[u8]) -> Result<Accepted, ReloadError> {
        let next = staging(self.bindings);
        let staging_bindings = match next {
            Which::A => &mut self.bindings_a,
            Which::B => &mut self.bindings_b,
        };
        let model = match self.model {
            Some(Which::A) => Some(&self.model_a),
            Some(Which::B) => Some(&self.model_b),
            None => None,
        };
        let extractors = self.extractors;
        let accepted = self.features.offer_with(bytes, |table| {
            staging_bindings.bind(table, extractors)?;
            model.map_or(Ok(()), |model| check_pair(table, model))
        })?;
        self.bindings = Some(next);
        Ok(accepted)
    }

    /// Offers a model: it is loaded into the staging slot, checked against
    /// the active table (if any), and only then serves. On error nothing
    /// changes.
    ///
    /// Cost: the model's load cost, no allocation.
    pub fn offer_model(&mut self, bytes: &[u8]) -> Result<(), ModelRejected<M::Error>> {
        let next = staging(self.model);
        let staging_model = match next {
            Which::A => &mut self.model_a,
            Which::B => &mut self.model_b,
        };
        let result =
            staging_model.load(bytes).map_err(ModelRejected::Load).and_then(|()| match self.features.last_good() {
                Some(table) if staging_model.feature_count() > table.len() => {
                    Err(ModelRejected::Mismatch { model_reads: staging_model.feature_count(), table_has: table.len() })
                }
                _ => Ok(()),
            });
        match &result {
            Ok(()) => {
                self.model = Some(next);
                self.model_stats.record_accept(None);
            }
            Err(error) => self.model_stats.record_reject(error),
        }
        result
    }

    /// Scores one request.
    ///
    /// Cost: one extractor call per feature plus the model, a
    /// `FeatureVector<N>` on the stack; no allocation, no panic.
    #[inline]
    pub fn score(&self, request: &R) -> Verdict {
        let mut vector = FeatureVector::new();
        self.score_into(request, &mut vector)
    }

    /// [`score`](Self::score), leaving the feature values in `vector`.
    #[inline]
    pub fn score_into(&self, request: &R, vector: &mut FeatureVector<N>) -> Verdict {
        let table = self.features.active()?;
        let model = self.active_model().ok_or(Unscored::NoValidModel)?;
        score_with(table, self.active_bindings(), self.extractors, model, request, vector)
    }

    /// The feature-file reloader (table, stats, warning).
    pub fn features(&self) -> &Reloader<N> {
        &self.features
    }

    /// The active model, if one has been accepted.
    pub fn model(&self) -> Option<&M> {
        self.active_model()
    }

    /// Model reload statistics.
    pub fn model_stats(&self) -> &ReloadStats<ModelRejected<M::Error>> {
        &self.model_stats
    }

    /// The global kill switch: `false` makes every score
    /// [`Unscored::Disabled`].
    pub fn set_enabled(&mut self, enabled: bool) {
        self.features.set_enabled(enabled);
    }

    /// Switches one feature on or off by name (it then reads its default);
    /// see [`Reloader::set_feature_enabled`].
    pub fn set_feature_enabled(&mut self, name: &str, enabled: bool) -> Result<bool, Unscored> {
        self.features.set_feature_enabled(name, enabled)
    }
}

impl<R: ?Sized + 'static, M: Model, const N: usize> fmt::Debug for Engine<R, M, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("features", &self.features)
            .field("extractors", &self.extractors.len())
            .field("model_loaded", &self.model.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::logistic::Logistic;

    struct Req {
        a: f32,
        b: f32,
    }

    static EXTRACTORS: &[Extractor<Req>] = &[Extractor::new("a", |r| r.a), Extractor::new("b", |r| r.b)];

    fn engine() -> Engine<Req, Logistic<4>, 4> {
        Engine::new(EXTRACTORS, Policy { max_growth: None, ..Policy::DEFAULT }, Logistic::new(), Logistic::new())
    }

    #[test]
    fn bot_score_follows_the_convention() {
        assert_eq!(BotScore::from_logit(0.0).unwrap().get(), 50);
        assert_eq!(BotScore::from_logit(50.0).unwrap().get(), 1);
        assert_eq!(BotScore::from_logit(-50.0).unwrap().get(), 99);
        assert_eq!(BotScore::from_logit(f64::NAN), None);
        assert_eq!(BotScore::from_logit(f64::INFINITY), None);
        let mut last = 99;
        for i in -100..=100 {
            let s = BotScore::from_logit(f64::from(i) / 10.0).unwrap().get();
            assert!((1..=99).contains(&s) && s <= last);
            last = s;
        }
    }

    #[test]
    fn a_feature_the_binary_cannot_compute_is_rejected_at_load() {
        let mut e = engine();
        e.offer_features(br#"{"version":1,"features":[{"name":"a"}]}"#).unwrap();
        let err = e.offer_features(br#"{"version":2,"features":[{"name":"a"},{"name":"zz"}]}"#).unwrap_err();
        assert!(matches!(err, ReloadError::UnknownFeature { entry: 1, ref name } if name.as_str() == "zz"));
        assert_eq!(e.features().last_good().unwrap().version(), 1);
    }

    #[test]
    fn bindings_follow_table_order_across_reloads() {
        let mut e = engine();
        e.offer_model(br#"{"bias":0,"weights":[1,10]}"#).unwrap();
        e.offer_features(br#"{"version":1,"features":[{"name":"a"},{"name":"b"}]}"#).unwrap();
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 21.0);
        e.offer_features(br#"{"version":2,"features":[{"name":"b"},{"name":"a"}]}"#).unwrap();
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 12.0);
        // A rejected file in between does not disturb the bindings.
        assert!(e.offer_features(br#"{"version":3,"features":[{"name":"q"},{"name":"a"}]}"#).is_err());
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 12.0);
    }

    #[test]
    fn model_and_table_are_checked_against_each_other() {
        let mut e = engine();
        e.offer_features(br#"{"version":1,"features":[{"name":"a"}]}"#).unwrap();
        assert_eq!(
            e.offer_model(br#"{"bias":0,"weights":[1,1]}"#),
            Err(ModelRejected::Mismatch { model_reads: 2, table_has: 1 })
        );
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }), Err(Unscored::NoValidModel));
        e.offer_model(br#"{"bias":0,"weights":[2]}"#).unwrap();
        e.offer_features(br#"{"version":2,"features":[{"name":"b"},{"name":"a"}]}"#).unwrap();
        e.offer_model(br#"{"bias":0,"weights":[1,1]}"#).unwrap();
        // A smaller table would strand the model's second feature.
        assert_eq!(
            e.offer_features(br#"{"version":3,"features":[{"name":"a"}]}"#),
            Err(ReloadError::ModelMismatch { model_reads: 2, table_has: 1 })
        );
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 3.0);
        // A bad model leaves the last good one serving.
        assert!(matches!(e.offer_model(b"{"), Err(ModelRejected::Load(_))));
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 3.0);
        assert_eq!(e.model_stats().rejected, 2);
    }

    #[test]
    fn kill_switches_give_explicit_outcomes() {
        let mut e = engine();
        e.offer_features(br#"{"version":1,"features":[{"name":"a","default":5},{"name":"b"}]}"#).unwrap();
        e.offer_model(br#"{"bias":0,"weights":[1,1]}"#).unwrap();
        e.set_feature_enabled("a", false).unwrap();
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 7.0);
        e.set_enabled(false);
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }), Err(Unscored::Disabled));
        // Non-finite extractor output reads the default.
        e.set_enabled(true);
        assert_eq!(e.score(&Req { a: 1.0, b: f32::NAN }).unwrap().raw, 5.0);
    }
}
