//! Per-request scoring: a table + model pair, swapped as one unit, and an
//! explicit verdict for every request.

use core::fmt;

pub use crate::bot_score::BotScore;
use crate::extract::{Bindings, Extractor, FeatureVector};
use crate::model::Model;
use crate::pair::{ModelMismatch, PairRef, check_pair};
use crate::reload::{Accepted, Policy, ReloadError, ReloadStats, Reloader, Unscored};
use crate::slot::Slot;

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

/// Scores one request against a [`PairRef`], filling `vector` on the way.
/// The building block of [`Engine::score`] and of the multi-threaded
/// handle.
///
/// Cost: one extractor call per feature plus the model; no allocation, no
/// panic.
#[inline]
pub fn score_with<R: ?Sized, M: Model, const N: usize>(
    pair: PairRef<'_, M, N>,
    extractors: &[Extractor<R>],
    request: &R,
    vector: &mut FeatureVector<N>,
) -> Verdict {
    vector.fill(pair.table, pair.bindings, extractors, request);
    score_vector(pair, vector)
}

/// [`score_with`] for a host that computed its signals in one pass:
/// `signals[i]` is the value of extractor `i` (see
/// [`FeatureVector::fill_signals`]). The same verdict as [`score_with`] for
/// the same values, without a call per feature.
///
/// When no feature is switched off and the plan lets the model read the
/// signals where they are ([`Model::raw_signals`]), it does: no copy, no
/// gather. For the logistic model that is whenever the features it reads
/// are computed by the binary's first extractors, in any order; for
/// CatBoost, when they are in the binary's order. Otherwise, or if a signal
/// it reads is not finite, a [`FeatureVector`] is filled on the stack and
/// the model reads that.
///
/// Cost: the model, plus an O(N) copy or gather when it cannot read in
/// place; no allocation, no panic.
#[inline]
pub fn score_signals_with<M: Model, const N: usize>(pair: PairRef<'_, M, N>, signals: &[f32]) -> Verdict {
    let PairRef { table, bindings, model, plan } = pair;
    // In place: the plan reads the signals where they are.
    if table.all_enabled()
        && bindings.as_slice().len() == table.len()
        && let Some(raw) = model.raw_signals(plan, signals)
    {
        return verdict_of_raw(raw);
    }
    // Gathered, and resolved only if the model needs it.
    let mut vector = FeatureVector::new();
    if vector.gather_unresolved(table, bindings, signals) {
        if let Some(raw) = model.raw_unresolved(plan, vector.as_slice()) {
            return verdict_of_raw(raw);
        }
        vector.resolve(table);
    } else {
        vector.fill_signals(table, bindings, signals);
    }
    score_vector(pair, &vector)
}

/// The verdict of the pair's model with its plan on a filled `vector`: the
/// last step of [`score_with`], for hosts that fill the vector themselves.
/// With the empty plan (`Default::default()`) it is [`Model::raw`] of the
/// vector.
#[inline]
pub fn score_vector<M: Model, const N: usize>(pair: PairRef<'_, M, N>, vector: &FeatureVector<N>) -> Verdict {
    verdict_of_raw(pair.model.raw_planned(pair.plan, vector.as_slice()))
}

#[inline]
fn verdict_of_raw(raw: f64) -> Verdict {
    let bot_score = BotScore::from_logit(raw).ok_or(Unscored::NonFiniteOutput)?;
    Ok(Score { bot_score, raw })
}

/// Why the [`Engine`] rejected a model. The active pair is unchanged.
///
/// Each variant displays the error it wraps and has no
/// [`source`](core::error::Error::source), so a chain-walking reporter prints
/// it once.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ModelRejected<E> {
    /// The model file itself is invalid.
    Load(E),
    /// The model reads features the active table does not have.
    ModelMismatch(ModelMismatch),
}

impl<E> From<ModelMismatch> for ModelRejected<E> {
    fn from(e: ModelMismatch) -> Self {
        Self::ModelMismatch(e)
    }
}

