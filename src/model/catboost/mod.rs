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

use crate::json::Limits;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod error;
mod isa;
mod load;
mod table;

pub use error::{ModelError, ModelField};
pub use isa::{Evaluator, Isa};
pub use load::ingest;
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

/// Most input columns any [`CatBoost`] type can read. Columns are stored as
/// `u16`; the bound keeps the per-call buffers (a `FEATURES`-slot row) and
/// the table build's scratch (about `34·FEATURES` bytes of stack at load)
/// within what a thread's stack holds. The AVX-512 evaluator takes models
/// whose columns are all below 256.
pub const MAX_FEATURES: usize = 4096;

/// Models up to this many columns read a 256-slot row with byte indices.
const NARROW: usize = 256;

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

/// A CatBoost oblivious-tree model (float features, one output), with
/// capacity fixed at compile time.
///
/// - `TREES`: most trees;
/// - `DEPTH`: deepest tree (≤ [`MAX_DEPTH`]);
/// - `FEATURES`: input columns (≤ [`MAX_FEATURES`] = 4096): every
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
/// `size_of` is `8·LEAVES + 6·TREES·DEPTH + TREES + 6·FEATURES +
/// 32·BLOCKS + 36`, rounded up to 16, on 32- and 64-bit targets alike: 8
/// bytes per leaf (`f64`), 2 + 4 per split slot (column in two bytes, `f32`
/// border), 1 per tree (its depth), 2 + 4 per feature slot (column map, NaN
/// replacement), 16 + 16 per block (table row block, binarization program),
/// and 36 for counts, scale, bias, the table's shape and the evaluator chosen.
/// For `CatBoost<1024, 8, 256, { 1024 << 8 }>` that is 2,148,912 bytes (2 MiB of leaves + 48 KiB
/// of splits): put it in a `static` or a `Box`, not on a thread's stack.
/// `table_blocks(100, 6, 64)` is 5,315 blocks (166 KiB); `table_blocks(1024,
/// 8, 256)` is 540,675 (16.5 MiB).
///
/// # Layout
///
/// Splits are three contiguous arrays stored level-major, `[[u8; TREES];
/// DEPTH]` low and high bytes of the columns and `[[f32; TREES]; DEPTH]` borders, and leaves one
/// contiguous `[f64; LEAVES]`, tree after tree.
///
/// **Split evaluator** (`BLOCKS = 0`, or a model the table does not take):
/// walks one level of all trees at a time: independent compares with no
/// data-dependent branch (a column's bounds check against `FEATURES` is
/// never taken). A tree shallower than `DEPTH`
/// is padded with splits whose border is `+inf` (never true).
///
/// **Table evaluator** (`BLOCKS > 0`): built by [`ingest`] when every tree
/// has the same depth, 1 to 8, and the table fits `BLOCKS` (it always does
/// with [`table_blocks`]); otherwise the split evaluator runs. Each feature
/// some split reads is binarized once per row, 16 features at a time: its bin is how many of its `k` unique borders the
/// value exceeds. For each (feature, bin) the table holds one `u8` per tree,
/// the OR of `1 << level` over the feature's splits that are true in that
/// bin, so a tree's leaf index is the OR of its byte over the used
/// features: 16 trees per 16-byte OR, up to 128 trees per pass held in
/// registers. It needs Σ (k + 1) rows of ⌈trees / 16⌉ blocks each. Leaves
/// are then summed in 8 interleaved sums (tree `t` into sum `t mod 8`),
/// which differs from tree-order summation by rounding only (≤ 4e-15 on the
/// parity fixtures). The table suits models up to a few hundred trees: its
/// size grows with trees × unique borders, and a row touches
/// `used features × trees` bytes of it. Where no SIMD lookup evaluator
/// takes the model and the table would be slower than the splits (its ORs,
/// used features × ⌈trees / 16⌉ blocks, over 4 times the splits, or over
/// 1.5 times with a table over 2 MiB: 1,024 features at 300 trees, say),
/// the split evaluator runs instead; the growth table in `BENCHMARKS.md`
/// has the measurements.
///
/// **Runtime dispatch**: every x86-64 build carries four table-family
/// evaluators, and each load picks the best one this CPU and operating
/// system support ([`Isa::detected`]: `cpuid` and `xgetbv`, read once per
/// process), within [`isa_limit`](Self::isa_limit);
/// [`evaluator`](Self::evaluator) says which runs. No `-C target-cpu` flag is
/// needed, and a baseline build on an AVX-512 server runs the AVX-512
/// evaluator. Other targets (aarch64, microcontrollers) have the portable
/// table and split evaluators and no `unsafe` code at all.
///
/// - **AVX2** ([`Evaluator::Avx2`]), on a CPU with AVX2, for every model the
///   table evaluator would take with at most 256 used features of at most
///   255 borders each: binarizes the row as the table does, into one byte
///   per used feature, then per level and 32 trees looks every split's bin
///   up with byte shuffles (16 bins per shuffle table, up to 16 tables) and
///   compares it with the split's rank among its feature's borders. Its
///   cost grows with trees × depth × tables instead of trees × used
///   features, and its data is 64 bytes per level and 32 trees (96 over
///   128 used features), within `BLOCKS`; the table itself is not built.
/// - **Table with AVX2** ([`Evaluator::TableAvx2`]): the table evaluator's
///   code compiled for AVX2 (`#[target_feature]`), for the models the AVX2
///   evaluator does not take.
/// - **AVX-512** ([`Evaluator::Avx512`]), on a CPU with AVX-512 F, BW and
///   VBMI (Ice Lake, Zen 4 or newer), for every model the table evaluator
///   would take that is at most 256 columns wide, whose borders fit 128
///   lanes (their features' sorted borders
///   cut into pieces of at most 255) and whose layout fits `BLOCKS` (else
///   one of the AVX2 evaluators runs). Per row: 16 lanes of borders
///   compared per instruction, then per 64 trees and level one byte permute
///   looks up every split's count, one compare and one masked add set the
///   level's bit.
///
/// All of them find the same leaf indices and sum the leaves as the table
/// evaluator does, so they give the same result bit for bit
/// (`tests/catboost_paths.rs` checks every path the CPU has against the
/// others on random models).
///
/// Each of the three is entered through one `unsafe` call, whose safety
/// argument is that the evaluator is chosen only after the detection said
/// the CPU has what it needs.
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
    /// Per split level, per tree: the high byte of that column (0 in models
    /// up to 256 columns, whose evaluators read the low byte only).
    split_high: [[u8; TREES]; DEPTH],
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
        assert!(FEATURES <= MAX_FEATURES, "FEATURES is at most 4096");
        assert!(TREES <= u32::MAX as usize, "TREES must fit in u32");
    };

    /// An empty model: no trees, scale 1, bias 0, so [`raw`](Self::raw)
    /// returns 0.
    ///
    /// `const`, so a model can be a `static` (the staging slot of a
    /// reloader). Capacities out of range (`DEPTH > 16`, `FEATURES > 4096`)
    /// fail to compile. Cost: writes `size_of::<Self>()` bytes.
    #[must_use]
    pub const fn new() -> Self {
        let () = Self::CAPACITY_OK;
        Self {
            split_columns: [[0; TREES]; DEPTH],
            split_high: [[0; TREES]; DEPTH],
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
        self.fast = Fast::off(self.fast.limit);
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

    /// Whether [`raw`](Self::raw) runs one of the fast evaluators (table,
    /// AVX2, table with AVX2, or AVX-512; see "Layout"): `BLOCKS` is not 0 and the
    /// loaded model fits. Check it once at load if you count on its speed.
    /// O(1).
    pub const fn uses_table(&self) -> bool {
        !matches!(self.fast.evaluator, Evaluator::Split)
    }

    /// Whether [`raw`](Self::raw) runs the AVX-512 evaluator (see
    /// "Layout"): on a CPU with AVX-512 F, BW and VBMI, for a model the
    /// table evaluator would take and whose layout fits `BLOCKS`, unless
    /// [`set_isa_limit`](Self::set_isa_limit) rules it out. O(1).
    pub const fn uses_avx512(&self) -> bool {
        matches!(self.fast.evaluator, Evaluator::Avx512)
    }

    /// The evaluator [`raw`](Self::raw) runs for the model loaded now:
    /// chosen at load from the model's shape, `BLOCKS`, this CPU
    /// ([`Isa::detected`]) and the [`isa_limit`](Self::isa_limit). Log it
    /// once at load. O(1).
    pub const fn evaluator(&self) -> Evaluator {
        self.fast.evaluator
    }

    /// The highest instruction-set level the evaluators may use:
    /// [`Isa::Avx512`] (no limit) unless
    /// [`set_isa_limit`](Self::set_isa_limit) lowered it. O(1).
    pub const fn isa_limit(&self) -> Isa {
        self.fast.limit
    }

    /// Caps the instruction-set level the evaluators may use, for this model
    /// and every model loaded into it later, and re-plans the model loaded
    /// now. The results do not change: every table-family evaluator gives
    /// the same score, bit for bit, for the same model and row. One case
    /// moves to the split evaluator, which agrees to rounding (it sums in
    /// tree order): a model the AVX2 evaluator takes but whose table would
    /// be slower than its splits, once the limit rules AVX2 out (see
    /// "Layout").
    ///
    /// For operators (an AVX-512 evaluator ruled out where wide vectors
    /// lower the clock of a shared core, a path ruled out while a problem
    /// is investigated) and for tests that compare the paths on one CPU.
    /// A limit above what the CPU has changes nothing. Cost: the table
    /// build of a load, O(`TREES·DEPTH·(log + k)`), no allocation.
    pub fn set_isa_limit(&mut self, limit: Isa) {
        self.fast.limit = limit;
        if self.trees > 0 {
            self.build_table();
        }
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
    /// allocation, `4·max(256, FEATURES) + 4·TREES` bytes of stack; one flat
    /// pass replaces NaNs, then `DEPTH` branch-free compares and one leaf
    /// load per tree. Table evaluators: O(`feature_count` + Σ k / 16 + used
    /// features · `tree_count` / 16 + `tree_count`), `6·FEATURES` bytes of
    /// stack and under 2 KiB more. See the type's "Layout".
    #[must_use]
    pub fn raw(&self, features: &[f32]) -> f64 {
        let sum = match self.fast.evaluator {
            #[cfg(target_arch = "x86_64")]
            Evaluator::Avx512 => {
                // SAFETY: `avx512_sum` needs a CPU with AVX-512 F, BW and
                // VBMI, and an OS that saves their registers. The evaluator
                // is `Avx512` only if `build_table` chose it, which it does
                // only when `Isa::detected()` (cpuid and xgetbv, in this
                // process) said so; the field is private and nothing else
                // writes that value. The one `unsafe` of this path.
                #[allow(unsafe_code)]
                unsafe {
                    self.avx512_sum(features)
                }
            }
            #[cfg(target_arch = "x86_64")]
            Evaluator::TableAvx2 => {
                // SAFETY: as above, for AVX2: `build_table` sets `TableAvx2`
                // only when `Isa::detected()` is at least `Avx2`. The one
                // `unsafe` of this path.
                #[allow(unsafe_code)]
                unsafe {
                    self.table_sum_avx2(features)
                }
            }
            #[cfg(target_arch = "x86_64")]
            Evaluator::Avx2 => {
                // SAFETY: as above: `build_table` sets `Avx2` only when
                // `Isa::detected()` is at least `Avx2`. The one `unsafe` of
                // this path.
                #[allow(unsafe_code)]
                unsafe {
                    self.avx2_sum(features)
                }
            }
            // `BLOCKS > 0` is known at compile time: a compact model's `raw`
            // links no table code (on a microcontroller, 15 KB of flash).
            Evaluator::Table if BLOCKS > 0 => {
                let mut row = [f32::NAN; FEATURES];
                self.row(features, &mut row);
                self.table_sum_any(&row)
            }
            // The split evaluator (and, on other targets, the x86-64
            // evaluators, which are never chosen there). Up to 256 columns
            // (known at compile time): a 256-slot row that a byte-sized
            // column indexes without a bounds check.
            _ if FEATURES <= NARROW => {
                let mut row = [f32::NAN; NARROW];
                self.row(features, &mut row);
                self.split_sum(&row)
            }
            _ => {
                let mut row = [f32::NAN; FEATURES];
                self.row(features, &mut row);
                self.split_sum_wide(&row)
            }
        };
        self.scale * sum + self.bias
    }

    /// Writes into `row` (all NaN) the row the split and table evaluators
    /// read: one flat pass, NaN replaced per column (+inf for AsTrue; NaN
    /// stays NaN, so `NaN > border` is false, for the rest), columns past
    /// the end of `features` NaN.
    #[inline(always)]
    pub(super) fn row(&self, features: &[f32], row: &mut [f32]) {
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
    }

    /// Σ leaf by the table evaluator, for the table's group size.
    #[inline(always)]
    pub(super) fn table_sum_any(&self, row: &[f32; FEATURES]) -> f64 {
        match self.fast.group {
            1 => self.table_sum::<1>(row),
            2 => self.table_sum::<2>(row),
            3 => self.table_sum::<3>(row),
            4 => self.table_sum::<4>(row),
            5 => self.table_sum::<5>(row),
            6 => self.table_sum::<6>(row),
            7 => self.table_sum::<7>(row),
            8 => self.table_sum::<8>(row),
            // Never: the table's group is 1 to 8.
            _ => self.split_sum_wide(row),
        }
    }

    /// Σ leaf by the split evaluator, for a model up to 256 columns: the
    /// columns' low bytes index a 256-slot row without a bounds check.
    fn split_sum(&self, row: &[f32; NARROW]) -> f64 {
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
        self.leaf_sum(&leaf)
    }

    /// Σ leaf by the split evaluator, for a model over 256 columns.
    fn split_sum_wide(&self, row: &[f32; FEATURES]) -> f64 {
        let trees = self.tree_count();
        let mut leaf = [0_u32; TREES];
        let levels = self.split_columns.iter().zip(self.split_high.iter()).zip(self.split_borders.iter());
        for (level, ((low, high), borders)) in levels.enumerate() {
            for (((leaf, &low), &high), &border) in leaf.iter_mut().zip(low).zip(high).zip(borders).take(trees) {
                // Never None: the loader checked every column against
                // FEATURES.
                let column = usize::from(u16::from_le_bytes([low, high]));
                let value = row.get(column).copied().unwrap_or(f32::NAN);
                *leaf |= u32::from(value > border) << level;
            }
        }
        self.leaf_sum(&leaf)
    }

    /// Σ of each tree's leaf at `leaf`, in tree order as CatBoost sums.
    fn leaf_sum(&self, leaf: &[u32; TREES]) -> f64 {
        let mut sum = 0.0_f64;
        let mut offset = 0_usize;
        for (&leaf, &depth) in leaf.iter().zip(self.depths.iter()).take(self.tree_count()) {
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
