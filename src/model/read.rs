//! The JSON values the model loaders read, on the crate's strict scanner
//! ([`json`](crate::json)), as [`ingest`](crate::ingest()) reads a feature
//! file.
//!
//! Each function starts where a value must begin (the scanner after a `:`,
//! or at a list element) and consumes it. The error kinds are the ones
//! `serde-json-core` gave the loaders for the same faults (the loaders used
//! it before the scanner), so the loaders' errors keep their kinds: a value of the wrong type is `InvalidType`
//! (`InvalidNumber` where a number is expected), a negative index
//! `InvalidNumber`, and the input ending before the value
//! `EofWhileParsingValue`.

use crate::json::{Error, JsonErrorKind, Scanner};

/// A JSON integer that fits a `usize` (an index): a `-` or a value past
/// `usize::MAX` is `InvalidNumber`, any other non-number `InvalidType`. It
/// stops after the digits, so a fraction or exponent is an error of the
/// enclosing object or list (`ExpectedObjectCommaOrEnd` at the `.`).
pub(super) fn index(s: &mut Scanner<'_>) -> Result<usize, Error> {
    match s.peek() {
        None => Err(s.error(JsonErrorKind::EofWhileParsingValue)),
        Some(b'-') => Err(s.error(JsonErrorKind::InvalidNumber)),
        Some(b'0'..=b'9') => {
            let start = s.offset();
            let value = s.unsigned()?;
            usize::try_from(value).map_err(|_| Error::syntax(JsonErrorKind::InvalidNumber, start))
        }
        Some(_) => Err(s.error(JsonErrorKind::InvalidType)),
    }
}

/// A JSON number as the nearest `f64`, or `null` as NaN (for the caller's
/// finiteness check to reject). Any other value is `InvalidNumber`.
#[inline]
pub(super) fn f64(s: &mut Scanner<'_>) -> Result<f64, Error> {
    match s.peek() {
        None => Err(s.error(JsonErrorKind::EofWhileParsingValue)),
        Some(b'n') => s.literal(b"null").map(|()| f64::NAN),
        Some(b'-' | b'0'..=b'9') => {
            let start = s.offset();
            s.number()?.to_f64().ok_or(Error::syntax(JsonErrorKind::InvalidNumber, start))
        }
        Some(_) => Err(s.error(JsonErrorKind::InvalidNumber)),
    }
}

/// A JSON number as the nearest `f32` (the decimal rounded once, straight to
/// `f32`, bit for bit what `str::parse::<f32>` returns), or `null` as NaN.
/// Any other value is `InvalidNumber`.
///
/// Through the `f64` conversion, which the loaders link anyway for leaves
/// and biases, and which takes its fast paths on the 17-digit borders
/// CatBoost writes (the exact `f32` fallback is a big-integer search, far
/// slower than those): see [`narrow`].
#[inline]
pub(super) fn f32(s: &mut Scanner<'_>) -> Result<f32, Error> {
    match s.peek() {
        None => Err(s.error(JsonErrorKind::EofWhileParsingValue)),
        Some(b'n') => s.literal(b"null").map(|()| f32::NAN),
        Some(b'-' | b'0'..=b'9') => {
            let start = s.offset();
            let number = s.number()?;
            number
                .to_f64()
                .and_then(narrow)
                .or_else(|| number.to_f32())
                .ok_or(Error::syntax(JsonErrorKind::InvalidNumber, start))
        }
        Some(_) => Err(s.error(JsonErrorKind::InvalidNumber)),
    }
}

/// `y`, the correctly rounded `f64` of a decimal `x`, as the correctly
/// rounded `f32` of `x`; `None` when that cannot be told from `y` alone.
///
/// Every midpoint between two adjacent `f32`s (and the overflow threshold
/// `f32::MAX + ulp/2`) is an `f64`. If one lay strictly between `x` and `y`
/// it would be an `f64` nearer to `x` than `y` is, so `x` and `y` are on the
/// same side of every such midpoint, and `y as f32` (round to nearest, ties
/// to even) is the `f32` nearest `x` — unless `y` *is* a midpoint, where
/// the tie was decided by `x`'s digits beyond `f64` precision: `None`, and
/// the caller converts the decimal straight to `f32`.
#[inline]
fn narrow(y: f64) -> Option<f32> {
    let magnitude = y.abs();
    let midpoint = if magnitude < f64::from(f32::MIN_POSITIVE) {
        // Subnormal `f32` range: midpoints are the odd multiples of 2^-150
        // (scaling by a power of two is exact; `as` saturates, never panics).
        let scaled = magnitude * TWO_POW_150;
        let units = scaled as u64;
        units as f64 == scaled && units & 1 == 1
    } else {
        // Normal range: 24 significant bits, then a 1 and 28 zeros.
        magnitude.to_bits() & ((1 << 29) - 1) == 1 << 28
    };
    (!midpoint).then_some(y as f32)
}

/// 2^150, exactly.
const TWO_POW_150: f64 = f64::from_bits((1023 + 150) << 52);

