//! The AVX-512 evaluator of [`CatBoost`]: compiled into every x86-64 build,
//! chosen at load on a CPU with AVX-512 F, BW and VBMI (Ice Lake, Zen 4 or
//! newer; [`Isa::detected`](super::Isa::detected)) for every model it takes,
//! instead of the table evaluators. See the type's "Runtime dispatch"
//! documentation.
//!
//! Layout, written into the table's storage (`table`, 16-byte blocks) by
//! [`CatBoost::build_avx512`]:
//!
//! - block 0, the header: byte 0 the number of chunks (1 to 8), bytes 1..=8
//!   each chunk's number of border rows, byte 9 the first block of the
//!   border rows (after up to 3 blocks of padding that put them, and the
//!   split vectors after them, on a 64-byte boundary);
//! - block 1: per chunk, a `u16` of the lanes whose column is `AsTrue` (a
//!   NaN there is above every border);
//! - one block per chunk: the 16 input columns of its lanes;
//! - per chunk, per border row, 4 blocks: 16 `f32` borders, lane `i`'s
//!   `j`-th border in row `j`, padded with `+inf`;
//! - per 64-tree block, per level, 4 blocks of lane numbers (which of the
//!   128 binarized bytes the split reads) and 4 blocks of thresholds (the
//!   split is true when that byte is at least its threshold).
//!
//! A lane holds a *piece*: a run of consecutive sorted unique borders of one
//! feature, at most 255 long. Its byte is how many of them the value
//! exceeds, a thermometer code: for the piece's `i`-th border (from 0),
//! `value > border` exactly when the byte is at least `i + 1`. So a feature
//! can be cut into several pieces at no cost per split. The build picks the
//! longest piece length by a cost model (a border row per row, a chunk four
//! rows' worth), with at most 128 pieces: for the 100-tree benchmark model,
//! 58 features with 1 to 31 borders each, that is 5 chunks of 40 rows.
//!
//! The one `unsafe` of this path is the call into [`avx512_sum`] from
//! `raw` (`#[target_feature]` functions cannot be called safely from code
//! without the attribute), sound because the evaluator is chosen only after
//! the detection said the CPU and OS support it. The functions here use
//! value-only intrinsics, which are safe inside `#[target_feature]`
//! functions: no pointer is read or written.
//!
//! [`avx512_sum`]: CatBoost::avx512_sum
//!
//! AVX-512 intrinsics are stable since Rust 1.89, the crate's MSRV.

use core::arch::x86_64::{
    __m256i, __m512, __m512d, __m512i, _CMP_GT_OQ, _CMP_UNORD_Q, _mm_cvtsd_f64, _mm_set_epi64x, _mm_unpackhi_pd,
    _mm256_castpd_ps, _mm256_castpd256_pd128, _mm256_castps_si256, _mm256_castsi256_ps, _mm256_cmp_ps,
    _mm256_extract_epi64, _mm256_extractf128_pd, _mm256_setr_epi64x, _mm256_setzero_si256, _mm256_sub_epi32,
    _mm512_add_epi8, _mm512_add_epi32, _mm512_add_pd, _mm512_castpd512_pd256, _mm512_castps_pd, _mm512_castps512_ps256,
    _mm512_castsi256_si512, _mm512_cmp_ps_mask, _mm512_cmpeq_epi32_mask, _mm512_cmpge_epu8_mask,
    _mm512_cmplt_epi32_mask, _mm512_cvtepu8_epi32, _mm512_extractf64x4_pd, _mm512_extracti64x4_epi64,
    _mm512_inserti64x4, _mm512_mask_add_epi8, _mm512_mask_add_pd, _mm512_mask_mov_ps, _mm512_mask_permutexvar_ps,
    _mm512_packs_epi32, _mm512_packus_epi16, _mm512_permutex2var_epi8, _mm512_permutex2var_ps, _mm512_set1_epi8,
    _mm512_set1_epi32, _mm512_set1_ps, _mm512_setr_epi32, _mm512_setr_epi64, _mm512_setr_pd, _mm512_setr_ps,
    _mm512_setzero_pd, _mm512_setzero_si512, _mm512_srli_epi32, _mm512_test_epi32_mask,
};

