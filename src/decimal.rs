//! Decimal text to the nearest `f32`, exactly, in a few hundred bytes of
//! code: no tables, no allocation, no panics.
//!
//! `core`'s `str::parse::<f32>` (`dec2flt`) is fast on every input, but it
//! costs about 15 KB of flash (a 10 KB power-of-five table among it) and it
//! keeps panic branches the optimizer cannot remove. Feature files need it
//! only for the numbers [`Number::to_f32`](crate::json::Number::to_f32)'s
//! fast path cannot take (more than 24 bits of digits, or a power of ten
//! beyond 10^10), which are rare, so this module trades speed for size and
//! provability there.
//!
//! # How
//!
//! 1. The digits become a big integer `D` and a power of ten `q`, so the
//!    value is `x = D · 10^q`. At most [`MAX_DIGITS`] significant digits are
//!    kept; if a nonzero digit is dropped after them, one digit `1` is
//!    appended instead. That moves `x` without crossing any rounding
//!    boundary: every boundary (a midpoint between adjacent `f32` values,
//!    `(2m + 1) · 2^e` with `m < 2^24`, `e >= -150`) has at most 113
//!    significant digits, so none lies strictly between the kept digits and
//!    the kept digits plus one unit in their last place, where both the true
//!    value and the stand-in lie (the stand-in strictly inside).
//! 2. Values certainly at least `2^128` are `inf` and values certainly below
//!    `2^-150` (half the smallest subnormal) are `0`, from the digit count
//!    and `q` alone, so exponents of any size cost nothing and the powers of
//!    ten left are at most `10^167`.
//! 3. The result is the largest bit pattern `k` (positive `f32` bit patterns
//!    are ordered as their values; `0x7F80_0000` is `inf`) whose lower
//!    rounding boundary `b_k` is below `x`, or equal to it with `k` even
//!    (round half to even). A binary search over `k` finds it with 31 exact
//!    comparisons of `D · 10^q` against `b_k`, each a multiplication of a
//!    precomputed power of ten by a `u32` and a shift.

use core::cmp::Ordering;

/// Significant decimal digits kept exactly (at least the 113 of the longest
/// rounding boundary).
const MAX_DIGITS: i64 = 120;

/// Limbs of a [`Big`]: 768 bits. The largest number formed is
/// `10^167 · (2^25 - 1) · 2^103 < 2^680` (a high boundary against a tiny
/// value); `D · 2^150 < 10^121 · 2^150 < 2^553` on the other side.
const LIMBS: usize = 24;

/// An unsigned integer: little-endian 32-bit limbs.
type Big = [u32; LIMBS];

/// `a = a · mul + add`. Nothing overflows for the sizes formed here (see
/// [`LIMBS`]).
fn mul_add(a: &mut Big, mul: u32, add: u32) {
    let mut carry = u64::from(add);
    for limb in a.iter_mut() {
        let v = u64::from(*limb) * u64::from(mul) + carry;
        *limb = v as u32;
        carry = v >> 32;
    }
}

/// `a = a · 10^n`.
fn mul_pow10(a: &mut Big, mut n: u32) {
    while n > 0 {
        let step = n.min(9);
        mul_add(a, 10u32.pow(step), 0);
        n -= step;
    }
}

/// `a · 2^shift` (bits past the top are dropped; none are set here).
fn shl(a: &Big, shift: u32) -> Big {
    let limbs = (shift / 32) as usize;
    let bits = shift % 32;
    let mut out = [0; LIMBS];
    for (i, o) in out.iter_mut().enumerate().skip(limbs) {
        let hi = a.get(i - limbs).copied().unwrap_or(0);
        let lo = if bits == 0 { 0 } else { i.checked_sub(limbs + 1).and_then(|j| a.get(j)).copied().unwrap_or(0) };
        *o = if bits == 0 { hi } else { hi << bits | lo >> (32 - bits) };
    }
    out
}

/// Compares two [`Big`]s.
fn cmp(a: &Big, b: &Big) -> Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

/// The decimal number `text` (JSON grammar: `-`? digits, optional `.`
/// digits, optional `e`/`E` with an optional sign and digits) as the nearest
/// `f32`: correctly rounded, ties to even, `±inf` from `2^128 - 2^103` up,
/// `±0` up to `2^-150`: bit for bit what `str::parse::<f32>` returns. `None`
/// if `text` has a byte the grammar does not allow there or no digit (a
/// validated JSON number never does).
pub(crate) fn parse_f32(text: &[u8]) -> Option<f32> {
    let (negative, rest) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut d: Big = [0; LIMBS];
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
                } else if kept < MAX_DIGITS {
                    chunk = chunk * 10 + digit;
                    chunk_len += 1;
                    if chunk_len == 9 {
                        mul_add(&mut d, 1_000_000_000, chunk);
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
    let magnitude = if kept == 0 { 0.0 } else { nearest(&d, kept, q) };
    Some(if negative { -magnitude } else { magnitude })
}

/// The `f32` nearest to `d · 10^q`, where `d > 0` has `kept` digits.
fn nearest(d: &Big, kept: i64, q: i64) -> f32 {
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
    let mut p: Big = [0; LIMBS];
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

    /// Random digit strings: 1 to 200 digits with leading zeros, a point
    /// anywhere, any exponent form.
    fn digit_strings() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            0usize..5,
            proptest::collection::vec(0u8..10, 1..=200),
            any::<prop::sample::Index>(),
            any::<bool>(),
            proptest::option::of((-400i32..=400, any::<bool>(), any::<bool>(), 0usize..3)),
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
        fn random_digit_strings_match_std(text in digit_strings()) {
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