impl<E: fmt::Display> fmt::Display for ModelRejected<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(e) => fmt::Display::fmt(e, f),
            Self::ModelMismatch(e) => fmt::Display::fmt(e, f),
        }
    }
}

/// No `source()`: the wrapped error's message is part of `Display`.
impl<E: fmt::Debug + fmt::Display> core::error::Error for ModelRejected<E> {}

/// A single-threaded scoring engine: a [`Reloader`] for feature files, the
/// extractor bindings of each table, and a last-known-good model, checked
/// against each other whenever either changes.
///
/// A feature file is accepted only if the binary can compute every feature
/// it names and the active model reads no feature it lacks; a model only if
/// it fits the active table. Either way the pair that serves is always a
/// checked pair, and a rejection leaves it untouched.
///
/// Memory: two [`FeatureTable<N>`](crate::FeatureTable), two [`Bindings<N>`], two `M` and one
/// [`M::Plan`](Model::Plan), plus fixed statistics.
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
    bindings: Slot,
    model_a: M,
    model_b: M,
    model: Slot,
    plan: Option<M::Plan>,
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
            bindings: Slot::NONE,
            model_a: empty_a,
            model_b: empty_b,
            model: Slot::NONE,
            plan: None,
            model_stats: ReloadStats::new(),
        }
    }

    /// The active pair: table, bindings, model and the model's plan for
    /// those bindings, or why there is none.
    ///
    /// Cost: O(1), no allocation, no panic.
    #[inline]
    pub fn active(&self) -> Result<PairRef<'_, M, N>, Unscored> {
        let table = self.features.active()?;
        // Bindings are made with every accepted table, so they exist once a
        // table does.
        let bindings = self.bindings.active(&self.bindings_a, &self.bindings_b).ok_or(Unscored::NoValidTable)?;
        let model = self.active_model().ok_or(Unscored::NoValidModel)?;
        // The plan is made whenever a model or a table is accepted, so it
        // exists once both do.
        let plan = self.plan.as_ref().ok_or(Unscored::NoValidModel)?;
        Ok(PairRef { table, bindings, model, plan })
    }

    /// Makes the active model's plan for the active bindings: after every
    /// accepted model or feature file, so the plan always matches the pair.
    fn replan(&mut self) {
        let bindings = self.bindings.active(&self.bindings_a, &self.bindings_b);
        let (Some(model), Some(bindings)) = (self.model.active(&self.model_a, &self.model_b), bindings) else { return };
        model.plan(bindings.as_slice(), self.plan.get_or_insert_with(M::Plan::default));
    }

    /// Offers a feature file: ingest, policy, extractor binding and model
    /// check, then the new table serves. On error nothing changes and the
    /// error is the one report of this rejection.
    ///
    /// Cost: O(len + N·E), no allocation.
    pub fn offer_features(&mut self, bytes: &[u8]) -> Result<Accepted, ReloadError> {
        let (_, staging_bindings) = self.bindings.staging(&mut self.bindings_a, &mut self.bindings_b);
        let model = self.model.active(&self.model_a, &self.model_b);
        let extractors = self.extractors;
        let accepted = self.features.offer_with(bytes, |table| {
            staging_bindings.bind(table, extractors)?;
            Ok(model.map_or(Ok(()), |model| check_pair(table, model))?)
        })?;
        self.bindings.commit();
        self.replan();
        Ok(accepted)
    }

    /// Offers a model: it is loaded into the staging slot, checked against
    /// the active table (if any), and only then serves. On error nothing
    /// changes.
    ///
    /// Cost: the model's load cost, no allocation.
    pub fn offer_model(&mut self, bytes: &[u8]) -> Result<(), ModelRejected<M::Error>> {
        let (_, staging_model) = self.model.staging(&mut self.model_a, &mut self.model_b);
        let result = staging_model
            .load(bytes)
            .map_err(ModelRejected::Load)
            .and_then(|()| self.features.last_good().map_or(Ok(()), |table| Ok(check_pair(table, staging_model)?)));
        match &result {
            Ok(()) => {
                self.model.commit();
                self.replan();
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
        score_with(self.active()?, self.extractors, request, vector)
    }

    /// Scores a request from its signals, computed by the host in one pass
    /// in extractor order (`signals[i]` is what `extractors[i]` computes):
    /// the fast lane, with the same verdicts as [`score`](Self::score) for
    /// the same values. See [`FeatureVector::fill_signals`].
    ///
    /// Cost: O(N) plus the model; no allocation, no panic.
    #[inline]
    pub fn score_signals(&self, signals: &[f32]) -> Verdict {
        score_signals_with(self.active()?, signals)
    }

    /// [`score_signals`](Self::score_signals), leaving the feature values in
    /// `vector`.
    #[inline]
    pub fn score_signals_into(&self, signals: &[f32], vector: &mut FeatureVector<N>) -> Verdict {
        let pair = self.active()?;
        vector.fill_signals(pair.table, pair.bindings, signals);
        score_vector(pair, vector)
    }

    /// Replaces the features this binary can compute, for an engine built
    /// from a constant image before its extractors were known (a C ABI whose
    /// caller names the signals at run time, a firmware's `static`): copying
    /// a `const` engine into place and then naming the extractors never
    /// builds the engine, or its two models, on a small stack.
    ///
    /// Only until the first feature file is accepted: after that the serving
    /// bindings were made for the old list, so this returns `false` and
    /// changes nothing.
    ///
    /// Cost: O(1), no allocation, no panic.
    pub fn set_extractors(&mut self, extractors: &'static [Extractor<R>]) -> bool {
        if self.features.last_good().is_some() {
            return false;
        }
        self.extractors = extractors;
        true
    }

    /// The feature-file reloader (table, stats, warning).
    pub fn features(&self) -> &Reloader<N> {
        &self.features
    }

    /// The active model, if one has been accepted.
    pub fn model(&self) -> Option<&M> {
        self.active_model()
    }

    fn active_model(&self) -> Option<&M> {
        self.model.active(&self.model_a, &self.model_b)
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
            .field("model_loaded", &self.active_model().is_some())
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
            Err(ModelRejected::ModelMismatch(ModelMismatch { model_reads: 2, table_has: 1 }))
        );
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }), Err(Unscored::NoValidModel));
        e.offer_model(br#"{"bias":0,"weights":[2]}"#).unwrap();
        e.offer_features(br#"{"version":2,"features":[{"name":"b"},{"name":"a"}]}"#).unwrap();
        e.offer_model(br#"{"bias":0,"weights":[1,1]}"#).unwrap();
        // A smaller table would strand the model's second feature.
        assert_eq!(
            e.offer_features(br#"{"version":3,"features":[{"name":"a"}]}"#),
            Err(ReloadError::ModelMismatch(ModelMismatch { model_reads: 2, table_has: 1 }))
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

    #[test]
    fn extractors_can_be_named_until_the_first_file_is_accepted() {
        static NONE: &[Extractor<Req>] = &[];
        let mut engine = Engine::<Req, Logistic<4>, 4>::new(NONE, Policy::DEFAULT, Logistic::new(), Logistic::new());
        let file = br#"{"version": 1, "features": [{"name": "a"}]}"#;
        assert!(engine.offer_features(file).is_err(), "no extractor computes `a` yet");
        assert!(engine.set_extractors(EXTRACTORS));
        engine.offer_features(file).unwrap();
        assert!(!engine.set_extractors(NONE), "the serving bindings were made for EXTRACTORS");
        engine.offer_model(br#"{"bias": 0.5, "weights": [1.0]}"#).unwrap();
        assert!(engine.score(&Req { a: 1.0, b: 2.0 }).is_ok(), "the old extractors still serve");
    }
}