use super::table::{Block, Fast, SUMS, heapsort, total};
use super::{CatBoost, Evaluator};

/// Pieces binarized per chunk: 16 `f32` lanes of a 512-bit register.
const LANES: usize = 16;

/// 16-column windows of a 256-column row.
const WINDOWS: usize = COLUMNS / 16;

/// Columns the evaluator reads: a lane's column is a byte. Wider models run
/// the table evaluator.
pub(super) const COLUMNS: usize = 256;

/// Most chunks: `vpermt2b` looks bytes up in two 64-byte registers, so at
/// most 128 pieces.
const MAX_CHUNKS: usize = 8;

/// What a chunk costs beyond its border rows, in border rows.
const CHUNK_COST: usize = 4;

/// Most pieces: 16 lanes in each of [`MAX_CHUNKS`] chunks.
const MAX_PIECES: usize = LANES * MAX_CHUNKS;

/// Trees per split block: 64 `u8` leaf indices in a 512-bit register.
const TREES_PER_BLOCK: usize = 64;

/// Blocks whose leaf indices are computed before their leaves are summed.
const ROUND: usize = 8;

/// Little-endian `u64` number `i` of `blocks` (two per block), as `i64`.
#[inline(always)]
fn word(blocks: &[Block], i: usize) -> i64 {
    let [block, half] = [i / 2, i % 2 * 8];
    blocks
        .get(block)
        .and_then(|b| b.0.get(half..))
        .and_then(|b| b.first_chunk::<8>())
        .map_or(0, |b| i64::from_le_bytes(*b))
}

/// 64 bytes of four consecutive blocks as a vector. `setr` of eight `u64`
/// read in memory order compiles to one unaligned 512-bit load.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn load(blocks: &[Block; 4]) -> __m512i {
    let w = |i| word(blocks, i);
    _mm512_setr_epi64(w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7))
}

/// 32 bytes of two consecutive blocks as a vector (one 256-bit load).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn load_half(blocks: &[Block; 2]) -> __m256i {
    let w = |i| word(blocks, i);
    _mm256_setr_epi64x(w(0), w(1), w(2), w(3))
}

/// The 64 bytes of a vector, in lane order.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn bytes(v: __m512i) -> [u8; 64] {
    let (lo, hi) = (_mm512_extracti64x4_epi64::<0>(v), _mm512_extracti64x4_epi64::<1>(v));
    let words = [
        _mm256_extract_epi64::<0>(lo),
        _mm256_extract_epi64::<1>(lo),
        _mm256_extract_epi64::<2>(lo),
        _mm256_extract_epi64::<3>(lo),
        _mm256_extract_epi64::<0>(hi),
        _mm256_extract_epi64::<1>(hi),
        _mm256_extract_epi64::<2>(hi),
        _mm256_extract_epi64::<3>(hi),
    ];
    let mut out = [0_u8; 64];
    for (out, word) in out.chunks_exact_mut(8).zip(words) {
        out.copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// `values[at..at + 16]`, NaN past the end of `values`: one load when
/// all 16 are there, else a shift of the last 16 (`last`), or for a slice
/// shorter than 16 a copy. Callers inline it (it is on the hot path, once
/// per window); the cold copy is its own function.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn sixteen(values: &[f32], at: usize, last: Option<__m512>) -> __m512 {
    let nan = _mm512_set1_ps(f32::NAN);
    if let Some(v) = values.get(at..).and_then(|v| v.first_chunk::<16>()) {
        return load_ps(v);
    }
    match last {
        // `at + i` is lane `i + shift` of the last 16, there for `i < 16 - shift`.
        Some(last) if at < values.len() => {
            let shift = (at + 16 - values.len()) as i32;
            let lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            let there = _mm512_cmplt_epi32_mask(lane, _mm512_set1_epi32(16 - shift));
            _mm512_mask_permutexvar_ps(nan, there, _mm512_add_epi32(lane, _mm512_set1_epi32(shift)), last)
        }
        Some(_) => nan,
        None => short(values, at),
    }
}

/// 16 `f32` as a vector (one load).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn load_ps(v: &[f32; 16]) -> __m512 {
    _mm512_setr_ps(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15])
}

