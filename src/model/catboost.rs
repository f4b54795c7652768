//! CatBoost oblivious-tree models: CatBoost's JSON export → validated
//! [`CatBoost`] → `RawFormulaVal` per row.
//!
//! The input is what `model.save_model(path, format="json")` writes. Of it,
//! [`ingest`] reads:
//!
//! - `features_info.float_features[*]`: `flat_feature_index` (the column in
//!   the input row), `feature_index` (the index splits refer to),
//!   `nan_value_treatment` (`AsIs`, `AsFalse` = `nan_mode="Min"`, `AsTrue` =
//!   `nan_mode="Max"`) and `borders` (checked finite);
//! - `oblivious_trees[*].splits[*]`: `float_feature_index`, `border`,
//!   `split_type` (only `FloatFeature`);
//! - `oblivious_trees[*].leaf_values`;
//! - `scale_and_bias`: `[scale, [bias]]` (absent means `[1, [0]]`).
//!
//! Everything else (`model_info`, `leaf_weights`, unknown keys) is skipped
//! without being interpreted. What this evaluator cannot compute exactly is
//! rejected with a typed [`ModelError`]: categorical, text and embedding
//! features, non-symmetric trees (`grow_policy` `Depthwise`/`Lossguide`),
//! multi-dimensional models (`MultiClass`, multi-target), and anything over
//! the compile-time capacities. So is a model that would give every row the
//! same score, which is what a broken export looks like in production:
//! no trees ([`ModelError::NoTrees`]; CatBoost itself refuses to predict
//! with one), or every tree constant or a scale of 0
//! ([`ModelError::Constant`]).
//!
//! Like [`crate::ingest()`], the bytes are checked against the size limit,
//! then read once, straight into the model's arrays, by the crate's strict
//! JSON scanner: RFC 8259 JSON, including the skipped sections (a bare word,
//! a leading comma, `+1`, `01` or `NaN` anywhere is
//! [`ModelError::Json`], with its byte offset). It does not allocate and
//! does not recurse: nesting is bounded by a counter
//! ([`Limits::max_depth`]) and a bit per level.

use core::fmt;

use super::read;
use crate::json::{self, JsonErrorKind, Key, KnownKey, Limits, Scanner, key_is};

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx512f",
    target_feature = "avx512bw",
    target_feature = "avx512vbmi"
))]
// AVX-512 intrinsics: Rust 1.89 (only builds that enable these features).
#[clippy::msrv = "1.89"]
mod avx512;
mod table;

pub use table::table_blocks;
use table::{Block, Fast};

/// Limits suited to CatBoost exports: 64 MiB and nesting depth 16.
///
/// Real exports nest 9 levels deep (`model_info.params` is the deepest
/// part), so 16 leaves room. The parser does not recurse, so the limit costs
/// no stack; it bounds what a hostile file can make the parser track.
/// A 1024-tree, depth-8 export with `leaf_weights` is about 7 MB.
pub const DEFAULT_LIMITS: Limits = Limits { max_bytes: 64 << 20, max_depth: 16 };

/// Deepest tree any [`CatBoost`] type can hold: CatBoost itself caps `depth`
/// at 16.
pub const MAX_DEPTH: usize = 16;

/// Most input columns any [`CatBoost`] type can read: columns are stored as
/// `u8`, so evaluation indexes a 256-slot row without bounds checks.
pub const MAX_FEATURES: usize = 256;

/// Marks an unused slot of the float-feature → column map.
const NO_COLUMN: u16 = u16::MAX;

/// How a float feature's NaN is binarized (CatBoost's `nan_value_treatment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NanTreatment {
    /// `AsIs`: `NaN > border` is false for every border.
    AsIs,
    /// `AsFalse` (`nan_mode="Min"`): NaN is below every border.
    AsFalse,
    /// `AsTrue` (`nan_mode="Max"`): NaN is above every border.
    AsTrue,
}

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

/// Why a CatBoost export was rejected by [`ingest`]. Every variant says what
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

