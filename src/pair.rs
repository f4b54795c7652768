//! The unit a request scores against: a feature table, its extractor
//! bindings, a model and the model's plan for those bindings.
//!
//! [`Engine`](crate::Engine) and `SharedEngine` (`std`)
//! keep the parts in their own storage (inline A/B slots, shared `Arc`s) and
//! lend them out as one [`PairRef`]; the building blocks
//! ([`score_with`](crate::score_with) and friends) take that view.

use core::fmt;

use crate::extract::Bindings;
use crate::model::Model;
use crate::table::FeatureTable;

/// A borrowed (table, bindings, model, plan) pair: what one request scores
/// against. `Copy`, four references.
///
/// Build it only from parts that belong together: `bindings` bound to
/// `table` ([`Bindings::bind`]), `model` checked against `table`
/// ([`check_pair`]) and `plan` made by `model` for
/// `bindings` ([`Model::plan`]). The engines only ever lend such pairs.
pub struct PairRef<'a, M: Model, const N: usize> {
    /// The feature table.
    pub table: &'a FeatureTable<N>,
    /// For each feature of `table`, its extractor.
    pub bindings: &'a Bindings<N>,
    /// The model.
    pub model: &'a M,
    /// The model's plan for `bindings`.
    pub plan: &'a M::Plan,
}

impl<M: Model, const N: usize> Clone for PairRef<'_, M, N> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M: Model, const N: usize> Copy for PairRef<'_, M, N> {}

impl<M: Model, const N: usize> fmt::Debug for PairRef<'_, M, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PairRef")
            .field("version", &self.table.version())
            .field("features", &self.table.len())
            .field("model_reads", &self.model.feature_count())
            .finish_non_exhaustive()
    }
}

/// The model reads features the table does not have: the one report of "model
/// and table disagree", whichever of the two was offered
/// ([`ReloadError::ModelMismatch`](crate::ReloadError::ModelMismatch) for a
/// feature file, [`ModelRejected::ModelMismatch`](crate::ModelRejected::ModelMismatch)
/// for a model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ModelMismatch {
    /// Features the model reads (its highest index plus one).
    pub model_reads: usize,
    /// Features in the table.
    pub table_has: usize,
}

impl fmt::Display for ModelMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the model reads {} features, the table has {}", self.model_reads, self.table_has)
    }
}

impl core::error::Error for ModelMismatch {}

/// Checks that `model` reads only features that `table` has: the one fit
/// check, run by [`Engine`](crate::Engine) and
/// `SharedEngine` (`std`) whenever either half
/// changes.
///
/// Cost: O(1), no allocation, no panic.
pub fn check_pair<M: Model, const N: usize>(table: &FeatureTable<N>, model: &M) -> Result<(), ModelMismatch> {
    let (model_reads, table_has) = (model.feature_count(), table.len());
    if model_reads > table_has {
        return Err(ModelMismatch { model_reads, table_has });
    }
    Ok(())
}
