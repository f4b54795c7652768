//! Decimal → `f64`: the fast path ([`fast_f64`]: Clinger, then
//! Eisel-Lemire over a table of powers of five) and the exact conversion
//! ([`parse_f64_within`]) for what it cannot decide.

use core::cmp::Ordering;

use super::big::*;

/// [`parse_f64_within`] with nothing known: the tests' entry point.
#[cfg(test)]
pub(crate) fn parse_f64(text: &[u8]) -> Option<f64> {
    parse_f64_within(text, 0.0, f64::INFINITY)
}

/// The decimal number `text` (JSON grammar, as [`parse_f32`]) as the
/// nearest `f64`: correctly rounded, ties to even, `±inf` from
/// `2^1024 - 2^970` up, `±0` up to `2^-1075`: bit for bit what
/// `str::parse::<f64>` returns. `None` if `text` is not a number (a
/// validated JSON number never is).
///
/// The magnitude must be known to round to between `low` and `high` (both
/// included, non-negative; `0` and `inf` if nothing is known): the search
/// starts from there, so when they are adjacent it takes one comparison.
/// Bounds that are wrong give a wrong result.
///
/// Cost: no allocation; about 3 KB of stack (a few 2,688-bit integers: a
/// 2.1 KB frame and 0.7 KB below it on thumbv7m); time linear in the digits
/// read plus at most 56 comparisons of integers sized to the input, up to
/// 2,688 bits. On an x86-64 server core: 27 us at worst (800 digits near
/// 10^-308); 4 us for 22 digits at 10^-100; 0.25 us for 20 digits whose
/// first 19 bound the result to two adjacent values. Use [`fast_f64`]
/// first.
pub(crate) fn parse_f64_within(text: &[u8], low: f64, high: f64) -> Option<f64> {
    let Digits { d, kept, q, negative } = read::<LIMBS_F64>(text, MAX_DIGITS_F64)?;
    let known = (low.to_bits(), high.to_bits());
    let magnitude = if kept == 0 { 0.0 } else { f64::from_bits(nearest_f64(d, kept, q, known)) };
    Some(if negative { -magnitude } else { magnitude })
}

/// The bit pattern of `f64::INFINITY`: one past the largest finite value.
pub(super) const F64_INF: u64 = 0x7FF0_0000_0000_0000;

/// The bit pattern of `2^e`, clamped to `[0, inf]`.
pub(super) fn pow2_bits(e: i64) -> u64 {
    if e < -1074 {
        0
    } else if e < -1022 {
        1 << (e + 1074)
    } else if e < 1024 {
        ((e + 1023) as u64) << 52
    } else {
        F64_INF
    }
}

/// `floor(n · log2(10))` give or take 1e-4, for `|n| < 2000`: a rational
/// just below `log2(10)`.
pub(super) fn log2_10_times(n: i64) -> i64 {
    n.saturating_mul(3_321_928).div_euclid(1_000_000)
}

