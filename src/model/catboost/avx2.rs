//! The two evaluators with AVX2.
//!
//! - [`Evaluator::Avx2`], for models of at most 256 used features of at
//!   most 255 borders each: binarize the row as the table evaluator does,
//!   into one byte per used feature (its bin), then per level and 32 trees
//!   look each split's bin up with byte shuffles (`vpshufb`, 16 bins per
//!   table, up to 16 tables in two halves) and compare it with the split's
//!   rank (the number of its feature's borders below its border: the split
//!   is true exactly for the bins above it). Its cost grows with trees ×
//!   depth, not with used features × trees as the table's does, and it
//!   reads 64 bytes per 32 trees and level (96 over 128 used features)
//!   instead of a table row per feature.
//! - [`Evaluator::TableAvx2`], for the other models the table takes: the
//!   table evaluator's code compiled for AVX2, with the rows ORed 32 bytes
//!   (two blocks of 16 trees) per instruction. The build gives it an even
//!   group of blocks when the table has room.
//!
//! Both find the same leaf indices as the table evaluator and add the
//! leaves in its order, so the result is the same, bit for bit.
//!
//! [`Evaluator::Avx2`]: super::Evaluator::Avx2
//! [`Evaluator::TableAvx2`]: super::Evaluator::TableAvx2
//!
//! No `unsafe` here: the intrinsics are value-only (a load is `setr` of four
//! `u64` read from a slice, which compiles to one load), and the functions
//! carry `#[target_feature(enable = "avx2")]`. The one `unsafe` of each
//! path is the call into [`CatBoost::avx2_sum`] or
//! [`CatBoost::table_sum_avx2`] from `raw`.

use core::arch::x86_64::{
    __m256, __m256i, _CMP_GT_OQ, _mm_extract_epi64, _mm256_add_epi8, _mm256_castps_si256, _mm256_castsi256_ps,
    _mm256_castsi256_si128, _mm256_cmp_ps, _mm256_cmpgt_epi8, _mm256_extract_epi64, _mm256_or_si256,
    _mm256_packus_epi16, _mm256_packus_epi32, _mm256_permutevar8x32_epi32, _mm256_set1_epi8, _mm256_setr_epi32,
    _mm256_setr_epi64x, _mm256_setr_ps, _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_sub_epi8, _mm256_sub_epi32,
    _mm256_xor_si256,
};

use super::CatBoost;
use super::table::{Block, LANES, SUMS, UNITS, leaf_sum_of_depth, step_values, total};

/// Most used features [`Evaluator::Avx2`](super::Evaluator::Avx2) takes:
/// two halves of 8 shuffle tables of 16 bins.
pub(super) const LOOKUP_FEATURES: usize = 256;

/// Used features one half of the tables holds.
const HALF: usize = 128;

/// Trees per vector: one byte of leaf index each.
const TREES_PER_VECTOR: usize = 32;

/// Vectors whose leaf indices are found before their leaves are added (so
/// that the byte loads of the leaf sum do not wait on the vector stores).
const ROUND: usize = 4;

/// Lookup index of the feature at position 0 of a half: `position + BIAS`
/// keeps bit 7 clear in exactly the half's tables at or after the
/// feature's (see [`CatBoost::avx2_sum`]).
const BIAS: u8 = 0x70;

/// Lookup index of a feature in the other half: bit 7 stays set in all 8
/// of this half's tables (`0xF0 − 16·7 = 0x80`), so they give 0.
const ELSEWHERE: u8 = 0xF0;

/// Blocks per level and vector: 32 lookup indices per half used, and 32
/// ranks.
const fn stride(used: usize) -> usize {
    if used > HALF { 6 } else { 4 }
}

/// Blocks the split vectors of [`Evaluator::Avx2`](super::Evaluator::Avx2)
/// take for a model of `used` used features: per 32 trees and level, 32
/// bytes of lookup indices per half of the tables used, and 32 of ranks.
/// At most the stream's size for the same model, so
/// [`table_blocks`](super::table_blocks) always leaves room.
pub(super) const fn lookup_blocks(trees: usize, depth: usize, used: usize) -> usize {
    trees.div_ceil(TREES_PER_VECTOR) * depth * stride(used)
}

