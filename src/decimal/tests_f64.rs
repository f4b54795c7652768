//! Tests of the `f64` conversions against `str::parse`.

use core::cmp::Ordering;

use proptest::prelude::*;

use super::big::*;
use super::nearest_f64::*;
use crate::json::Scanner;

/// `parse_f64` and the scanner's whole number path (fast path first)
/// against `str::parse`, bit for bit.
fn check(text: &str) {
    let want: f64 = text.parse().unwrap();
    let got = parse_f64(text.as_bytes()).unwrap_or_else(|| panic!("{text}: None"));
    assert_eq!(got.to_bits(), want.to_bits(), "{text}: {got:e} != {want:e}");
    let mut s = Scanner::new(text.as_bytes(), 1);
    if let Ok(n) = s.number()
        && s.offset() == text.len()
    {
        let got = n.to_f64().unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "{text} via Number: {got:e} != {want:e}");
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
