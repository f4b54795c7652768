//! The JSON layer: a strict, single-pass, iterative JSON scanner over a byte
//! slice, its [`Limits`] and its errors.
//!
//! The scanner (crate-internal) gives the schema-driven parsers
//! ([`ingest`](crate::ingest()) and the model loaders) the JSON primitives
//! they need: whitespace, object keys, array elements, strings, numbers and
//! literals, and a skip of a value of any type, which validates it fully
//! without recursion.
//!
//! What it checks is RFC 8259 JSON, with no extensions:
//!
//! - whitespace is space, tab, LF and CR only;
//! - strings: no raw control characters (`< 0x20`), escapes are one of
//!   `\" \\ \/ \b \f \n \r \t` or `\u` with four hex digits (any code unit,
//!   as the grammar allows: a lone surrogate escape is not rejected), and
//!   the raw bytes are valid UTF-8;
//! - numbers follow the grammar exactly (`-`? `0`|`[1-9][0-9]*`, optional
//!   fraction and exponent, each with at least one digit): no `+1`, `01`,
//!   `.5`, `1.`, `NaN` or `Infinity`;
//! - `true`, `false`, `null` spelt exactly; no trailing commas, no missing
//!   ones, no leading comma in a list; keys are strings.
//!
//! Nesting is bounded by a counter against `max_depth`; the kind of each open
//! bracket is one bit of a fixed 256-bit stack (a depth is a `u8`), so the
//! scanner uses O(1) stack whatever the input.
//!
//! Error kinds are named as `serde-json-core` names them ([`JsonErrorKind`]),
//! and chosen as that parser chose them where both parsers reject an input,
//! so that callers that switched keep their error kinds; where the
//! strictness is new: a raw control character or invalid UTF-8 in a string
//! is `InvalidUnicodeCodePoint`, a bad escape is `InvalidEscapeSequence`,
//! input ending where a number needs a digit is `EofWhileParsingNumber`, any
//! other bad number is `InvalidNumber`, and a bad value (a bare word, a
//! leading comma) is `ExpectedSomeValue`. Every syntax error
//! ([`JsonError`]) carries the byte offset where it was found (the input
//! length for a premature end).
//!
//! This module is the bottom layer: [`ingest`](crate::ingest()) and the
//! model loaders read JSON through it, share its [`Limits`], and embed its
//! [`Error`] (too large, too deep, or a syntax error) in their own errors,
//! with where in their schema it happened.

mod error;

pub use error::{Error, JsonError, JsonErrorKind};

/// Bounds applied to a JSON input before and while it is read: by
/// [`ingest`](crate::ingest()) and by the model loaders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: u32,
    /// Deepest accepted nesting of arrays and objects. A feature file needs 3
    /// (document, `features` list, entry); the rest is for producers'
    /// metadata. The readers do not recurse, so a level costs them no stack.
    pub max_depth: u8,
}

impl Limits {
    /// 1 MiB and depth 16: roomy for real files (a 200-feature file is about
    /// 10 KB) and a bounded stack on a microcontroller.
    pub const DEFAULT: Self = Self { max_bytes: 1 << 20, max_depth: 16 };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A validated JSON number, with what a fast conversion needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Number<'a> {
    /// The number's text, exactly as in the input (JSON grammar, ASCII).
    text: &'a [u8],
    /// Its leading decimal digits as an integer: each digit taken while the
    /// value was below 2^60 (so all of them up to 18 significant digits, 19
    /// or 20 otherwise; the value is below 2^64 - 1).
    mantissa: u64,
    /// Whether a digit did not fit in `mantissa` (then the number lies
    /// between `mantissa · 10^exp10` and `(mantissa + 1) · 10^exp10`).
    truncated: bool,
    /// The power of ten to scale `mantissa` by (saturated far outside any
    /// float range).
    exp10: i64,
    /// A leading `-`.
    negative: bool,
}

/// An object key, as [`Scanner::key`] returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key<'a> {
    /// The `i`-th of the keys the caller listed.
    Known(usize),
    /// Any other key, raw (escapes not decoded): compare it with
    /// [`key_is`].
    Other(&'a [u8]),
}