/// [`sixteen`] of a slice shorter than 16.
#[cold]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn short(values: &[f32], at: usize) -> __m512 {
    let mut short = [f32::NAN; 16];
    for (slot, &value) in short.iter_mut().zip(values.get(at..).unwrap_or(&[])) {
        *slot = value;
    }
    load_ps(&short)
}

/// A chunk's 16 columns, as `i32` lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn lanes(columns: &Block) -> __m512i {
    let half =
        |i: usize| columns.0.get(i * 8..).and_then(|b| b.first_chunk::<8>()).map_or(0, |b| i64::from_le_bytes(*b));
    _mm512_cvtepu8_epi32(_mm_set_epi64x(half(1), half(0)))
}

/// The values of a row of at most 64 columns (4 windows) at a chunk's
/// 16 `columns`: two permutes and a blend.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn gather_64(row: &[__m512; 4], columns: &Block) -> __m512 {
    let columns = lanes(columns);
    let low = _mm512_permutex2var_ps(row[0], columns, row[1]);
    let high = _mm512_permutex2var_ps(row[2], columns, row[3]);
    _mm512_mask_mov_ps(low, _mm512_test_epi32_mask(columns, _mm512_set1_epi32(32)), high)
}

/// The 16 lanes' values of `row` (16-column windows) at a chunk's
/// `columns`: one two-window permute per 32 columns of the row.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn gather(row: &[__m512; WINDOWS], windows: usize, columns: &Block) -> __m512 {
    let columns = lanes(columns);
    let pair = _mm512_srli_epi32::<5>(columns);
    let mut x = _mm512_set1_ps(f32::NAN);
    for (p, two) in row.chunks_exact(2).take(windows.div_ceil(2)).enumerate() {
        if let &[a, b] = two {
            let lanes = _mm512_cmpeq_epi32_mask(pair, _mm512_set1_epi32(p as i32));
            x = _mm512_mask_mov_ps(x, lanes, _mm512_permutex2var_ps(a, columns, b));
        }
    }
    x
}

/// Where piece `p` (chunk `p / 16`, lane `p % 16`) lands among the 128
/// binarized bytes: `_mm512_packs_epi32` then `_mm512_packus_epi16` of
/// chunks 0 to 3 (and 4 to 7) interleave them per 128-bit lane, 4 lanes of
/// each chunk at a time.
const fn byte_of(p: usize) -> u8 {
    let (chunk, lane) = (p / LANES, p % LANES);
    (64 * (chunk / 4) + 16 * (lane / 4) + 4 * (chunk % 4) + lane % 4) as u8
}

/// Cuts each column's `k` sorted borders into `⌈k / longest⌉` pieces of
/// near-equal length (at most `longest`), calling `piece(index, column,
/// first border, length)` for each; `None` when there would be more than
/// [`MAX_PIECES`].
fn pieces(
    order: &[u8],
    k_of: &impl Fn(u8) -> usize,
    longest: usize,
    mut piece: impl FnMut(usize, u8, usize, u8),
) -> Option<usize> {
    let mut n = 0;
    for &c in order {
        let k = k_of(c);
        let count = k.div_ceil(longest);
        let mut first = 0;
        for i in 0..count {
            // The first `k % count` pieces are one longer.
            let len = k / count + usize::from(i < k % count);
            if n == MAX_PIECES {
                return None;
            }
            piece(n, c, first, len as u8);
            first += len;
            n += 1;
        }
    }
    Some(n)
}