/// A CatBoost oblivious-tree model (float features, one output), with
/// capacity fixed at compile time.
///
/// - `TREES`: most trees;
/// - `DEPTH`: deepest tree (≤ [`MAX_DEPTH`]);
/// - `FEATURES`: input columns (≤ [`MAX_FEATURES`] = 256): every
///   `flat_feature_index` and `feature_index` must be below it;
/// - `LEAVES`: leaf values of all trees together. Stable Rust cannot write
///   `TREES << DEPTH` inside this type, so it is its own parameter; write it
///   as a constant expression at the use site, `CatBoost<1024, 8, 256, { 1024
///   << 8 }>`. It may be smaller when trees are known to be shallower than
///   `DEPTH`; a model that does not fit is rejected with
///   [`ModelError::TooManyLeaves`].
/// - `BLOCKS` (default 0): capacity of the table evaluator, in 16-tree
///   blocks of table rows (see "Table evaluator"). 0 keeps the type compact
///   and always uses the split evaluator; [`table_blocks`]`(TREES, DEPTH,
///   FEATURES)` is enough for every model within the other capacities:
///   `CatBoost<100, 6, 64, { 100 << 6 }, { catboost::table_blocks(100, 6, 64)
///   }>`.
///
/// # Memory
///
/// `size_of` is `8·LEAVES + 5·TREES·DEPTH + TREES + 6·FEATURES +
/// 32·BLOCKS + 32`, rounded up to 16, on 32- and 64-bit targets alike: 8
/// bytes per leaf (`f64`), 1 + 4 per split slot (`u8` column, `f32`
/// border), 1 per tree (its depth), 2 + 4 per feature slot (column map, NaN
/// replacement), 16 + 16 per block (table row block, binarization program),
/// and 32 for counts, scale, bias and the table's shape. For `CatBoost<1024,
/// 8, 256, { 1024 << 8 }>` that is 2,140,704 bytes (2 MiB of leaves + 48 KiB
/// of splits): put it in a `static` or a `Box`, not on a thread's stack.
/// `table_blocks(100, 6, 64)` is 4,648 blocks (145 KiB); `table_blocks(1024,
/// 8, 256)` is 540,672 (16.5 MiB).
///
/// # Layout
///
/// Splits are two contiguous arrays stored level-major, `[[u8; TREES];
/// DEPTH]` columns and `[[f32; TREES]; DEPTH]` borders, and leaves one
/// contiguous `[f64; LEAVES]`, tree after tree.
///
/// **Split evaluator** (`BLOCKS = 0`, or a model the table does not take):
/// walks one level of all trees at a time: independent compares with no
/// data-dependent branch, and a `u8` column indexes a 256-slot row without a
/// bounds check, so the compiler can vectorize them (it does, with gathers,
/// for `-C target-cpu=x86-64-v3` or newer). A tree shallower than `DEPTH`
/// is padded with splits whose border is `+inf` (never true).
///
/// **Table evaluator** (`BLOCKS > 0`): built by [`ingest`] when every tree
/// has the same depth, 1 to 8, and the table fits `BLOCKS` (it always does
/// with [`table_blocks`]); otherwise the split evaluator runs. Each feature
/// some split reads is binarized once per row, 8 features at a time with
/// SSE2-sized compares: its bin is how many of its `k` unique borders the
/// value exceeds. For each (feature, bin) the table holds one `u8` per tree,
/// the OR of `1 << level` over the feature's splits that are true in that
/// bin, so a tree's leaf index is the OR of its byte over the used
/// features: 16 trees per 16-byte OR, up to 128 trees per pass held in
/// registers. It needs Σ (k + 1) rows of ⌈trees / 16⌉ blocks each. Leaves
/// are then summed in 8 interleaved sums (tree `t` into sum `t mod 8`),
/// which differs from tree-order summation by rounding only (≤ 4e-15 on the
/// parity fixtures). The table suits models up to a few hundred trees: its
/// size grows with trees × unique borders, and a row touches
/// `used features × trees` bytes of it.
///
/// **AVX-512 evaluator**: in builds for a CPU with AVX-512 F, BW and VBMI
/// (`-C target-cpu=native` on Ice Lake, Zen 4 or newer, or `-C
/// target-feature=+avx512f,+avx512bw,+avx512vbmi`; Rust 1.89 or newer), it
/// replaces the table evaluator for every model the table would take whose
/// borders fit 128 lanes (their features' sorted borders cut into pieces
/// of at most 255) and whose layout fits `BLOCKS` (else the table
/// evaluator runs). Per row: 16 lanes of borders compared per
/// instruction, then per 64 trees and level one byte permute looks up every
/// split's count, one compare and one masked add set the level's bit; the
/// leaves are summed as by the table evaluator, so both give the same
/// result bit for bit. [`uses_avx512`](Self::uses_avx512) says whether it
/// runs. It is the crate's only `unsafe` (one call, see its module).
///
/// # Example
///
/// ```
/// use feature_table::model::catboost::{self, CatBoost};
///
/// // One depth-1 tree on column 0, as CatBoost exports it (abridged).
/// let json = br#"{
///   "features_info": {"float_features": [
///     {"borders": [0.5], "feature_index": 0, "flat_feature_index": 0, "nan_value_treatment": "AsTrue"}]},
///   "oblivious_trees": [{"leaf_values": [-1.0, 2.0],
///     "splits": [{"border": 0.5, "float_feature_index": 0, "split_type": "FloatFeature"}]}],
///   "scale_and_bias": [1, [0.25]]
/// }"#;
/// static MODEL: std::sync::Mutex<CatBoost<4, 2, 8, 16>> = std::sync::Mutex::new(CatBoost::new());
/// let mut model = MODEL.lock().unwrap();
/// catboost::ingest(json, &mut model, catboost::DEFAULT_LIMITS)?;
/// assert_eq!(model.raw(&[0.7]), 2.25);
/// assert_eq!(model.raw(&[0.1]), -0.75);
/// assert_eq!(model.raw(&[f32::NAN]), 2.25); // nan_mode Max: NaN is above the border
/// assert_eq!(model.raw(&[]), 2.25); // a missing column reads as NaN
/// # Ok::<(), catboost::ModelError>(())
/// ```
#[derive(Clone)]
pub struct CatBoost<
    const TREES: usize,
    const DEPTH: usize,
    const FEATURES: usize,
    const LEAVES: usize,
    const BLOCKS: usize = 0,
> {
    /// Per split level, per tree: the input column it compares.
    split_columns: [[u8; TREES]; DEPTH],
    /// Per split level, per tree: the border (`value > border` sets the
    /// level's bit of the leaf index).
    split_borders: [[f32; TREES]; DEPTH],
    /// Per tree: its real depth (leaf count is `1 << depth`).
    depths: [u8; TREES],
    /// All trees' leaves, tree after tree.
    leaves: [f64; LEAVES],
    /// Per column: what a NaN there is replaced by before comparing
    /// (`+inf` for `AsTrue`, NaN otherwise).
    nan_replacement: [f32; FEATURES],
    /// Per `feature_index`: its column, or `NO_COLUMN`.
    float_columns: [u16; FEATURES],
    trees: u32,
    width: u32,
    scale: f64,
    bias: f64,
    /// Table evaluator: per group of trees, per row, one `u8` per tree.
    table: [Block; BLOCKS],
    /// Table evaluator: the binarization program, 4 features at a time.
    stream: [[u32; 4]; BLOCKS],
    /// Table evaluator: its shape, or off.
    fast: Fast,
}

