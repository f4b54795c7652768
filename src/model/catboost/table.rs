//! The table evaluator of [`CatBoost`] (`BLOCKS > 0`): binarize each used
//! feature once per row, then OR precomputed per-bin contributions into
//! every tree's leaf index, 16 trees per 16-byte block. See the type's
//! "Table evaluator" documentation.
//!
//! Layout, built by [`CatBoost::build_table`] after a successful parse:
//!
//! - Used features (columns some split reads) are sorted by their number of
//!   unique borders `k`, descending, and cut into quads of 4. The `stream`
//!   holds, per quad: a head (`column | levels << 8` per lane, `levels` the
//!   quad's largest `k`), the first table row of each lane's feature, then
//!   `levels` entries of 4 borders (as `f32` bits), ascending per lane and
//!   padded with `+inf` (never exceeded). A row's bin for a feature is the
//!   number of its borders the value exceeds, `0..=k`; its table row is the
//!   feature's first row plus the bin.
//! - The table holds, per group of `16·G` trees, per row, `G` blocks of one
//!   `u8` per tree: the OR of `1 << level` over the feature's splits in that
//!   tree whose border is below the row's bin (the splits that are true for
//!   any value in the bin). A tree's leaf index is the OR of its byte over
//!   the used features' rows.

use super::{CatBoost, MAX_FEATURES};

/// Most trees' levels the table evaluator handles: leaf indices are `u8`.
pub(super) const MAX_TABLE_DEPTH: usize = 8;

/// Largest group of 16-tree blocks whose accumulators stay in registers.
const MAX_GROUP: usize = 8;

/// Which evaluator [`CatBoost::raw`] runs, and the table's shape.
#[derive(Clone, Copy)]
pub(super) struct Fast {
    /// Blocks of 16 trees per group (1, 2, 4 or 8); 0 when the table is off.
    pub(super) group: u8,
    /// Every tree's depth.
    pub(super) depth: u8,
    /// Number of used features.
    pub(super) used: u16,
    /// Table rows per group: Σ (k + 1) over the used features.
    pub(super) rows: u32,
}

impl Fast {
    pub(super) const OFF: Self = Self { group: 0, depth: 0, used: 0, rows: 0 };
}