impl<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize>
    CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>
{
    /// Writes the AVX-512 layout and turns it on, or returns `false` (and
    /// leaves `fast` as it was) when the model does not fit: more than 128
    /// pieces (see the module documentation) or too small a `BLOCKS`.
    /// `order` is the used columns; column `c`'s unique borders, ascending,
    /// are `scratch[start[c]..][..k[c]]` as `f32` bits, `scratch` being
    /// `stream` flattened. The trees all have depth `depth` (1 to 8).
    /// O(`TREES·DEPTH·k` + 255 · 128 log 128), no allocation.
    pub(super) fn build_avx512(&mut self, order: &[u8], k: &[u32], start: &[u32], depth: u8) -> bool {
        let (trees, d) = (self.tree_count(), usize::from(depth));
        let k_of = |c: u8| k.get(usize::from(c)).map_or(0, |&k| k as usize);

        // 1. The longest piece `longest` with the cheapest binarization:
        //    a border row costs two compares and two adds, a chunk about
        //    four rows' worth (gathering its values, its loop, its counts;
        //    measured on the benchmark model by forcing piece lengths).
        let mut best: Option<(usize, usize, usize)> = None;
        let mut lengths = [0_u8; MAX_PIECES];
        for longest in 1..=255 {
            let Some(n) = pieces(order, &k_of, longest, |p, _, _, len| {
                if let Some(slot) = lengths.get_mut(p) {
                    *slot = len;
                }
            }) else {
                continue;
            };
            let lengths = lengths.get_mut(..n).unwrap_or(&mut []);
            heapsort(lengths, |a, b| a > b);
            let rows: usize = lengths.iter().step_by(LANES).map(|&len| usize::from(len)).sum();
            let cost = rows + CHUNK_COST * n.div_ceil(LANES);
            if best.is_none_or(|(_, _, cheapest)| cost < cheapest) {
                best = Some((longest, rows, cost));
            }
        }
        let Some((longest, border_rows, _)) = best else {
            return false;
        };

        // 2. The pieces, longest first: (length, column, first border).
        let mut all = [(0_u8, 0_u8, 0_u16); MAX_PIECES];
        let count = pieces(order, &k_of, longest, |p, c, first, len| {
            if let Some(slot) = all.get_mut(p) {
                *slot = (len, c, first as u16);
            }
        })
        .unwrap_or(0);
        let all = all.get_mut(..count).unwrap_or(&mut []);
        heapsort(all, |a, b| (core::cmp::Reverse(a.0), a.1, a.2) < (core::cmp::Reverse(b.0), b.1, b.2));
        let all = &*all;
        let chunks = all.len().div_ceil(LANES);
        // The border rows and split vectors start on a 64-byte boundary
        // where the model is now (unaligned 64-byte loads cost twice as
        // much when they cross a cache line; a moved model stays correct).
        let misaligned = (self.table.as_ptr() as usize / 16 + 2 + chunks) % 4;
        let borders_at = 2 + chunks + (4 - misaligned) % 4;
        let splits_at = borders_at + 4 * border_rows;
        let needed = splits_at + 8 * d * trees.div_ceil(TREES_PER_BLOCK);
        if all.is_empty() || chunks > MAX_CHUNKS || needed > BLOCKS || u32::try_from(splits_at).is_err() {
            return false;
        }
        let scratch = self.stream.as_flattened();
        let border = |c: u8, j: usize| {
            let at = start.get(usize::from(c)).map_or(0, |&s| s as usize) + j;
            scratch.get(at).copied().unwrap_or(f32::INFINITY.to_bits())
        };
        let Some(table) = self.table.get_mut(..needed) else {
            return false;
        };
        table.fill(Block([0; 16]));
        let mut write = |block: usize, byte: usize, value: u8| {
            if let Some(b) = table.get_mut(block).and_then(|b| b.0.get_mut(byte)) {
                *b = value;
            }
        };

        // 3. Header, AsTrue lanes, columns and border rows.
        write(0, 0, chunks as u8);
        write(0, 9, borders_at as u8);
        let mut at = borders_at;
        for (i, chunk) in all.chunks(LANES).enumerate() {
            let rows = chunk.first().map_or(0, |&(len, _, _)| usize::from(len));
            write(0, 1 + i, rows as u8);
            let mut as_true = 0_u16;
            for (lane, &(_, c, _)) in chunk.iter().enumerate() {
                write(2 + i, lane, c);
                if self.nan_replacement.get(usize::from(c)).is_some_and(|&r| r == f32::INFINITY) {
                    as_true |= 1 << lane;
                }
            }
            for (n, byte) in as_true.to_le_bytes().into_iter().enumerate() {
                write(1, 2 * i + n, byte);
            }
            for j in 0..rows {
                for lane in 0..LANES {
                    let bits = match chunk.get(lane) {
                        Some(&(len, c, first)) if j < usize::from(len) => border(c, usize::from(first) + j),
                        _ => f32::INFINITY.to_bits(),
                    };
                    for (n, byte) in bits.to_le_bytes().into_iter().enumerate() {
                        let offset = lane * 4 + n;
                        write(at + 4 * j + offset / 16, offset % 16, byte);
                    }
                }
            }
            at += 4 * rows;
        }

        // 4. Split vectors: the lane of the piece holding the split's
        //    border, and the count of that piece that makes it true.
        for (level, (columns, borders)) in self.split_columns.iter().zip(self.split_borders.iter()).take(d).enumerate()
        {
            for (tree, (&c, &b)) in columns.iter().zip(borders.iter()).take(trees).enumerate() {
                // The low byte is the column: the caller checked that the
                // model is at most 256 columns wide.
                // Unique borders of the feature below this one.
                let rank = (0..k_of(c)).filter(|&j| f32::from_bits(border(c, j)) < b).count();
                let Some((lane, &(_, _, first))) = all.iter().enumerate().find(|&(_, &(len, column, first))| {
                    column == c && usize::from(first) <= rank && rank < usize::from(first) + usize::from(len)
                }) else {
                    return false;
                };
                let vectors = splits_at + 8 * (d * (tree / TREES_PER_BLOCK) + level);
                let (block, byte) = (tree % TREES_PER_BLOCK / 16, tree % 16);
                write(vectors + block, byte, byte_of(lane));
                write(vectors + 4 + block, byte, (rank - usize::from(first) + 1) as u8);
            }
        }
        self.fast = Fast {
            evaluator: Evaluator::Avx512,
            limit: self.fast.limit,
            group: 0,
            depth,
            used: order.len() as u16,
            rows: splits_at as u32,
            skew: 0,
        };
        true
    }

    /// Σ leaf by the AVX-512 layout (see the module documentation).
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub(super) fn avx512_sum(&self, features: &[f32]) -> f64 {
        // The row in 16-column windows, NaN replaced per column (+inf for
        // AsTrue, NaN stays NaN, so `NaN > border` is false, for the rest);
        // columns past the end of `features` are missing values (NaN).
        let windows = self.feature_count().div_ceil(16).min(WINDOWS);
        if windows <= 4 {
            // Up to 64 columns: the row stays in four registers.
            let last = features.last_chunk::<16>().map(|v| load_ps(v));
            let row = [
                sixteen(features, 0, last),
                sixteen(features, 16, last),
                sixteen(features, 32, last),
                sixteen(features, 48, last),
            ];
            self.avx512_sum_of(|columns| gather_64(&row, columns))
        } else {
            let last = features.last_chunk::<16>().map(|v| load_ps(v));
            let mut row = [_mm512_set1_ps(f32::NAN); WINDOWS];
            for (w, slot) in row.iter_mut().enumerate().take(windows) {
                *slot = sixteen(features, 16 * w, last);
            }
            self.avx512_sum_of(|columns| gather(&row, windows, columns))
        }
    }

    /// Σ leaf by the AVX-512 layout, the row's values at a chunk's columns
    /// coming from `gather`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    fn avx512_sum_of(&self, gather: impl Fn(&Block) -> __m512) -> f64 {
        let table = &self.table;
        let (Some(header), Some(as_true)) = (table.first(), table.get(1)) else {
            return 0.0;
        };
        let chunks = header.0.first().map_or(0, |&n| usize::from(n)).min(MAX_CHUNKS);

        // 1. Binarize 16 pieces per chunk: per border row, one compare and
        //    a count, then two rounds of saturating packs make the counts
        //    bytes (in the order of [`byte_of`]).
        let mut counts = [_mm512_setzero_si512(); MAX_CHUNKS];
        let mut at = header.0.get(9).map_or(0, |&b| usize::from(b));
        for (chunk, counts) in counts.iter_mut().enumerate().take(chunks) {
            // Two 256-bit halves: their compares give all-ones lanes, which
            // count by subtraction, with no mask register in the chain.
            let (mut low_count, mut high_count) = (_mm256_setzero_si256(), _mm256_setzero_si256());
            {
                let rows = header.0.get(1 + chunk).map_or(0, |&r| usize::from(r));
                let Some(columns) = table.get(2 + chunk) else {
                    return 0.0;
                };
                let x = gather(columns);
                // NaN in an AsTrue column is above every border.
                let as_true =
                    as_true.0.get(2 * chunk..).and_then(|b| b.first_chunk::<2>()).map_or(0, |b| u16::from_le_bytes(*b));
                let x = if as_true == 0 {
                    x
                } else {
                    _mm512_mask_mov_ps(
                        x,
                        _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(x, x) & as_true,
                        _mm512_set1_ps(f32::INFINITY),
                    )
                };
                let (x_low, x_high) =
                    (_mm512_castps512_ps256(x), _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(x))));
                for borders in table.get(at..at + 4 * rows).unwrap_or(&[]).chunks_exact(4) {
                    let (Some(low), Some(high)) =
                        (borders.first_chunk::<2>(), borders.get(2..).and_then(|b| b.first_chunk::<2>()))
                    else {
                        break;
                    };
                    // `x > border`, false for NaN: a missing value is below
                    // every border (AsTrue NaNs are +inf by now).
                    let above_low = _mm256_cmp_ps::<_CMP_GT_OQ>(x_low, _mm256_castsi256_ps(load_half(low)));
                    let above_high = _mm256_cmp_ps::<_CMP_GT_OQ>(x_high, _mm256_castsi256_ps(load_half(high)));
                    low_count = _mm256_sub_epi32(low_count, _mm256_castps_si256(above_low));
                    high_count = _mm256_sub_epi32(high_count, _mm256_castps_si256(above_high));
                }
                at += 4 * rows;
            }
            *counts = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(low_count), high_count);
        }
        let [c0, c1, c2, c3, c4, c5, c6, c7] = counts;
        let low = _mm512_packus_epi16(_mm512_packs_epi32(c0, c1), _mm512_packs_epi32(c2, c3));
        let high = _mm512_packus_epi16(_mm512_packs_epi32(c4, c5), _mm512_packs_epi32(c6, c7));

        // 2. Per 64 trees, per level: look up each split's bin, compare it
        //    with the threshold, add the level's bit; then the leaves.
        let depth = usize::from(self.fast.depth);
        let trees = self.tree_count();
        let splits = table.get(self.fast.rows as usize..).unwrap_or(&[]);
        // Rounds of up to 8 blocks: all their indices first, then their
        // leaves, so that the byte loads do not wait on the vector stores.
        let mut sums = _mm512_setzero_pd();
        let mut tree = 0;
        let blocks = splits.chunks_exact(8 * depth.max(1)).take(trees.div_ceil(TREES_PER_BLOCK));
        let mut indices = [0_u8; ROUND * TREES_PER_BLOCK];
        let mut filled = 0;
        for (b, block) in blocks.enumerate() {
            let mut index = _mm512_setzero_si512();
            // `1 << level` in every byte, doubled after each level.
            let mut bit = _mm512_set1_epi8(1);
            for vectors in block.chunks_exact(8) {
                let (Some(lanes), Some(thresholds)) =
                    (vectors.first_chunk::<4>(), vectors.get(4..).and_then(|v| v.first_chunk::<4>()))
                else {
                    break;
                };
                let bin = _mm512_permutex2var_epi8(low, load(lanes), high);
                let split = _mm512_cmpge_epu8_mask(bin, load(thresholds));
                index = _mm512_mask_add_epi8(index, split, index, bit);
                bit = _mm512_add_epi8(bit, bit);
            }
            if let Some(slot) = indices.get_mut(filled..).and_then(|s| s.first_chunk_mut::<TREES_PER_BLOCK>()) {
                *slot = bytes(index);
            }
            filled += TREES_PER_BLOCK;
            let last = (b + 1) * TREES_PER_BLOCK >= trees;
            if filled == indices.len() || last {
                let count = (trees - tree).min(filled);
                let leaves = self.leaves.get(tree << depth..).unwrap_or(&[]);
                let indices = indices.get(..count).unwrap_or(&[]);
                sums = leaf_sum_512(depth as u32, leaves, indices, sums);
                tree += count;
                filled = 0;
            }
        }
        total(lanes_of(sums))
    }
}