impl<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize>
    CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>
{
    const CAPACITY_OK: () = {
        assert!(DEPTH <= MAX_DEPTH, "DEPTH is at most 16");
        assert!(FEATURES <= MAX_FEATURES, "FEATURES is at most 256");
        assert!(TREES <= u32::MAX as usize, "TREES must fit in u32");
    };

    /// An empty model: no trees, scale 1, bias 0, so [`raw`](Self::raw)
    /// returns 0.
    ///
    /// `const`, so a model can be a `static` (the staging slot of a
    /// reloader). Capacities out of range (`DEPTH > 16`, `FEATURES > 256`)
    /// fail to compile. Cost: writes `size_of::<Self>()` bytes.
    #[must_use]
    pub const fn new() -> Self {
        let () = Self::CAPACITY_OK;
        Self {
            split_columns: [[0; TREES]; DEPTH],
            split_borders: [[f32::INFINITY; TREES]; DEPTH],
            depths: [0; TREES],
            leaves: [0.0; LEAVES],
            nan_replacement: [f32::NAN; FEATURES],
            float_columns: [NO_COLUMN; FEATURES],
            trees: 0,
            width: 0,
            scale: 1.0,
            bias: 0.0,
            table: [Block([0; 16]); BLOCKS],
            stream: [[0; 4]; BLOCKS],
            fast: Fast::OFF,
        }
    }

    /// Empties the model in O(`FEATURES`) without touching the tree arrays.
    fn clear(&mut self) {
        self.trees = 0;
        self.width = 0;
        self.scale = 1.0;
        self.bias = 0.0;
        self.fast = Fast::OFF;
        self.nan_replacement.fill(f32::NAN);
        self.float_columns.fill(NO_COLUMN);
    }

    /// Number of trees. O(1).
    pub const fn tree_count(&self) -> usize {
        self.trees as usize
    }

    /// Number of input columns the model reads: the largest
    /// `flat_feature_index` plus one (0 for an empty model). Check it
    /// against the feature table once, at load. O(1).
    pub const fn feature_count(&self) -> usize {
        self.width as usize
    }

    /// Whether [`raw`](Self::raw) runs the table evaluator (see "Layout"),
    /// or the AVX-512 evaluator that replaces it in AVX-512 builds: when
    /// `BLOCKS` is not 0 and the loaded model fits. Check it once at load if
    /// you count on its speed. O(1).
    pub const fn uses_table(&self) -> bool {
        self.fast.group > 0
    }

    /// Whether [`raw`](Self::raw) runs the AVX-512 evaluator (see
    /// "Layout"): only in builds for a CPU with AVX-512 F, BW and VBMI, for
    /// a model the table evaluator would take and whose layout fits
    /// `BLOCKS`. [`uses_table`](Self::uses_table) is true then too. O(1).
    pub const fn uses_avx512(&self) -> bool {
        self.fast.group == Fast::AVX512
    }

    /// `scale` of `scale_and_bias`. O(1).
    pub const fn scale(&self) -> f64 {
        self.scale
    }

    /// `bias` of `scale_and_bias`. O(1).
    pub const fn bias(&self) -> f64 {
        self.bias
    }

    /// The model's raw score for one row: `scale · Σ leaf + bias`, CatBoost's
    /// `prediction_type="RawFormulaVal"` (for `Logloss`, the log-odds).
    ///
    /// `features[c]` is column `c` (`flat_feature_index`), as `f32`. NaN is
    /// binarized as CatBoost does for the column's `nan_value_treatment`.
    /// Columns beyond `features.len()` read as NaN, i.e. as missing values;
    /// extra columns are ignored. Never panics: check
    /// [`feature_count`](Self::feature_count) once at load to rule out
    /// short rows.
    ///
    /// Cost, split evaluator: O(`feature_count` + `tree_count · DEPTH`), no
    /// allocation, `1 KiB + 4·TREES` bytes of stack; one flat pass replaces
    /// NaNs, then `DEPTH` branch-free compares and one leaf load per tree.
    /// Table evaluator: O(`feature_count` + Σ k / 8 + used features ·
    /// `tree_count` / 16 + `tree_count`), under 2 KiB of stack. See the
    /// type's "Layout".
    #[must_use]
    pub fn raw(&self, features: &[f32]) -> f64 {
        #[cfg(all(
            target_arch = "x86_64",
            target_feature = "avx512f",
            target_feature = "avx512bw",
            target_feature = "avx512vbmi"
        ))]
        if self.fast.group == Fast::AVX512 {
            // SAFETY: `avx512_sum` needs a CPU with AVX-512 F, BW and VBMI,
            // and this code exists only in builds that target such a CPU
            // (`cfg(target_feature)` above): the compiler may already use
            // those instructions anywhere in them.
            #[allow(unsafe_code)]
            let sum = unsafe { self.avx512_sum(features) };
            return self.scale * sum + self.bias;
        }
        // One flat pass: the row, with NaN replaced per column (+inf for
        // AsTrue, NaN stays NaN, so `NaN > border` is false, for the rest).
        // 256 slots whatever FEATURES is: a `u8` column indexes it without a
        // bounds check, which lets the compiler vectorize the compares.
        let mut row = [f32::NAN; MAX_FEATURES];
        let width = self.feature_count();
        match (row.get_mut(..width), features.get(..width), self.nan_replacement.get(..width)) {
            (Some(row), Some(features), Some(nans)) => {
                // Equal lengths: a loop the compiler vectorizes.
                for ((slot, &value), &nan) in row.iter_mut().zip(features).zip(nans) {
                    *slot = if value.is_nan() { nan } else { value };
                }
            }
            _ => {
                // A short row: missing columns are NaN.
                let mut input = features.iter();
                for (slot, &nan) in row.iter_mut().zip(self.nan_replacement.iter()).take(width) {
                    let value = input.next().copied().unwrap_or(f32::NAN);
                    *slot = if value.is_nan() { nan } else { value };
                }
            }
        }

        let sum = if BLOCKS == 0 {
            self.split_sum(&row)
        } else {
            match self.fast.group {
                1 => self.table_sum::<1>(&row),
                2 => self.table_sum::<2>(&row),
                3 => self.table_sum::<3>(&row),
                4 => self.table_sum::<4>(&row),
                5 => self.table_sum::<5>(&row),
                6 => self.table_sum::<6>(&row),
                7 => self.table_sum::<7>(&row),
                8 => self.table_sum::<8>(&row),
                _ => self.split_sum(&row),
            }
        };
        self.scale * sum + self.bias
    }

    /// Σ leaf by the split evaluator.
    fn split_sum(&self, row: &[f32; MAX_FEATURES]) -> f64 {
        // Level by level over all trees: independent compares, no branch.
        let trees = self.tree_count();
        let mut leaf = [0_u32; TREES];
        for (level, (columns, borders)) in self.split_columns.iter().zip(self.split_borders.iter()).enumerate() {
            for ((leaf, &column), &border) in leaf.iter_mut().zip(columns).zip(borders).take(trees) {
                // Never None: a u8 is below 256. The compiler drops the check.
                let value = row.get(usize::from(column)).copied().unwrap_or(f32::NAN);
                *leaf |= u32::from(value > border) << level;
            }
        }

        // Leaves, summed in tree order as CatBoost does.
        let mut sum = 0.0_f64;
        let mut offset = 0_usize;
        for (&leaf, &depth) in leaf.iter().zip(self.depths.iter()).take(trees) {
            sum += self.leaves.get(offset + leaf as usize).copied().unwrap_or(0.0);
            offset += 1_usize << depth;
        }
        sum
    }
}

