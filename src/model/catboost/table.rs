//! The table evaluator of [`CatBoost`] (`BLOCKS > 0`): binarize each used
//! feature once per row, then OR precomputed per-bin contributions into
//! every tree's leaf index, 16 trees per 16-byte block. See the type's
//! "Table evaluator" documentation.
//!
//! Layout, built by [`CatBoost::build_table`] after a successful parse:
//!
//! - Used features (columns some split reads) are sorted by their number of
//!   unique borders `k`, descending, and cut into steps of 16. The `stream`
//!   holds, per step, in 16-byte units of 4 lanes: a head (`column | levels
//!   << 16` per lane, `levels` the step's largest `k`), the first table row
//!   of each lane's feature, then `levels` entries of 16 borders (as `f32`
//!   bits), ascending per lane and
//!   padded with `+inf` (never exceeded). A row's bin for a feature is the
//!   number of its borders the value exceeds, `0..=k`; its table row is the
//!   feature's first row plus the bin.
//! - The table holds, per group of `16·G` trees, per row, `G` blocks of one
//!   `u8` per tree: the OR of `1 << level` over the feature's splits in that
//!   tree whose border is below the row's bin (the splits that are true for
//!   any value in the bin). A tree's leaf index is the OR of its byte over
//!   the used features' rows.

use super::{CatBoost, Evaluator, Isa};

/// Most trees' levels the table evaluator handles: leaf indices are `u8`.
pub(super) const MAX_TABLE_DEPTH: usize = 8;

/// Largest group of 16-tree blocks whose accumulators stay in registers.
const MAX_GROUP: usize = 8;

/// Features binarized together: 16 lanes, two AVX2 or four SSE2 registers
/// (8 lanes, one AVX2 register, left half the compares' throughput unused:
/// 16 made the AVX2 evaluator faster on the benchmark model).
pub(super) const LANES: usize = 16;

/// 16-byte stream units per lane vector.
pub(super) const UNITS: usize = LANES / 4;

/// 16 trees' `u8` leaf-index bits of one table row, aligned so that an OR
/// with it is one instruction.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub(super) struct Block(pub(super) [u8; 16]);

/// Which evaluator [`CatBoost::raw`] runs, the table's shape, and the
/// highest instruction set the model may use.
#[derive(Clone, Copy)]
pub(super) struct Fast {
    /// The evaluator `raw` runs.
    pub(super) evaluator: Evaluator,
    /// The highest level the evaluator may use
    /// ([`CatBoost::set_isa_limit`]); kept when a model is loaded.
    pub(super) limit: Isa,
    /// Table evaluators: blocks of 16 trees per group (1 to 8).
    pub(super) group: u8,
    /// Every tree's depth.
    pub(super) depth: u8,
    /// Number of used features.
    pub(super) used: u16,
    /// Table evaluators: table rows per group, Σ (k + 1) over the used
    /// features. AVX2: the number of 16-bin shuffle tables (1 to 16).
    /// AVX-512: the first block of the split vectors.
    pub(super) rows: u32,
    /// Table evaluators: the table's first block (0 to 3), which puts its
    /// rows on a 64-byte boundary.
    pub(super) skew: u8,
}

impl Fast {
    /// No fast evaluator, any instruction set allowed.
    pub(super) const OFF: Self =
        Self { evaluator: Evaluator::Split, limit: Isa::Avx512, group: 0, depth: 0, used: 0, rows: 0, skew: 0 };

    /// The split evaluator, keeping `limit`.
    pub(super) const fn off(limit: Isa) -> Self {
        Self { limit, ..Self::OFF }
    }
}

/// The columns of one split level, from their low and high bytes.
fn columns<'a, const TREES: usize>(low: &'a [u8; TREES], high: &'a [u8; TREES]) -> impl Iterator<Item = u16> + 'a {
    low.iter().zip(high).map(|(&low, &high)| u16::from_le_bytes([low, high]))
}

/// Blocks per group for `blocks` 16-tree blocks: as few groups as
/// [`MAX_GROUP`] allows, all of the same size.
const fn group_for(blocks: usize) -> usize {
    let groups = blocks.div_ceil(MAX_GROUP);
    if groups == 0 { 1 } else { blocks.div_ceil(groups) }
}