/// Blocks per group for `blocks` 16-tree blocks: the next power of two, at
/// most [`MAX_GROUP`].
const fn group_for(blocks: usize) -> usize {
    let group = blocks.next_power_of_two();
    if group > MAX_GROUP { MAX_GROUP } else { group }
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
    let table = blocks.div_ceil(group).saturating_mul(group).saturating_mul(rows);
    // Stream: 2 heads per quad, and the quads' largest `k`s sum to at most
    // k₀ + splits/4 ≤ splits + splits/4.
    let stream = splits.saturating_add(splits / 4).saturating_add(2 * used.div_ceil(4)).saturating_add(2);
    // Scratch for sorting borders at load: one u32 per split, 4 per block.
    let scratch = splits.div_ceil(4);
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
        self.fast = Fast::OFF;
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
        let mut start = [0_u32; MAX_FEATURES + 1];
        for columns in self.split_columns.iter().take(d) {
            for &column in columns.iter().take(trees) {
                if let Some(n) = start.get_mut(usize::from(column) + 1) {
                    *n += 1;
                }
            }
        }
        for c in 1..start.len() {
            let before = start.get(c - 1).copied().unwrap_or(0);
            if let Some(n) = start.get_mut(c) {
                *n += before;
            }
        }
        let mut next = start;
        for (columns, borders) in self.split_columns.iter().zip(self.split_borders.iter()).take(d) {
            for (&column, &border) in columns.iter().zip(borders.iter()).take(trees) {
                if let Some(at) = next.get_mut(usize::from(column)) {
                    if let Some(slot) = scratch.get_mut(*at as usize) {
                        *slot = border.to_bits();
                    }
                    *at += 1;
                }
            }
        }
        // Per column: its unique borders' start in scratch and count `k`.
        let mut unique_start = [0_u32; MAX_FEATURES];
        let mut unique = [0_u32; MAX_FEATURES];
        let mut write = 0_usize;
        for c in 0..MAX_FEATURES {
            let (from, to) = (start.get(c).copied().unwrap_or(0), start.get(c + 1).copied().unwrap_or(0));
            let Some(segment) = scratch.get_mut(from as usize..to as usize) else {
                return;
            };
            segment.sort_unstable_by(|a, b| f32::from_bits(*a).total_cmp(&f32::from_bits(*b)));
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
        let mut order = [0_u8; MAX_FEATURES];
        let mut used = 0_usize;
        for (c, &k) in unique.iter().enumerate() {
            if k > 0 {
                if let (Some(slot), Ok(c)) = (order.get_mut(used), u8::try_from(c)) {
                    *slot = c;
                }
                used += 1;
            }
        }
        let Some(order) = order.get_mut(..used) else {
            return;
        };
        order.sort_unstable_by_key(|&c| (core::cmp::Reverse(unique.get(usize::from(c)).copied().unwrap_or(0)), c));
        let rows: usize = order.iter().map(|&c| unique.get(usize::from(c)).map_or(0, |&k| k as usize + 1)).sum();
        let blocks = trees.div_ceil(16);
        let group = group_for(blocks);
        let groups = blocks.div_ceil(group);
        let table_blocks = groups * group * rows;
        let quads = used.div_ceil(4);
        let stream_blocks: usize = order
            .chunks(4)
            .map(|quad| 2 + quad.first().and_then(|&c| unique.get(usize::from(c))).map_or(0, |&k| k as usize))
            .sum();
        let levels_fit = order.first().and_then(|&c| unique.get(usize::from(c))).is_some_and(|&k| k < 1 << 24);
        if table_blocks > BLOCKS || stream_blocks > BLOCKS || !levels_fit || rows > u32::MAX as usize {
            return;
        }

        // 3. Move the unique borders into the table region, then write the
        //    stream from there.
        let Some(keys) = self.table.as_flattened_mut().get_mut(..4 * write) else {
            return;
        };
        for (key, &bits) in keys.chunks_exact_mut(4).zip(self.stream.as_flattened().iter()) {
            key.copy_from_slice(&bits.to_ne_bytes());
        }
        let keys = &self.table;
        let key = |i: usize| -> u32 {
            let (block, byte) = (i / 4, i % 4 * 4);
            keys.get(block)
                .and_then(|b| b.get(byte..byte + 4))
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, u32::from_ne_bytes)
        };
        // Per used feature, by column: its first row and where its borders
        // are in the stream (quad offset, lane).
        let mut first_row = [0_u32; MAX_FEATURES];
        let mut place = [(0_u32, 0_u8); MAX_FEATURES];
        let mut at = 0_usize;
        let mut row = 0_u32;
        for quad in order.chunks(4) {
            let levels = quad.first().and_then(|&c| unique.get(usize::from(c))).copied().unwrap_or(0);
            let mut head = [levels << 8; 4];
            let mut starts = [0_u32; 4];
            for (lane, &c) in quad.iter().enumerate() {
                let c_ = usize::from(c);
                if let (Some(h), Some(s)) = (head.get_mut(lane), starts.get_mut(lane)) {
                    *h |= u32::from(c);
                    *s = row;
                }
                if let (Some(f), Some(p)) = (first_row.get_mut(c_), place.get_mut(c_)) {
                    *f = row;
                    *p = (at as u32, lane as u8);
                }
                row += unique.get(c_).copied().unwrap_or(0) + 1;
            }
            for (j, slot) in self.stream.iter_mut().skip(at).take(2 + levels as usize).enumerate() {
                *slot = match j {
                    0 => head,
                    1 => starts,
                    _ => {
                        let level = j - 2;
                        let mut borders = [f32::INFINITY.to_bits(); 4];
                        for (b, &c) in borders.iter_mut().zip(quad) {
                            let c = usize::from(c);
                            let k = unique.get(c).copied().unwrap_or(0) as usize;
                            if level < k {
                                *b = key(unique_start.get(c).copied().unwrap_or(0) as usize + level);
                            }
                        }
                        borders
                    }
                };
            }
            at += 2 + levels as usize;
        }
        let _ = quads;

        // 4. The table: zero it, then each split sets its bit in the rows of
        //    the bins above its border's rank.
        let Some(table) = self.table.get_mut(..table_blocks) else {
            return;
        };
        table.fill([0; 16]);
        let stream = &self.stream;
        for (level, (columns, borders)) in self.split_columns.iter().zip(self.split_borders.iter()).take(d).enumerate() {
            for (tree, (&column, &border)) in columns.iter().zip(borders.iter()).take(trees).enumerate() {
                let c = usize::from(column);
                let k = unique.get(c).copied().unwrap_or(0) as usize;
                let (quad, lane) = place.get(c).copied().unwrap_or((0, 0));
                // Rank: how many of the feature's borders are below this one.
                let rank = stream
                    .iter()
                    .skip(quad as usize + 2)
                    .take(k)
                    .filter(|b| b.get(usize::from(lane)).is_some_and(|&b| f32::from_bits(b) < border))
                    .count();
                let first = first_row.get(c).copied().unwrap_or(0) as usize;
                let (g, block, byte) = (tree / (16 * group), tree / 16 % group, tree % 16);
                for bin in rank + 1..=k {
                    let index = (g * rows + first + bin) * group + block;
                    if let Some(b) = table.get_mut(index).and_then(|b| b.get_mut(byte)) {
                        *b |= 1 << level;
                    }
                }
            }
        }
        self.fast = Fast {
            group: group as u8,
            depth,
            used: used as u16,
            rows: rows as u32,
        };
    }

    /// Σ leaf by the table; `G` is `fast.group`.
    pub(super) fn table_sum<const G: usize>(&self, row: &[f32; MAX_FEATURES]) -> f64 {
        let fast = self.fast;
        let used = usize::from(fast.used);
        let rows_per_group = fast.rows as usize;
        let depth = u32::from(fast.depth);

        // 1. Binarize, 4 features at a time: each feature's table row.
        let mut rows = [0_u32; MAX_FEATURES];
        let mut stream = self.stream.iter();
        for slots in rows.chunks_exact_mut(4).take(used.div_ceil(4)) {
            let (Some(head), Some(&starts)) = (stream.next(), stream.next()) else {
                break;
            };
            let levels = head.first().map_or(0, |&h| h >> 8) as usize;
            // A u8 column indexes the 256-slot row without a bounds check.
            let x = head.map(|h| row.get(usize::from(h as u8)).copied().unwrap_or(f32::NAN));
            let mut bins = starts;
            for borders in stream.by_ref().take(levels) {
                for ((bin, &x), &border) in bins.iter_mut().zip(&x).zip(borders) {
                    *bin += u32::from(x > f32::from_bits(border));
                }
            }
            for (slot, bin) in slots.iter_mut().zip(bins) {
                *slot = bin;
            }
        }
        let Some(rows) = rows.get(..used) else {
            return 0.0;
        };

        // 2. Per group of 16·G trees: OR the rows into the leaf indices,
        //    then add the leaves, in 4 interleaved sums.
        let trees = self.tree_count();
        let mut sums = [0.0_f64; 4];
        let mut tree = 0_usize;
        let group_len = rows_per_group * G;
        while tree < trees {
            let g = tree / (16 * G);
            let Some(table) = self.table.get(g * group_len..(g + 1) * group_len) else {
                break;
            };
            let mut acc = [[0_u8; 16]; G];
            for &r in rows {
                if let Some(chunk) = table.get(r as usize * G..).and_then(|s| s.first_chunk::<G>()) {
                    for (a, c) in acc.iter_mut().zip(chunk) {
                        for (a, c) in a.iter_mut().zip(c) {
                            *a |= c;
                        }
                    }
                }
            }
            let count = (trees - tree).min(16 * G);
            let leaves = self.leaves.get(tree << depth..).unwrap_or(&[]);
            let indices = acc.as_flattened();
            let indices = indices.get(..count).unwrap_or(indices);
            let mut chunks = indices.chunks_exact(4);
            let mut base = 0_usize;
            for chunk in &mut chunks {
                for (k, (sum, &i)) in sums.iter_mut().zip(chunk).enumerate() {
                    *sum += leaves.get(base + (k << depth) + usize::from(i)).copied().unwrap_or(0.0);
                }
                base += 4 << depth;
            }
            for (k, (sum, &i)) in sums.iter_mut().zip(chunks.remainder()).enumerate() {
                *sum += leaves.get(base + (k << depth) + usize::from(i)).copied().unwrap_or(0.0);
            }
            tree += count;
        }
        let [a, b, c, d] = sums;
        (a + b) + (c + d)
    }
}