/// The bit pattern of the `f64` nearest to `d · 10^q`, where `d > 0` has
/// `kept` digits, known to be in `known.0..=known.1`.
pub(super) fn nearest_f64(d: Big<LIMBS_F64>, kept: i64, q: i64, known: (u64, u64)) -> u64 {
    // 10^(kept - 1 + q) <= x < 10^(kept + q).
    let top = kept.saturating_add(q);
    if top > 309 {
        // x >= 10^309 > 2^1024.
        return F64_INF;
    }
    if top <= -324 {
        // x < 10^-324 < 2^-1075.
        return 0;
    }
    // Here -1104 <= q <= 309. x = a · 2^q against b_k = (2m + 1) · 2^e
    // becomes, with n = max(-q, 0), a · 2^q against p · (2m + 1) · 2^e,
    // where a = d · 5^max(q, 0) and p = 5^n, all exact.
    let mut a = d;
    let mut p: Big<LIMBS_F64> = [0; LIMBS_F64];
    mul_add(&mut p, 0, 1);
    let scale = u32::try_from(q.unsigned_abs()).unwrap_or(u32::MAX);
    // Limbs enough for a and p · (2m + 1): d < 10^kept, 5^k < 2^(2.33 k),
    // 2m + 1 < 2^54. Arithmetic on the rest would be on zeros.
    let bits = (kept * 3322 + q.max(0) * 2322).max(q.min(0) * -2322 + 54_000) / 1000 + 1;
    let width = usize::try_from(bits / 32 + 1).unwrap_or(LIMBS_F64).min(LIMBS_F64);
    mul_pow5(if q >= 0 { &mut a } else { &mut p }, width, scale);

    // Whether x rounds to bit pattern `k` or above: x > b_k, or x == b_k and
    // k is even. b_k = (v_{k-1} + v_k) / 2 = (2m + 1) · 2^(e - 1), where
    // m · 2^e = v_{k-1}; for k = inf that is 2^1024 - 2^970.
    let rounds_to_at_least = |k: u64| -> bool {
        let below = k.wrapping_sub(1);
        let field = below >> 52;
        let m = below & ((1 << 52) - 1) | u64::from(field > 0) << 52;
        // e - 1 = max(field, 1) - 1075 - 1.
        let exp = field.max(1) as i64 - 1076;
        let boundary = mul_u64(&p, width, 2 * m + 1);
        // a · 2^q against boundary · 2^exp.
        let order = match q.wrapping_sub(exp) {
            t if t >= 0 => cmp_shifted(&a, width, t.unsigned_abs(), &boundary),
            t => cmp_shifted(&boundary, width, t.unsigned_abs(), &a).reverse(),
        };
        order == Ordering::Greater || (order == Ordering::Equal && k.is_multiple_of(2))
    };
    // 2^low <= 10^(top - 1) <= x < 10^top < 2^high.
    let low = log2_10_times(top - 1) - 1;
    let high = log2_10_times(top) + 2;
    // Invariant: x rounds to `lo` or above (its value is at most x), and to
    // below `hi` (the value below it is above x).
    let (mut lo, mut hi) = (pow2_bits(low), pow2_bits(high).saturating_add(1).min(F64_INF + 1));
    (lo, hi) = (lo.max(known.0), hi.min(known.1.saturating_add(1)));
    while hi.saturating_sub(lo) > 1 {
        let mid = lo + (hi - lo) / 2;
        if rounds_to_at_least(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The least and greatest powers of ten in [`POW5`].
pub(super) const POW5_MIN: i64 = -64;
pub(super) const POW5_MAX: i64 = 64;

/// For each `q` in `POW5_MIN..=POW5_MAX`, `5^q` as a 128-bit mantissa
/// `(high, low)` with the top bit set: truncated for `q >= 0` and
/// `q < -27`, rounded up for `-27 <= q < 0`, exactly as the tables of
/// Eisel-Lemire's algorithm (fast_float, `core`'s `dec2flt`) have it, whose
/// error analysis this relies on. 2,064 bytes.
pub(super) static POW5: [(u64, u64); (POW5_MAX - POW5_MIN + 1) as usize] = pow5_table();

/// The [`POW5`] table, at compile time.
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
pub(super) const fn pow5_table() -> [(u64, u64); (POW5_MAX - POW5_MIN + 1) as usize] {
    let mut table = [(0, 0); (POW5_MAX - POW5_MIN + 1) as usize];
    let mut i = 0;
    while i < table.len() {
        table[i] = pow5_128(POW5_MIN + i as i64);
        i += 1;
    }
    table
}

/// A compile-time integer for [`pow5_128`]: 512 bits, little-endian.
pub(super) type Wide = [u64; 8];

/// `a · m + add` (compile time; no overflow for the values formed).
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
pub(super) const fn wide_mul_add(a: Wide, m: u64, add: u64) -> Wide {
    let mut out = [0; 8];
    let mut carry = add as u128;
    let mut i = 0;
    while i < 8 {
        let v = a[i] as u128 * m as u128 + carry;
        out[i] = v as u64;
        carry = v >> 64;
        i += 1;
    }
    out
}

/// The number of significant bits of `a` (compile time).
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
pub(super) const fn wide_bit_len(a: &Wide) -> u32 {
    let mut i = 8;
    while i > 0 {
        i -= 1;
        if a[i] != 0 {
            return 64 * i as u32 + 64 - a[i].leading_zeros();
        }
    }
    0
}

/// Bit `bit` of `a` (compile time).
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
pub(super) const fn wide_bit(a: &Wide, bit: u32) -> bool {
    a[(bit / 64) as usize] >> (bit % 64) & 1 == 1
}

/// `a · 2` (compile time).
pub(super) const fn wide_shl1(a: Wide) -> Wide {
    wide_mul_add(a, 2, 0)
}

/// `a / 2` (compile time).
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
pub(super) const fn wide_shr1(a: Wide) -> Wide {
    let mut out = [0; 8];
    let mut i = 0;
    while i < 8 {
        out[i] = a[i] >> 1 | if i + 1 < 8 { a[i + 1] << 63 } else { 0 };
        i += 1;
    }
    out
}

/// `a >= b` (compile time).
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
pub(super) const fn wide_ge(a: &Wide, b: &Wide) -> bool {
    let mut i = 8;
    while i > 0 {
        i -= 1;
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// `a - b`, for `a >= b` (compile time).
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
pub(super) const fn wide_sub(a: Wide, b: &Wide) -> Wide {
    let mut out = [0; 8];
    let mut borrow = false;
    let mut i = 0;
    while i < 8 {
        let (v, b1) = a[i].overflowing_sub(b[i]);
        let (v, b2) = v.overflowing_sub(borrow as u64);
        out[i] = v;
        borrow = b1 || b2;
        i += 1;
    }
    out
}

/// One [`POW5`] entry (the reference generator, transcribed: for `q >= 0`,
/// `5^q` shifted to 128 bits, truncating; for `q < 0`, with `z` the bit
/// length of `5^-q`, `floor(2^b / 5^-q) + 1` truncated to 128 bits, where
/// `b = z + 127` for `q >= -27` and `b = 2z + 128` below).
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
pub(super) const fn pow5_128(q: i64) -> (u64, u64) {
    let mut p: Wide = [1, 0, 0, 0, 0, 0, 0, 0];
    let mut n = q.unsigned_abs();
    while n > 0 {
        p = wide_mul_add(p, 5, 0);
        n -= 1;
    }
    let mut c = if q >= 0 {
        p
    } else {
        let z = wide_bit_len(&p);
        let b = if q >= -27 { z + 127 } else { 2 * z + 128 };
        // Long division of 2^b by p, one bit at a time.
        let mut quotient: Wide = [0; 8];
        let mut remainder: Wide = [0; 8];
        let mut bit = b + 1;
        while bit > 0 {
            bit -= 1;
            remainder = wide_mul_add(remainder, 2, (bit == b) as u64);
            quotient = wide_shl1(quotient);
            if wide_ge(&remainder, &p) {
                remainder = wide_sub(remainder, &p);
                quotient[0] |= 1;
            }
        }
        wide_mul_add(quotient, 1, 1)
    };
    while wide_bit_len(&c) > 128 {
        c = wide_shr1(c);
    }
    while !wide_bit(&c, 127) {
        c = wide_shl1(c);
    }
    (c[1], c[0])
}

/// Powers of ten exactly representable as `f64` (5^22 < 2^53).
pub(super) const POW10_F64: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// `w · 10^q` as the nearest `f64`, if it can be had fast and for certain;
/// `None` sends the caller to [`parse_f64_within`]. No allocation, no loop: a
/// few multiplications.
///
/// 1. Clinger: `w <= 2^53` and `10^|q|` with `|q| <= 22` are exact in
///    `f64`, so one IEEE multiplication or division rounds the exact value
///    once, correctly.
/// 2. Eisel-Lemire, for `-64 <= q <= 64`: `w` times the 128-bit mantissa of
///    `5^q`; the top 55 bits of the product decide the rounding unless they
///    could be off by the truncated part, or the value is a tie the product
///    cannot see exactly, or out of the normal range (never in this range
///    of `q`): then `None`.
#[inline]
pub(crate) fn fast_f64(w: u64, q: i64) -> Option<f64> {
    if w == 0 {
        return Some(0.0);
    }
    if w <= 1 << 53 {
        let k = usize::try_from(q.unsigned_abs()).unwrap_or(usize::MAX);
        if let Some(&pow) = POW10_F64.get(k) {
            // `w <= 2^53`: the conversion is exact.
            let w = w as f64;
            return Some(if q >= 0 { w * pow } else { w / pow });
        }
    }
    eisel_lemire(w, q).map(f64::from_bits)
}

/// Eisel-Lemire for `w > 0` and `q` in [`POW5`]'s range, as in `core`'s
/// `dec2flt::lemire` (Lemire, "Number Parsing at a Gigabyte per Second",
/// 2021): the bit pattern of the nearest `f64`, or `None` when the product
/// is too close to a rounding boundary to tell, or the result would be
/// subnormal or infinite.
pub(super) fn eisel_lemire(w: u64, q: i64) -> Option<u64> {
    /// The product's low bits that must not be all ones for the 64-bit
    /// product to decide: 64 - (52 + 3).
    const MASK: u64 = u64::MAX >> 55;
    let index = usize::try_from(q.wrapping_sub(POW5_MIN)).ok()?;
    let &(hi5, lo5) = POW5.get(index)?;
    let q = q as i32;
    let lz = w.leading_zeros();
    let w = w << lz;
    let first = u128::from(w) * u128::from(hi5);
    let (mut lo, mut hi) = (first as u64, (first >> 64) as u64);
    if hi & MASK == MASK {
        // Not decided yet: add the high half of w · lo5.
        let second_hi = ((u128::from(w) * u128::from(lo5)) >> 64) as u64;
        lo = lo.wrapping_add(second_hi);
        if second_hi > lo {
            // `w · hi5 < 2^128 - 2^65`, so `hi < 2^64 - 1`.
            hi = hi.wrapping_add(1);
        }
    }
    if lo == u64::MAX && !(-27..=55).contains(&q) {
        // The truncated part could carry into the bits that decide.
        return None;
    }
    let upper_bit = (hi >> 63) as u32;
    let shift = upper_bit + 9;
    let mut mantissa = hi >> shift;
    // floor(q · log2(10)) + 63 + upper_bit - lz + 1023.
    let mut power2 = ((q.wrapping_mul(152_170 + 65_536)) >> 16) + 63 + upper_bit as i32 - lz as i32 + 1023;
    if power2 <= 0 {
        // Subnormal: not in this range of q.
        return None;
    }
    // An exact tie (only possible for small |q|, where the product is
    // exact) rounds to even: drop the round bit.
    if lo <= 1 && (-4..=23).contains(&q) && mantissa & 3 == 1 && mantissa << shift == hi {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= 2 << 52 {
        mantissa = 1 << 52;
        power2 += 1;
    }
    mantissa &= !(1 << 52);
    if power2 >= 0x7FF {
        // Infinite: not in this range of q.
        return None;
    }
    Some(mantissa | (power2 as u64) << 52)
}