/// The 8 lanes of `v`.
#[inline]
#[target_feature(enable = "avx512f")]
fn lanes_of(v: __m512d) -> [f64; SUMS] {
    let halves = [_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd::<1>(v)];
    let mut out = [0.0; SUMS];
    for (out, half) in out.chunks_exact_mut(4).zip(halves) {
        let quarters = [_mm256_castpd256_pd128(half), _mm256_extractf128_pd::<1>(half)];
        for (out, quarter) in out.chunks_exact_mut(2).zip(quarters) {
            if let [low, high] = out {
                *low = _mm_cvtsd_f64(quarter);
                *high = _mm_cvtsd_f64(_mm_unpackhi_pd(quarter, quarter));
            }
        }
    }
    out
}

/// [`leaf_sum_of_depth`](super::table::leaf_sum_of_depth) with the 8 sums
/// in the lanes of one register: the 8 leaves of a turn are put in a vector
/// and added at once, the same additions in the same order per sum, so the
/// same result bit for bit. (As 8 scalars, the compiler packs and unpacks
/// the sums around every turn, which costs more than the loads.)
#[inline]
#[target_feature(enable = "avx512f")]
fn leaf_sum_512(depth: u32, leaves: &[f64], indices: &[u8], sums: __m512d) -> __m512d {
    match depth {
        1 => leaf_sum_lanes::<2>(leaves, indices, sums),
        2 => leaf_sum_lanes::<4>(leaves, indices, sums),
        3 => leaf_sum_lanes::<8>(leaves, indices, sums),
        4 => leaf_sum_lanes::<16>(leaves, indices, sums),
        5 => leaf_sum_lanes::<32>(leaves, indices, sums),
        6 => leaf_sum_lanes::<64>(leaves, indices, sums),
        7 => leaf_sum_lanes::<128>(leaves, indices, sums),
        _ => leaf_sum_lanes::<256>(leaves, indices, sums),
    }
}

