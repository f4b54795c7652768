//! Why a CatBoost export is rejected: [`ModelError`], and the
//! [`ModelField`] it names.

use core::fmt;

use crate::json;

/// A field of the CatBoost JSON export, used to say where an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ModelField {
    /// The top-level `features_info` object.
    FeaturesInfo,
    /// `features_info.float_features`.
    FloatFeatures,
    /// A float feature's `flat_feature_index`.
    FlatFeatureIndex,
    /// A float feature's `feature_index`.
    FeatureIndex,
    /// A float feature's `nan_value_treatment`.
    NanValueTreatment,
    /// A float feature's `borders`.
    Borders,
    /// `features_info.categorical_features`.
    CategoricalFeatures,
    /// `features_info.text_features`.
    TextFeatures,
    /// `features_info.embedding_features`.
    EmbeddingFeatures,
    /// The top-level `oblivious_trees` list.
    ObliviousTrees,
    /// The top-level `trees` list (non-symmetric trees).
    Trees,
    /// A tree's `leaf_values`.
    LeafValues,
    /// A tree's `splits`.
    Splits,
    /// A split's `float_feature_index`.
    FloatFeatureIndex,
    /// A split's `border`.
    Border,
    /// A split's `split_type`.
    SplitType,
    /// The top-level `scale_and_bias`.
    ScaleAndBias,
}

impl ModelField {
    /// The field's JSON key.
    pub const fn key(self) -> &'static str {
        match self {
            Self::FeaturesInfo => "features_info",
            Self::FloatFeatures => "float_features",
            Self::FlatFeatureIndex => "flat_feature_index",
            Self::FeatureIndex => "feature_index",
            Self::NanValueTreatment => "nan_value_treatment",
            Self::Borders => "borders",
            Self::CategoricalFeatures => "categorical_features",
            Self::TextFeatures => "text_features",
            Self::EmbeddingFeatures => "embedding_features",
            Self::ObliviousTrees => "oblivious_trees",
            Self::Trees => "trees",
            Self::LeafValues => "leaf_values",
            Self::Splits => "splits",
            Self::FloatFeatureIndex => "float_feature_index",
            Self::Border => "border",
            Self::SplitType => "split_type",
            Self::ScaleAndBias => "scale_and_bias",
        }
    }

    /// Whether an `index` next to this field counts trees (otherwise it
    /// counts entries of `float_features`).
    const fn in_tree(self) -> bool {
        matches!(self, Self::LeafValues | Self::Splits | Self::FloatFeatureIndex | Self::Border | Self::SplitType)
    }
}

impl fmt::Display for ModelField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.key())
    }
}