/// Whether the split evaluator is faster than a table of `table_blocks`
/// blocks for `used` used features over `trees` trees of depth `depth`. A
/// table row costs one 16-tree block OR per used feature and 16 trees, the
/// split evaluator one compare per split; a table past the caches (over 2
/// MiB) costs more per OR. Fitted on the growth table in BENCHMARKS.md
/// (portable and AVX2 tables against the split evaluator): the split
/// evaluator where the ORs are over 4 times the splits, or over 1.5 times
/// with a table over 2 MiB. That picks the faster of the two on every model
/// there but two, where the AVX2 table was 0.8 % and 3.4 % faster (1,024
/// features, 100 trees).
const fn splits_are_faster(used: usize, trees: usize, depth: usize, table_blocks: usize) -> bool {
    let ors = used.saturating_mul(trees.div_ceil(16));
    let splits = trees.saturating_mul(depth);
    let big = table_blocks.saturating_mul(16) > 2 << 20;
    ors > splits.saturating_mul(4) || (big && ors.saturating_mul(2) > splits.saturating_mul(3))
}

/// `BLOCKS` for which every model within the other capacities whose trees
/// all have the same depth, at most 8, gets the table evaluator: see
/// [`CatBoost`]'s "Table evaluator". `depth` is capped at 8 (deeper models
/// use the split evaluator whatever `BLOCKS` is).
#[must_use]
pub const fn table_blocks(trees: usize, depth: usize, features: usize) -> usize {
    let depth = if depth > MAX_TABLE_DEPTH { MAX_TABLE_DEPTH } else { depth };
    let splits = trees.saturating_mul(depth);
    let used = if features < splits { features } else { splits };
    let rows = splits.saturating_add(used);
    let blocks = trees.div_ceil(16);
    let group = group_for(blocks);
    // Room for the even group the AVX2 evaluator prefers.
    let group = if group % 2 == 1 && group < MAX_GROUP { group + 1 } else { group };
    let table = blocks.div_ceil(group).saturating_mul(group).saturating_mul(rows);
    // Stream, in 4-lane units: per 8 features 2 units of head, 2 of first
    // rows, 2 per level; the levels (each 8 features' largest `k`) sum to at
    // most k₀ + splits/8 ≤ splits + splits/8.
    let stream = UNITS * (splits.saturating_add(splits / LANES).saturating_add(2 * used.div_ceil(LANES)));
    // Scratch for sorting borders at load: one u32 per split, 4 per block.
    let scratch = splits.div_ceil(4);
    // Up to 3 blocks before the table put its rows on a 64-byte boundary.
    let table = table.saturating_add(3);
    let most = if table > stream { table } else { stream };
    if most > scratch { most } else { scratch }
}

