//! The loader: CatBoost's JSON export → [`CatBoost`], in one pass of the
//! crate's JSON scanner, straight into the model's arrays.

use super::{CatBoost, ModelError, ModelField, NanTreatment};
use crate::json::{self, JsonErrorKind, Key, KnownKey, Limits, Scanner, key_is};
use crate::model::read;

/// Parses and validates a CatBoost JSON export into `model`.
///
/// `model` is emptied first and holds the export on success; on failure it
/// is left empty (no trees, [`raw`](CatBoost::raw) returns 0), so parse into
/// a staging model, never the serving one.
///
/// Checks, in order: size (before parsing), JSON syntax, nesting depth and
/// shape (in one pass, so the first of these in the file is reported),
/// unsupported feature kinds and tree kinds, dimension, tree count, then the
/// first bad tree or float feature in file order, the leaf total, that the
/// model can tell rows apart ([`ModelError::NoTrees`],
/// [`ModelError::Constant`]), and that every split names a defined float
/// feature. Use [`DEFAULT_LIMITS`](super::DEFAULT_LIMITS) unless
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

/// The parse for one model type: a thin wrapper that lends the model's
/// arrays to [`parse_view`], which is compiled once for every model type,
/// then stores what it found and builds the table evaluator.
fn parse<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize>(
    bytes: &[u8],
    model: &mut CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>,
    limits: Limits,
) -> Result<(), ModelError> {
    let mut view = View {
        trees: TREES,
        depth: DEPTH,
        split_columns: model.split_columns.as_flattened_mut(),
        split_high: model.split_high.as_flattened_mut(),
        split_borders: model.split_borders.as_flattened_mut(),
        depths: &mut model.depths,
        leaves: &mut model.leaves,
        float_columns: &mut model.float_columns,
        nan_replacement: &mut model.nan_replacement,
    };
    let found = parse_view(bytes, &mut view, limits)?;
    model.trees = u32::try_from(found.trees).unwrap_or(u32::MAX);
    model.width = found.width;
    model.scale = found.scale;
    model.bias = found.bias;
    model.build_table();
    Ok(())
}

/// The arrays of a [`CatBoost`] the loader writes, with the capacities as
/// runtime values (the way `heapless`'s `VecView` erases a capacity), so
/// that the parse is one copy whatever the const parameters. Capacities
/// not stored here are the slices' lengths: `FEATURES` is
/// `float_columns.len()`, `LEAVES` is `leaves.len()`.
struct View<'m> {
    /// `TREES`: the stride of the split arrays.
    trees: usize,
    /// `DEPTH`: the number of split levels.
    depth: usize,
    /// `[[u8; TREES]; DEPTH]`, flattened: level `l` of tree `t` at
    /// `l · trees + t`. The low byte of each split's column.
    split_columns: &'m mut [u8],
    /// The high byte, flattened the same way.
    split_high: &'m mut [u8],
    /// `[[f32; TREES]; DEPTH]`, flattened the same way.
    split_borders: &'m mut [f32],
    depths: &'m mut [u8],
    leaves: &'m mut [f64],
    float_columns: &'m mut [u16],
    nan_replacement: &'m mut [f32],
}

impl View<'_> {
    /// The slot of split level `level` of tree `tree`, if both are within
    /// capacity.
    fn split_slot(&mut self, level: usize, tree: usize) -> Option<(Column<'_>, &mut f32)> {
        if tree >= self.trees || level >= self.depth {
            return None;
        }
        let at = level.checked_mul(self.trees)?.checked_add(tree)?;
        self.split_at(at)
    }

    /// The slot at flat index `at`.
    fn split_at(&mut self, at: usize) -> Option<(Column<'_>, &mut f32)> {
        let column = Column { low: self.split_columns.get_mut(at)?, high: self.split_high.get_mut(at)? };
        Some((column, self.split_borders.get_mut(at)?))
    }
}

/// A split's column, stored as two bytes in two arrays (the evaluators of
/// models up to 256 columns read the low bytes only).
struct Column<'m> {
    low: &'m mut u8,
    high: &'m mut u8,
}

impl Column<'_> {
    fn get(&self) -> u16 {
        u16::from_le_bytes([*self.low, *self.high])
    }

    fn set(&mut self, value: u16) {
        [*self.low, *self.high] = value.to_le_bytes();
    }
}

/// What a successful parse found, for the model's scalar fields.
struct Found {
    trees: usize,
    width: u32,
    scale: f64,
    bias: f64,
}