/// Writes the split vectors of [`Evaluator::Avx2`](super::Evaluator::Avx2)
/// into `data`: per 32 trees, per level, the lookup indices of the split's
/// feature position (from `split(level, tree)`) in the first half of the
/// tables, then (over 128 used features) in the second, then the ranks XOR
/// 0x80 (so that a signed byte compare orders them as unsigned). Trees
/// past `trees` get a rank no bin exceeds. Returns the number of 16-bin
/// tables the row needs (1 to 16).
pub(super) fn write_lookup(
    data: &mut [Block],
    trees: usize,
    depth: usize,
    used: usize,
    split: impl Fn(usize, usize) -> (u8, usize),
) -> u32 {
    let stride = stride(used);
    let per_vector = stride * depth.max(1);
    for (v, vector) in data.chunks_exact_mut(per_vector).take(trees.div_ceil(TREES_PER_VECTOR)).enumerate() {
        for (level, blocks) in vector.chunks_exact_mut(stride).enumerate() {
            let mut low = [BIAS; TREES_PER_VECTOR];
            let mut high = [ELSEWHERE; TREES_PER_VECTOR];
            let mut rank = [u8::MAX ^ 0x80; TREES_PER_VECTOR];
            for (lane, ((low, high), rank)) in low.iter_mut().zip(&mut high).zip(&mut rank).enumerate() {
                let tree = v * TREES_PER_VECTOR + lane;
                if tree < trees {
                    let (position, r) = split(level, tree);
                    match position.checked_sub(HALF as u8) {
                        None => *low = position + BIAS,
                        Some(p) => (*low, *high) = (ELSEWHERE, p + BIAS),
                    }
                    *rank = u8::try_from(r).unwrap_or(u8::MAX) ^ 0x80;
                }
            }
            let high = if stride == 6 { &high[..] } else { &[] };
            let bytes = low.chunks_exact(16).chain(high.chunks_exact(16)).chain(rank.chunks_exact(16));
            for (block, bytes) in blocks.iter_mut().zip(bytes) {
                block.0.copy_from_slice(bytes);
            }
        }
    }
    used.div_ceil(16).clamp(1, LOOKUP_FEATURES / 16) as u32
}

/// The shuffle tables of one half: table `j` holds `bins[16j..16j + 16]`
/// in both 128-bit lanes, XOR table `j + 1` (the last as is).
#[inline]
#[target_feature(enable = "avx2")]
fn cascade<const Q: usize>(bins: &[u8]) -> [__m256i; Q] {
    let mut tables = [_mm256_setzero_si256(); Q];
    for (table, bins) in tables.iter_mut().zip(bins.as_chunks::<16>().0) {
        let block = Block(*bins);
        *table = load(&[block, block]);
    }
    let mut above = _mm256_setzero_si256();
    for table in tables.iter_mut().rev() {
        let own = *table;
        *table = _mm256_xor_si256(own, above);
        above = own;
    }
    tables
}

/// The bytes of one half's `tables` at the lookup indices `at`: a feature's
/// bin where its position is in this half, 0 where it is in the other.
#[inline]
#[target_feature(enable = "avx2")]
fn look_up<const Q: usize>(tables: &[__m256i; Q], mut at: __m256i) -> __m256i {
    let mut bin = _mm256_setzero_si256();
    for &table in tables {
        bin = _mm256_xor_si256(bin, _mm256_shuffle_epi8(table, at));
        at = _mm256_sub_epi8(at, _mm256_set1_epi8(0x10));
    }
    bin
}

/// Little-endian `u64` number `half` (0 or 1) of `block`, as `i64`.
#[inline(always)]
fn word(block: &Block, half: usize) -> i64 {
    block.0.get(half * 8..).and_then(|b| b.first_chunk::<8>()).map_or(0, |b| i64::from_le_bytes(*b))
}