impl<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize>
    CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>
{
    /// Builds the table from the resolved splits, or leaves it off when the
    /// model does not fit (mixed or zero depths, depth over 8, `BLOCKS` too
    /// small). O(`TREES·DEPTH·(log + k)`), no allocation; touches only
    /// `table`, `stream` and `fast`.
    pub(super) fn build_table(&mut self) {
        let limit = self.fast.limit;
        self.fast = Fast::off(limit);
        if BLOCKS == 0 {
            return;
        }
        let trees = self.tree_count();
        let Some(&depth) = self.depths.first() else {
            return;
        };
        let d = usize::from(depth);
        if trees == 0 || d == 0 || d > MAX_TABLE_DEPTH || self.depths.iter().take(trees).any(|&x| x != depth) {
            return;
        }
        let splits = trees * d;

        // 1. Borders grouped by column (counting sort), sorted and deduped
        //    per column, in `stream` used as flat u32 scratch.
        let scratch = self.stream.as_flattened_mut();
        if splits > scratch.len() {
            return;
        }
        let levels = || self.split_columns.iter().zip(self.split_high.iter()).take(d);
        let mut count = [0_u32; FEATURES];
        for (low, high) in levels() {
            for column in columns(low, high).take(trees) {
                if let Some(n) = count.get_mut(usize::from(column)) {
                    *n += 1;
                }
            }
        }
        // Column `c`'s borders are `scratch[start[c]..][..count[c]]`.
        let mut start = [0_u32; FEATURES];
        let mut total = 0_u32;
        for (start, &count) in start.iter_mut().zip(&count) {
            *start = total;
            total += count;
        }
        let mut next = start;
        for ((low, high), borders) in levels().zip(self.split_borders.iter()) {
            for (column, &border) in columns(low, high).zip(borders.iter()).take(trees) {
                if let Some(at) = next.get_mut(usize::from(column)) {
                    if let Some(slot) = scratch.get_mut(*at as usize) {
                        *slot = border.to_bits();
                    }
                    *at += 1;
                }
            }
        }
        // Per column: its unique borders' start in scratch and count `k`.
        let mut unique_start = [0_u32; FEATURES];
        let mut unique = [0_u32; FEATURES];
        let mut write = 0_usize;
        for (c, (&from, &count)) in start.iter().zip(&count).enumerate() {
            let to = from + count;
            let Some(segment) = scratch.get_mut(from as usize..to as usize) else {
                return;
            };
            heapsort(segment, |a, b| f32::from_bits(*a).total_cmp(&f32::from_bits(*b)).is_lt());
            let first = write;
            let mut last: Option<f32> = None;
            for read in from as usize..to as usize {
                let bits = scratch.get(read).copied().unwrap_or(0);
                let border = f32::from_bits(bits);
                // -0 == +0: one border, as `value > border` cannot tell them apart.
                if last != Some(border) {
                    if let Some(slot) = scratch.get_mut(write) {
                        *slot = bits;
                    }
                    write += 1;
                    last = Some(border);
                }
            }
            if let (Some(s), Some(k)) = (unique_start.get_mut(c), unique.get_mut(c)) {
                *s = first as u32;
                *k = (write - first) as u32;
            }
        }

        // 2. Used columns by k descending, their rows, and the sizes.
        let mut order = [0_u16; FEATURES];
        let mut used = 0_usize;
        for (c, &k) in unique.iter().enumerate() {
            if k > 0 {
                if let (Some(slot), Ok(c)) = (order.get_mut(used), u16::try_from(c)) {
                    *slot = c;
                }
                used += 1;
            }
        }
        let Some(order) = order.get_mut(..used) else {
            return;
        };
        let key = |c: u16| (core::cmp::Reverse(unique.get(usize::from(c)).copied().unwrap_or(0)), c);
        heapsort(order, |&a, &b| key(a) < key(b));
        let rows: usize = order.iter().map(|&c| unique.get(usize::from(c)).map_or(0, |&k| k as usize + 1)).sum();
        let blocks = trees.div_ceil(16);
        // At least 1 already; `max` shows the optimizer, so that the
        // divisions by `group` below keep no division-by-zero panic
        // (whether it proves it alone depends on inlining).
        let mut group = group_for(blocks).max(1);
        // The best evaluator this CPU runs, within the limit.
        let isa = Isa::detected().min(limit);
        // AVX2 ORs 32 bytes at a time: an even group, if it fits.
        if isa >= Isa::Avx2
            && group % 2 == 1
            && group < MAX_GROUP
            && blocks.div_ceil(group + 1) * (group + 1) * rows <= BLOCKS
        {
            group += 1;
        }
        let groups = blocks.div_ceil(group);
        let table_blocks = groups * group * rows;
        let k_of = |c: &u16| unique.get(usize::from(*c)).map_or(0, |&k| k as usize);
        // 16 features at a time: 4 units of head, 4 of first rows, 4 per level.
        let stream_units: usize = order.chunks(LANES).map(|oct| UNITS * (2 + oct.first().map_or(0, k_of))).sum();
        let levels_fit = order.first().map_or(0, k_of) < 1 << 16;
        #[cfg(target_arch = "x86_64")]
        if isa == Isa::Avx512 && self.feature_count() <= super::avx512::COLUMNS && used <= 128 {
            // Its lanes name their columns in a byte: below 256.
            let mut narrow = [0_u8; 128];
            for (n, &c) in narrow.iter_mut().zip(order.iter()) {
                *n = u8::try_from(c).unwrap_or(u8::MAX);
            }
            if self.build_avx512(narrow.get(..used).unwrap_or(&[]), &unique, &unique_start, depth) {
                return;
            }
        }
        // Rows on a 64-byte boundary where the model is now: a 32-byte load
        // that crosses a cache line costs two (a moved model stays correct).
        let skew = (4 - self.table.as_ptr() as usize / 16 % 4) % 4;
        // The AVX2 evaluator looks each split's bin up among at most 256
        // bins of a byte each; otherwise the table, unless the split
        // evaluator would be faster.
        #[cfg(target_arch = "x86_64")]
        let lookup = isa >= Isa::Avx2
            && used <= super::avx2::LOOKUP_FEATURES
            && order.first().map_or(0, k_of) <= usize::from(u8::MAX)
            && skew + super::avx2::lookup_blocks(trees, d, used) <= BLOCKS;
        #[cfg(not(target_arch = "x86_64"))]
        let lookup = false;
        if !lookup && splits_are_faster(used, trees, d, table_blocks) {
            return;
        }
        let need = if lookup { 0 } else { table_blocks };
        if skew + need > BLOCKS || stream_units > BLOCKS || !levels_fit || rows > usize::from(u16::MAX) {
            return;
        }

        // 3. Move the unique borders into the table region, then write the
        //    stream from there.
        let Some(keys) = self.table.get_mut(..write.div_ceil(4)) else {
            return;
        };
        for (key, bits) in keys.iter_mut().zip(self.stream.as_flattened().chunks(4)) {
            for (byte, bits) in key.0.chunks_exact_mut(4).zip(bits) {
                byte.copy_from_slice(&bits.to_ne_bytes());
            }
        }
        let keys = &self.table;
        let key = |i: usize| -> u32 {
            let (block, byte) = (i / 4, i % 4 * 4);
            keys.get(block)
                .and_then(|b| b.0.get(byte..byte + 4))
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, u32::from_ne_bytes)
        };
        // Per used feature, by column: its first row and where its borders
        // are in the stream (unit of its first level, and lane).
        let mut first_row = [0_u32; FEATURES];
        let mut place = [(0_u32, 0_u8); FEATURES];
        let mut at = 0_usize;
        let mut row = 0_u32;
        for oct in order.chunks(LANES) {
            let levels = oct.first().map_or(0, k_of);
            let mut head = [(levels as u32) << 16; LANES];
            let mut starts = [0_u32; LANES];
            for (lane, &c) in oct.iter().enumerate() {
                let c_ = usize::from(c);
                if let (Some(h), Some(s)) = (head.get_mut(lane), starts.get_mut(lane)) {
                    *h |= u32::from(c);
                    *s = row;
                }
                if let (Some(f), Some(p)) = (first_row.get_mut(c_), place.get_mut(c_)) {
                    *f = row;
                    *p = ((at + 2 * UNITS) as u32, lane as u8);
                }
                row += k_of(&c) as u32 + 1;
            }
            for (j, units) in
                self.stream.get_mut(at..).unwrap_or(&mut []).chunks_exact_mut(UNITS).take(2 + levels).enumerate()
            {
                let lanes = match j {
                    0 => head,
                    1 => starts,
                    _ => {
                        let level = j - 2;
                        let mut borders = [f32::INFINITY.to_bits(); LANES];
                        for (b, c) in borders.iter_mut().zip(oct) {
                            if level < k_of(c) {
                                *b = key(unique_start.get(usize::from(*c)).copied().unwrap_or(0) as usize + level);
                            }
                        }
                        borders
                    }
                };
                for (unit, lanes) in units.iter_mut().zip(lanes.chunks_exact(4)) {
                    unit.copy_from_slice(lanes);
                }
            }
            at += UNITS * (2 + levels);
        }

        // Rank of a split: how many of its feature's borders are below its
        // border, so that the split is true exactly for the bins above it.
        let stream = &self.stream;
        let rank = |column: u16, border: f32| {
            let c = usize::from(column);
            let (first_level, lane) = place.get(c).copied().unwrap_or((0, 0));
            let (unit, lane) = (first_level as usize + usize::from(lane) / 4, usize::from(lane) % 4);
            stream
                .iter()
                .skip(unit)
                .step_by(UNITS)
                .take(k_of(&column))
                .filter(|b| b.get(lane).is_some_and(|&b| f32::from_bits(b) < border))
                .count()
        };
        #[cfg(target_arch = "x86_64")]
        if lookup {
            let mut position = [0_u8; FEATURES];
            for (i, &c) in order.iter().enumerate() {
                if let Some(p) = position.get_mut(usize::from(c)) {
                    *p = i as u8;
                }
            }
            let (low, high, borders) = (&self.split_columns, &self.split_high, &self.split_borders);
            // Split `tree` of `level`: its feature's position and its rank.
            let split = |level: usize, tree: usize| {
                let at = |bytes: &[[u8; TREES]; DEPTH]| bytes.get(level).and_then(|l| l.get(tree)).copied();
                let column = u16::from_le_bytes([at(low).unwrap_or(0), at(high).unwrap_or(0)]);
                let border = borders.get(level).and_then(|l| l.get(tree)).copied().unwrap_or(f32::INFINITY);
                (position.get(usize::from(column)).copied().unwrap_or(0), rank(column, border))
            };
            let Some(data) = self.table.get_mut(skew..) else {
                return;
            };
            let quarters = super::avx2::write_lookup(data, trees, d, used, split);
            self.fast = Fast {
                evaluator: Evaluator::Avx2,
                limit,
                group: 0,
                depth,
                used: used as u16,
                rows: quarters,
                skew: skew as u8,
            };
            return;
        }

        // 4. The table: zero it, then each split sets its bit in the rows of
        //    the bins above its border's rank.
        let Some(table) = self.table.get_mut(skew..skew + table_blocks) else {
            return;
        };
        table.fill(Block([0; 16]));
        let levels = self.split_columns.iter().zip(self.split_high.iter()).zip(self.split_borders.iter()).take(d);
        for (level, ((low, high), borders)) in levels.enumerate() {
            for (tree, (column, &border)) in columns(low, high).zip(borders.iter()).take(trees).enumerate() {
                let c = usize::from(column);
                let k = k_of(&column);
                let rank = rank(column, border);
                let first = first_row.get(c).copied().unwrap_or(0) as usize;
                // `tree / 16 / group`, not `tree / (16 * group)`: the same
                // value, but `16 * group` could wrap to 0 for all the
                // optimizer knows (it no longer sees the parse that bounds
                // `group`), which linked a division-by-zero panic.
                let (g, block, byte) = (tree / 16 / group, tree / 16 % group, tree % 16);
                for bin in rank + 1..=k {
                    let index = (g * rows + first + bin) * group + block;
                    if let Some(b) = table.get_mut(index).and_then(|b| b.0.get_mut(byte)) {
                        *b |= 1 << level;
                    }
                }
            }
        }
        let evaluator = if isa >= Isa::Avx2 { Evaluator::TableAvx2 } else { Evaluator::Table };
        self.fast = Fast {
            evaluator,
            limit,
            group: group as u8,
            depth,
            used: used as u16,
            rows: rows as u32,
            skew: skew as u8,
        };
    }

    /// Σ leaf by the table; `G` is `fast.group`.
    #[inline(always)]
    pub(super) fn table_sum<const G: usize>(&self, row: &[f32; FEATURES]) -> f64 {
        self.table_sum_by::<G>(row, |table, rows| {
            let mut acc = [Block([0; 16]); G];
            for &r in rows {
                or_row(&mut acc, table, usize::from(r));
            }
            acc
        })
    }

    /// Binarizes the used features of `row`, 16 at a time, by the stream:
    /// `out[i]` is the table row of the `i`-th used feature (by `k`
    /// descending): its first row plus how many of its borders the value
    /// exceeds.
    ///
    /// Steps write whole 16-slot chunks (the compiler keeps that loop tight
    /// only for exact chunks: `chunks_mut` cost the portable evaluator
    /// 40 %); when `FEATURES` is not a multiple of 16, a last step past the
    /// exact chunks is written after the loop.
    #[inline(always)]
    fn binarize(&self, row: &[f32; FEATURES], out: &mut [u16; FEATURES]) {
        let used = usize::from(self.fast.used);
        let mut stream = self.stream.chunks_exact(UNITS);
        let mut tail: Option<(usize, [u32; LANES])> = None;
        let mut chunks = out.chunks_exact_mut(LANES);
        for o in 0..used.div_ceil(LANES) {
            let (Some(head), Some(starts)) = (stream.next(), stream.next()) else {
                break;
            };
            let (levels, x) = step_values(head, row);
            let mut bins = [0_u32; LANES];
            for (bin, &start) in bins.iter_mut().zip(starts.as_flattened()) {
                *bin = start;
            }
            for borders in stream.by_ref().take(levels) {
                for ((bin, &x), &border) in bins.iter_mut().zip(&x).zip(borders.as_flattened()) {
                    *bin += u32::from(x > f32::from_bits(border));
                }
            }
            match chunks.next() {
                Some(slots) => {
                    for (slot, &bin) in slots.iter_mut().zip(&bins).take(used - o * LANES) {
                        *slot = bin as u16;
                    }
                }
                None => tail = Some((o, bins)),
            }
        }
        if let Some((o, bins)) = tail {
            let slots = out.get_mut(o * LANES..).unwrap_or(&mut []);
            for (slot, &bin) in slots.iter_mut().zip(&bins).take(used - o * LANES) {
                *slot = bin as u16;
            }
        }
    }

    /// Σ leaf by the table, `or_rows` ORing a group's `table` rows `rows`
    /// into its leaf indices. Inlined into its callers, so that the AVX2
    /// evaluator compiles it with AVX2.
    #[inline(always)]
    pub(super) fn table_sum_by<const G: usize>(
        &self,
        row: &[f32; FEATURES],
        or_rows: impl Fn(&[Block], &[u16]) -> [Block; G],
    ) -> f64 {
        let fast = self.fast;
        let used = usize::from(fast.used);
        let group_len = fast.rows as usize * G;
        let depth = u32::from(fast.depth);
        let trees = self.tree_count();

        // 1. Binarize into each used feature's table row.
        let mut rows = [0_u16; FEATURES];
        self.binarize(row, &mut rows);
        let Some(rows) = rows.get(..used) else {
            return 0.0;
        };

        // 2. Per group of 16·G trees: OR the rows into the leaf indices,
        //    then add the leaves, in 8 interleaved sums.
        let mut sums = [0.0_f64; SUMS];
        let mut tree = 0_usize;
        while tree < trees {
            let g = tree / (16 * G);
            let start = usize::from(fast.skew) + g * group_len;
            let table = self.table.get(start..start + group_len).unwrap_or(&[]);
            let acc = or_rows(table, rows);
            let count = (trees - tree).min(16 * G);
            let mut indices = [0_u8; 16 * MAX_GROUP];
            for (i, a) in indices.chunks_exact_mut(16).zip(&acc) {
                i.copy_from_slice(&a.0);
            }
            let indices = indices.get(..count).unwrap_or(&[]);
            let leaves = self.leaves.get(tree << depth..).unwrap_or(&[]);
            sums = leaf_sum_of_depth(depth, leaves, indices, sums);
            tree += count;
        }
        total(sums)
    }
}

