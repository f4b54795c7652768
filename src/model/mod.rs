//! Scoring models: validated, fixed-capacity models that turn a feature
//! vector into a score.
//!
//! - [`catboost`]: CatBoost oblivious-tree models (float features only),
//!   loaded from CatBoost's own JSON export and evaluated as
//!   `RawFormulaVal`.

pub mod catboost;
