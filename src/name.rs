//! Validated feature names.
//!
//! A [`FeatureName`] is 1..=[`MAX_NAME_LEN`] bytes of ASCII `[a-z0-9_.-]`. The
//! only way to get one is [`FeatureName::new`], so a value of this type is
//! always valid and no later code re-checks it.

use core::fmt;
use core::num::NonZeroU8;

/// The longest feature name accepted, in bytes.
///
/// A name is stored inline in a fixed `MAX_NAME_LEN + 1` bytes (contents plus a
/// one-byte length), so this constant is part of the memory formula of
/// [`FeatureTable`](crate::FeatureTable).
pub const MAX_NAME_LEN: usize = 32;

// Names are compared as 64-bit words and their length is a `u8`.
const _: () = assert!(MAX_NAME_LEN.is_multiple_of(8) && MAX_NAME_LEN < 256);

/// A feature name: 1..=[`MAX_NAME_LEN`] bytes of ASCII `[a-z0-9_.-]`.
///
/// Ordering is byte-wise, which is the order the table's name index uses.
///
/// ```
/// use feature_table::{FeatureName, NameError};
///
/// let name = FeatureName::new("ua_entropy")?;
/// assert_eq!(name.as_str(), "ua_entropy");
/// assert_eq!(
///     FeatureName::new("UA"),
///     Err(NameError::InvalidByte { byte: b'U', offset: 0 })
/// );
/// # Ok::<(), NameError>(())
/// ```
///
/// Stored inline and zero-padded, so that comparing two names is four
/// 64-bit compares rather than a `memcmp` call: names contain no NUL byte,
/// hence zero padding orders exactly like the strings.
// `repr(C)`: the bytes first, at offset 0, so that the fixed-size stores
// that build a name and the word loads that compare it line up (a load that
// straddles two stores stalls store-to-load forwarding).
#[derive(Clone, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct FeatureName {
    bytes: [u8; MAX_NAME_LEN],
    /// Never zero (names are not empty), which gives `Option<FeatureName>`
    /// the same layout as `FeatureName`.
    len: NonZeroU8,
}

/// A name as four big-endian words: ordering the keys orders the names.
pub(crate) type NameKey = [u64; MAX_NAME_LEN / 8];

impl FeatureName {
    /// Validates `name` and stores it inline.
    ///
    /// Cost: O(len), no allocation. Fails with the first rule `name` breaks.
    pub fn new(name: &str) -> Result<Self, NameError> {
        Self::from_raw(name.as_bytes())
    }

    /// Validates raw bytes (for example a JSON string's contents, escapes
    /// not decoded) and stores them inline. The same rules as
    /// [`new`](Self::new): a backslash is [`NameError::Escape`], a non-ASCII
    /// byte is [`NameError::InvalidByte`].
    #[inline]
    pub(crate) fn from_raw(name: &[u8]) -> Result<Self, NameError> {
        let mut bytes = [0; MAX_NAME_LEN];
        // Fast path: a name that fits, every byte checked without a branch.
        if let (Some(slots), Ok(len)) = (bytes.get_mut(..name.len()), u8::try_from(name.len()))
            && let (Some(len), true) = (NonZeroU8::new(len), name.iter().all(|&b| is_name_byte(b)))
        {
            slots.copy_from_slice(name);
            return Ok(Self { bytes, len });
        }
        // Report the first rule broken, in the documented order.
        validate(name)?;
        Err(NameError::TooLong { len: name.len(), max: MAX_NAME_LEN })
    }