/// A binarization step's border levels and its 16 features' values in
/// `row`, from the step's head unit (`column | levels << 16` per lane).
#[inline(always)]
pub(super) fn step_values<const FEATURES: usize>(head: &[[u32; 4]], row: &[f32; FEATURES]) -> (usize, [f32; LANES]) {
    let head = head.as_flattened();
    let levels = head.first().map_or(0, |&h| h >> 16) as usize;
    // Never out of bounds: the loader checked every column.
    let mut x = [0.0_f32; LANES];
    for (x, &h) in x.iter_mut().zip(head) {
        *x = row.get(usize::from(h as u16)).copied().unwrap_or(0.0);
    }
    (levels, x)
}

/// ORs row `row` of a group's `table` into its `G` accumulators.
#[inline(always)]
fn or_row<const G: usize>(acc: &mut [Block; G], table: &[Block], row: usize) {
    if let Some(blocks) = table.get(row * G..).and_then(|s| s.first_chunk::<G>()) {
        for (a, b) in acc.iter_mut().zip(blocks) {
            for (a, b) in a.0.iter_mut().zip(b.0) {
                *a |= b;
            }
        }
    }
}

/// [`leaf_sum`] for trees of depth `depth` (1 to 8; more reads as 8).
#[inline(always)]
pub(super) fn leaf_sum_of_depth(depth: u32, leaves: &[f64], indices: &[u8], sums: [f64; SUMS]) -> [f64; SUMS] {
    match depth {
        1 => leaf_sum::<2>(leaves, indices, sums),
        2 => leaf_sum::<4>(leaves, indices, sums),
        3 => leaf_sum::<8>(leaves, indices, sums),
        4 => leaf_sum::<16>(leaves, indices, sums),
        5 => leaf_sum::<32>(leaves, indices, sums),
        6 => leaf_sum::<64>(leaves, indices, sums),
        7 => leaf_sum::<128>(leaves, indices, sums),
        _ => leaf_sum::<256>(leaves, indices, sums),
    }
}

