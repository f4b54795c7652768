//! Tests of the `f32` conversion against `str::parse`.

use proptest::prelude::*;

use super::nearest_f32::*;
use crate::json::Scanner;

/// `parse_f32` and ingest's whole number path against `str::parse`, bit
/// for bit.
fn check(text: &str) {
    let want: f32 = text.parse().unwrap();
    let got = parse_f32(text.as_bytes()).unwrap_or_else(|| panic!("{text}: None"));
    assert_eq!(got.to_bits(), want.to_bits(), "{text}: {got:e} != {want:e}");
    // Through the JSON scanner (fast path first) when the text is JSON.
    let mut s = Scanner::new(text.as_bytes(), 1);
    if let Ok(n) = s.number()
        && s.offset() == text.len()
    {
        let got = n.to_f32().unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "{text} via Number: {got:e} != {want:e}");
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
