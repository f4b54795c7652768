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
    ///
    /// Cost: O(1), two table loads and a compare, no `exp`: the score is
    /// `99 − #{k : raw > T_k}`, where `T_k` are the 98 logits at which the
    /// rounded score steps down, and a bucket table over `raw` gives that
    /// count but for at most one step (tables of 1,136 bytes in all).
    #[inline]
    pub fn from_logit(raw: f64) -> Option<Self> {
        if !raw.is_finite() {
            return None;
        }
        let position = (raw - BUCKETS_FROM) * BUCKETS_PER_UNIT;
        let below = if position < 0.0 {
            0
        } else {
            // Saturating: a `raw` beyond the last bucket is above every step.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let bucket = position as usize;
            match STEPS_BELOW_BUCKET.get(bucket) {
                Some(&below) => {
                    // The one step that can lie inside the bucket.
                    let inside = LOGIT_STEPS.get(usize::from(below)).is_some_and(|&step| step < raw);
                    below + u8::from(inside)
                }
                None => 98,
            }
        };
        // `below` is at most 98, the number of steps.
        Some(Self(99_u8.saturating_sub(below)))
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

/// The logits at which the bot score steps down, ascending: `raw` above
/// `LOGIT_STEPS[i]` scores at most `98 − i`. Entry `i` is `ln(q / (1 − q))`
/// for `q = (i + 0.5) / 98`, the value where `99 − 98·sigmoid(raw)` crosses
/// `98.5 − i`, the rounding boundary. A test checks them against the
/// formula.
const LOGIT_STEPS: [f64; 98] = [
    -5.272999558563747,
    -4.164077900236776,
    -3.6428355156125294,
    -3.295836866004329,
    -3.0338840395183673,
    -2.822460552279954,
    -2.644536795379884,
    -2.4904468301636156,
    -2.3541724617845388,
    -2.2317107534073886,
    -2.120263536200091,
    -2.017797378568629,
    -1.922787731634459,
    -1.8340618489187446,
    -1.750697982430281,
    -1.6719582694154342,
    -1.597242639340282,
    -1.5260563034950492,
    -1.4579862895760072,
    -1.3926841592186616,
    -1.3298530502149388,
    -1.2692378056988731,
    -1.2106173470446044,
    -1.1537987042354005,
    -1.0986122886681098,
    -1.0449081096962485,
    -0.9925527167077853,
    -0.9414267051456975,
    -0.8914226652961416,
    -0.8424434819224055,
    -0.7944009142651182,
    -0.747214401830221,
    -0.7008100533055146,
    -0.655119784970706,
    -0.6100805818613318,
    -0.5656338602609856,
    -0.5217249142240263,
    -0.47830243206043055,
    -0.43531807125784566,
    -0.3927260823307346,
    -0.3504829736908114,
    -0.30854721091574244,
    -0.26687894482201774,
    -0.22543976357456,
    -0.18419246472976636,
    -0.1431008436406733,
    -0.10212949507637979,
    -0.06124362524071879,
    -0.020408871631207012,
    0.020408871631206815,
    0.061243625240718386,
    0.10212949507637975,
    0.14310084364067324,
    0.1841924647297664,
    0.22543976357456008,
    0.2668789448220177,
    0.30854721091574266,
    0.3504829736908115,
    0.39272608233073486,
    0.4353180712578454,
    0.4783024320604305,
    0.5217249142240262,
    0.5656338602609856,
    0.6100805818613318,
    0.6551197849707061,
    0.7008100533055146,
    0.7472144018302214,
    0.7944009142651184,
    0.8424434819224057,
    0.8914226652961414,
    0.9414267051456972,
    0.9925527167077853,
    1.0449081096962485,
    1.0986122886681098,
    1.1537987042354005,
    1.2106173470446047,
    1.2692378056988731,
    1.329853050214939,
    1.3926841592186614,
    1.457986289576007,
    1.526056303495049,
    1.5972426393402819,
    1.6719582694154342,
    1.750697982430281,
    1.8340618489187446,
    1.9227877316344593,
    2.0177973785686296,
    2.1202635362000914,
    2.231710753407388,
    2.3541724617845383,
    2.490446830163615,
    2.6445367953798837,
    2.822460552279954,
    3.0338840395183673,
    3.2958368660043296,
    3.6428355156125307,
    4.164077900236778,
    5.272999558563757,
];

/// Where the bucket table over `raw` starts: below every step.
const BUCKETS_FROM: f64 = -5.5;
/// Buckets per unit of `raw`. A bucket (1/32 wide) is narrower than the
/// smallest gap between two steps (about 0.041, at `raw = 0`), so it holds at
/// most one.
const BUCKETS_PER_UNIT: f64 = 32.0;
/// Buckets up to `raw = 5.5`, above every step.
const BUCKETS: usize = 352;

/// Per bucket, how many steps lie below its start (exactly: the bounds are
/// multiples of 1/32, exact in `f64`). Built at compile time from
/// [`LOGIT_STEPS`], which also checks that the buckets span every step and
/// that no two steps share a bucket.
// Indexing in a constant: out of range would fail the build, never a run.
#[allow(clippy::indexing_slicing)]
const STEPS_BELOW_BUCKET: [u8; BUCKETS] = {
    let mut step = 1;
    while step < LOGIT_STEPS.len() {
        assert!(LOGIT_STEPS[step] - LOGIT_STEPS[step - 1] > 1.0 / BUCKETS_PER_UNIT, "two steps share a bucket");
        step += 1;
    }
    assert!(LOGIT_STEPS[0] > BUCKETS_FROM, "a step lies below the first bucket");
    assert!(LOGIT_STEPS[97] < BUCKETS_FROM + BUCKETS as f64 / BUCKETS_PER_UNIT, "a step lies above the last bucket");
    let mut table = [0_u8; BUCKETS];
    let mut bucket = 0;
    while bucket < BUCKETS {
        let start = BUCKETS_FROM + bucket as f64 / BUCKETS_PER_UNIT;
        let mut below = 0_u8;
        let mut step = 0;
        while step < LOGIT_STEPS.len() {
            if LOGIT_STEPS[step] < start {
                below += 1;
            }
            step += 1;
        }
        table[bucket] = below;
        bucket += 1;
    }
    table
};

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

/// Scores one request against a table, its bindings, a model and the
/// model's plan for those bindings ([`Model::plan`]), filling `vector` on
/// the way. The building block of [`Engine::score`] and of the
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
    plan: &M::Plan,
    request: &R,
    vector: &mut FeatureVector<N>,
) -> Verdict {
    vector.fill(table, bindings, extractors, request);
    score_vector(model, plan, vector)
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
pub fn score_signals_with<M: Model, const N: usize>(
    table: &FeatureTable<N>,
    bindings: &Bindings<N>,
    model: &M,
    plan: &M::Plan,
    signals: &[f32],
) -> Verdict {
    // In place: the plan reads the signals where they are.
    if table.all_enabled() && bindings.as_slice().len() == table.len() {
        if let Some(raw) = model.raw_signals(plan, signals) {
            return verdict_of_raw(raw);
        }
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
    score_vector(model, plan, &vector)
}

/// The verdict of `model` with `plan` on a filled `vector`: the last step
/// of [`score_with`], for hosts that fill the vector themselves. With the
/// empty plan (`Default::default()`) it is [`Model::raw`] of the vector.
#[inline]
pub fn score_vector<M: Model, const N: usize>(model: &M, plan: &M::Plan, vector: &FeatureVector<N>) -> Verdict {
    verdict_of_raw(model.raw_planned(plan, vector.as_slice()))
}

#[inline]
fn verdict_of_raw(raw: f64) -> Verdict {
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
/// Memory: two [`FeatureTable<N>`], two [`Bindings<N>`], two `M` and one
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
    bindings: Option<Which>,
    model_a: M,
    model_b: M,
    model: Option<Which>,
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
            bindings: None,
            model_a: empty_a,
            model_b: empty_b,
            model: None,
            plan: None,
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

    /// The active pair: table, bindings, model and the model's plan for
    /// those bindings.
    #[inline]
    fn active(&self) -> Result<(&FeatureTable<N>, &Bindings<N>, &M, &M::Plan), Unscored> {
        let table = self.features.active()?;
        let model = self.active_model().ok_or(Unscored::NoValidModel)?;
        // The plan is made whenever a model or a table is accepted, so it
        // exists once both do.
        let plan = self.plan.as_ref().ok_or(Unscored::NoValidModel)?;
        Ok((table, self.active_bindings(), model, plan))
    }

    /// Makes the active model's plan for the active bindings: after every
    /// accepted model or feature file, so the plan always matches the pair.
    fn replan(&mut self) {
        let model = match self.model {
            Some(Which::A) => &self.model_a,
            Some(Which::B) => &self.model_b,
            None => return,
        };
        let bindings = match self.bindings {
            Some(Which::A) => &self.bindings_a,
            Some(Which::B) => &self.bindings_b,
            None => return,
        };
        model.plan(bindings.as_slice(), self.plan.get_or_insert_with(M::Plan::default));
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
        self.replan();
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
        let (table, bindings, model, plan) = self.active()?;
        score_with(table, bindings, self.extractors, model, plan, request, vector)
    }

    /// Scores a request from its signals, computed by the host in one pass
    /// in extractor order (`signals[i]` is what `extractors[i]` computes):
    /// the fast lane, with the same verdicts as [`score`](Self::score) for
    /// the same values. See [`FeatureVector::fill_signals`].
    ///
    /// Cost: O(N) plus the model; no allocation, no panic.
    #[inline]
    pub fn score_signals(&self, signals: &[f32]) -> Verdict {
        let (table, bindings, model, plan) = self.active()?;
        score_signals_with(table, bindings, model, plan, signals)
    }

    /// [`score_signals`](Self::score_signals), leaving the feature values in
    /// `vector`.
    #[inline]
    pub fn score_signals_into(&self, signals: &[f32], vector: &mut FeatureVector<N>) -> Verdict {
        let (table, bindings, model, plan) = self.active()?;
        vector.fill_signals(table, bindings, signals);
        score_vector(model, plan, vector)
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

    /// The formula the step table stands for.
    fn by_formula(raw: f64) -> u8 {
        let p_bot = 1.0 / (1.0 + libm::exp(-raw));
        libm::round(99.0 - 98.0 * p_bot) as u8
    }

    #[test]
    fn the_bucket_table_counts_the_steps_below() {
        // Against a plain count, at and around every bucket bound (that no
        // two steps share a bucket is checked when the table is built).
        for bucket in 0..=BUCKETS {
            let start = BUCKETS_FROM + bucket as f64 / BUCKETS_PER_UNIT;
            for raw in [start - 1e-3, start, start + 1e-12, start + 1e-3] {
                let below = LOGIT_STEPS.iter().filter(|&&step| step < raw).count();
                assert_eq!(usize::from(99 - BotScore::from_logit(raw).unwrap().get()), below, "raw {raw}");
            }
        }
    }

    #[test]
    fn the_step_table_is_the_formula() {
        // Each step is where the rounded formula changes: just below it the
        // score is one higher than just above it.
        for (i, &step) in LOGIT_STEPS.iter().enumerate() {
            let expected = 99 - u8::try_from(i).unwrap();
            assert_eq!(by_formula(step - 1e-9), expected, "step {i}");
            assert_eq!(by_formula(step + 1e-9), expected - 1, "step {i}");
            assert_eq!(BotScore::from_logit(step - 1e-9).unwrap().get(), expected, "step {i}");
            assert_eq!(BotScore::from_logit(step + 1e-9).unwrap().get(), expected - 1, "step {i}");
        }
        // Everywhere else they agree: a dense sweep over the whole range
        // where the score moves, and far out on both sides.
        let near_step = |raw: f64| LOGIT_STEPS.iter().any(|&s| (s - raw).abs() < 1e-9);
        for i in -2_000_000..=2_000_000 {
            let raw = f64::from(i) * 3e-6 + 1e-7;
            if !near_step(raw) {
                assert_eq!(BotScore::from_logit(raw).unwrap().get(), by_formula(raw), "raw {raw}");
            }
        }
        for raw in [-1e300, -1e6, -40.0, 40.0, 1e6, 1e300, f64::MIN, f64::MAX] {
            assert_eq!(BotScore::from_logit(raw).unwrap().get(), by_formula(raw), "raw {raw}");
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