impl<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize> Default
    for CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize> fmt::Debug
    for CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatBoost")
            .field("trees", &self.trees)
            .field("feature_count", &self.width)
            .field("scale", &self.scale)
            .field("bias", &self.bias)
            .finish_non_exhaustive()
    }
}

/// Parses and validates a CatBoost JSON export into `model`.
///
/// `model` is emptied first and holds the export on success; on failure it
/// is left empty (no trees, [`raw`](CatBoost::raw) returns 0), so parse into
/// a staging model, never the serving one.
///
/// Checks, in order: size (before parsing), JSON syntax, nesting depth and
/// shape (in one pass, so the first of these in the file is reported),
/// unsupported feature kinds and tree kinds, dimension, tree count, then the
/// first bad tree or float feature in file order, the leaf total, and that
/// every split names a defined float feature. Use [`DEFAULT_LIMITS`] unless
/// you know your exports.
///
/// With `BLOCKS > 0`, also builds the table evaluator (see [`CatBoost`]'s
/// "Layout"), or falls back to the split evaluator when the model does not
/// fit it; either way the result of [`raw`](CatBoost::raw) is the same up
/// to summation rounding.
///
/// Cost: O(len + `FEATURES` + `TREES·DEPTH`) time (plus
/// O(`TREES·DEPTH·(log + k)`) and up to `16·BLOCKS` bytes written for the
/// table), no heap allocation, no recursion: O(1) stack whatever the input.
pub fn ingest<
    const TREES: usize,
    const DEPTH: usize,
    const FEATURES: usize,
    const LEAVES: usize,
    const BLOCKS: usize,
>(
    bytes: &[u8],
    model: &mut CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>,
    limits: Limits,
) -> Result<(), ModelError> {
    model.clear();
    let result = parse(bytes, model, limits);
    if result.is_err() {
        model.clear();
    }
    result
}

