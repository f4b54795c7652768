//! Decimal text to the nearest `f32` or `f64`, exactly: no allocation, no
//! panics, bit for bit what `str::parse` returns.
//!
//! `core`'s `str::parse` (`dec2flt`) is fast on every input, but it costs
//! about 15 KB of flash (a 10 KB power-of-five table among it) and it keeps
//! panic branches the optimizer cannot remove. Feature files need `f32`
//! only for the numbers [`Number::to_f32`](crate::json::Number::to_f32)'s
//! fast path cannot take (more than 24 bits of digits, or a power of ten
//! beyond 10^10), which are rare, so [`parse_f32`] trades speed for size and
//! provability there, with no table at all. Models need `f64` for every
//! number, most of them 17 significant digits, so `f64` also has a fast path
//! here, [`fast_f64`]: Clinger's, then Eisel-Lemire's over a 2 KB table of
//! powers of five (10^-64 to 10^64, computed at compile time), and
//! [`parse_f64_within`] for what it cannot decide.
//!
//! # How the exact conversion works
//!
//! 1. The digits become a big integer `D` and a power of ten `q`, so the
//!    value is `x = D · 10^q`. At most [`MAX_DIGITS`] ([`MAX_DIGITS_F64`])
//!    significant digits are kept; if a nonzero digit is dropped after them,
//!    one digit `1` is appended instead. That moves `x` without crossing any
//!    rounding boundary: every boundary (a midpoint between adjacent `f32`
//!    values, `(2m + 1) · 2^e` with `m < 2^24`, `e >= -150`; for `f64`,
//!    `m < 2^53`, `e >= -1075`) has at most 113 (768) significant digits, so
//!    none lies strictly between the kept digits and the kept digits plus
//!    one unit in their last place, where both the true value and the
//!    stand-in lie (the stand-in strictly inside).
//! 2. Values certainly at least `2^128` (`2^1024`) are `inf` and values
//!    certainly below `2^-150` (`2^-1075`), half the smallest subnormal, are
//!    `0`, from the digit count and `q` alone, so exponents of any size cost
//!    nothing and the powers of ten left are bounded.
//! 3. The result is the largest bit pattern `k` (positive float bit patterns
//!    are ordered as their values; the one of `inf` comes right after the
//!    largest finite value) whose lower rounding boundary `b_k` is below
//!    `x`, or equal to it with `k` even (round half to even). A binary search
//!    over `k` finds it with exact comparisons of `D · 10^q` against `b_k`:
//!    31 for `f32`; for `f64` at most 56, as the search starts from the few
//!    binades the digit count and `q` allow.

use core::cmp::Ordering;

/// Significant decimal digits kept exactly for `f32` (at least the 113 of
/// the longest rounding boundary).
const MAX_DIGITS: i64 = 120;

/// Limbs of an `f32` [`Big`]: 768 bits. The largest number formed is
/// `10^167 · (2^25 - 1) · 2^103 < 2^680` (a high boundary against a tiny
/// value); `D · 2^150 < 10^121 · 2^150 < 2^553` on the other side.
const LIMBS: usize = 24;

/// Significant decimal digits kept exactly for `f64`: at least the 768 of
/// the longest rounding boundary (`(2^54 - 1) · 2^-1075`).
const MAX_DIGITS_F64: i64 = 780;

/// Limbs of an `f64` [`Big`]: 2,688 bits. The largest numbers formed before
/// a shift are `D < 10^781 < 2^2595` and `(2m + 1) · 5^n < 2^54 · 5^1104 <
/// 2^2618` (`n = -q <= 323 + 781`; for `q >= 0`, `D · 5^q < 10^309`); a
/// shift past the top is decided without forming the number
/// ([`cmp_shifted`]).
const LIMBS_F64: usize = 84;

/// An unsigned integer: `N` little-endian 32-bit limbs.
type Big<const N: usize> = [u32; N];

/// `a = a · mul + add`. Nothing overflows for the sizes formed here (see
/// [`LIMBS`], [`LIMBS_F64`]).
fn mul_add<const N: usize>(a: &mut Big<N>, mul: u32, add: u32) {
    mul_add_in(a, N, mul, add);
}

/// [`mul_add`] on the low `width` limbs of `a` only (those above must be,
/// and stay, zero).
fn mul_add_in<const N: usize>(a: &mut Big<N>, width: usize, mul: u32, add: u32) {
    let mut carry = u64::from(add);
    for limb in a.iter_mut().take(width) {
        let v = u64::from(*limb) * u64::from(mul) + carry;
        *limb = v as u32;
        carry = v >> 32;
    }
}

/// `a = a · 10^n`.
fn mul_pow10<const N: usize>(a: &mut Big<N>, mut n: u32) {
    while n > 0 {
        let step = n.min(9);
        mul_add(a, 10u32.pow(step), 0);
        n -= step;
    }
}