/// `sums` plus the leaves of trees of `N` leaves each, stored one after the
/// other in `leaves`, at `indices`; tree `t` goes to `sums[t % SUMS]`.
#[inline(always)]
pub(super) fn leaf_sum<const N: usize>(leaves: &[f64], indices: &[u8], mut sums: [f64; SUMS]) -> [f64; SUMS] {
    // `SUMS` trees' leaves are a slice of length `SUMS·N` and each index is
    // masked below N: no bounds check per tree.
    let leaf = |trees: &[f64], tree: usize, index: u8| {
        trees.get(tree * N + (usize::from(index) & (N - 1))).copied().unwrap_or(0.0)
    };
    let mut groups = indices.chunks_exact(SUMS);
    let mut trees = leaves.chunks_exact(SUMS * N);
    for (group, these) in (&mut groups).zip(&mut trees) {
        for (t, (sum, &index)) in sums.iter_mut().zip(group).enumerate() {
            *sum += leaf(these, t, index);
        }
    }
    let rest = trees.next().unwrap_or(trees.remainder());
    for (t, (sum, &index)) in sums.iter_mut().zip(groups.remainder()).enumerate() {
        *sum += leaf(rest, t, index);
    }
    sums
}

/// Interleaved sums of leaves: enough that the adds' latency does not set
/// the pace.
pub(super) const SUMS: usize = 8;

