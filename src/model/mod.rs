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
/// Implementations must not allocate or panic in [`raw`](Model::raw).
pub trait Model {
    /// Why [`load`](Model::load) rejected an input.
    type Error: core::fmt::Debug + core::fmt::Display + Clone + PartialEq;

    /// Parses and validates `bytes` into `self`, replacing what it held. On
    /// error `self` is unspecified (but valid): load into a staging value.
    fn load(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;

    /// How many leading entries of the feature vector the model reads. The
    /// engine refuses a table with fewer features.
    fn feature_count(&self) -> usize;

    /// The model's raw value for one row (a logit for classifiers).
    fn raw(&self, features: &[f32]) -> f64;

    /// [`raw`](Model::raw) of a row in which a NaN or infinite value stands
    /// for a feature that should read its default: `Some` only if the
    /// result cannot depend on such a value, `None` to make the caller
    /// resolve the row and call `raw`. The engine's in-place signals lane
    /// ([`Engine::score_signals`](crate::Engine::score_signals)) uses it.
    ///
    /// The default checks every value first (one vectorized pass). A model
    /// whose output is non-finite whenever an input it reads is, like a
    /// weighted sum, can skip that pass.
    #[inline]
    fn raw_unresolved(&self, features: &[f32]) -> Option<f64> {
        crate::extract::all_finite(features).then(|| self.raw(features))
    }
}

impl<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize> Model
    for catboost::CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>
{
    type Error = catboost::ModelError;

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
}