/// `a = a · 5^n`, on the low `width` limbs.
fn mul_pow5<const N: usize>(a: &mut Big<N>, width: usize, mut n: u32) {
    // At least the limbs in use; each step below adds at most one (5^13 <
    // 2^31).
    let mut used = usize::try_from(bit_len(a) / 32 + 1).unwrap_or(N);
    while n > 0 {
        // 5^13 < 2^32.
        let step = n.min(13);
        used = used.saturating_add(1).min(width);
        mul_add_in(a, used, 5u32.pow(step), 0);
        n -= step;
    }
}

/// `a · m` for a 64-bit `m`, on the low `width` limbs: `a · lo + (a · hi) ·
/// 2^32`.
fn mul_u64<const N: usize>(a: &Big<N>, width: usize, m: u64) -> Big<N> {
    let mut out = *a;
    mul_add_in(&mut out, width, m as u32, 0);
    let mut high = *a;
    mul_add_in(&mut high, width, (m >> 32) as u32, 0);
    let mut carry = 0u64;
    for (o, h) in out.iter_mut().take(width).skip(1).zip(high.iter()) {
        let v = u64::from(*o) + u64::from(*h) + carry;
        *o = v as u32;
        carry = v >> 32;
    }
    out
}

/// `a · 2^shift` (bits past the top are dropped; none are set here).
fn shl<const N: usize>(a: &Big<N>, shift: u32) -> Big<N> {
    shl_in(a, N, shift)
}

/// [`shl`] into the low `width` limbs (bits past them are dropped).
fn shl_in<const N: usize>(a: &Big<N>, width: usize, shift: u32) -> Big<N> {
    let limbs = (shift / 32) as usize;
    let bits = shift % 32;
    let mut out = [0; N];
    for (i, o) in out.iter_mut().enumerate().take(width).skip(limbs) {
        let hi = a.get(i - limbs).copied().unwrap_or(0);
        let lo = if bits == 0 { 0 } else { i.checked_sub(limbs + 1).and_then(|j| a.get(j)).copied().unwrap_or(0) };
        *o = if bits == 0 { hi } else { hi << bits | lo >> (32 - bits) };
    }
    out
}

/// Compares two [`Big`]s.
fn cmp<const N: usize>(a: &Big<N>, b: &Big<N>) -> Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

/// The number of significant bits of `a` (0 for zero).
fn bit_len<const N: usize>(a: &Big<N>) -> u64 {
    let mut bits = 32 * N as u64;
    for &limb in a.iter().rev() {
        if limb != 0 {
            return bits - u64::from(limb.leading_zeros());
        }
        bits -= 32;
    }
    0
}

/// Compares `a · 2^shift` with `b`, for any `shift`, where both fit in
/// the low `width` limbs: a product that would not is larger than `b`.
fn cmp_shifted<const N: usize>(a: &Big<N>, width: usize, shift: u64, b: &Big<N>) -> Ordering {
    let bits = bit_len(a);
    if bits == 0 {
        return if bit_len(b) == 0 { Ordering::Equal } else { Ordering::Less };
    }
    match u32::try_from(shift) {
        Ok(shift) if bits.saturating_add(u64::from(shift)) <= 32 * width as u64 => {
            shl_in(a, width, shift).iter().take(width).rev().cmp(b.iter().take(width).rev())
        }
        _ => Ordering::Greater,
    }
}

/// The significant digits of a decimal number: `±d · 10^q`, where `d` has
/// `kept` digits (none if the number is zero).
struct Digits<const N: usize> {
    d: Big<N>,
    kept: i64,
    q: i64,
    negative: bool,
}