/// The sum of [`leaf_sum`]'s sums, in a fixed order.
pub(super) fn total(sums: [f64; SUMS]) -> f64 {
    let [a, b, c, d, e, f, g, h] = sums;
    ((a + b) + (c + d)) + ((e + f) + (g + h))
}

/// Sorts `v` by `less` (a strict weak order), in place: heapsort, O(n log n)
/// time, O(1) stack, no allocation.
///
/// Not `sort_unstable_by`: core's sorts keep a branch that panics on an
/// inconsistent order (`panic_on_ord_violation`), which the optimizer cannot
/// remove even for a total order, and so would put a panic on the model
/// loading path (see `examples/no-panic-check`). The orders sorted here are
/// total and their equal elements identical, so the result is the same.
pub(super) fn heapsort<T: Copy>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    for root in (0..v.len() / 2).rev() {
        sift_down(v, root, &less);
    }
    for end in (1..v.len()).rev() {
        // Move the largest to `end`, then restore the heap before it.
        if let (Some(&top), Some(&last)) = (v.first(), v.get(end)) {
            if let Some(slot) = v.first_mut() {
                *slot = last;
            }
            if let Some(slot) = v.get_mut(end) {
                *slot = top;
            }
        }
        if let Some(heap) = v.get_mut(..end) {
            sift_down(heap, 0, &less);
        }
    }
}