fn parse<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize>(
    bytes: &[u8],
    model: &mut CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>,
    limits: Limits,
) -> Result<(), ModelError> {
    let mut ctx = Context::new();
    let mut s = ctx.at(Scanner::with_limits(bytes, limits))?;
    parse_model(&mut s, model, &mut ctx)?;
    ctx.at(s.end())?;
    if let Some(error) = ctx.unsupported.take() {
        return Err(error);
    }
    let Some(found) = ctx.trees else {
        return Err(ModelError::MissingField { field: ModelField::ObliviousTrees, index: None });
    };
    if ctx.dimension > 1 {
        return Err(ModelError::MultiDimensional { dimension: ctx.dimension });
    }
    if found > TREES {
        return Err(ModelError::TooManyTrees { capacity: TREES, found });
    }
    if let Some(error) = ctx.first_bad.take() {
        return Err(error);
    }
    if ctx.leaves > LEAVES {
        return Err(ModelError::TooManyLeaves { capacity: LEAVES, found: ctx.leaves });
    }
    if found == 0 {
        return Err(ModelError::NoTrees);
    }
    if ctx.scale == 0.0 || every_tree_constant(model.depths.get(..found).unwrap_or(&[]), &model.leaves) {
        return Err(ModelError::Constant);
    }

    // Resolve `float_feature_index` → column, and pad shallow trees with
    // never-true splits.
    for (split, (columns, borders)) in model.split_columns.iter_mut().zip(model.split_borders.iter_mut()).enumerate() {
        let trees = columns.iter_mut().zip(borders.iter_mut()).zip(model.depths.iter());
        for (tree, ((column, border), &depth)) in trees.take(found).enumerate() {
            if split >= usize::from(depth) {
                *column = 0;
                *border = f32::INFINITY;
                continue;
            }
            match model.float_columns.get(usize::from(*column)).and_then(|&c| u8::try_from(c).ok()) {
                Some(resolved) => *column = resolved,
                _ => return Err(ModelError::UnknownFloatFeature { tree, split, index: usize::from(*column) }),
            }
        }
    }
    model.trees = u32::try_from(found).unwrap_or(u32::MAX);
    model.width = ctx.width;
    model.scale = ctx.scale;
    model.bias = ctx.bias;
    model.build_table();
    Ok(())
}

/// Whether each tree of `depths`, whose leaves are stored tree after tree
/// in `leaves`, has all its leaf values equal: then the model's value does
/// not depend on the row.
fn every_tree_constant(depths: &[u8], leaves: &[f64]) -> bool {
    let mut rest = leaves;
    for &depth in depths {
        let count = 1_usize << depth;
        let (Some(tree), Some(tail)) = (rest.get(..count), rest.get(count..)) else {
            return false;
        };
        if tree.windows(2).any(|pair| pair.first() != pair.last()) {
            return false;
        }
        rest = tail;
    }
    true
}

/// What the parse has learned, and where it is.
struct Context {
    /// The field whose value is being read, for `Json` errors: set when
    /// a key this parser reads is found, cleared after its value.
    field: Option<ModelField>,
    /// The tree or float feature being read, for `Json` errors.
    index: Option<usize>,
    /// Categorical/text/embedding features or non-symmetric trees.
    unsupported: Option<ModelError>,
    /// The first bad tree or float feature, reported after counting trees.
    first_bad: Option<ModelError>,
    /// Number of trees, once `oblivious_trees` has been read.
    trees: Option<usize>,
    /// Leaf values seen so far, over all trees.
    leaves: usize,
    /// Largest column + 1.
    width: u32,
    scale: f64,
    bias: f64,
    /// Number of biases; 0 until `scale_and_bias` is read.
    dimension: usize,
}

impl Context {
    const fn new() -> Self {
        Self {
            field: None,
            index: None,
            unsupported: None,
            first_bad: None,
            trees: None,
            leaves: 0,
            width: 0,
            scale: 1.0,
            bias: 0.0,
            dimension: 0,
        }
    }

    /// The JSON layer's error, placed at the current field and index.
    #[cold]
    fn json(&self, error: json::Error) -> ModelError {
        ModelError::Json { error, field: self.field, index: self.index }
    }

    /// A scanner result with its error placed (see [`json`](Self::json)).
    #[inline(always)]
    fn at<T>(&self, result: Result<T, json::Error>) -> Result<T, ModelError> {
        result.map_err(|e| self.json(e))
    }

    /// Remembers `error` if it is the first bad tree or feature.
    fn bad(&mut self, error: ModelError) {
        if self.first_bad.is_none() {
            self.first_bad = Some(error);
        }
    }

    /// Errors with `DuplicateField` if `seen`, and marks it seen; then the
    /// parse is at `field` of `index`.
    fn once(&mut self, seen: &mut bool, field: ModelField, index: Option<usize>) -> Result<(), ModelError> {
        if *seen {
            return Err(ModelError::DuplicateField { field, index });
        }
        *seen = true;
        self.field = Some(field);
        self.index = index;
        Ok(())
    }

    /// An object member this parser does not read: its value is validated
    /// and skipped, and belongs to no field.
    fn skip(&mut self, s: &mut Scanner<'_>) -> Result<(), ModelError> {
        self.field = None;
        self.at(s.colon())?;
        self.at(s.skip_value())
    }
}

// The keys the parser reads. Keys of up to 14 bytes are matched by the
// scanner in one compare ([`KnownKey`]); longer ones as raw bytes.

/// Top level: `features_info`, `trees`, `scale_and_bias` (and
/// `oblivious_trees`).
const MODEL_KEYS: [KnownKey; 3] =
    [KnownKey::new(b"features_info"), KnownKey::new(b"trees"), KnownKey::new(b"scale_and_bias")];
/// `features_info`: `float_features`, `text_features` (and
/// `categorical_features`, `embedding_features`).
const FEATURES_INFO_KEYS: [KnownKey; 2] = [KnownKey::new(b"float_features"), KnownKey::new(b"text_features")];
/// A float feature: `feature_index`, `borders` (and `flat_feature_index`,
/// `nan_value_treatment`).
const FLOAT_FEATURE_KEYS: [KnownKey; 2] = [KnownKey::new(b"feature_index"), KnownKey::new(b"borders")];
/// A tree: `leaf_values`, `splits`.
const TREE_KEYS: [KnownKey; 2] = [KnownKey::new(b"leaf_values"), KnownKey::new(b"splits")];
/// A split: `border`, `split_type` (and `float_feature_index`).
const SPLIT_KEYS: [KnownKey; 2] = [KnownKey::new(b"border"), KnownKey::new(b"split_type")];