/// `sums` plus the leaves of trees of `N` leaves each, stored one after the
/// other in `leaves`, at `indices`; tree `t` goes to lane `t % 8`.
#[inline]
#[target_feature(enable = "avx512f")]
fn leaf_sum_lanes<const N: usize>(leaves: &[f64], indices: &[u8], mut sums: __m512d) -> __m512d {
    let leaf = |trees: &[f64], tree: usize, index: u8| {
        trees.get(tree * N + (usize::from(index) & (N - 1))).copied().unwrap_or(0.0)
    };
    let mut groups = indices.chunks_exact(SUMS);
    let mut trees = leaves.chunks_exact(SUMS * N);
    for (group, these) in (&mut groups).zip(&mut trees) {
        // 8 trees of N leaves: one base address and constant offsets.
        let these = these.as_chunks::<N>().0;
        let l = |t: usize| {
            let index = usize::from(group.get(t).copied().unwrap_or(0)) & (N - 1);
            these.get(t).and_then(|tree| tree.get(index)).copied().unwrap_or(0.0)
        };
        sums = _mm512_add_pd(sums, _mm512_setr_pd(l(0), l(1), l(2), l(3), l(4), l(5), l(6), l(7)));
    }
    let rest = trees.next().unwrap_or(trees.remainder());
    let last = groups.remainder();
    if !last.is_empty() {
        // Only the lanes of the last trees: the others keep their bits.
        let l = |t: usize| last.get(t).map_or(0.0, |&index| leaf(rest, t, index));
        let lanes = (1_u16 << last.len()) - 1;
        let add = _mm512_setr_pd(l(0), l(1), l(2), l(3), l(4), l(5), l(6), l(7));
        sums = _mm512_mask_add_pd(sums, lanes as u8, sums, add);
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::super::{CatBoost, DEFAULT_LIMITS, ingest, table_blocks};

    /// The plan the module documentation states for the benchmark model.
    #[test]
    fn benchmark_model_binarizes_in_5_chunks_of_40_rows() {
        type Model = CatBoost<100, 6, 64, { 100 << 6 }, { table_blocks(100, 6, 64) }>;
        let json = include_bytes!("../../../tests/fixtures/catboost/bench_100x6.json");
        let mut model = Box::new(Model::new());
        ingest(json, &mut model, DEFAULT_LIMITS).unwrap();
        assert!(model.uses_avx512());
        let header = model.table[0].0;
        let chunks = usize::from(header[0]);
        let rows: usize = header[1..=chunks].iter().map(|&r| usize::from(r)).sum();
        assert_eq!((chunks, rows), (5, 40));
    }
}