/// Moves `v[root]` down the max-heap `v` until neither child is larger.
fn sift_down<T: Copy>(v: &mut [T], mut root: usize, less: &impl Fn(&T, &T) -> bool) {
    loop {
        let left = root.saturating_mul(2).saturating_add(1);
        let Some(&left_value) = v.get(left) else {
            return;
        };
        let (child, child_value) = match v.get(left + 1) {
            Some(&right) if less(&left_value, &right) => (left + 1, right),
            _ => (left, left_value),
        };
        let Some(&value) = v.get(root) else {
            return;
        };
        if !less(&value, &child_value) {
            return;
        }
        if let Some(slot) = v.get_mut(root) {
            *slot = child_value;
        }
        if let Some(slot) = v.get_mut(child) {
            *slot = value;
        }
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::heapsort;

    proptest::proptest! {
        #[test]
        fn heapsort_sorts_like_sort_unstable(mut v in proptest::collection::vec(proptest::num::u32::ANY, 0..300)) {
            let mut want = v.clone();
            want.sort_unstable();
            heapsort(&mut v, |a, b| a < b);
            proptest::prop_assert_eq!(v, want);
        }

        #[test]
        fn heapsort_orders_borders_by_total_cmp(bits in proptest::collection::vec(proptest::num::f32::ANY, 0..100)) {
            let mut v: Vec<u32> = bits.iter().map(|b| b.to_bits()).collect();
            let mut want = v.clone();
            want.sort_unstable_by(|a, b| f32::from_bits(*a).total_cmp(&f32::from_bits(*b)));
            heapsort(&mut v, |a, b| f32::from_bits(*a).total_cmp(&f32::from_bits(*b)).is_lt());
            proptest::prop_assert_eq!(v, want);
        }
    }
}