/// The top-level object.
fn parse_model<const T: usize, const D: usize, const F: usize, const L: usize, const B: usize>(
    s: &mut Scanner<'_>,
    model: &mut CatBoost<T, D, F, L, B>,
    ctx: &mut Context,
) -> Result<(), ModelError> {
    ctx.at(s.open(true))?;
    let (mut seen_info, mut seen_trees, mut seen_scale) = (false, false, false);
    let mut first = true;
    while let Some(key) = ctx.at(s.key(&mut first, &MODEL_KEYS))? {
        match key {
            Key::Known(0) => {
                ctx.once(&mut seen_info, ModelField::FeaturesInfo, None)?;
                ctx.at(s.colon())?;
                parse_features_info(s, model, ctx)?;
            }
            Key::Other(k) if key_is(k, b"oblivious_trees") => {
                ctx.once(&mut seen_trees, ModelField::ObliviousTrees, None)?;
                ctx.at(s.colon())?;
                ctx.trees = Some(parse_trees(s, model, ctx)?);
            }
            Key::Known(1) => {
                ctx.field = Some(ModelField::Trees);
                ctx.at(s.colon())?;
                ctx.at(s.skip_value())?;
                if ctx.unsupported.is_none() {
                    ctx.unsupported = Some(ModelError::NonSymmetricTrees);
                }
            }
            Key::Known(_) => {
                ctx.once(&mut seen_scale, ModelField::ScaleAndBias, None)?;
                ctx.at(s.colon())?;
                parse_scale_and_bias(s, ctx)?;
            }
            Key::Other(_) => ctx.skip(s)?,
        }
        ctx.field = None;
        ctx.index = None;
    }
    Ok(())
}

/// `features_info`.
fn parse_features_info<const T: usize, const D: usize, const F: usize, const L: usize, const B: usize>(
    s: &mut Scanner<'_>,
    model: &mut CatBoost<T, D, F, L, B>,
    ctx: &mut Context,
) -> Result<(), ModelError> {
    ctx.at(s.open(true))?;
    let mut seen_float = false;
    let mut first = true;
    while let Some(key) = ctx.at(s.key(&mut first, &FEATURES_INFO_KEYS))? {
        let unsupported = match key {
            Key::Known(0) => {
                ctx.once(&mut seen_float, ModelField::FloatFeatures, None)?;
                ctx.at(s.colon())?;
                parse_float_features(s, model, ctx)?;
                None
            }
            Key::Known(_) => Some(ModelField::TextFeatures),
            Key::Other(k) if key_is(k, b"categorical_features") => Some(ModelField::CategoricalFeatures),
            Key::Other(k) if key_is(k, b"embedding_features") => Some(ModelField::EmbeddingFeatures),
            Key::Other(_) => {
                ctx.skip(s)?;
                None
            }
        };
        if let Some(field) = unsupported {
            ctx.field = Some(field);
            ctx.at(s.colon())?;
            let count = ctx.at(read::count(s))?;
            if count > 0 && ctx.unsupported.is_none() {
                ctx.unsupported = Some(ModelError::UnsupportedFeatures { field, count });
            }
        }
        ctx.field = None;
        ctx.index = None;
    }
    Ok(())
}

/// `features_info.float_features`.
fn parse_float_features<const T: usize, const D: usize, const F: usize, const L: usize, const B: usize>(
    s: &mut Scanner<'_>,
    model: &mut CatBoost<T, D, F, L, B>,
    ctx: &mut Context,
) -> Result<(), ModelError> {
    ctx.at(s.open(false))?;
    let mut position: usize = 0;
    let mut first = true;
    loop {
        ctx.index = Some(position);
        ctx.field = None;
        if !ctx.at(s.element(&mut first))? {
            break;
        }
        match parse_float_feature(s, ctx, position)? {
            Ok((flat, index, nan)) => {
                let column = u16::try_from(flat).ok().filter(|_| flat < F);
                match (column, model.float_columns.get_mut(index), model.nan_replacement.get_mut(flat)) {
                    (Some(column), Some(slot), Some(replacement)) => {
                        *slot = column;
                        *replacement = if nan == NanTreatment::AsTrue { f32::INFINITY } else { f32::NAN };
                        ctx.width = ctx.width.max(u32::from(column) + 1);
                    }
                    _ => ctx.bad(ModelError::FeatureIndexOutOfRange {
                        feature: position,
                        index: if flat >= F { flat } else { index },
                        capacity: F,
                    }),
                }
            }
            Err(error) => ctx.bad(error),
        }
        position = position.saturating_add(1);
    }
    ctx.index = None;
    Ok(())
}