/// A key a parser expects, prepared for a one-compare match: the bytes
/// `"key"` as a masked little-endian 128-bit word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KnownKey {
    key: &'static [u8],
    word: u128,
    mask: u128,
    /// Length of `"key"`, quotes included.
    len: usize,
}

impl KnownKey {
    /// Prepares `key`, which must be at most 14 ASCII bytes without `"` or `\`
    /// (checked at compile time when used in a `const`).
    pub(crate) const fn new(key: &'static [u8]) -> Self {
        assert!(key.len() <= 14, "a known key is at most 14 bytes");
        let mut word: u128 = b'"' as u128;
        let mut i = 0;
        while i < key.len() {
            #[allow(clippy::indexing_slicing)] // `i < key.len()`
            let b = key[i];
            assert!(b.is_ascii() && b != b'"' && b != b'\\', "a known key is ASCII, with no quote or backslash");
            word |= (b as u128) << (8 * (i + 1));
            i += 1;
        }
        word |= (b'"' as u128) << (8 * (key.len() + 1));
        let len = key.len() + 2;
        let mask = if len == 16 { u128::MAX } else { (1u128 << (8 * len)) - 1 };
        Self { key, word, mask, len }
    }
}

/// Whether the raw contents of a validated string, `raw`, decode to the
/// ASCII `key` (escapes decoded, as RFC 8259 reads a key: `"n\u0061me"` is
/// `name`). Byte for byte first; only a key with a `\` is decoded, one
/// character at a time against `key`, so no buffer: O(len), no allocation.
pub(crate) fn key_is(raw: &[u8], key: &[u8]) -> bool {
    if raw == key {
        return true;
    }
    if !raw.contains(&b'\\') {
        return false;
    }
    let mut bytes = raw.iter();
    let mut expected = key.iter();
    while let Some(&b) = bytes.next() {
        let decoded = if b == b'\\' {
            match bytes.next() {
                Some(b'b') => 0x08,
                Some(b'f') => 0x0c,
                Some(b'n') => b'\n',
                Some(b'r') => b'\r',
                Some(b't') => b'\t',
                Some(b'u') => {
                    let mut unit: u32 = 0;
                    for _ in 0..4 {
                        match bytes.next().and_then(|&h| char::from(h).to_digit(16)) {
                            Some(digit) => unit = unit << 4 | digit,
                            None => return false,
                        }
                    }
                    // Past ASCII (a surrogate too): no ASCII key matches.
                    match u8::try_from(unit) {
                        Ok(unit) if unit.is_ascii() => unit,
                        _ => return false,
                    }
                }
                // `"`, `\` and `/` stand for themselves.
                Some(&other) => other,
                None => return false,
            }
        } else {
            b
        };
        if expected.next() != Some(&decoded) {
            return false;
        }
    }
    expected.next().is_none()
}

/// Powers of ten exactly representable as `f32` (5^10 < 2^24).
const POW10_F32: [f32; 11] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

impl Number<'_> {
    /// The number as the nearest `f32` (correctly rounded, ties to even;
    /// `±inf` past the range), or `None` if the text is not a number, which
    /// a validated JSON number never is.
    ///
    /// Fast path (Clinger): a mantissa of at most 2^24 is exact in `f32`,
    /// and so is 10^k for k <= 10, so one IEEE multiplication or division
    /// rounds the exact value once, correctly. Anything else goes to the
    /// exact big-integer conversion in [`decimal`](crate::decimal).
    #[inline]
    pub(crate) fn to_f32(self) -> Option<f32> {
        if !self.truncated {
            let m = self.mantissa;
            if m <= 1 << 24 {
                let k = usize::try_from(self.exp10.unsigned_abs()).unwrap_or(usize::MAX);
                if let Some(&pow) = POW10_F32.get(k) {
                    // `m <= 2^24`: the conversion is exact.
                    let m = m as f32;
                    let magnitude = if self.exp10 >= 0 { m * pow } else { m / pow };
                    return Some(if self.negative { -magnitude } else { magnitude });
                }
            }
        }
        parse_f32_slow(self.text)
    }
}