/// Two consecutive blocks as one vector (one 256-bit load).
#[inline]
#[target_feature(enable = "avx2")]
fn load(pair: &[Block; 2]) -> __m256i {
    let [a, b] = pair;
    _mm256_setr_epi64x(word(a, 0), word(a, 1), word(b, 0), word(b, 1))
}

/// ORs rows `rows` of a group's `table` (`G = 2·H` blocks a row) into `G`
/// blocks of leaf indices, two blocks per instruction.
#[inline]
#[target_feature(enable = "avx2")]
fn or_rows<const G: usize, const H: usize>(table: &[Block], rows: &[u16]) -> [Block; G] {
    let mut acc = [_mm256_setzero_si256(); H];
    // The table as rows of `G` blocks: one compare per row checks it.
    let (table, _) = table.as_chunks::<G>();
    for &r in rows {
        if let Some(blocks) = table.get(usize::from(r)) {
            for (acc, pair) in acc.iter_mut().zip(blocks.as_chunks::<2>().0) {
                *acc = _mm256_or_si256(*acc, load(pair));
            }
        }
    }
    let mut out = [Block([0; 16]); G];
    for (pair, acc) in out.chunks_exact_mut(2).zip(acc) {
        let words = [
            _mm256_extract_epi64::<0>(acc),
            _mm256_extract_epi64::<1>(acc),
            _mm256_extract_epi64::<2>(acc),
            _mm256_extract_epi64::<3>(acc),
        ];
        for (block, words) in pair.iter_mut().zip(words.chunks_exact(2)) {
            for (bytes, word) in block.0.chunks_exact_mut(8).zip(words) {
                bytes.copy_from_slice(&word.to_le_bytes());
            }
        }
    }
    out
}

/// Eight `f32` of `x` from `at`.
#[inline]
#[target_feature(enable = "avx2")]
fn ps(x: &[f32; LANES], at: usize) -> __m256 {
    let x = |i: usize| x.get(at + i).copied().unwrap_or(0.0);
    _mm256_setr_ps(x(0), x(1), x(2), x(3), x(4), x(5), x(6), x(7))
}

/// Two 4-lane stream units as one vector.
#[inline]
#[target_feature(enable = "avx2")]
fn units(a: &[u32; 4], b: &[u32; 4]) -> __m256i {
    let word = |u: &[u32; 4], i: usize| {
        let low = u.get(2 * i).copied().unwrap_or(0);
        let high = u.get(2 * i + 1).copied().unwrap_or(0);
        (u64::from(low) | u64::from(high) << 32) as i64
    };
    _mm256_setr_epi64x(word(a, 0), word(a, 1), word(b, 0), word(b, 1))
}

/// `v`'s 32 bytes.
#[inline]
#[target_feature(enable = "avx2")]
fn bytes(v: __m256i) -> [u8; 32] {
    let words = [
        _mm256_extract_epi64::<0>(v),
        _mm256_extract_epi64::<1>(v),
        _mm256_extract_epi64::<2>(v),
        _mm256_extract_epi64::<3>(v),
    ];
    let mut out = [0_u8; 32];
    for (bytes, word) in out.chunks_exact_mut(8).zip(words) {
        bytes.copy_from_slice(&word.to_le_bytes());
    }
    out
}