/// One float feature: `(flat_feature_index, feature_index, treatment)`, or
/// the entry's error (reported after counting trees).
fn parse_float_feature(
    s: &mut Scanner<'_>,
    ctx: &mut Context,
    position: usize,
) -> Result<Result<(usize, usize, NanTreatment), ModelError>, ModelError> {
    ctx.at(s.open(true))?;
    let index = Some(position);
    let mut flat: Option<usize> = None;
    let mut feature_index: Option<usize> = None;
    let mut nan: Option<Option<NanTreatment>> = None;
    let mut borders_ok: Option<bool> = None;
    let mut first = true;
    while let Some(key) = ctx.at(s.key(&mut first, &FLOAT_FEATURE_KEYS))? {
        match key {
            Key::Other(k) if key_is(k, b"flat_feature_index") => {
                ctx.once(&mut flat.is_some(), ModelField::FlatFeatureIndex, index)?;
                ctx.at(s.colon())?;
                flat = Some(ctx.at(read::index(s))?);
            }
            Key::Known(0) => {
                ctx.once(&mut feature_index.is_some(), ModelField::FeatureIndex, index)?;
                ctx.at(s.colon())?;
                feature_index = Some(ctx.at(read::index(s))?);
            }
            Key::Other(k) if key_is(k, b"nan_value_treatment") => {
                ctx.once(&mut nan.is_some(), ModelField::NanValueTreatment, index)?;
                ctx.at(s.colon())?;
                nan = Some(match ctx.at(read::string(s))? {
                    b"AsIs" => Some(NanTreatment::AsIs),
                    b"AsFalse" => Some(NanTreatment::AsFalse),
                    b"AsTrue" => Some(NanTreatment::AsTrue),
                    _ => None,
                });
            }
            Key::Known(_) => {
                ctx.once(&mut borders_ok.is_some(), ModelField::Borders, index)?;
                ctx.at(s.colon())?;
                borders_ok = Some(parse_finite_f32s(s, ctx)?);
            }
            Key::Other(_) => ctx.skip(s)?,
        }
        ctx.field = None;
    }
    let Some(flat) = flat else {
        return Err(ModelError::MissingField { field: ModelField::FlatFeatureIndex, index });
    };
    let feature_index = feature_index.unwrap_or(position);
    Ok(match (nan.unwrap_or(Some(NanTreatment::AsIs)), borders_ok) {
        (None, _) => Err(ModelError::UnknownNanTreatment { feature: position }),
        (_, Some(false)) => Err(ModelError::NonFinite { field: ModelField::Borders, index }),
        (Some(nan), _) => Ok((flat, feature_index, nan)),
    })
}

/// A list of numbers (`borders`): whether all are finite `f32`s.
fn parse_finite_f32s(s: &mut Scanner<'_>, ctx: &Context) -> Result<bool, ModelError> {
    ctx.at(s.open(false))?;
    let mut finite = true;
    let mut first = true;
    while ctx.at(s.element(&mut first))? {
        finite &= ctx.at(read::f32(s))?.is_finite();
    }
    Ok(finite)
}

/// `oblivious_trees`: the true number of trees. Past capacity a tree is
/// parsed only to be counted.
fn parse_trees<const T: usize, const D: usize, const F: usize, const L: usize, const B: usize>(
    s: &mut Scanner<'_>,
    model: &mut CatBoost<T, D, F, L, B>,
    ctx: &mut Context,
) -> Result<usize, ModelError> {
    ctx.at(s.open(false))?;
    let mut count: usize = 0;
    let mut first = true;
    loop {
        ctx.index = Some(count);
        ctx.field = None;
        if !ctx.at(s.element(&mut first))? {
            break;
        }
        parse_tree(s, model, ctx, count)?;
        count = count.saturating_add(1);
    }
    ctx.index = None;
    Ok(count)
}

/// Tree `tree`.
fn parse_tree<const T: usize, const D: usize, const F: usize, const L: usize, const B: usize>(
    s: &mut Scanner<'_>,
    model: &mut CatBoost<T, D, F, L, B>,
    ctx: &mut Context,
    tree: usize,
) -> Result<(), ModelError> {
    ctx.at(s.open(true))?;
    let index = Some(tree);
    let first_leaf = ctx.leaves;
    let mut leaves: Option<(usize, bool)> = None;
    let mut depth: Option<usize> = None;
    let mut first = true;
    while let Some(key) = ctx.at(s.key(&mut first, &TREE_KEYS))? {
        match key {
            Key::Known(0) => {
                ctx.once(&mut leaves.is_some(), ModelField::LeafValues, index)?;
                ctx.at(s.colon())?;
                let pool = if tree < T { model.leaves.get_mut(first_leaf..) } else { None };
                leaves = Some(parse_leaves(s, ctx, pool)?);
            }
            Key::Known(_) => {
                ctx.once(&mut depth.is_some(), ModelField::Splits, index)?;
                ctx.at(s.colon())?;
                depth = Some(parse_splits(s, ctx, tree, &mut model.split_columns, &mut model.split_borders)?);
            }
            Key::Other(_) => ctx.skip(s)?,
        }
        ctx.field = None;
    }
    let Some((found, leaves_finite)) = leaves else {
        return Err(ModelError::MissingField { field: ModelField::LeafValues, index });
    };
    let Some(depth) = depth else {
        return Err(ModelError::MissingField { field: ModelField::Splits, index });
    };
    ctx.leaves = ctx.leaves.saturating_add(found);
    if tree >= T {
        return Ok(());
    }
    if depth > D {
        ctx.bad(ModelError::TreeTooDeep { tree, depth, max: D });
    } else if found != 1_usize << depth {
        ctx.bad(ModelError::LeafCountMismatch { tree, depth, found });
    } else if !leaves_finite {
        ctx.bad(ModelError::NonFinite { field: ModelField::LeafValues, index });
    }
    if let Some(slot) = model.depths.get_mut(tree) {
        *slot = u8::try_from(depth).unwrap_or(u8::MAX);
    }
    Ok(())
}

/// `leaf_values`, written into `pool` while it lasts: the count, and
/// whether all were finite.
fn parse_leaves(s: &mut Scanner<'_>, ctx: &Context, pool: Option<&mut [f64]>) -> Result<(usize, bool), ModelError> {
    ctx.at(s.open(false))?;
    let mut slots = pool.into_iter().flat_map(|pool| pool.iter_mut());
    let mut count: usize = 0;
    let mut finite = true;
    let mut first = true;
    while ctx.at(s.element(&mut first))? {
        let value = ctx.at(read::f64(s))?;
        finite &= value.is_finite();
        if let Some(slot) = slots.next() {
            *slot = value;
        }
        count = count.saturating_add(1);
    }
    Ok((count, finite))
}