    /// A fast path for [`from_raw`](Self::from_raw) of the first `len`
    /// bytes of `window`, which may run on past the name (for example to the
    /// rest of a JSON document): the copy and the check work on a fixed
    /// 32 bytes, branch-free and vectorised. `None` if `window` is shorter
    /// than [`MAX_NAME_LEN`] or the name is not valid: ask `from_raw` then
    /// (for the error).
    #[inline(always)]
    pub(crate) fn from_prefix(window: &[u8], len: usize) -> Option<Self> {
        let head = window.get(..MAX_NAME_LEN)?;
        let len8 = NonZeroU8::new(u8::try_from(len).ok()?)?;
        let mut bytes = [0; MAX_NAME_LEN];
        bytes.copy_from_slice(head);
        let mut ok = len <= MAX_NAME_LEN;
        for (i, b) in bytes.iter_mut().enumerate() {
            let inside = i < len;
            ok &= !inside | is_name_byte(*b);
            *b = if inside { *b } else { 0 };
        }
        ok.then_some(Self { bytes, len: len8 })
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len.get())).unwrap_or(&[]);
        // Validated ASCII, so this is always `Ok`.
        core::str::from_utf8(bytes).unwrap_or("")
    }

    /// The comparison key of this name: its words in big-endian order, so
    /// that comparing keys compares names byte by byte.
    #[inline]
    pub(crate) fn key(&self) -> NameKey {
        key_of(&self.bytes)
    }

    /// The name's identity for equality and hashing: two names are equal
    /// exactly when their words are (a name is zero-padded and holds no
    /// zero byte, so the words also encode its length).
    #[inline]
    pub(crate) fn words(&self) -> NameKey {
        words_of(&self.bytes)
    }
}

/// The identity of `name` as [`FeatureName::words`] gives it, or `None` if
/// it cannot be a feature name's: too long, or holding a zero byte (which
/// the zero padding would make equal to a shorter name). O(len).
#[inline]
pub(crate) fn words_of_str(name: &str) -> Option<NameKey> {
    if name.len() > MAX_NAME_LEN || name.as_bytes().contains(&0) {
        return None;
    }
    let mut bytes = [0; MAX_NAME_LEN];
    for (slot, &b) in bytes.iter_mut().zip(name.as_bytes()) {
        *slot = b;
    }
    Some(words_of(&bytes))
}

/// The zero-padded bytes as little-endian words: no byte swaps, so the
/// cheapest identity for equality and hashing (not for ordering).
#[inline]
fn words_of(bytes: &[u8; MAX_NAME_LEN]) -> NameKey {
    let mut words = [0; MAX_NAME_LEN / 8];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        // `chunks_exact(8)` yields 8-byte chunks only.
        *word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
    }
    words
}

#[inline]
fn key_of(bytes: &[u8; MAX_NAME_LEN]) -> NameKey {
    let mut key = [0; MAX_NAME_LEN / 8];
    for (word, chunk) in key.iter_mut().zip(bytes.chunks_exact(8)) {
        // `chunks_exact(8)` yields 8-byte chunks only.
        *word = u64::from_be_bytes(chunk.try_into().unwrap_or([0; 8]));
    }
    key
}

impl PartialOrd for FeatureName {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Byte-wise order of the names.
impl Ord for FeatureName {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// Checks `name` against the naming rules without storing it.
fn validate(name: &[u8]) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some((offset, &byte)) = name.iter().enumerate().find(|&(_, &b)| !is_name_byte(b)) {
        return Err(if byte == b'\\' { NameError::Escape { offset } } else { NameError::InvalidByte { byte, offset } });
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong { len: name.len(), max: MAX_NAME_LEN });
    }
    Ok(())
}

/// Whether `b` is in `[a-z0-9_.-]`. Comparisons rather than a table: no
/// 256-byte table in flash, and a loop of it vectorises.
#[inline(always)]
const fn is_name_byte(b: u8) -> bool {
    (b.wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10) | (b == b'_') | (b == b'.') | (b == b'-')
}

impl fmt::Debug for FeatureName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for FeatureName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for FeatureName {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str());
    }
}

/// Why a string is not a valid [`FeatureName`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum NameError {
    /// The name is the empty string.
    Empty,
    /// The name is `len` bytes long; at most `max` are allowed.
    TooLong {
        /// Length of the offered name, in bytes.
        len: usize,
        /// [`MAX_NAME_LEN`].
        max: usize,
    },
    /// The byte at `offset` is outside `[a-z0-9_.-]`.
    InvalidByte {
        /// The offending byte (the first byte of a multi-byte UTF-8 character).
        byte: u8,
        /// Its offset within the name.
        offset: usize,
    },
    /// The name contains a JSON escape sequence (a backslash) at `offset`;
    /// names are compared byte for byte, so escapes are not allowed.
    Escape {
        /// Offset of the backslash within the raw name.
        offset: usize,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("name is empty"),
            Self::TooLong { len, max } => write!(f, "name is {len} bytes long, at most {max} allowed"),
            Self::InvalidByte { byte, offset } if byte.is_ascii_graphic() || byte == b' ' => {
                // Quoted as `{:?}` would, without `char`'s Debug: its Unicode
                // tables keep panic branches that a no-panic link cannot drop.
                let escape = if byte == b'\'' || byte == b'\\' { "\\" } else { "" };
                write!(f, "byte {offset} of the name is '{escape}{}', allowed are a-z 0-9 _ . -", byte as char)
            }
            Self::InvalidByte { byte, offset } => {
                write!(f, "byte {offset} of the name is 0x{byte:02x}, allowed are a-z 0-9 _ . -")
            }
            Self::Escape { offset } => {
                write!(f, "byte {offset} of the name starts an escape sequence; escapes are not allowed")
            }
        }
    }
}

