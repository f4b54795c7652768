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

mod big;
mod nearest_f32;
mod nearest_f64;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_f64;

pub(crate) use nearest_f32::parse_f32;
pub(crate) use nearest_f64::{fast_f64, parse_f64_within};