/// A tree's `splits`, written into its slots while they last: the tree's
/// depth.
fn parse_splits<const T: usize, const D: usize>(
    s: &mut Scanner<'_>,
    ctx: &mut Context,
    tree: usize,
    columns: &mut [[u8; T]; D],
    borders: &mut [[f32; T]; D],
) -> Result<usize, ModelError> {
    ctx.at(s.open(false))?;
    // This tree's slot on each level; none past capacity.
    let mut columns = columns.iter_mut().filter_map(|level| level.get_mut(tree));
    let mut borders = borders.iter_mut().filter_map(|level| level.get_mut(tree));
    let mut count: usize = 0;
    let mut first = true;
    while ctx.at(s.element(&mut first))? {
        match parse_split(s, ctx, tree)? {
            Some((feature, border)) => {
                if !border.is_finite() {
                    ctx.bad(ModelError::NonFinite { field: ModelField::Border, index: Some(tree) });
                }
                // A float feature index is below FEATURES ≤ 256; resolved
                // to a column after the parse.
                match u8::try_from(feature) {
                    Ok(feature) => {
                        if let (Some(column), Some(slot)) = (columns.next(), borders.next()) {
                            *column = feature;
                            *slot = border;
                        }
                    }
                    Err(_) => ctx.bad(ModelError::UnknownFloatFeature { tree, split: count, index: feature }),
                }
            }
            None => ctx.bad(ModelError::UnsupportedSplitType { tree, split: count }),
        }
        count = count.saturating_add(1);
    }
    Ok(count)
}

/// One split: `(float_feature_index, border)`, or `None` for a split type
/// other than `FloatFeature`.
fn parse_split(s: &mut Scanner<'_>, ctx: &mut Context, tree: usize) -> Result<Option<(usize, f32)>, ModelError> {
    ctx.at(s.open(true))?;
    let index = Some(tree);
    let mut feature: Option<usize> = None;
    let mut border: Option<f32> = None;
    let mut float_split: Option<bool> = None;
    let mut first = true;
    while let Some(key) = ctx.at(s.key(&mut first, &SPLIT_KEYS))? {
        match key {
            Key::Other(k) if key_is(k, b"float_feature_index") => {
                ctx.once(&mut feature.is_some(), ModelField::FloatFeatureIndex, index)?;
                ctx.at(s.colon())?;
                feature = Some(ctx.at(read::index(s))?);
            }
            Key::Known(0) => {
                ctx.once(&mut border.is_some(), ModelField::Border, index)?;
                ctx.at(s.colon())?;
                border = Some(ctx.at(read::f32(s))?);
            }
            Key::Known(_) => {
                ctx.once(&mut float_split.is_some(), ModelField::SplitType, index)?;
                ctx.at(s.colon())?;
                float_split = Some(ctx.at(read::string(s))? == b"FloatFeature");
            }
            Key::Other(_) => ctx.skip(s)?,
        }
        ctx.field = None;
    }
    match (float_split, feature, border) {
        (Some(false), _, _) => Ok(None),
        (_, Some(feature), Some(border)) => Ok(Some((feature, border))),
        (_, None, _) => Err(ModelError::MissingField { field: ModelField::FloatFeatureIndex, index }),
        (_, _, None) => Err(ModelError::MissingField { field: ModelField::Border, index }),
    }
}

/// `scale_and_bias`: `[scale, [bias, ...]]`.
fn parse_scale_and_bias(s: &mut Scanner<'_>, ctx: &mut Context) -> Result<(), ModelError> {
    ctx.at(s.open(false))?;
    let missing = ModelError::MissingField { field: ModelField::ScaleAndBias, index: None };
    let mut first = true;
    if !ctx.at(s.element(&mut first))? {
        return Err(missing);
    }
    let scale = ctx.at(read::f64(s))?;
    if !ctx.at(s.element(&mut first))? {
        return Err(missing);
    }
    let (dimension, bias, finite) = parse_biases(s, ctx)?;
    if ctx.at(s.element(&mut first))? {
        // A third element: validated, then rejected where it starts.
        let offset = s.offset();
        ctx.at(s.skip_value())?;
        return Err(ModelError::Json {
            error: json::Error::syntax(JsonErrorKind::TrailingCharacters, offset),
            field: Some(ModelField::ScaleAndBias),
            index: None,
        });
    }
    if !(scale.is_finite() && finite) {
        return Err(ModelError::NonFinite { field: ModelField::ScaleAndBias, index: None });
    }
    ctx.scale = scale;
    ctx.bias = bias;
    ctx.dimension = dimension;
    Ok(())
}

/// The bias list: `(count, first, all finite)`.
fn parse_biases(s: &mut Scanner<'_>, ctx: &Context) -> Result<(usize, f64, bool), ModelError> {
    ctx.at(s.open(false))?;
    let mut count: usize = 0;
    let mut bias = 0.0;
    let mut finite = true;
    let mut first = true;
    while ctx.at(s.element(&mut first))? {
        let value = ctx.at(read::f64(s))?;
        if count == 0 {
            bias = value;
        }
        finite &= value.is_finite();
        count = count.saturating_add(1);
    }
    Ok((count, bias, finite))
}