impl Number<'_> {
    /// The number as the nearest `f64` (correctly rounded, ties to even;
    /// `±inf` past the range), or `None` if the text is not a number, which
    /// a validated JSON number never is: bit for bit what
    /// `str::parse::<f64>` returns, without `core`'s float parser.
    ///
    /// Fast path ([`decimal::fast_f64`](crate::decimal::fast_f64): Clinger,
    /// then Eisel-Lemire for powers of ten from 10^-64 to 10^64), a few
    /// multiplications: when the digits fit a `u64`, as the 17 significant digits
    /// of a model file do, or else when the leading 19 or 20 digits and the
    /// same plus one in the last place round to the same `f64` (the number
    /// lies between them; rounding is monotone). Anything else goes to the
    /// exact big-integer conversion: one or two comparisons when those two
    /// bound the result, at most 56 otherwise (integers of at most 84
    /// 32-bit limbs). No allocation, no panic.
    #[inline]
    pub(crate) fn to_f64(self) -> Option<f64> {
        use crate::decimal::fast_f64;
        let fast = if self.truncated {
            // `mantissa < 2^64 - 1`: the increment does not overflow.
            match (fast_f64(self.mantissa, self.exp10), fast_f64(self.mantissa.wrapping_add(1), self.exp10)) {
                (Some(low), Some(high)) if low.to_bits() == high.to_bits() => Some(low),
                (Some(low), Some(high)) => return parse_f64_slow(self.text, low, high),
                _ => None,
            }
        } else {
            fast_f64(self.mantissa, self.exp10)
        };
        match fast {
            Some(magnitude) => Some(if self.negative { -magnitude } else { magnitude }),
            None => parse_f64_slow(self.text, 0.0, f64::INFINITY),
        }
    }
}

/// The exact conversion of [`decimal`](crate::decimal) for what
/// [`Number::to_f64`]'s fast path cannot decide, knowing the magnitude
/// rounds to between `low` and `high`.
#[cold]
#[inline(never)]
fn parse_f64_slow(text: &[u8], low: f64, high: f64) -> Option<f64> {
    crate::decimal::parse_f64_within(text, low, high)
}

/// The exact, compact conversion of [`decimal`](crate::decimal), for what
/// the fast path cannot do: bit for bit what `str::parse::<f32>` returns,
/// without linking `core`'s float parser (about 15 KB of flash, and panic
/// branches) into ingest.
#[cold]
#[inline(never)]
fn parse_f32_slow(text: &[u8]) -> Option<f32> {
    crate::decimal::parse_f32(text)
}

/// The scanner: a position in the input, the nesting depth and the bracket
/// kind of every open level.
pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: u8,
    max_depth: u8,
    /// Bit `d` is set when level `d` (1-based) is an object, clear when it is
    /// an array.
    objects: [u64; 4],
}

/// Whether `b` can appear in a string without a closer look: not `"`, `\`,
/// a control character or a non-ASCII byte.
#[inline(always)]
const fn is_plain_string_byte(b: u8) -> bool {
    b >= 0x20 && b < 0x80 && b != b'"' && b != b'\\'
}

