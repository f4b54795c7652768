//! The JSON layer's errors: [`Error`] (too large, too deep, or a syntax
//! error), and the syntax error [`JsonError`] with its [`JsonErrorKind`].

use core::fmt;

/// What is wrong with input that is not JSON. The variants are named as
/// `serde-json-core` names its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The input ended inside a list.
    EofWhileParsingList,
    /// The input ended inside an object.
    EofWhileParsingObject,
    /// The input ended inside a string.
    EofWhileParsingString,
    /// The input ended where a number needs a digit.
    EofWhileParsingNumber,
    /// The input ended where a value must start.
    EofWhileParsingValue,
    /// A key is not followed by `:`.
    ExpectedColon,
    /// A list element is followed by neither `,` nor `]`.
    ExpectedListCommaOrEnd,
    /// An object member is followed by neither `,` nor `}`.
    ExpectedObjectCommaOrEnd,
    /// A misspelt `true`, `false` or `null`.
    ExpectedSomeIdent,
    /// Something that starts no JSON value (a bare word, a leading comma).
    ExpectedSomeValue,
    /// A number that breaks the grammar or does not fit, or a non-number
    /// where a number is required.
    InvalidNumber,
    /// A value of the wrong type for the schema.
    InvalidType,
    /// A raw control character or invalid UTF-8 in a string.
    InvalidUnicodeCodePoint,
    /// A backslash not followed by a valid escape.
    InvalidEscapeSequence,
    /// An object key that is not a string.
    KeyMustBeAString,
    /// More input after the value (or an extra element where a schema has
    /// a fixed number).
    TrailingCharacters,
    /// A `,` just before `]` or `}`.
    TrailingComma,
}

impl fmt::Display for JsonErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EofWhileParsingList => "EOF while parsing a list",
            Self::EofWhileParsingObject => "EOF while parsing an object",
            Self::EofWhileParsingString => "EOF while parsing a string",
            Self::EofWhileParsingNumber => "EOF while parsing a number",
            Self::EofWhileParsingValue => "EOF while parsing a JSON value",
            Self::ExpectedColon => "expected `:`",
            Self::ExpectedListCommaOrEnd => "expected `,` or `]`",
            Self::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
            Self::ExpectedSomeIdent => "expected `true`, `false` or `null`",
            Self::ExpectedSomeValue => "expected a JSON value",
            Self::InvalidNumber => "invalid number",
            Self::InvalidType => "invalid type",
            Self::InvalidUnicodeCodePoint => "invalid unicode code point",
            Self::InvalidEscapeSequence => "invalid escape sequence",
            Self::KeyMustBeAString => "object key is not a string",
            Self::TrailingCharacters => "trailing characters",
            Self::TrailingComma => "trailing comma",
        })
    }
}

/// A JSON syntax error: what ([`kind`](Self::kind)) and where
/// ([`offset`](Self::offset)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct JsonError {
    /// What is wrong.
    pub kind: JsonErrorKind,
    /// Where: the offending byte, or the input length at a premature end.
    pub offset: usize,
}

impl JsonError {
    /// An error of `kind` at byte `offset`.
    pub const fn new(kind: JsonErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed JSON at byte {}: {}", self.offset, self.kind)
    }
}

impl core::error::Error for JsonError {}

/// Why a JSON reader stopped: the input breaks a [`Limits`](super::Limits) bound or is not
/// JSON. [`IngestError`](crate::IngestError) and the model loaders' errors
/// embed it, with where in their schema it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The input is `len` bytes; the limit is `limit`. Checked before
    /// reading.
    TooLarge {
        /// Input length in bytes.
        len: usize,
        /// [`Limits::max_bytes`](super::Limits::max_bytes).
        limit: u32,
    },
    /// Arrays/objects nest deeper than `limit` at byte `offset`.
    TooDeep {
        /// [`Limits::max_depth`](super::Limits::max_depth).
        limit: u8,
        /// Offset of the bracket that crossed the limit.
        offset: usize,
    },
    /// The input is not JSON, or a value has the wrong type for the schema.
    Syntax(JsonError),
}

impl Error {
    /// A [`Syntax`](Self::Syntax) error of `kind` at byte `offset`.
    pub const fn syntax(kind: JsonErrorKind, offset: usize) -> Self {
        Self::Syntax(JsonError::new(kind, offset))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len, limit } => write!(f, "input is {len} bytes, the limit is {limit}"),
            Self::TooDeep { limit, offset } => write!(f, "nesting deeper than {limit} levels at byte {offset}"),
            Self::Syntax(error) => fmt::Display::fmt(error, f),
        }
    }
}

/// `Display` includes the syntax error's message, so `source` is `None`
/// (one rule for wrapping errors: the message or the source, not both).
impl core::error::Error for Error {}
