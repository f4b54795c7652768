//! The big-integer arithmetic of the exact conversions, and the reading of
//! a decimal's significant digits into a big integer.

use core::cmp::Ordering;

/// Significant decimal digits kept exactly for `f32` (at least the 113 of
/// the longest rounding boundary).
pub(super) const MAX_DIGITS: i64 = 120;

/// Limbs of an `f32` [`Big`]: 768 bits. The largest number formed is
/// `10^167 · (2^25 - 1) · 2^103 < 2^680` (a high boundary against a tiny
/// value); `D · 2^150 < 10^121 · 2^150 < 2^553` on the other side.
pub(super) const LIMBS: usize = 24;

/// Significant decimal digits kept exactly for `f64`: at least the 768 of
/// the longest rounding boundary (`(2^54 - 1) · 2^-1075`).
pub(super) const MAX_DIGITS_F64: i64 = 780;

/// Limbs of an `f64` [`Big`]: 2,688 bits. The largest numbers formed before
/// a shift are `D < 10^781 < 2^2595` and `(2m + 1) · 5^n < 2^54 · 5^1104 <
/// 2^2618` (`n = -q <= 323 + 781`; for `q >= 0`, `D · 5^q < 10^309`); a
/// shift past the top is decided without forming the number
/// ([`cmp_shifted`]).
pub(super) const LIMBS_F64: usize = 84;

/// An unsigned integer: `N` little-endian 32-bit limbs.
pub(super) type Big<const N: usize> = [u32; N];

/// `a = a · mul + add`. Nothing overflows for the sizes formed here (see
/// [`LIMBS`], [`LIMBS_F64`]).
pub(super) fn mul_add<const N: usize>(a: &mut Big<N>, mul: u32, add: u32) {
    mul_add_in(a, N, mul, add);
}

/// [`mul_add`] on the low `width` limbs of `a` only (those above must be,
/// and stay, zero).
pub(super) fn mul_add_in<const N: usize>(a: &mut Big<N>, width: usize, mul: u32, add: u32) {
    let mut carry = u64::from(add);
    for limb in a.iter_mut().take(width) {
        let v = u64::from(*limb) * u64::from(mul) + carry;
        *limb = v as u32;
        carry = v >> 32;
    }
}

/// `a = a · 10^n`.
pub(super) fn mul_pow10<const N: usize>(a: &mut Big<N>, mut n: u32) {
    while n > 0 {
        let step = n.min(9);
        mul_add(a, 10u32.pow(step), 0);
        n -= step;
    }
}

/// `a = a · 5^n`, on the low `width` limbs.
pub(super) fn mul_pow5<const N: usize>(a: &mut Big<N>, width: usize, mut n: u32) {
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
pub(super) fn mul_u64<const N: usize>(a: &Big<N>, width: usize, m: u64) -> Big<N> {
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
pub(super) fn shl<const N: usize>(a: &Big<N>, shift: u32) -> Big<N> {
    shl_in(a, N, shift)
}

/// [`shl`] into the low `width` limbs (bits past them are dropped).
pub(super) fn shl_in<const N: usize>(a: &Big<N>, width: usize, shift: u32) -> Big<N> {
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
pub(super) fn cmp<const N: usize>(a: &Big<N>, b: &Big<N>) -> Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

/// The number of significant bits of `a` (0 for zero).
pub(super) fn bit_len<const N: usize>(a: &Big<N>) -> u64 {
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
pub(super) fn cmp_shifted<const N: usize>(a: &Big<N>, width: usize, shift: u64, b: &Big<N>) -> Ordering {
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
pub(super) struct Digits<const N: usize> {
    pub(super) d: Big<N>,
    pub(super) kept: i64,
    pub(super) q: i64,
    pub(super) negative: bool,
}

/// Reads `text` (JSON grammar: `-`? digits, optional `.` digits, optional
/// `e`/`E` with an optional sign and digits) keeping at most `max_digits`
/// significant digits, and one `1` more if a nonzero digit is dropped after
/// them. `None` if `text` has a byte the grammar does not allow there or no
/// digit.
pub(super) fn read<const N: usize>(text: &[u8], max_digits: i64) -> Option<Digits<N>> {
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
