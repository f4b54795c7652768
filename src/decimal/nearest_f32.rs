//! The exact decimal → `f32` conversion: a binary search over bit patterns
//! with big-integer comparisons (the fallback of
//! [`Number::to_f32`](crate::json::Number::to_f32)'s fast path).

use core::cmp::Ordering;

use super::big::*;

/// The decimal number `text` (JSON grammar: `-`? digits, optional `.`
/// digits, optional `e`/`E` with an optional sign and digits) as the nearest
/// `f32`: correctly rounded, ties to even, `±inf` from `2^128 - 2^103` up,
/// `±0` up to `2^-150`: bit for bit what `str::parse::<f32>` returns. `None`
/// if `text` has a byte the grammar does not allow there or no digit (a
/// validated JSON number never does).
pub(crate) fn parse_f32(text: &[u8]) -> Option<f32> {
    let Digits { d, kept, q, negative } = read::<LIMBS>(text, MAX_DIGITS)?;
    let magnitude = if kept == 0 { 0.0 } else { nearest(&d, kept, q) };
    Some(if negative { -magnitude } else { magnitude })
}

/// The `f32` nearest to `d · 10^q`, where `d > 0` has `kept` digits.
pub(super) fn nearest(d: &Big<LIMBS>, kept: i64, q: i64) -> f32 {
    // 10^(kept - 1 + q) <= x < 10^(kept + q).
    let top = kept.saturating_add(q);
    if top > 39 {
        // x >= 10^39 > 2^128.
        return f32::INFINITY;
    }
    if top <= -46 {
        // x < 10^-46 < 2^-150.
        return 0.0;
    }
    // Here -167 < q <= 39: x = a / p, both exact.
    let mut a = *d;
    let mut p: Big<LIMBS> = [0; LIMBS];
    mul_add(&mut p, 0, 1);
    let scale = u32::try_from(q.unsigned_abs()).unwrap_or(u32::MAX);
    mul_pow10(if q >= 0 { &mut a } else { &mut p }, scale);

    // Whether x rounds to bit pattern `k` or above: x > b_k, or x == b_k and
    // k is even. b_k = (v_{k-1} + v_k) / 2 = (2m + 1) · 2^(e - 1), where
    // m · 2^e = v_{k-1}; for k = 0x7F80_0000 (inf) that is 2^128 - 2^103.
    let rounds_to_at_least = |k: u32| -> bool {
        let below = k - 1;
        let field = below >> 23;
        let m = below & 0x7F_FFFF | u32::from(field > 0) << 23;
        // e - 1 = max(field, 1) - 150 - 1.
        let exp = field.max(1) as i32 - 151;
        // a / p against (2m + 1) · 2^exp: a · 2^-exp against p · (2m + 1) · 2^exp.
        let mut boundary = p;
        mul_add(&mut boundary, 2 * m + 1, 0);
        let order = if exp >= 0 {
            cmp(&a, &shl(&boundary, exp.unsigned_abs()))
        } else {
            cmp(&shl(&a, exp.unsigned_abs()), &boundary)
        };
        order == Ordering::Greater || (order == Ordering::Equal && k.is_multiple_of(2))
    };
    // Invariant: x rounds to `lo` or above, and to below `hi`.
    let (mut lo, mut hi) = (0u32, 0x7F80_0001u32);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if rounds_to_at_least(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    f32::from_bits(lo)
}
