//! The table evaluator with AVX2 ([`Evaluator::TableAvx2`]): the table
//! evaluator's code compiled for AVX2, with the rows ORed 32 bytes (two
//! blocks of 16 trees) per instruction. The build gives it an even group of
//! blocks when the table has room. The operations and their order are the
//! table evaluator's, so the result is the same, bit for bit.
//!
//! [`Evaluator::TableAvx2`]: super::Evaluator::TableAvx2
//!
//! No `unsafe` here: the intrinsics are value-only (a load is `setr` of four
//! `u64` read from a slice, which compiles to one load), and the functions
//! carry `#[target_feature(enable = "avx2")]`. The one `unsafe` of this
//! path is the call into [`CatBoost::table_sum_avx2`] from `raw`.

use core::arch::x86_64::{__m256i, _mm256_extract_epi64, _mm256_or_si256, _mm256_setr_epi64x, _mm256_setzero_si256};

use super::CatBoost;
use super::table::Block;

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

impl<const TREES: usize, const DEPTH: usize, const FEATURES: usize, const LEAVES: usize, const BLOCKS: usize>
    CatBoost<TREES, DEPTH, FEATURES, LEAVES, BLOCKS>
{
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