/// The whole parse and validation, into `view`.
fn parse_view(bytes: &[u8], view: &mut View<'_>, limits: Limits) -> Result<Found, ModelError> {
    let mut ctx = Context::new();
    let mut s = ctx.at(Scanner::with_limits(bytes, limits))?;
    parse_model(&mut s, view, &mut ctx)?;
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
    if found > view.trees {
        return Err(ModelError::TooManyTrees { capacity: view.trees, found });
    }
    if let Some(error) = ctx.first_bad.take() {
        return Err(error);
    }
    if ctx.leaves > view.leaves.len() {
        return Err(ModelError::TooManyLeaves { capacity: view.leaves.len(), found: ctx.leaves });
    }
    if found == 0 {
        return Err(ModelError::NoTrees);
    }
    if ctx.scale == 0.0 || every_tree_constant(view.depths.get(..found).unwrap_or(&[]), view.leaves) {
        return Err(ModelError::Constant);
    }

    // Resolve `float_feature_index` → column, and pad shallow trees with
    // never-true splits.
    // `found <= view.trees`: each level's first `found` slots.
    for split in 0..view.depth {
        for tree in 0..found {
            let Some(at) = split.checked_mul(view.trees).and_then(|at| at.checked_add(tree)) else {
                continue;
            };
            let depth = view.depths.get(tree).copied().unwrap_or(0);
            let Some((mut column, border)) = view.split_at(at) else {
                continue;
            };
            if split >= usize::from(depth) {
                column.set(0);
                *border = f32::INFINITY;
                continue;
            }
            let index = column.get();
            let resolved = view.float_columns.get(usize::from(index)).copied().filter(|&c| c != super::NO_COLUMN);
            match (resolved, view.split_at(at)) {
                (Some(resolved), Some((mut column, _))) => column.set(resolved),
                _ => return Err(ModelError::UnknownFloatFeature { tree, split, index: usize::from(index) }),
            }
        }
    }
    Ok(Found { trees: found, width: ctx.width, scale: ctx.scale, bias: ctx.bias })
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
fn parse_model(s: &mut Scanner<'_>, model: &mut View<'_>, ctx: &mut Context) -> Result<(), ModelError> {
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
fn parse_features_info(s: &mut Scanner<'_>, model: &mut View<'_>, ctx: &mut Context) -> Result<(), ModelError> {
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
fn parse_float_features(s: &mut Scanner<'_>, model: &mut View<'_>, ctx: &mut Context) -> Result<(), ModelError> {
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
                let capacity = model.float_columns.len();
                let column = u16::try_from(flat).ok().filter(|_| flat < capacity);
                match (column, model.float_columns.get_mut(index), model.nan_replacement.get_mut(flat)) {
                    (Some(column), Some(slot), Some(replacement)) => {
                        *slot = column;
                        *replacement = if nan == NanTreatment::AsTrue { f32::INFINITY } else { f32::NAN };
                        ctx.width = ctx.width.max(u32::from(column) + 1);
                    }
                    _ => ctx.bad(ModelError::FeatureIndexOutOfRange {
                        feature: position,
                        index: if flat >= capacity { flat } else { index },
                        capacity,
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
fn parse_trees(s: &mut Scanner<'_>, model: &mut View<'_>, ctx: &mut Context) -> Result<usize, ModelError> {
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
fn parse_tree(s: &mut Scanner<'_>, model: &mut View<'_>, ctx: &mut Context, tree: usize) -> Result<(), ModelError> {
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
                let pool = if tree < model.trees { model.leaves.get_mut(first_leaf..) } else { None };
                leaves = Some(parse_leaves(s, ctx, pool)?);
            }
            Key::Known(_) => {
                ctx.once(&mut depth.is_some(), ModelField::Splits, index)?;
                ctx.at(s.colon())?;
                depth = Some(parse_splits(s, ctx, tree, model)?);
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
    if tree >= model.trees {
        return Ok(());
    }
    if depth > model.depth {
        ctx.bad(ModelError::TreeTooDeep { tree, depth, max: model.depth });
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
fn parse_splits(
    s: &mut Scanner<'_>,
    ctx: &mut Context,
    tree: usize,
    model: &mut View<'_>,
) -> Result<usize, ModelError> {
    ctx.at(s.open(false))?;
    // This tree's next slot (level); none past capacity.
    let mut level: usize = 0;
    let mut count: usize = 0;
    let mut first = true;
    while ctx.at(s.element(&mut first))? {
        match parse_split(s, ctx, tree)? {
            Some((feature, border)) => {
                if !border.is_finite() {
                    ctx.bad(ModelError::NonFinite { field: ModelField::Border, index: Some(tree) });
                }
                // A float feature index is below FEATURES ≤ 4096; resolved
                // to a column after the parse.
                match u16::try_from(feature) {
                    Ok(feature) => {
                        if let Some((mut column, slot)) = model.split_slot(level, tree) {
                            column.set(feature);
                            *slot = border;
                            level += 1;
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