/// Reads `text` (JSON grammar: `-`? digits, optional `.` digits, optional
/// `e`/`E` with an optional sign and digits) keeping at most `max_digits`
/// significant digits, and one `1` more if a nonzero digit is dropped after
/// them. `None` if `text` has a byte the grammar does not allow there or no
/// digit.
fn read<const N: usize>(text: &[u8], max_digits: i64) -> Option<Digits<N>> {
    let (negative, rest) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut d: Big<N> = [0; N];
    // Digits kept in `d`, and whether a dropped one was nonzero.
    let mut kept: i64 = 0;
    let mut dropped_nonzero = false;
    // `x = d · 10^q` (with the exponent added below).
    let mut q: i64 = 0;
    // Up to 9 digits waiting to be added to `d`, and their count.
    let (mut chunk, mut chunk_len) = (0u32, 0u32);
    let mut fraction = false;
    let mut digits = 0usize;
    let mut bytes = rest.iter();
    let mut exponent_sign = None;
    for &b in bytes.by_ref() {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                let digit = u32::from(b - b'0');
                if kept == 0 && digit == 0 {
                    // A leading zero: only its place counts.
                    q = q.saturating_sub(i64::from(fraction));
                } else if kept < max_digits {
                    chunk = chunk * 10 + digit;
                    chunk_len += 1;
                    if chunk_len == 9 {
                        // `d < 10^kept < 2^(32 · (kept / 9 + 1))` before and
                        // after (9 digits < 30 bits). Unsigned: a signed
                        // 64-bit division is a libcall on 32-bit targets.
                        let width = usize::try_from(kept).map_or(N, |kept| kept / 9 + 2);
                        mul_add_in(&mut d, width, 1_000_000_000, chunk);
                        (chunk, chunk_len) = (0, 0);
                    }
                    kept += 1;
                    q = q.saturating_sub(i64::from(fraction));
                } else {
                    dropped_nonzero |= digit != 0;
                    q = q.saturating_add(i64::from(!fraction));
                }
            }
            b'.' if !fraction => fraction = true,
            b'e' | b'E' => {
                exponent_sign = Some(1i64);
                break;
            }
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    if let Some(mut sign) = exponent_sign {
        let mut e: i64 = 0;
        let mut exponent_digits = false;
        for (i, &b) in bytes.enumerate() {
            match b {
                b'-' if i == 0 => sign = -1,
                b'+' if i == 0 => {}
                b'0'..=b'9' => {
                    // Saturate far outside any float range.
                    e = (e * 10 + i64::from(b - b'0')).min(1 << 40);
                    exponent_digits = true;
                }
                _ => return None,
            }
        }
        if !exponent_digits {
            return None;
        }
        q = q.saturating_add(sign * e);
    }
    if chunk_len > 0 {
        mul_add(&mut d, 10u32.pow(chunk_len), chunk);
    }
    if dropped_nonzero {
        // Strictly between the kept digits and the next value up in their
        // last place, like the true value, and on no rounding boundary.
        mul_add(&mut d, 10, 1);
        kept += 1;
        q = q.saturating_sub(1);
    }
    Some(Digits { d, kept, q, negative })
}

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
fn nearest(d: &Big<LIMBS>, kept: i64, q: i64) -> f32 {
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
        order == Ordering::Greater || (order == Ordering::Equal && k % 2 == 0)
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
const F64_INF: u64 = 0x7FF0_0000_0000_0000;

/// The bit pattern of `2^e`, clamped to `[0, inf]`.
fn pow2_bits(e: i64) -> u64 {
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
fn log2_10_times(n: i64) -> i64 {
    n.saturating_mul(3_321_928).div_euclid(1_000_000)
}

/// The bit pattern of the `f64` nearest to `d · 10^q`, where `d > 0` has
/// `kept` digits, known to be in `known.0..=known.1`.
fn nearest_f64(d: Big<LIMBS_F64>, kept: i64, q: i64, known: (u64, u64)) -> u64 {
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
        order == Ordering::Greater || (order == Ordering::Equal && k % 2 == 0)
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
const POW5_MIN: i64 = -64;
const POW5_MAX: i64 = 64;

/// For each `q` in `POW5_MIN..=POW5_MAX`, `5^q` as a 128-bit mantissa
/// `(high, low)` with the top bit set: truncated for `q >= 0` and
/// `q < -27`, rounded up for `-27 <= q < 0`, exactly as the tables of
/// Eisel-Lemire's algorithm (fast_float, `core`'s `dec2flt`) have it, whose
/// error analysis this relies on. 2,064 bytes.
static POW5: [(u64, u64); (POW5_MAX - POW5_MIN + 1) as usize] = pow5_table();

/// The [`POW5`] table, at compile time.
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
const fn pow5_table() -> [(u64, u64); (POW5_MAX - POW5_MIN + 1) as usize] {
    let mut table = [(0, 0); (POW5_MAX - POW5_MIN + 1) as usize];
    let mut i = 0;
    while i < table.len() {
        table[i] = pow5_128(POW5_MIN + i as i64);
        i += 1;
    }
    table
}

/// A compile-time integer for [`pow5_128`]: 512 bits, little-endian.
type Wide = [u64; 8];

/// `a · m + add` (compile time; no overflow for the values formed).
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
const fn wide_mul_add(a: Wide, m: u64, add: u64) -> Wide {
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
const fn wide_bit_len(a: &Wide) -> u32 {
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
const fn wide_bit(a: &Wide, bit: u32) -> bool {
    a[(bit / 64) as usize] >> (bit % 64) & 1 == 1
}

/// `a · 2` (compile time).
const fn wide_shl1(a: Wide) -> Wide {
    wide_mul_add(a, 2, 0)
}

/// `a / 2` (compile time).
#[allow(clippy::indexing_slicing)] // compile time only: a bad index fails the build
const fn wide_shr1(a: Wide) -> Wide {
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
const fn wide_ge(a: &Wide, b: &Wide) -> bool {
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
const fn wide_sub(a: Wide, b: &Wide) -> Wide {
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
const fn pow5_128(q: i64) -> (u64, u64) {
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
const POW10_F64: [f64; 23] = [
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
fn eisel_lemire(w: u64, q: i64) -> Option<u64> {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::json::Scanner;

    /// `parse_f32` and ingest's whole number path against `str::parse`, bit
    /// for bit.
    fn check(text: &str) {
        let want: f32 = text.parse().unwrap();
        let got = parse_f32(text.as_bytes()).unwrap_or_else(|| panic!("{text}: None"));
        assert_eq!(got.to_bits(), want.to_bits(), "{text}: {got:e} != {want:e}");
        // Through the JSON scanner (fast path first) when the text is JSON.
        let mut s = Scanner::new(text.as_bytes(), 1);
        if let Ok(n) = s.number() {
            if s.offset() == text.len() {
                let got = n.to_f32().unwrap();
                assert_eq!(got.to_bits(), want.to_bits(), "{text} via Number: {got:e} != {want:e}");
            }
        }
    }

    /// The value of positive bit pattern `k`, with `0x7F80_0000` as 2^128.
    fn value(k: u32) -> f64 {
        if k == 0x7F80_0000 { 2f64.powi(128) } else { f64::from(f32::from_bits(k)) }
    }

    /// The exact midpoint between bit patterns `k` and `k + 1` (25
    /// significant bits: exact in `f64`).
    fn midpoint(k: u32) -> f64 {
        (value(k) + value(k + 1)) / 2.0
    }

    /// `digits` (ASCII, no sign or point) minus one in the last place, if
    /// positive.
    fn decrement(digits: &mut [u8]) {
        for d in digits.iter_mut().rev() {
            if *d == b'0' {
                *d = b'9';
            } else {
                *d -= 1;
                return;
            }
        }
    }

    /// A midpoint printed exactly, and nudged one unit in a far digit both
    /// ways, with both signs.
    fn check_midpoint(k: u32) {
        let mid = midpoint(k);
        let exact = format!("{mid:.120e}");
        let (mantissa, exp) = exact.split_once('e').unwrap();
        check(&exact);
        check(&format!("-{exact}"));
        check(&format!("{mantissa}1e{exp}"));
        check(&format!("-{mantissa}1e{exp}"));
        let mut below = mantissa.as_bytes().to_vec();
        let point = below.iter().position(|&b| b == b'.').unwrap();
        below.remove(point);
        decrement(&mut below);
        let below = format!("{}.{}e{exp}", below[0] as char, core::str::from_utf8(&below[1..]).unwrap());
        check(&below);
        check(&format!("-{below}"));
        // The same midpoint with the digits written out positionally.
        check(&format!("{mid:.200}"));
    }

    #[test]
    fn edge_cases() {
        for text in [
            "0",
            "-0",
            "0.000",
            "-0.000e-5",
            "0e999999",
            "0e-99999999999999999999999",
            "-0e99999999999999999999999",
            "0.0000000000000000000000000000000000000000000000000000000000000e99999",
            "1",
            "-1",
            "1e-99999999999",
            "-1e-99999999999",
            "1e99999999999",
            "-1e99999999999",
            "1e999",
            "1e39",
            "1e38",
            "9.99999999999e38",
            "3.4028235e38",
            "3.40282346638528859811704183484516925440e38",
            "3.4028235677973366e38",
            "3.40282356779733661637539395458142568448e38",
            "3.40282356779733661637539395458142568447e38",
            "3.40282356779733661637539395458142568449e38",
            "340282356779733661637539395458142568448",
            "340282356779733661637539395458142568447.99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
            "340282356779733661637539395458142568448.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
            "1.401298464324817e-45",
            "1e-45",
            "7e-46",
            "7.006492321624085e-46",
            "7.0064923216240853546186479164495806564013097093825788587853414194006334946388562859535800994433111E-46",
            "7.00649232162408535461864791644958065640130970938257885878534141944895541342930300743319094181060791015625e-46",
            "7.00649232162408535461864791644958065640130970938257885878534141944895541342930300743319094181060791015624e-46",
            "7.00649232162408535461864791644958065640130970938257885878534141944895541342930300743319094181060791015626e-46",
            "7.006492321624085354618647916449580656401309709382578858785341419448955413429303007433190941810607910156250000000000000000000000000000000000000000000000000000000000000000001e-46",
            "1e-46",
            "1.1754943508222875e-38",
            "1.1754942106924411e-38",
            "1.17549428e-38",
            "16777216",
            "16777217",
            "16777219",
            "33554435",
            "8388609.5",
            "0.1",
            "0.3",
            "123456789012345678901234567890",
            "0.000000000000000000000000000000000000000000000000000000000000000000000000123456789",
            "000000000000000000000000000000000000000000000000000000000000000001.5",
            "1.50000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000e-140",
            "1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000e-180",
            "0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001e150",
            "2.5E+3",
            "2.5e-0",
            "-2.5e+00000000000000000000000000000000000000000003",
        ] {
            check(text);
        }
    }

    #[test]
    fn not_numbers_are_none() {
        for text in ["", "-", ".", "e5", "1e", "1e+", "1.2.3", "1e5.0", "1x", "--1", "1e--1", "inf", "NaN", " 1"] {
            assert_eq!(parse_f32(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn every_binade_edge_and_its_midpoints() {
        for field in 0..=254u32 {
            let base = field << 23;
            for k in [base, base + 1, base + 2, base + 0x40_0000, base + 0x7F_FFFE, base + 0x7F_FFFF] {
                check_midpoint(k);
                let v = f32::from_bits(k);
                check(&format!("{v:e}"));
                check(&format!("{v:.150e}"));
            }
        }
    }

    /// Random digit strings: 1 to `max_digits` digits after up to 4
    /// leading zeros, a point anywhere, any exponent form with an exponent
    /// in `exponents` (shared with the `f64` tests).
    pub(super) fn digit_strings(
        max_digits: usize,
        exponents: core::ops::RangeInclusive<i32>,
    ) -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            0usize..5,
            proptest::collection::vec(0u8..10, 1..=max_digits),
            any::<prop::sample::Index>(),
            any::<bool>(),
            proptest::option::of((exponents, any::<bool>(), any::<bool>(), 0usize..3)),
        )
            .prop_map(|(negative, zeros, digits, point, with_point, exponent)| {
                let mut s = String::new();
                if negative {
                    s.push('-');
                }
                let digits: String =
                    core::iter::repeat_n('0', zeros).chain(digits.iter().map(|d| char::from(b'0' + d))).collect();
                let at = point.index(digits.len());
                if with_point && at > 0 {
                    s.push_str(&digits[..at]);
                    s.push('.');
                    s.push_str(&digits[at..]);
                    if at == digits.len() {
                        s.push('0');
                    }
                } else {
                    s.push_str(&digits);
                }
                if let Some((e, upper, plus, pad)) = exponent {
                    s.push(if upper { 'E' } else { 'e' });
                    if e < 0 {
                        s.push('-');
                    } else if plus {
                        s.push('+');
                    }
                    s.push_str(&"0".repeat(pad));
                    s.push_str(&e.unsigned_abs().to_string());
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn random_digit_strings_match_std(text in digit_strings(200, -400..=400)) {
            check(&text);
        }

        #[test]
        fn random_floats_printed_short_and_long_match_std(bits in any::<u32>(), precision in 0usize..=160) {
            let v = f32::from_bits(bits);
            if v.is_finite() {
                check(&format!("{v:e}"));
                check(&format!("{v:.precision$e}"));
                check(&format!("{v:.precision$}"));
                check(&format!("{:.precision$e}", f64::from(v) * 1.000_000_1));
            }
        }

        #[test]
        fn random_midpoints_and_their_neighbours_match_std(k in 0u32..0x7F80_0000) {
            check_midpoint(k);
        }

        #[test]
        fn subnormal_and_overflow_boundaries_match_std(low in 0u32..0x0100_0000, high in 0x7F00_0000u32..0x7F80_0000) {
            check_midpoint(low);
            check_midpoint(high);
        }
    }
}

#[cfg(test)]
mod tests_f64 {
    use proptest::prelude::*;

    use super::*;
    use crate::json::Scanner;

    /// `parse_f64` and the scanner's whole number path (fast path first)
    /// against `str::parse`, bit for bit.
    fn check(text: &str) {
        let want: f64 = text.parse().unwrap();
        let got = parse_f64(text.as_bytes()).unwrap_or_else(|| panic!("{text}: None"));
        assert_eq!(got.to_bits(), want.to_bits(), "{text}: {got:e} != {want:e}");
        let mut s = Scanner::new(text.as_bytes(), 1);
        if let Ok(n) = s.number() {
            if s.offset() == text.len() {
                let got = n.to_f64().unwrap();
                assert_eq!(got.to_bits(), want.to_bits(), "{text} via Number: {got:e} != {want:e}");
            }
        }
    }

    /// The exact decimal digits of `odd · 2^e` and the power of ten they
    /// are scaled by (base-10^9 limbs, little-endian).
    fn exact_decimal(odd: u64, e: i32) -> (String, i32) {
        let mut limbs: Vec<u64> =
            vec![odd % 1_000_000_000, odd / 1_000_000_000 % 1_000_000_000, odd / 1_000_000_000_000_000_000];
        let (factor, count) = if e >= 0 { (2, e) } else { (5, -e) };
        for _ in 0..count {
            let mut carry = 0;
            for limb in &mut limbs {
                let v = *limb * factor + carry;
                *limb = v % 1_000_000_000;
                carry = v / 1_000_000_000;
            }
            if carry > 0 {
                limbs.push(carry);
            }
        }
        let mut s: String = limbs.iter().rev().map(|l| format!("{l:09}")).collect();
        let leading = s.len() - s.trim_start_matches('0').len();
        s.drain(..leading);
        (s, e.min(0))
    }

    /// `digits` (ASCII) minus one in the last place (positive digits).
    fn decrement(digits: &str) -> String {
        let mut d = digits.as_bytes().to_vec();
        for b in d.iter_mut().rev() {
            if *b == b'0' {
                *b = b'9';
            } else {
                *b -= 1;
                break;
            }
        }
        String::from_utf8(d).unwrap()
    }

    /// The exact rounding boundary above positive bit pattern `k` (the
    /// midpoint to `k + 1`, or 2^1024 - 2^970 above the largest finite
    /// value) as digits and a power of ten.
    fn midpoint(k: u64) -> (String, i32) {
        let field = k >> 52;
        let m = k & ((1 << 52) - 1) | u64::from(field > 0) << 52;
        let e = field.max(1) as i32 - 1075;
        exact_decimal(2 * m + 1, e - 1)
    }

    /// A rounding boundary printed exactly in several forms, and nudged
    /// just above and below: one unit in the next digit, and one unit past
    /// the digits kept exactly (`MAX_DIGITS_F64`), with both signs.
    fn check_midpoint(k: u64) {
        let (digits, e) = midpoint(k);
        let below = decrement(&digits);
        let far = MAX_DIGITS_F64 as usize + 10 - digits.len().min(MAX_DIGITS_F64 as usize);
        let far_exp = e - i32::try_from(far).unwrap() - 1;
        for text in [
            format!("{digits}e{e}"),
            format!("{}.{}e{}", &digits[..1], &digits[1..], e + digits.len() as i32 - 1),
            format!("{digits}1e{}", e - 1),
            format!("{below}e{e}"),
            format!("{below}9e{}", e - 1),
            format!("{digits}{}1e{far_exp}", "0".repeat(far)),
            format!("{below}{}e{far_exp}", "9".repeat(far + 1)),
        ] {
            check(&text);
            check(&format!("-{text}"));
        }
        // Positionally, as JSON writes it (scanner and fast path included).
        let places = usize::try_from(-e).unwrap_or(0);
        let positional = if places == 0 {
            digits.clone()
        } else if digits.len() > places {
            format!("{}.{}", &digits[..digits.len() - places], &digits[digits.len() - places..])
        } else {
            format!("0.{}{digits}", "0".repeat(places - digits.len()))
        };
        check(&positional);
    }

    #[test]
    fn exact_decimal_is_exact() {
        assert_eq!(exact_decimal(3, -1), ("15".to_string(), -1));
        assert_eq!(exact_decimal(3, 4), ("48".to_string(), 0));
        assert_eq!(exact_decimal(u64::MAX, 0).0, u64::MAX.to_string());
        // 2^53 + 1, the first odd integer f64 skips.
        assert_eq!(midpoint(0x4340_0000_0000_0000), ("9007199254740993".to_string(), 0));
        // Half the smallest subnormal.
        let (digits, e) = midpoint(0);
        assert_eq!((digits.len(), e), (752, -1075));
        assert!(digits.starts_with("247032822920623272"));
    }

    #[test]
    fn pow5_table_matches_the_reference() {
        // Entries of `core`'s and fast_float's table.
        assert_eq!(pow5_128(0), (0x8000_0000_0000_0000, 0));
        assert_eq!(pow5_128(1), (0xA000_0000_0000_0000, 0));
        assert_eq!(pow5_128(-1), (0xCCCC_CCCC_CCCC_CCCC, 0xCCCC_CCCC_CCCC_CCCD));
        assert_eq!(pow5_128(-2), (0xA3D7_0A3D_70A3_D70A, 0x3D70_A3D7_0A3D_70A4));
        assert_eq!(pow5_128(23), (0xA968_163F_0A57_B400, 0));
        assert_eq!(pow5_128(55), (0xD0CF_4B50_CFE2_0765, 0xFFF4_B4E3_F741_CF6D));
        assert_eq!(pow5_128(56), (0x8281_8F12_81ED_449F, 0xBFF8_F10E_7A89_21A4));
        assert_eq!(pow5_128(64), (0xC278_1F49_FFCF_A6D5, 0x3CBF_6B71_C76B_25FB));
        assert_eq!(pow5_128(-27), (0x9E74_D1B7_91E0_7E48, 0x775E_A264_CF55_347E));
        assert_eq!(pow5_128(-28), (0xFD87_B5F2_8300_CA0D, 0x8BCA_9D6E_1888_53FC));
        assert_eq!(pow5_128(-63), (0xD29F_E4B1_8E88_640E, 0x8EEC_7F0D_19A0_3AAD));
        assert_eq!(pow5_128(-64), (0xA87F_EA27_A539_E9A5, 0x3F23_98D7_47B3_6224));
        // And every entry within one unit of 5^q · 2^s: truncated, or
        // rounded up for -27 <= q < 0.
        for q in POW5_MIN..=POW5_MAX {
            let (hi, lo) = pow5_128(q);
            let t = u128::from(hi) << 64 | u128::from(lo);
            assert!(t >> 127 == 1, "{q}");
            let mut mantissa: Big<16> = [0; 16];
            mul_add(&mut mantissa, 0, 1);
            for limb in [lo as u32, (lo >> 32) as u32, hi as u32, (hi >> 32) as u32].iter().rev() {
                let shifted = shl(&mantissa, 32);
                mantissa = shifted;
                mantissa[0] = *limb;
            }
            // Drop the leading 1 put there to start.
            mantissa[4] = 0;
            let mut next = mantissa;
            mul_add(&mut next, 1, 1);
            let mut power: Big<16> = [0; 16];
            mul_add(&mut power, 0, 1);
            mul_pow5(&mut power, 16, q.unsigned_abs() as u32);
            if q >= 0 {
                // t = floor(5^q · 2^s): t · 2^-s <= 5^q < (t + 1) · 2^-s.
                let s = bit_len(&power) as i64 - 128;
                let (order_t, order_next) = if s >= 0 {
                    (cmp_shifted(&mantissa, 16, s as u64, &power), cmp_shifted(&next, 16, s as u64, &power))
                } else {
                    (
                        cmp_shifted(&power, 16, (-s) as u64, &mantissa).reverse(),
                        cmp_shifted(&power, 16, (-s) as u64, &next).reverse(),
                    )
                };
                assert!(order_t != Ordering::Greater && order_next == Ordering::Greater, "{q}");
            } else {
                // t ≈ 2^s / 5^n: t · 5^n against 2^s.
                let s = 127 + bit_len(&power);
                let mut low = mantissa;
                let mut high = next;
                mul_pow5(&mut low, 16, q.unsigned_abs() as u32);
                mul_pow5(&mut high, 16, q.unsigned_abs() as u32);
                let mut two_s: Big<16> = [0; 16];
                mul_add(&mut two_s, 0, 1);
                let two_s = shl(&two_s, s as u32);
                if q >= -27 {
                    // Rounded up: (t - 1) · 5^n < 2^s < t · 5^n.
                    let mut prev = mantissa;
                    let mut borrow = 1u64;
                    for limb in &mut prev {
                        let v = u64::from(*limb).wrapping_sub(borrow);
                        borrow = u64::from(v > u64::from(*limb));
                        *limb = v as u32;
                    }
                    mul_pow5(&mut prev, 16, q.unsigned_abs() as u32);
                    assert_eq!(cmp(&prev, &two_s), Ordering::Less, "{q}");
                    assert_eq!(cmp(&low, &two_s), Ordering::Greater, "{q}");
                } else {
                    // Truncated: t · 5^n <= 2^s < (t + 1) · 5^n.
                    assert_ne!(cmp(&low, &two_s), Ordering::Greater, "{q}");
                    assert_eq!(cmp(&high, &two_s), Ordering::Greater, "{q}");
                }
            }
        }
    }

    #[test]
    fn edge_cases() {
        for text in [
            "0",
            "-0",
            "0.000",
            "-0.000e-5",
            "0e999999",
            "0e-99999999999999999999999",
            "-0e99999999999999999999999",
            "1",
            "-1",
            "1e-400",
            "-1e-400",
            "1e400",
            "-1e400",
            "1e999999999999",
            "-1e999999999999",
            "1e-999999999999",
            "1e-99999999999999999999999999",
            "1e309",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791",
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792",
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
            "5e-324",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324",
            "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001e-324",
            "1e-323",
            "2.2250738585072011e-308",
            "2.2250738585072012e-308",
            "2.2250738585072014e-308",
            "9007199254740992",
            "9007199254740993",
            "9007199254740993.0000000000000000000000000000000000000000000000000000000000001",
            "9007199254740995",
            "18014398509481985",
            "4503599627370496.5",
            "4503599627370497.5",
            "1e23",
            "8.988465674311579e307",
            "0.1",
            "0.3",
            "123456789012345678901234567890",
            "18446744073709551615",
            "18446744073709551616",
            "1152921504606846975",
            "1152921504606846976",
            "11529215046068469751",
            "-0.0012345678901234567",
            "0.5087677836418152",
            "1.2345678901234567e-05",
            "1.2345678901234567e-64",
            "1.2345678901234567e-65",
            "1.2345678901234567e64",
            "1.2345678901234567e65",
            "2.5E+3",
            "2.5e-0",
            "-2.5e+00000000000000000000000000000000000000000003",
            "000000000000000000000000000000000000000000000000000000000000000001.5",
        ] {
            check(text);
        }
    }

    #[test]
    fn not_numbers_are_none() {
        for text in ["", "-", ".", "e5", "1e", "1e+", "1.2.3", "1e5.0", "1x", "--1", "1e--1", "inf", "NaN", " 1"] {
            assert_eq!(parse_f64(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn the_largest_integers_formed_fit() {
        // The most digits kept, at the smallest exponent that is not
        // certainly zero, and the largest value that is not certainly inf.
        let nines = "9".repeat(MAX_DIGITS_F64 as usize + 20);
        check(&format!("{nines}e-{}", 323 + nines.len()));
        check(&format!("{nines}e-{}", 324 + nines.len()));
        check(&format!("{nines}e{}", 309 - nines.len() as i64));
        check(&format!("{nines}e{}", 308 - nines.len() as i64));
        let Digits { d, .. } = read::<LIMBS_F64>(nines.as_bytes(), MAX_DIGITS_F64).unwrap();
        assert!(bit_len(&d) <= 2595);
        let mut boundary: Big<LIMBS_F64> = [0; LIMBS_F64];
        mul_add(&mut boundary, 0, 1);
        mul_pow5(&mut boundary, LIMBS_F64, 323 + MAX_DIGITS_F64 as u32 + 1);
        let boundary = mul_u64(&boundary, LIMBS_F64, (1 << 54) - 1);
        assert!(bit_len(&boundary) <= 2618 && 2618 < 32 * LIMBS_F64 as u64);
    }

    #[test]
    fn every_binade_edge_and_its_midpoints() {
        for field in 0..=2046u64 {
            let base = field << 52;
            for k in [base, base + 1, base + (1 << 51), base + (1 << 52) - 1] {
                if field % 16 == 0 || !(4..=2040).contains(&field) || (1070..1080).contains(&field) || k == base + 1 {
                    check_midpoint(k);
                }
                let v = f64::from_bits(k);
                check(&format!("{v:e}"));
                check(&format!("{v}"));
                check(&format!("{v:.17e}"));
            }
        }
    }

    /// Exact ties Eisel-Lemire must round to even from its 128-bit product:
    /// `w · 10^q` with an odd 54-bit `w · 5^q`, for the small `q` where
    /// that is possible (1e23 is one), and their neighbours.
    #[test]
    fn fast_path_ties_round_to_even() {
        for q in 0..=23u32 {
            let p = 5u64.pow(q);
            let (first, last) = (((1u64 << 53) / p + 1) | 1, ((1u64 << 54) - 1) / p);
            for w in [first, first + 2, last - (last + 1) % 2, ((first + last) / 2) | 1] {
                if w <= last && (w * p) % 2 == 1 {
                    check(&format!("{w}e{q}"));
                    check(&format!("{}e{q}", w + 1));
                    check(&format!("{}e{q}", w - 1));
                    check(&format!("{w}.00000000000000000001e{q}"));
                    check(&format!("{}.99999999999999999999e{q}", w - 1));
                    check(&format!("-{w}e{q}"));
                }
            }
        }
        // (2m + 1) · 2^-j = (2m + 1) · 5^j · 10^-j: 19 or 20 digits.
        for j in 1..=4u32 {
            for odd in [(1u64 << 53) + 1, (1 << 53) + 3, (3 << 52) + 1, (1 << 54) - 1, (1 << 54) - 3] {
                let w = odd * 5u64.pow(j);
                check(&format!("{w}e-{j}"));
                check(&format!("{}.{:0width$}", w / 10u64.pow(j), w % 10u64.pow(j), width = j as usize));
                check(&format!("{}e-{j}", w + 1));
                check(&format!("{}e-{j}", w - 1));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn random_digit_strings_match_std(text in super::tests::digit_strings(800, -1200..=400)) {
            check(&text);
        }

        #[test]
        fn random_floats_printed_short_and_long_match_std(bits in any::<u64>(), precision in 0usize..=800) {
            let v = f64::from_bits(bits);
            if v.is_finite() {
                check(&format!("{v}"));
                check(&format!("{v:e}"));
                check(&format!("{v:.precision$e}"));
                check(&format!("{v:.precision$}"));
            }
        }

        #[test]
        fn random_midpoints_and_their_neighbours_match_std(k in 0u64..0x7FF0_0000_0000_0000) {
            check_midpoint(k);
        }

        #[test]
        fn subnormal_and_overflow_boundaries_match_std(low in 0u64..0x0020_0000_0000_0000, high in 0x7FE0_0000_0000_0000u64..0x7FF0_0000_0000_0000) {
            check_midpoint(low);
            check_midpoint(high);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// What model files hold: 17 significant digits, mostly small
        /// negative exponents, written positionally or with an exponent,
        /// and their neighbours in the 17th digit and in a 19th and 20th.
        #[test]
        fn model_like_numbers_match_std(digits in 10_000_000_000_000_000u64..100_000_000_000_000_000, exp in -70i32..=70, negative in any::<bool>(), tail in 0u64..100) {
            let sign = if negative { "-" } else { "" };
            check(&format!("{sign}{}.{}e{exp}", digits / 10_000_000_000_000_000, digits % 10_000_000_000_000_000));
            check(&format!("{sign}{digits}{tail:02}e{exp}"));
            check(&format!("{sign}{digits}e{exp}"));
            let v: f64 = format!("{digits}e{}", exp.clamp(-40, 0)).parse().unwrap();
            check(&format!("{sign}{v}"));
            check(&format!("{sign}{v:.17}"));
            check(&format!("{sign}{v:e}"));
        }
    }
}