/// A string's raw contents (escapes not decoded, so they compare byte for
/// byte: `"AsI\u0073"` is not `AsIs`). Any other value is `InvalidType`.
pub(super) fn string<'a>(s: &mut Scanner<'a>) -> Result<&'a [u8], Error> {
    match s.peek() {
        Some(b'"') => s.string(),
        Some(_) => Err(s.error(JsonErrorKind::InvalidType)),
        None => Err(s.error(JsonErrorKind::EofWhileParsingValue)),
    }
}

/// The length of a list whose elements are validated and skipped.
pub(super) fn count(s: &mut Scanner<'_>) -> Result<usize, Error> {
    s.open(false)?;
    let mut count: usize = 0;
    let mut first = true;
    while s.element(&mut first)? {
        s.skip_value()?;
        count = count.saturating_add(1);
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> f32 {
        let mut s = Scanner::new(text.as_bytes(), 1);
        let value = f32(&mut s).unwrap();
        assert_eq!(s.offset(), text.len(), "{text}");
        value
    }

    /// The exact decimal expansion of `m · 2^e` (finite for any `e`).
    fn exact(m: u64, e: i32) -> String {
        let mut digits = vec![0_u32; 1];
        for d in m.to_string().bytes() {
            mul_add(&mut digits, 10, u32::from(d - b'0'));
        }
        // m · 2^e = m · 5^-e / 10^-e for a negative `e`.
        for _ in 0..e.unsigned_abs() {
            mul_add(&mut digits, if e > 0 { 2 } else { 5 }, 0);
        }
        let text: String = digits.iter().rev().map(|d| char::from(b'0' + *d as u8)).collect();
        let text = text.trim_start_matches('0');
        if e >= 0 {
            return text.to_string();
        }
        let scale = (-e) as usize;
        let padded = format!("{:0>width$}", text, width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        format!("{int}.{frac}")
    }

    fn mul_add(digits: &mut Vec<u32>, by: u32, add: u32) {
        let mut carry = add;
        for d in digits.iter_mut() {
            let v = *d * by + carry;
            *d = v % 10;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push(carry % 10);
            carry /= 10;
        }
    }

    #[test]
    fn f32_is_the_decimal_rounded_once_even_at_and_beside_f32_midpoints() {
        let mut cases: Vec<String> = Vec::new();
        // Midpoints between adjacent f32s, written exactly, and a hair off
        // them either way: the double-rounding traps.
        for bits in [
            0x3f80_0000_u32,
            0x3f80_0001,
            0x4b7f_ffff,
            0x0080_0000,
            0x0000_0001,
            0x0000_0002,
            0x0012_3457,
            0x7f7f_ffff,
            0x3eaa_aaab,
        ] {
            let lo = f64::from(f32::from_bits(bits));
            let hi = f64::from(f32::from_bits(bits + 1));
            let mid = (lo + hi) / 2.0;
            let (m, e) = decompose(mid);
            let text = exact(m, e);
            cases.push(text.clone());
            cases.push(format!("{text}000000000000000000001"));
            // Just below: the exact text minus one unit in a far digit.
            let below = exact(m * 8 - 1, e - 3);
            cases.push(below);
        }
        // Borders as CatBoost writes them, and ordinary numbers.
        for text in [
            "0.17662125825881958",
            "0.5207264423370361",
            "1e-45",
            "7e-46",
            "3.4028235e38",
            "3.4028236e38",
            "1e39",
            "0",
            "1e-400",
            "123456789012345678901234567890",
        ] {
            cases.push(text.to_string());
        }
        for (i, text) in cases.iter().enumerate() {
            let want: f32 = text.parse().expect(text);
            assert_eq!(parse(text).to_bits(), want.to_bits(), "case {i}: {text}");
            let negative = format!("-{text}");
            let want: f32 = negative.parse().expect(&negative);
            assert_eq!(parse(&negative).to_bits(), want.to_bits(), "case {i}: {negative}");
        }
    }

    /// `x = m · 2^e` with an integer `m`.
    fn decompose(x: f64) -> (u64, i32) {
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        if exponent == 0 { (fraction, -1074) } else { (fraction | 1 << 52, exponent - 1075) }
    }

    proptest::proptest! {
        #[test]
        fn f32_matches_str_parse_on_any_decimal(digits in "[1-9][0-9]{0,24}", point in 0_usize..26, exp in -60_i32..60) {
            let point = point.min(digits.len());
            let (int, frac) = digits.split_at(point);
            let int = if int.is_empty() { "0" } else { int };
            let text = format!("{int}.{frac}0e{exp}");
            let want: f32 = text.parse().unwrap();
            proptest::prop_assert_eq!(parse(&text).to_bits(), want.to_bits(), "{}", text);
        }
    }

    #[test]
    fn narrow_flags_exactly_the_f32_midpoints() {
        assert_eq!(narrow(1.0), Some(1.0));
        let mid = (1.0 + f64::from(f32::from_bits(0x3f80_0001))) / 2.0;
        assert_eq!(narrow(mid), None);
        assert_eq!(narrow(f64::from(f32::from_bits(1)) / 2.0), None);
        assert_eq!(narrow(f64::from(f32::from_bits(1)) * 1.5), None);
        assert_eq!(narrow(f64::from(f32::from_bits(1)) * 2.0), Some(f32::from_bits(2)));
        assert_eq!(narrow(1e300), Some(f32::INFINITY));
    }
}