/// Why a CatBoost export was rejected by [`ingest`](super::ingest). Every variant says what
/// is wrong, where, and by how much. `index` fields are zero-based: a tree in
/// `oblivious_trees` for tree fields ([`ModelField::LeafValues`],
/// [`ModelField::Splits`], [`ModelField::Border`], ...), an entry of
/// `float_features` for feature fields.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ModelError {
    /// The input is too large, nests too deep, or is not JSON of the
    /// expected shape: the JSON layer's [`json::Error`], with where in the
    /// export it happened. Size is checked before reading.
    Json {
        /// What the JSON layer found, with its byte offset.
        error: json::Error,
        /// The field being parsed, if known.
        field: Option<ModelField>,
        /// The tree or float feature being parsed, if any.
        index: Option<usize>,
    },
    /// A required field is absent.
    MissingField {
        /// The missing field.
        field: ModelField,
        /// The tree or float feature it is missing from, if any.
        index: Option<usize>,
    },
    /// A field appears twice in the same object.
    DuplicateField {
        /// The repeated field.
        field: ModelField,
        /// The tree or float feature, if any.
        index: Option<usize>,
    },
    /// The model has `count` features of a kind this evaluator does not
    /// compute (`field` is [`ModelField::CategoricalFeatures`],
    /// [`ModelField::TextFeatures`] or [`ModelField::EmbeddingFeatures`]).
    UnsupportedFeatures {
        /// Which list is non-empty.
        field: ModelField,
        /// How many entries it has.
        count: usize,
    },
    /// The model has non-symmetric trees (a top-level `trees` list, from
    /// `grow_policy` `Depthwise` or `Lossguide`).
    NonSymmetricTrees,
    /// Split `split` of tree `tree` is not a `FloatFeature` split (for
    /// example `OnlineCtr` or `OneHotFeature`).
    UnsupportedSplitType {
        /// The tree.
        tree: usize,
        /// The split's position in the tree's `splits`.
        split: usize,
    },
    /// The model predicts `dimension` values per row (`scale_and_bias` has
    /// `dimension` biases, as a `MultiClass` model does); only 1 is supported.
    MultiDimensional {
        /// Number of biases.
        dimension: usize,
    },
    /// Tree `tree` has `found` leaf values; a depth-`depth` tree has
    /// `2^depth` (a multiple means a multi-dimensional model).
    LeafCountMismatch {
        /// The tree.
        tree: usize,
        /// Its number of splits.
        depth: usize,
        /// Its number of leaf values.
        found: usize,
    },
    /// The model has `found` trees; the type holds `capacity`.
    TooManyTrees {
        /// `TREES`.
        capacity: usize,
        /// The true number of trees in the file.
        found: usize,
    },
    /// Tree `tree` has `depth` splits; the type holds `max`.
    TreeTooDeep {
        /// The tree.
        tree: usize,
        /// Its number of splits.
        depth: usize,
        /// `DEPTH`.
        max: usize,
    },
    /// The trees have `found` leaf values in all; the type holds `capacity`.
    TooManyLeaves {
        /// `LEAVES`.
        capacity: usize,
        /// The true total.
        found: usize,
    },
    /// Float feature entry `feature` has column or feature index `index`,
    /// which does not fit the type's `capacity` feature slots.
    FeatureIndexOutOfRange {
        /// The entry of `float_features`.
        feature: usize,
        /// The offending `flat_feature_index` or `feature_index`.
        index: usize,
        /// `FEATURES`.
        capacity: usize,
    },
    /// Float feature entry `feature` has a `nan_value_treatment` other than
    /// `AsIs`, `AsFalse`, `AsTrue`.
    UnknownNanTreatment {
        /// The entry of `float_features`.
        feature: usize,
    },
    /// Split `split` of tree `tree` refers to float feature `index`, which
    /// `features_info.float_features` does not define.
    UnknownFloatFeature {
        /// The tree.
        tree: usize,
        /// The split's position in the tree's `splits`.
        split: usize,
        /// The `float_feature_index`.
        index: usize,
    },
    /// A number in `field` is not finite (NaN, `null`, ±inf, or overflows
    /// `f32` for borders).
    NonFinite {
        /// The field.
        field: ModelField,
        /// The tree or float feature, if any.
        index: Option<usize>,
    },
    /// `oblivious_trees` is empty: the model would score every row as its
    /// bias (CatBoost itself refuses to predict with such a model).
    NoTrees,
    /// The model gives one value whatever the row: every tree's leaf values
    /// are all equal (a depth-0 tree has one), or the scale is 0. Its score
    /// could not tell one request from another.
    Constant,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// " in tree 3" or " in float feature 3", by what `field` belongs to.
        fn place(f: &mut fmt::Formatter<'_>, field: Option<ModelField>, index: Option<usize>) -> fmt::Result {
            match (field, index) {
                (Some(field), Some(i)) if field.in_tree() => write!(f, " in tree {i}"),
                (Some(_), Some(i)) => write!(f, " in float feature {i}"),
                (None, Some(i)) => write!(f, " in list entry {i}"),
                (_, None) => Ok(()),
            }
        }
        match self {
            Self::Json { error, field, index } => {
                write!(f, "CatBoost model: {error}")?;
                place(f, *field, *index)?;
                if let Some(field) = field {
                    write!(f, " at field {field}")?;
                }
                Ok(())
            }
            Self::MissingField { field, index } => {
                write!(f, "missing field {field}")?;
                place(f, Some(*field), *index)
            }
            Self::DuplicateField { field, index } => {
                write!(f, "field {field} appears twice")?;
                place(f, Some(*field), *index)
            }
            Self::UnsupportedFeatures { field, count } => {
                write!(f, "{count} entries in {field}: only float features are supported")
            }
            Self::NonSymmetricTrees => {
                f.write_str("non-symmetric trees are not supported (grow_policy must be SymmetricTree)")
            }
            Self::UnsupportedSplitType { tree, split } => {
                write!(f, "split {split} of tree {tree} is not a FloatFeature split")
            }
            Self::MultiDimensional { dimension } => {
                write!(f, "model predicts {dimension} values per row: only 1 is supported")
            }
            Self::LeafCountMismatch { tree, depth, found } => {
                write!(f, "tree {tree} has depth {depth} and {found} leaf values")
            }
            Self::TooManyTrees { capacity, found } => write!(f, "{found} trees for capacity {capacity}"),
            Self::TreeTooDeep { tree, depth, max } => write!(f, "tree {tree} has depth {depth}, the maximum is {max}"),
            Self::TooManyLeaves { capacity, found } => write!(f, "{found} leaf values for capacity {capacity}"),
            Self::FeatureIndexOutOfRange { feature, index, capacity } => {
                write!(f, "float feature {feature} has index {index}, capacity is {capacity} features")
            }
            Self::UnknownNanTreatment { feature } => {
                write!(f, "float feature {feature} has an unknown nan_value_treatment")
            }
            Self::UnknownFloatFeature { tree, split, index } => {
                write!(f, "split {split} of tree {tree} uses undefined float feature {index}")
            }
            Self::NonFinite { field, index } => {
                write!(f, "non-finite number in {field}")?;
                place(f, Some(*field), *index)
            }
            Self::NoTrees => f.write_str("the model has no trees: it would score every row as its bias"),
            Self::Constant => {
                f.write_str("the model gives the same value for every row: every tree is constant or the scale is 0")
            }
        }
    }
}

/// `Display` includes the inner [`json::Error`]'s message, so `source` is
/// `None` (the message or the source, not both).
impl core::error::Error for ModelError {}