/// The 8 bytes of `word` (little-endian) that are not plain string bytes,
/// as their high bits: zero if all eight are plain.
#[inline(always)]
const fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Per byte: high bit set if the byte is < 0x20, `"` or `\` (exact for
    // the lowest such byte, which is all the caller uses), or >= 0x80.
    let control = word.wrapping_sub(ONES * 0x20);
    let quote = (word ^ (ONES * 0x22)).wrapping_sub(ONES);
    let backslash = (word ^ (ONES * 0x5c)).wrapping_sub(ONES);
    ((control | quote | backslash) & !word | word) & HIGH
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `bytes`, rejecting nesting deeper than
    /// `max_depth`.
    pub(crate) const fn new(bytes: &'a [u8], max_depth: u8) -> Self {
        Self { bytes, pos: 0, depth: 0, max_depth, objects: [0; 4] }
    }

    /// A scanner at the start of `bytes`, after checking them against
    /// `limits`: [`Error::TooLarge`] past [`Limits::max_bytes`], and nesting
    /// deeper than [`Limits::max_depth`] is [`Error::TooDeep`] when reached.
    pub(crate) fn with_limits(bytes: &'a [u8], limits: Limits) -> Result<Self, Error> {
        if bytes.len() > limits.max_bytes as usize {
            return Err(Error::TooLarge { len: bytes.len(), limit: limits.max_bytes });
        }
        Ok(Self::new(bytes, limits.max_depth))
    }

    /// The current byte offset.
    pub(crate) const fn offset(&self) -> usize {
        self.pos
    }

    /// The input from byte `offset` on.
    pub(crate) fn rest_from(&self, offset: usize) -> &'a [u8] {
        self.bytes.get(offset..).unwrap_or(&[])
    }

    /// If the next bytes are `"`, `key` and `"`, consumes them and returns
    /// `true`: a fast path for the keys a parser expects, the same as
    /// [`key`](Self::key) returning the key. One masked 16-byte compare.
    #[inline(always)]
    fn eat_key(&mut self, key: &KnownKey) -> bool {
        let Some(window) = self.bytes.get(self.pos..self.pos + 16) else {
            return false;
        };
        let word = u128::from_le_bytes(window.try_into().unwrap_or([0; 16]));
        let matched = word & key.mask == key.word;
        if matched {
            self.pos += key.len;
        }
        matched
    }

    /// An error of `kind` at the current offset.
    pub(crate) const fn error(&self, kind: JsonErrorKind) -> Error {
        Error::syntax(kind, self.pos)
    }

    /// Skips whitespace and returns the next byte without consuming it.
    #[inline(always)]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        // Every byte that can start a token is above the space.
        match self.bytes.get(self.pos) {
            Some(&b) if b > b' ' => return Some(b),
            _ => {}
        }
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes one byte (the one [`peek`](Self::peek) returned).
    #[inline(always)]
    fn bump(&mut self) {
        self.pos += 1;
    }

    /// Opens the object (`object`) or array a schema requires next:
    /// `InvalidType` at any other value, `EofWhileParsingValue` at the end
    /// of the input.
    pub(crate) fn open(&mut self, object: bool) -> Result<(), Error> {
        let bracket = if object { b'{' } else { b'[' };
        match self.peek() {
            Some(b) if b == bracket => self.enter(object),
            Some(_) => Err(self.error(JsonErrorKind::InvalidType)),
            None => Err(self.error(JsonErrorKind::EofWhileParsingValue)),
        }
    }

    /// Consumes the bracket at the current offset and opens a level of the
    /// given kind, or fails if that level is deeper than the limit.
    #[inline]
    pub(crate) fn enter(&mut self, object: bool) -> Result<(), Error> {
        if self.depth >= self.max_depth {
            return Err(Error::TooDeep { limit: self.max_depth, offset: self.pos });
        }
        self.depth += 1;
        let (word, bit) = (usize::from(self.depth >> 6), self.depth & 63);
        if let Some(w) = self.objects.get_mut(word) {
            if object {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
        self.bump();
        Ok(())
    }

    /// Consumes a closing bracket and closes the innermost level.
    #[inline]
    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.bump();
    }

    /// Whether the innermost open level is an object.
    #[inline]
    fn in_object(&self) -> bool {
        let (word, bit) = (usize::from(self.depth >> 6), self.depth & 63);
        self.objects.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    /// After the whole value: only whitespace may follow.
    pub(crate) fn end(&mut self) -> Result<(), Error> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error(JsonErrorKind::TrailingCharacters)),
        }
    }

    /// The next key of the open object, without its colon (see
    /// [`colon`](Self::colon)), or `None` after consuming the object's `}`.
    /// `first` tracks whether a key was read already; start with `true`.
    ///
    /// A key equal to `known[i]` is [`Key::Known`]`(i)` (checked first,
    /// without scanning: the known keys must not contain `"` or `\`),
    /// however it is spelt: escapes are decoded before comparing, as RFC 8259
    /// says, so `"n\u0061me"` is `name` and a caller that rejects a repeated
    /// known key rejects it in any spelling. Any other key is
    /// [`Key::Other`], raw, escapes and all: compare it with [`key_is`],
    /// never with `==`.
    #[inline]
    pub(crate) fn key(&mut self, first: &mut bool, known: &[KnownKey]) -> Result<Option<Key<'a>>, Error> {
        let next = match self.peek() {
            None => return Err(self.error(JsonErrorKind::EofWhileParsingObject)),
            Some(b'}') => {
                self.leave();
                return Ok(None);
            }
            Some(b',') if !*first => {
                self.bump();
                self.peek()
            }
            Some(_) if !*first => return Err(self.error(JsonErrorKind::ExpectedObjectCommaOrEnd)),
            next => next,
        };
        *first = false;
        match next {
            Some(b'"') => {
                for (i, key) in known.iter().enumerate() {
                    if self.eat_key(key) {
                        return Ok(Some(Key::Known(i)));
                    }
                }
                // Not one of them, or too near the end of the input for the
                // 16-byte compare.
                let raw = self.string()?;
                let position = known.iter().position(|k| key_is(raw, k.key));
                Ok(Some(match position {
                    Some(i) => Key::Known(i),
                    None => Key::Other(raw),
                }))
            }
            Some(b'}') => Err(self.error(JsonErrorKind::TrailingComma)),
            Some(_) => Err(self.error(JsonErrorKind::KeyMustBeAString)),
            None => Err(self.error(JsonErrorKind::EofWhileParsingValue)),
        }
    }

    /// The `:` after a key.
    #[inline]
    pub(crate) fn colon(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b':') => {
                self.bump();
                Ok(())
            }
            Some(_) => Err(self.error(JsonErrorKind::ExpectedColon)),
            None => Err(self.error(JsonErrorKind::EofWhileParsingObject)),
        }
    }

    /// Moves to the next element of the open array: `true` if there is one
    /// (the scanner is then at it), `false` after consuming the array's `]`.
    /// `first` tracks whether an element was seen; start with `true`.
    #[inline]
    pub(crate) fn element(&mut self, first: &mut bool) -> Result<bool, Error> {
        match self.peek() {
            None => Err(self.error(JsonErrorKind::EofWhileParsingList)),
            Some(b']') => {
                self.leave();
                Ok(false)
            }
            Some(b',') if !*first => {
                self.bump();
                match self.peek() {
                    None => Err(self.error(JsonErrorKind::EofWhileParsingValue)),
                    Some(b']') => Err(self.error(JsonErrorKind::TrailingComma)),
                    Some(_) => Ok(true),
                }
            }
            Some(b',') => Err(self.error(JsonErrorKind::ExpectedSomeValue)),
            Some(_) if *first => {
                *first = false;
                Ok(true)
            }
            Some(_) => Err(self.error(JsonErrorKind::ExpectedListCommaOrEnd)),
        }
    }

    /// A string, with the scanner at its opening `"`: returns its raw
    /// contents (escapes not decoded) and moves past the closing `"`.
    #[inline]
    pub(crate) fn string(&mut self) -> Result<&'a [u8], Error> {
        let start = self.pos + 1;
        let mut i = start;
        loop {
            // Eight bytes at a time while they are all plain.
            while let Some(chunk) = self.bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
                let special = special_bytes(word);
                if special != 0 {
                    i += (special.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            let Some(&b) = self.bytes.get(i) else {
                self.pos = self.bytes.len();
                return Err(self.error(JsonErrorKind::EofWhileParsingString));
            };
            if is_plain_string_byte(b) {
                i += 1;
                continue;
            }
            match b {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(self.bytes.get(start..i).unwrap_or(&[]));
                }
                b'\\' => i = self.escape(i)?,
                0..0x20 => {
                    self.pos = i;
                    return Err(self.error(JsonErrorKind::InvalidUnicodeCodePoint));
                }
                _ => i = self.utf8(i)?,
            }
        }
    }

    /// The escape sequence whose `\` is at `at`; returns the offset after it.
    fn escape(&mut self, at: usize) -> Result<usize, Error> {
        let fail = |s: &mut Self, pos: usize, kind| {
            s.pos = pos;
            Err(s.error(kind))
        };
        match self.bytes.get(at + 1) {
            None => fail(self, self.bytes.len(), JsonErrorKind::EofWhileParsingString),
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(at + 2),
            Some(b'u') => {
                for k in at + 2..at + 6 {
                    match self.bytes.get(k) {
                        None => return fail(self, self.bytes.len(), JsonErrorKind::EofWhileParsingString),
                        Some(h) if h.is_ascii_hexdigit() => {}
                        Some(_) => return fail(self, k, JsonErrorKind::InvalidEscapeSequence),
                    }
                }
                Ok(at + 6)
            }
            Some(_) => fail(self, at + 1, JsonErrorKind::InvalidEscapeSequence),
        }
    }

    /// The run of non-ASCII bytes starting at `at` must be valid UTF-8 (a
    /// run holds whole characters, since their bytes are all non-ASCII);
    /// returns the offset after the run.
    #[cold]
    fn utf8(&mut self, at: usize) -> Result<usize, Error> {
        let rest = self.bytes.get(at..).unwrap_or(&[]);
        let run = rest.iter().position(|&b| b < 0x80).unwrap_or(rest.len());
        match core::str::from_utf8(rest.get(..run).unwrap_or(&[])) {
            Ok(_) => Ok(at + run),
            // Cut short by the end of the input: the string is unterminated.
            Err(e) if e.error_len().is_none() && run == rest.len() => {
                self.pos = self.bytes.len();
                Err(self.error(JsonErrorKind::EofWhileParsingString))
            }
            Err(e) => {
                self.pos = at + e.valid_up_to();
                Err(self.error(JsonErrorKind::InvalidUnicodeCodePoint))
            }
        }
    }

    /// The literal `word` (`true`, `false` or `null`), with the scanner at
    /// its first byte.
    pub(crate) fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        for &expected in word {
            match self.bytes.get(self.pos) {
                Some(&b) if b == expected => self.bump(),
                Some(_) => return Err(self.error(JsonErrorKind::ExpectedSomeIdent)),
                None => return Err(self.error(JsonErrorKind::EofWhileParsingValue)),
            }
        }
        Ok(())
    }

    /// A number, with the scanner at its first byte (`-` or a digit).
    #[inline]
    pub(crate) fn number(&mut self) -> Result<Number<'a>, Error> {
        const CAP: u64 = 1 << 60;
        let start = self.pos;
        let negative = self.bytes.get(self.pos) == Some(&b'-');
        if negative {
            self.bump();
        }
        let mut mantissa: u64 = 0;
        let mut exact = true;
        let mut exp10: i64 = 0;
        let digit = |m: &mut u64, exact: &mut bool, d: u8| {
            if *m < CAP {
                *m = *m * 10 + u64::from(d - b'0');
            } else {
                *exact = false;
            }
        };
        // Integer part: `0` or `[1-9][0-9]*`.
        match self.bytes.get(self.pos) {
            Some(b'0') => {
                self.bump();
                if self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    return Err(self.error(JsonErrorKind::InvalidNumber));
                }
            }
            Some(&d @ b'1'..=b'9') => {
                digit(&mut mantissa, &mut exact, d);
                self.bump();
                while let Some(&d @ b'0'..=b'9') = self.bytes.get(self.pos) {
                    // A dropped integer digit scales the digits kept.
                    exp10 += i64::from(mantissa >= CAP);
                    digit(&mut mantissa, &mut exact, d);
                    self.bump();
                }
            }
            Some(_) => return Err(self.error(JsonErrorKind::InvalidNumber)),
            None => return Err(self.error(JsonErrorKind::EofWhileParsingNumber)),
        }
        // Fraction.
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.bump();
            self.digit_required()?;
            while let Some(&d @ b'0'..=b'9') = self.bytes.get(self.pos) {
                if mantissa < CAP {
                    exp10 -= 1;
                }
                digit(&mut mantissa, &mut exact, d);
                self.bump();
            }
        }
        // Exponent.
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.bump();
            let minus = match self.bytes.get(self.pos) {
                Some(b'-') => {
                    self.bump();
                    true
                }
                Some(b'+') => {
                    self.bump();
                    false
                }
                _ => false,
            };
            self.digit_required()?;
            let mut e: i64 = 0;
            while let Some(&d @ b'0'..=b'9') = self.bytes.get(self.pos) {
                // Saturate far outside any float range.
                e = (e * 10 + i64::from(d - b'0')).min(1 << 40);
                self.bump();
            }
            exp10 = if minus { exp10 - e } else { exp10 + e };
        }
        let text = self.bytes.get(start..self.pos).unwrap_or(&[]);
        Ok(Number { text, mantissa, truncated: !exact, exp10, negative })
    }

    /// The digits of a JSON integer that must fit a `u64`, with the scanner
    /// at the first digit; stops at the first non-digit (the caller decides
    /// what may follow). A leading zero followed by a digit, or a value past
    /// `u64::MAX`, is `InvalidNumber` (at the offending digit).
    pub(crate) fn unsigned(&mut self) -> Result<u64, Error> {
        let mut value: u64 = 0;
        match self.bytes.get(self.pos) {
            Some(b'0') => {
                self.bump();
                if self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    return Err(self.error(JsonErrorKind::InvalidNumber));
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(&d @ b'0'..=b'9') = self.bytes.get(self.pos) {
                    value = value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(d - b'0')))
                        .ok_or(self.error(JsonErrorKind::InvalidNumber))?;
                    self.bump();
                }
            }
            Some(_) => return Err(self.error(JsonErrorKind::InvalidNumber)),
            None => return Err(self.error(JsonErrorKind::EofWhileParsingNumber)),
        }
        Ok(value)
    }

    /// A digit must come next (after `.`, `e`, `e+`, `e-`).
    #[inline]
    fn digit_required(&self) -> Result<(), Error> {
        match self.bytes.get(self.pos) {
            Some(b'0'..=b'9') => Ok(()),
            Some(_) => Err(self.error(JsonErrorKind::InvalidNumber)),
            None => Err(self.error(JsonErrorKind::EofWhileParsingNumber)),
        }
    }

    /// Skips one value of any type, validating it, without recursion: nested
    /// arrays and objects are tracked by the depth counter and bit stack.
    pub(crate) fn skip_value(&mut self) -> Result<(), Error> {
        let base = self.depth;
        'value: loop {
            // A value starts at the next non-whitespace byte.
            match self.peek() {
                None => return Err(self.error(JsonErrorKind::EofWhileParsingValue)),
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'{') => {
                    self.enter(true)?;
                    match self.peek() {
                        Some(b'}') => self.leave(),
                        Some(b'"') => {
                            self.string()?;
                            self.colon()?;
                            continue 'value;
                        }
                        Some(_) => return Err(self.error(JsonErrorKind::KeyMustBeAString)),
                        None => return Err(self.error(JsonErrorKind::EofWhileParsingObject)),
                    }
                }
                Some(b'[') => {
                    self.enter(false)?;
                    match self.peek() {
                        Some(b']') => self.leave(),
                        Some(_) => continue 'value,
                        None => return Err(self.error(JsonErrorKind::EofWhileParsingList)),
                    }
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                Some(_) => return Err(self.error(JsonErrorKind::ExpectedSomeValue)),
            }
            // After a value: close levels until one continues.
            while self.depth > base {
                let object = self.in_object();
                match self.peek() {
                    Some(b',') => {
                        self.bump();
                        match (object, self.peek()) {
                            (_, None) => return Err(self.error(JsonErrorKind::EofWhileParsingValue)),
                            (true, Some(b'}')) | (false, Some(b']')) => {
                                return Err(self.error(JsonErrorKind::TrailingComma));
                            }
                            (true, Some(b'"')) => {
                                self.string()?;
                                self.colon()?;
                            }
                            (true, Some(_)) => return Err(self.error(JsonErrorKind::KeyMustBeAString)),
                            (false, Some(_)) => {}
                        }
                        continue 'value;
                    }
                    Some(b'}') if object => self.leave(),
                    Some(b']') if !object => self.leave(),
                    Some(_) if object => return Err(self.error(JsonErrorKind::ExpectedObjectCommaOrEnd)),
                    Some(_) => return Err(self.error(JsonErrorKind::ExpectedListCommaOrEnd)),
                    None if object => return Err(self.error(JsonErrorKind::EofWhileParsingObject)),
                    None => return Err(self.error(JsonErrorKind::EofWhileParsingList)),
                }
            }
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests;
