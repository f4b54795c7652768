//! Scoring models: validated, fixed-capacity models that turn a
//! [`FeatureVector`](crate::FeatureVector) into a raw value.
//!
//! - [`logistic`]: bias plus one weight per feature.
//! - [`catboost`]: CatBoost oblivious-tree models (float features only),
//!   loaded from CatBoost's own JSON export and evaluated as
//!   `RawFormulaVal`.

pub mod catboost;
pub mod logistic;

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
