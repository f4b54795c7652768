//! Scoring models: validated, fixed-capacity models that turn a
//! [`FeatureVector`](crate::FeatureVector) into a raw value.
//!
//! - [`logistic`]: bias plus one weight per feature.
//! - [`catboost`]: CatBoost oblivious-tree models (float features only),
//!   loaded from CatBoost's own JSON export and evaluated as
//!   `RawFormulaVal`.

pub mod catboost;
pub mod logistic;
mod read;

/// A model the [`Engine`](crate::Engine) can load, check against a feature
/// table and evaluate.
///
/// A model reads a row in table order ([`raw`](Model::raw)). For one set of
/// extractor bindings it may also prepare a [`Plan`](Model::Plan): how to
/// read the host's signals where they are, in the binary's extractor order
/// ([`raw_signals`](Model::raw_signals)). A plan may fix the order in which
/// the model sums, so every lane of an engine evaluates through the same plan
/// ([`raw_planned`](Model::raw_planned)) and they agree bit for bit.
///
/// Implementations must not panic, and must not allocate outside
/// [`load`](Model::load).
pub trait Model {
    /// Why [`load`](Model::load) rejected an input.
    type Error: core::fmt::Debug + core::fmt::Display + Clone + PartialEq;

    /// What the model precomputes for one set of bindings. Its `Default` is
    /// the empty plan: with it, every planned method is the plain one.
    type Plan: Default;

    /// Parses and validates `bytes` into `self`, replacing what it held. On
    /// error `self` is unspecified (but valid): load into a staging value.
    fn load(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;

    /// How many leading entries of the feature vector the model reads. The
    /// engine refuses a table with fewer features.
    fn feature_count(&self) -> usize;

    /// The model's raw value for one row (a logit for classifiers).
    fn raw(&self, features: &[f32]) -> f64;

    /// Prepares `plan` for bindings in which feature `i` of the table is
    /// computed by extractor `extractors[i]` ([`Bindings::as_slice`](crate::Bindings::as_slice)),
    /// replacing what it held. The engine calls it whenever the model or the
    /// bindings change. The default leaves `plan` as it is.
    #[inline]
    fn plan(&self, extractors: &[u16], plan: &mut Self::Plan) {
        let _ = (extractors, plan);
    }

    /// The raw value of one row in table order, as every lane of an engine
    /// with this `plan` computes it. The default is [`raw`](Model::raw); a
    /// plan may sum in another order, so the two may differ by rounding.
    #[inline]
    fn raw_planned(&self, plan: &Self::Plan, features: &[f32]) -> f64 {
        let _ = plan;
        self.raw(features)
    }

    /// [`raw_planned`](Model::raw_planned) of a row in which a NaN or
    /// infinite value stands for a feature that should read its default:
    /// `Some` only if the result cannot depend on such a value, `None` to
    /// make the caller resolve the row and call `raw_planned`. The engine's
    /// signals lane ([`Engine::score_signals`](crate::Engine::score_signals))
    /// uses it.
    ///
    /// The default checks every value first (one vectorized pass). A model
    /// whose output is non-finite whenever an input it reads is, like a
    /// weighted sum, can skip that pass.
    #[inline]
    fn raw_unresolved(&self, plan: &Self::Plan, features: &[f32]) -> Option<f64> {
        crate::extract::all_finite(features).then(|| self.raw_planned(plan, features))
    }

    /// The raw value straight from the host's `signals`, in extractor order
    /// (`signals[i]` is what extractor `i` computes), when `plan` lets the
    /// model read them in place; with the same meaning of `None` as
    /// [`raw_unresolved`](Model::raw_unresolved), and `None` too when the
    /// plan cannot read them in place. The engine calls it only when no
    /// feature is switched off. The default is `None`.
    #[inline]
    fn raw_signals(&self, plan: &Self::Plan, signals: &[f32]) -> Option<f64> {
        let _ = (plan, signals);
        None
    }
}

/// The plan of a model that reads the host's signals in place only when the
/// binary's extractor order is the table's: whether it is, for the features
/// the model reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InPlace(bool);

impl InPlace {
    /// The plan for bindings `extractors` and a model reading `count`
    /// features: in place if extractor `i` computes feature `i` for each.
    pub fn new(extractors: &[u16], count: usize) -> Self {
        Self(extractors.get(..count).is_some_and(|e| e.iter().enumerate().all(|(i, &e)| usize::from(e) == i)))
    }

    /// Whether the signals can be read in place.
    pub const fn get(self) -> bool {
        self.0
    }
}

impl<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize> Model
    for catboost::CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>
{
    type Error = catboost::ModelError;
    type Plan = InPlace;

    /// [`catboost::ingest`] with [`catboost::DEFAULT_LIMITS`].
    fn load(&mut self, bytes: &[u8]) -> Result<(), catboost::ModelError> {
        catboost::ingest(bytes, self, catboost::DEFAULT_LIMITS)
    }

    fn feature_count(&self) -> usize {
        catboost::CatBoost::feature_count(self)
    }

    #[inline]
    fn raw(&self, features: &[f32]) -> f64 {
        catboost::CatBoost::raw(self, features)
    }

    fn plan(&self, extractors: &[u16], plan: &mut InPlace) {
        *plan = InPlace::new(extractors, self.feature_count());
    }

    /// In place when the binary's extractor order is the table's; the sum
    /// over the trees has one order whatever the plan.
    #[inline]
    fn raw_signals(&self, plan: &InPlace, signals: &[f32]) -> Option<f64> {
        let signals = signals.get(..self.feature_count()).filter(|_| plan.get())?;
        self.raw_unresolved(plan, signals)
    }
}