impl<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize>
    CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>
{
    /// The row's bins for the AVX2 evaluator, XOR 0x80, one byte per used
    /// feature in the stream's order: the table evaluator's binarization
    /// without the first rows (the bins themselves), with the compares and
    /// the packing to bytes written out for AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn binarize_avx2(&self, row: &[f32; FEATURES]) -> [u8; LOOKUP_FEATURES] {
        let mut out = [0_u8; LOOKUP_FEATURES];
        let used = usize::from(self.fast.used);
        // The stream's steps: a head, the level starts (not read here), then
        // `levels` units of 16 borders.
        let mut rest: &[[u32; 4]] = &self.stream;
        // 32-bit groups of the packed bytes in feature order (see below).
        let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for slots in out.as_chunks_mut::<LANES>().0.iter_mut().take(used.div_ceil(LANES)) {
            let Some(head) = rest.get(..UNITS) else {
                break;
            };
            let (levels, x) = step_values(head, row);
            let step = rest.get(2 * UNITS..).unwrap_or(&[]);
            let (borders, next) = step.split_at(step.len().min(levels * UNITS));
            rest = next;
            let (low, high) = (ps(&x, 0), ps(&x, 8));
            let (mut bins_low, mut bins_high) = (_mm256_setzero_si256(), _mm256_setzero_si256());
            // A true compare is all ones, −1: subtracting it counts.
            let mut count = |a: &[u32; 4], b: &[u32; 4], c: &[u32; 4], d: &[u32; 4]| {
                let above_low = _mm256_cmp_ps::<_CMP_GT_OQ>(low, _mm256_castsi256_ps(units(a, b)));
                let above_high = _mm256_cmp_ps::<_CMP_GT_OQ>(high, _mm256_castsi256_ps(units(c, d)));
                bins_low = _mm256_sub_epi32(bins_low, _mm256_castps_si256(above_low));
                bins_high = _mm256_sub_epi32(bins_high, _mm256_castps_si256(above_high));
            };
            // Two levels a turn: half the loop's bookkeeping per compare.
            let (pairs, odd) = borders.as_chunks::<{ 2 * UNITS }>();
            for [a, b, c, d, e, f, g, h] in pairs {
                count(a, b, c, d);
                count(e, f, g, h);
            }
            for [a, b, c, d] in odd.as_chunks::<UNITS>().0 {
                count(a, b, c, d);
            }
            // 16 counts of at most 255 to bytes: the packs work per 128-bit
            // half, so the 4-byte groups come out as low[0..4], high[0..4],
            // (again), low[4..8], high[4..8], (again); `order` puts them
            // back in feature order.
            let words = _mm256_packus_epi32(bins_low, bins_high);
            let bytes = _mm256_packus_epi16(words, words);
            let bytes = _mm256_xor_si256(_mm256_permutevar8x32_epi32(bytes, order), _mm256_set1_epi8(-0x80));
            let bytes = _mm256_castsi256_si128(bytes);
            let words = [_mm_extract_epi64::<0>(bytes), _mm_extract_epi64::<1>(bytes)];
            for (slot, word) in slots.as_chunks_mut::<8>().0.iter_mut().zip(words) {
                *slot = word.to_le_bytes();
            }
        }
        out
    }

    /// Σ leaf by the AVX2 evaluator.
    ///
    /// The row's bins, XOR 0x80, fill `fast.rows` tables of 16 (the used
    /// features in the stream's order), in up to two halves of 8. A split's
    /// bin is a lookup among up to 128 bytes per half; `vpshufb` looks up
    /// among 16 and gives 0 where the index has bit 7 set. With index
    /// `i₀ = position + 0x70` and `iⱼ = i₀ − 16j`, bit 7 is clear exactly in
    /// tables `j ≥ q`, `q` the table that holds the position, and the low
    /// four bits are the position's. So the tables are stored as
    /// `Tⱼ ^ Tⱼ₊₁` (the last as is): the XOR of the lookups in tables `q..`
    /// telescopes to `T_q`'s byte. The half that does not hold the position
    /// gets index `0xF0`, which keeps bit 7 set in all its 8 tables.
    #[target_feature(enable = "avx2")]
    pub(super) fn avx2_sum(&self, features: &[f32]) -> f64 {
        let mut row = [f32::NAN; FEATURES];
        self.row(features, &mut row);
        let bins = self.binarize_avx2(&row);
        // More tables than the row needs are correct too (they hold 0 and
        // cascade to nothing), so a few sizes serve every count.
        match self.fast.rows {
            1 => self.lookup_sum::<1, 0>(&bins),
            2 => self.lookup_sum::<2, 0>(&bins),
            3 => self.lookup_sum::<3, 0>(&bins),
            4 => self.lookup_sum::<4, 0>(&bins),
            5 => self.lookup_sum::<5, 0>(&bins),
            6 => self.lookup_sum::<6, 0>(&bins),
            7 => self.lookup_sum::<7, 0>(&bins),
            8 => self.lookup_sum::<8, 0>(&bins),
            9 | 10 => self.lookup_sum::<8, 2>(&bins),
            11 | 12 => self.lookup_sum::<8, 4>(&bins),
            13 | 14 => self.lookup_sum::<8, 6>(&bins),
            // 16, the most `write_lookup` gives: all 256 positions.
            _ => self.lookup_sum::<8, 8>(&bins),
        }
    }

    /// [`avx2_sum`](Self::avx2_sum) after the binarization, with `LOW`
    /// tables in the first half and `HIGH` in the second (0: no second
    /// half, 4 blocks a level; else 6).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn lookup_sum<const LOW: usize, const HIGH: usize>(&self, bins: &[u8; LOOKUP_FEATURES]) -> f64 {
        let (first, second) = bins.split_at(HALF);
        let low = cascade::<LOW>(first);
        let high = cascade::<HIGH>(second);
        let stride = if HIGH == 0 { 4 } else { 6 };

        let fast = self.fast;
        let depth = usize::from(fast.depth);
        let trees = self.tree_count();
        let data = self.table.get(usize::from(fast.skew)..).unwrap_or(&[]);
        let vectors = data.chunks_exact(stride * depth.max(1)).take(trees.div_ceil(TREES_PER_VECTOR));
        let mut sums = [0.0_f64; SUMS];
        let mut tree = 0;
        let mut indices = [0_u8; ROUND * TREES_PER_VECTOR];
        let mut filled = 0;
        for (v, vector) in vectors.enumerate() {
            // Levels last to first: each doubles the index and adds its bit.
            let mut index = _mm256_setzero_si256();
            for level in vector.chunks_exact(stride).rev() {
                let (Some(at), Some(ranks)) = (level.first_chunk::<2>(), level.last_chunk::<2>()) else {
                    break;
                };
                let mut bin = look_up(&low, load(at));
                if HIGH > 0
                    && let Some(at) = level.get(2..).and_then(|l| l.first_chunk::<2>())
                {
                    bin = _mm256_xor_si256(bin, look_up(&high, load(at)));
                }
                let split = _mm256_cmpgt_epi8(bin, load(ranks));
                index = _mm256_sub_epi8(_mm256_add_epi8(index, index), split);
            }
            if let Some(slot) = indices.get_mut(filled..).and_then(|s| s.first_chunk_mut::<TREES_PER_VECTOR>()) {
                *slot = bytes(index);
            }
            filled += TREES_PER_VECTOR;
            if filled == indices.len() || (v + 1) * TREES_PER_VECTOR >= trees {
                let count = (trees - tree).min(filled);
                let leaves = self.leaves.get(tree << depth..).unwrap_or(&[]);
                let indices = indices.get(..count).unwrap_or(&[]);
                sums = leaf_sum_of_depth(depth as u32, leaves, indices, sums);
                tree += count;
                filled = 0;
            }
        }
        total(sums)
    }

    /// Σ leaf by the table evaluator with AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) fn table_sum_avx2(&self, features: &[f32]) -> f64 {
        let mut row = [f32::NAN; FEATURES];
        self.row(features, &mut row);
        match self.fast.group {
            2 => self.table_sum_by::<2>(&row, |table, rows| or_rows::<2, 1>(table, rows)),
            4 => self.table_sum_by::<4>(&row, |table, rows| or_rows::<4, 2>(table, rows)),
            6 => self.table_sum_by::<6>(&row, |table, rows| or_rows::<6, 3>(table, rows)),
            8 => self.table_sum_by::<8>(&row, |table, rows| or_rows::<8, 4>(table, rows)),
            // An odd group (no room for an even one): the same code, 16
            // bytes at a time.
            _ => self.table_sum_any(&row),
        }
    }
}