impl core::error::Error for NameError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_allowed_byte_class() {
        for ok in ["a", "ua_entropy", "hdr.accept-language", "x9", "0", "-", "."] {
            assert_eq!(FeatureName::new(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn length_edges() {
        let max = "a".repeat(MAX_NAME_LEN);
        assert!(FeatureName::new(&max).is_ok());
        let over = "a".repeat(MAX_NAME_LEN + 1);
        assert_eq!(FeatureName::new(&over), Err(NameError::TooLong { len: MAX_NAME_LEN + 1, max: MAX_NAME_LEN }));
        assert_eq!(FeatureName::new(""), Err(NameError::Empty));
    }

    #[test]
    fn rejects_uppercase_unicode_whitespace_and_escapes_with_offset() {
        assert_eq!(FeatureName::new("aB"), Err(NameError::InvalidByte { byte: b'B', offset: 1 }));
        assert_eq!(FeatureName::new("é"), Err(NameError::InvalidByte { byte: 0xc3, offset: 0 }));
        assert_eq!(FeatureName::new("a b"), Err(NameError::InvalidByte { byte: b' ', offset: 1 }));
        assert_eq!(FeatureName::new("a\\u0062"), Err(NameError::Escape { offset: 1 }));
    }

    #[test]
    fn order_is_byte_wise_string_order() {
        let mut names =
            ["b", "a", "ab", "a-", "a.b", "a_b", "z9", "0", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaab"];
        let mut parsed: Vec<FeatureName> = names.iter().map(|n| FeatureName::new(n).unwrap()).collect();
        names.sort_unstable();
        parsed.sort_unstable();
        let parsed: Vec<&str> = parsed.iter().map(FeatureName::as_str).collect();
        assert_eq!(parsed, names);
        assert_eq!(words_of_str("ab"), Some(FeatureName::new("ab").unwrap().words()));
        assert_ne!(words_of_str("ab"), Some(FeatureName::new("abc").unwrap().words()));
        assert_eq!(words_of_str(&"a".repeat(MAX_NAME_LEN + 1)), None);
        // Zero padding must not make "a\0" the name "a".
        assert_eq!(words_of_str("a\0"), None);
    }

    #[test]
    fn from_prefix_is_from_raw_of_the_prefix() {
        let doc = b"ua_entropy\", \"default\": 0.5, \"x\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}";
        for len in 0..doc.len() {
            assert_eq!(FeatureName::from_prefix(doc, len), FeatureName::from_raw(&doc[..len]).ok(), "{len}");
            assert_eq!(FeatureName::from_prefix(&doc[..len], len), None, "{len}");
        }
        for b in 0..=255u8 {
            let expected = matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-');
            assert_eq!(is_name_byte(b), expected, "{b:#x}");
        }
    }

    #[test]
    fn invalid_byte_is_reported_before_length() {
        // A long name with a bad byte: the byte is the more useful report.
        let name = "A".repeat(MAX_NAME_LEN + 5);
        assert_eq!(FeatureName::new(&name), Err(NameError::InvalidByte { byte: b'A', offset: 0 }));
    }

    #[test]
    fn an_invalid_printable_byte_is_quoted_as_char_debug_would() {
        for byte in (0x20u8..0x7f).filter(|b| !b.is_ascii_lowercase() && !b.is_ascii_digit()) {
            let message = NameError::InvalidByte { byte, offset: 0 }.to_string();
            let quoted = format!("{:?}", byte as char);
            assert_eq!(message, format!("byte 0 of the name is {quoted}, allowed are a-z 0-9 _ . -"));
        }
    }
}
