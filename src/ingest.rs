//! Feature file ingest: bytes → validated [`FeatureTable`].
//!
//! The file is JSON:
//!
//! ```json
//! {"version": 42, "features": [{"name": "ua_entropy", "default": 0.5}, {"name": "path_depth"}]}
//! ```
//!
//! | field | type | rule |
//! |---|---|---|
//! | `version` | `u64` | required; with the default policy, greater than the active file's |
//! | `features` | array | required, 1..=N entries (N: the table's compile-time capacity) |
//! | `features[i].name` | string | required; 1..=32 bytes of ASCII `[a-z0-9_.-]`; no escapes; unique |
//! | `features[i].default` | number | optional (0.0); a finite `f32` (`1e999` is rejected) |
//! | anything else | any | ignored, at any nesting up to the depth limit, but validated as JSON |
//!
//! Ingest checks the size limit ([`Limits::max_bytes`]) first, then reads
//! the bytes once, straight into the table, with a hand-written scanner
//! specialised to this schema. It does not allocate and does not recurse:
//! nesting is bounded by a counter ([`Limits::max_depth`]) and a bit per
//! level, so hostile nesting cannot exhaust the stack. It counts every entry
//! (so an over-long list reports its true length) and records the first bad
//! entry with its position.
//!
//! The scanner is strict RFC 8259 JSON, including the fields ingest ignores
//! (producers' metadata): any JSON value is accepted there and validated in
//! full (string escapes, UTF-8, number grammar, literals, brackets), and
//! anything that is not JSON — a bare word, a leading comma, `+1`, `01` — is
//! [`IngestError::Json`], with the byte offset of the problem.
//!
//! Object keys are compared as RFC 8259 reads them, escapes decoded:
//! `"n\u0061me"` is `name`, and a key given twice, however spelt, is
//! [`IngestError::DuplicateField`], so a file cannot mean one thing to ingest
//! and another to a reader that keeps the last of two keys.
//!
//! What ingest accepts and `serde_json::Value` rejects is, as far as we
//! know, exactly this:
//!
//! - in a string ingest does not read (a value or key of the producers'
//!   metadata), a `\u` escape of a lone surrogate (`"\ud800"`): the JSON
//!   grammar allows it, `serde_json` refuses to decode it into a `String`;
//! - in a value ingest does not read, a number outside the `f64` range
//!   (`1e999`), which `serde_json` refuses to convert (ingest checks only
//!   the grammar there);
//! - with [`Limits::max_depth`] set above 128, nesting from 129 levels to
//!   the limit (`serde_json`'s recursion limit is 128; the default limit
//!   is 16).
//!
//! All three are tested against `serde_json` in `tests/hostile.rs`;
//! `tests/differential.rs` checks on random mutations of generated files
//! that whatever `serde_json` rejects as JSON, ingest rejects. Everywhere
//! else ingest is the stricter: a key it reads given twice
//! (`serde_json::Value` keeps the last), an escape in a feature name, a
//! default outside `f32`, a fractional `version`.
//!
//! This layer does *not* compare a file with the one already serving; that is
//! the [`Reloader`](crate::Reloader)'s job.

use core::fmt;

use crate::json::{self, JsonErrorKind, Key, KnownKey, Limits, Scanner};
use crate::name::{FeatureName, NameError};
use crate::table::{FeatureTable, TableError};

/// A field of the feature file, used to say where an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Field {
    /// The top-level `version`.
    Version,
    /// The top-level `features` list.
    Features,
    /// An entry's `name`.
    Name,
    /// An entry's `default`.
    Default,
}

impl Field {
    /// The field's JSON key.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Version => "version",
            Self::Features => "features",
            Self::Name => "name",
            Self::Default => "default",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.key())
    }
}

/// Why a feature file was rejected by [`ingest`]. Every variant says what is
/// wrong, where, and by how much. Entry positions are zero-based indices into
/// the `features` list.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum IngestError {
    /// The input is too large, nests too deep, or is not JSON of the
    /// expected shape: the JSON layer's [`json::Error`], with where in the
    /// file it happened. Size is checked before reading.
    Json {
        /// What the JSON layer found, with its byte offset.
        error: json::Error,
        /// The entry being parsed, if the error is inside the `features` list.
        entry: Option<usize>,
        /// The field being parsed, if known.
        field: Option<Field>,
    },
    /// A required field is absent.
    MissingField {
        /// The missing field.
        field: Field,
        /// The entry it is missing from, for entry fields.
        entry: Option<usize>,
    },
    /// A field appears twice in the same object.
    DuplicateField {
        /// The repeated field.
        field: Field,
        /// The entry, for entry fields.
        entry: Option<usize>,
    },
    /// The `features` list has `found` entries; the table holds `capacity`.
    CapacityExceeded {
        /// `N`.
        capacity: usize,
        /// The true number of entries in the file.
        found: usize,
    },
    /// `name` appears at entries `first` and `second`.
    DuplicateName {
        /// The repeated name.
        name: FeatureName,
        /// First entry with the name.
        first: usize,
        /// The entry that repeats it.
        second: usize,
    },
    /// The name of entry `entry` is invalid.
    InvalidName {
        /// The entry.
        entry: usize,
        /// The rule it breaks.
        reason: NameError,
    },
    /// The default of entry `entry` parsed to a non-finite number (for
    /// example `1e999`, which overflows `f32`).
    NonFiniteDefault {
        /// The entry.
        entry: usize,
    },
    /// The `features` list is empty.
    EmptyFeatureList,
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json { error, entry, field } => {
                write!(f, "{error}")?;
                if let Some(entry) = entry {
                    write!(f, " in entry {entry}")?;
                }
                if let Some(field) = field {
                    write!(f, " at field {field}")?;
                }
                Ok(())
            }
            Self::MissingField { field, entry: Some(entry) } => write!(f, "entry {entry} has no {field}"),
            Self::MissingField { field, entry: None } => write!(f, "the file has no {field}"),
            Self::DuplicateField { field, entry: Some(entry) } => {
                write!(f, "entry {entry} has field {field} twice")
            }
            Self::DuplicateField { field, entry: None } => write!(f, "the file has field {field} twice"),
            Self::CapacityExceeded { capacity, found } => {
                write!(f, "{found} entries for capacity {capacity}")
            }
            Self::DuplicateName { name, first, second } => {
                write!(f, "duplicate name `{name}` at entries {first} and {second}")
            }
            Self::InvalidName { entry, reason } => write!(f, "invalid name in entry {entry}: {reason}"),
            Self::NonFiniteDefault { entry } => {
                write!(f, "default of entry {entry} is not a finite f32")
            }
            Self::EmptyFeatureList => f.write_str("the features list is empty"),
        }
    }
}

/// `Display` includes the inner [`json::Error`]'s message, so `source` is
/// `None` (the message or the source, not both).
impl core::error::Error for IngestError {}

/// Parses and validates a feature file into `table`.
///
/// `table` is cleared first and holds the file on success; on failure its
/// contents are unspecified (but valid), so parse into a staging table, never
/// the serving one — the [`Reloader`](crate::Reloader) does this for you.
///
/// Cost: one pass, O(len) time, no heap allocation, no recursion: O(1) stack
/// whatever the input.
///
/// Keys are matched with their escapes decoded; what this accepts that
/// `serde_json::Value` would not is listed in the [module docs](mod@crate::ingest).
///
/// ```
/// use feature_table::{ingest, FeatureTable, IngestError, Limits};
///
/// let mut table = FeatureTable::<2>::new(0);
/// ingest(br#"{"version": 7, "features": [{"name": "ua_entropy", "default": 0.5}]}"#, &mut table, Limits::DEFAULT)?;
/// assert_eq!((table.version(), table.len()), (7, 1));
///
/// let doubled = br#"{"version": 8, "features": [{"name": "a"}, {"name": "b"}, {"name": "a"}, {"name": "b"}]}"#;
/// assert_eq!(
///     ingest(doubled, &mut table, Limits::DEFAULT),
///     Err(IngestError::CapacityExceeded { capacity: 2, found: 4 })
/// );
/// # Ok::<(), IngestError>(())
/// ```
pub fn ingest<const N: usize>(bytes: &[u8], table: &mut FeatureTable<N>, limits: Limits) -> Result<(), IngestError> {
    let mut at = Position { entry: None, field: None };
    let mut s = Scanner::with_limits(bytes, limits).map_err(|e| at.error(e))?;
    table.reset(0);

    s.open(true).map_err(|e| at.error(e))?;
    let mut version: Option<u64> = None;
    let mut entries: Option<usize> = None;
    // The first invalid entry; reported after counting the whole list,
    // unless the list is over capacity.
    let mut first_bad_entry: Option<IngestError> = None;
    let mut first = true;
    while let Some(key) = s.key(&mut first, &FILE_KEYS).map_err(|e| at.error(e))? {
        match key {
            Key::Known(0) => {
                if version.is_some() {
                    return Err(IngestError::DuplicateField { field: Field::Version, entry: None });
                }
                s.colon().map_err(|e| at.error(e))?;
                at.field = Some(Field::Version);
                version = Some(parse_u64(&mut s).map_err(|e| at.error(e))?);
            }
            Key::Known(_) => {
                if entries.is_some() {
                    return Err(IngestError::DuplicateField { field: Field::Features, entry: None });
                }
                s.colon().map_err(|e| at.error(e))?;
                at.field = Some(Field::Features);
                entries = Some(parse_list(&mut s, &mut at, table, &mut first_bad_entry)?);
            }
            _ => {
                s.colon().map_err(|e| at.error(e))?;
                s.skip_value().map_err(|e| at.error(e))?;
            }
        }
        at.field = None;
    }
    s.end().map_err(|e| at.error(e))?;

    let Some(found) = entries else {
        return Err(IngestError::MissingField { field: Field::Features, entry: None });
    };
    let Some(version) = version else {
        return Err(IngestError::MissingField { field: Field::Version, entry: None });
    };
    if found > N {
        return Err(IngestError::CapacityExceeded { capacity: N, found });
    }
    if let Some(error) = first_bad_entry {
        return Err(error);
    }
    if found == 0 {
        return Err(IngestError::EmptyFeatureList);
    }
    table.set_version(version);
    Ok(())
}

/// The keys ingest reads at the top level and in an entry, in that order.
const FILE_KEYS: [KnownKey; 2] = [KnownKey::new(b"version"), KnownKey::new(b"features")];
const ENTRY_KEYS: [KnownKey; 2] = [KnownKey::new(b"name"), KnownKey::new(b"default")];

/// Where the parse is, for errors.
struct Position {
    /// The entry being read, inside the `features` list.
    entry: Option<usize>,
    /// The field whose value is being read, if it is one ingest reads.
    field: Option<Field>,
}

impl Position {
    /// The scanner's error, placed.
    #[cold]
    fn error(&self, error: json::Error) -> IngestError {
        IngestError::Json { error, entry: self.entry, field: self.field }
    }
}

/// The `version`: a JSON integer that fits a `u64`. A sign, a fraction or an
/// exponent is an error (`InvalidNumber` for `-` and for overflow,
/// `ExpectedObjectCommaOrEnd` at the `.` or `e` after the digits), as with
/// `serde-json-core`.
fn parse_u64(s: &mut Scanner<'_>) -> Result<u64, json::Error> {
    match s.peek() {
        None => Err(s.error(JsonErrorKind::EofWhileParsingValue)),
        Some(b'-') => Err(s.error(JsonErrorKind::InvalidNumber)),
        Some(b'0'..=b'9') => s.unsigned(),
        Some(_) => Err(s.error(JsonErrorKind::InvalidType)),
    }
}

/// The `features` list, with the scanner at its value. Pushes valid entries
/// into `table` until the first invalid one (kept in `first_bad_entry`) or
/// capacity, then keeps reading to count and validate the rest. Returns the
/// number of entries.
fn parse_list<const N: usize>(
    s: &mut Scanner<'_>,
    at: &mut Position,
    table: &mut FeatureTable<N>,
    first_bad_entry: &mut Option<IngestError>,
) -> Result<usize, IngestError> {
    s.open(false).map_err(|e| at.error(e))?;
    let mut count: usize = 0;
    let mut first = true;
    loop {
        at.entry = Some(count);
        at.field = None;
        if !s.element(&mut first).map_err(|e| at.error(e))? {
            break;
        }
        let entry = parse_entry(s, at, count)?;
        // Past capacity, or after a bad entry, keep parsing only to count
        // and validate: the error must report the true length.
        if count < N && first_bad_entry.is_none() {
            let ((window, len), default) = entry;
            let pushed = |e| match e {
                TableError::DuplicateName { name, first, second } => IngestError::DuplicateName { name, first, second },
                TableError::NonFiniteDefault { .. } => IngestError::NonFiniteDefault { entry: count },
                _ => IngestError::CapacityExceeded { capacity: N, found: count.saturating_add(1) },
            };
            // Not `from_prefix(..).map_or_else(from_raw)`: the fast path's
            // name goes to `push` without moving through a `Result` (whose
            // layout differs: a copy that stalls store forwarding).
            let result = match FeatureName::from_prefix(window, len) {
                Some(_) if !default.is_finite() => Err(IngestError::NonFiniteDefault { entry: count }),
                Some(name) => table.push(name, default).map_err(pushed),
                None => match FeatureName::from_raw(window.get(..len).unwrap_or(window)) {
                    Err(reason) => Err(IngestError::InvalidName { entry: count, reason }),
                    Ok(_) if !default.is_finite() => Err(IngestError::NonFiniteDefault { entry: count }),
                    Ok(name) => table.push(name, default).map_err(pushed),
                },
            };
            if let Err(error) = result {
                *first_bad_entry = Some(error);
            }
        }
        count = count.saturating_add(1);
    }
    at.entry = None;
    Ok(count)
}

/// One entry, `{"name": "...", "default": 0.0, ...}`, with the scanner at it:
/// its raw name (validated by the caller), as the input from the name on and
/// the name's length, and its default (`0.0` if absent, NaN for `null`, so
/// that it is reported as non-finite).
#[inline(always)]
fn parse_entry<'a>(
    s: &mut Scanner<'a>,
    at: &mut Position,
    index: usize,
) -> Result<((&'a [u8], usize), f32), IngestError> {
    s.open(true).map_err(|e| at.error(e))?;
    let entry = Some(index);
    let mut name: Option<(&'a [u8], usize)> = None;
    let mut default: Option<f32> = None;
    let mut first = true;
    while let Some(key) = s.key(&mut first, &ENTRY_KEYS).map_err(|e| at.error(e))? {
        match key {
            Key::Known(0) => {
                if name.is_some() {
                    return Err(IngestError::DuplicateField { field: Field::Name, entry });
                }
                s.colon().map_err(|e| at.error(e))?;
                at.field = Some(Field::Name);
                // Raw, not unescaped: an escape is an invalid name.
                let raw = match s.peek() {
                    Some(b'"') => s.string(),
                    Some(_) => Err(s.error(JsonErrorKind::InvalidType)),
                    None => Err(s.error(JsonErrorKind::EofWhileParsingValue)),
                }
                .map_err(|e| at.error(e))?;
                // The name on to the end of the input (the scanner is past
                // its closing quote), for a fixed-size copy: see
                // `FeatureName::from_prefix`.
                let start = s.offset().saturating_sub(raw.len() + 1);
                name = Some((s.rest_from(start), raw.len()));
            }
            Key::Known(_) => {
                if default.is_some() {
                    return Err(IngestError::DuplicateField { field: Field::Default, entry });
                }
                s.colon().map_err(|e| at.error(e))?;
                at.field = Some(Field::Default);
                default = Some(parse_f32(s).map_err(|e| at.error(e))?);
            }
            _ => {
                s.colon().map_err(|e| at.error(e))?;
                s.skip_value().map_err(|e| at.error(e))?;
            }
        }
        at.field = None;
    }
    let Some(name) = name else {
        return Err(IngestError::MissingField { field: Field::Name, entry });
    };
    Ok((name, default.unwrap_or(0.0)))
}

/// A `default`: a JSON number as the nearest `f32`, or `null` as NaN. Any
/// other value is `InvalidNumber`.
#[inline(always)]
fn parse_f32(s: &mut Scanner<'_>) -> Result<f32, json::Error> {
    match s.peek() {
        None => Err(s.error(JsonErrorKind::EofWhileParsingValue)),
        Some(b'n') => s.literal(b"null").map(|()| f32::NAN),
        Some(b'-' | b'0'..=b'9') => {
            let start = s.offset();
            s.number()?.to_f32().ok_or(json::Error::syntax(JsonErrorKind::InvalidNumber, start))
        }
        Some(_) => Err(s.error(JsonErrorKind::InvalidNumber)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<const N: usize>(json: &str) -> Result<FeatureTable<N>, IngestError> {
        let mut t = FeatureTable::<N>::new(0);
        ingest(json.as_bytes(), &mut t, Limits::DEFAULT).map(|()| t)
    }

    #[test]
    fn minimal_file_with_omitted_default() {
        let t = parse::<4>(r#"{"version":3,"features":[{"name":"a"},{"name":"b","default":-1.5}]}"#).unwrap();
        assert_eq!(t.version(), 3);
        assert_eq!(t.get(0).unwrap().default(), 0.0);
        assert_eq!(t.get(1).unwrap().default(), -1.5);
    }

    #[test]
    fn fields_in_any_order_and_unknown_fields_with_escapes_and_nesting_are_ignored() {
        let json = r#"{"generated_by":"q\"uery\\ \u00e9","meta":{"a":[1,{"b":"]}"}],"c":null},
            "features":[{"default":2,"comment":"x\ny","name":"a","tags":["t"]}],"version":9}"#;
        let t = parse::<4>(json).unwrap();
        assert_eq!((t.version(), t.len()), (9, 1));
        assert_eq!(t.get(0).unwrap().default(), 2.0);
    }

    #[test]
    fn capacity_error_beats_duplicate_and_reports_true_count() {
        let mut entries = String::new();
        for i in 0..10 {
            entries.push_str(&format!(r#"{{"name":"f{}"}},"#, i % 5));
        }
        entries.pop();
        let json = format!(r#"{{"version":1,"features":[{entries}]}}"#);
        assert_eq!(parse::<8>(&json), Err(IngestError::CapacityExceeded { capacity: 8, found: 10 }));
        assert_eq!(
            parse::<10>(&json).unwrap_err(),
            IngestError::DuplicateName { name: FeatureName::new("f0").unwrap(), first: 0, second: 5 }
        );
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(
            parse::<4>(r#"{"version":1,"features":[{"name":"a"},{"name":"B"}]}"#),
            Err(IngestError::InvalidName { entry: 1, reason: NameError::InvalidByte { byte: b'B', offset: 0 } })
        );
        assert_eq!(
            parse::<4>(r#"{"version":1,"features":[{"name":"a","default":"x"}]}"#),
            Err(IngestError::Json {
                error: json::Error::syntax(JsonErrorKind::InvalidNumber, 47),
                entry: Some(0),
                field: Some(Field::Default)
            })
        );
        assert_eq!(
            parse::<4>(r#"{"version":1,"features":[{"name":"a","default":1e999}]}"#),
            Err(IngestError::NonFiniteDefault { entry: 0 })
        );
        assert_eq!(
            parse::<4>(r#"{"version":1,"features":[{"default":1}]}"#),
            Err(IngestError::MissingField { field: Field::Name, entry: Some(0) })
        );
        assert_eq!(
            parse::<4>(r#"{"features":[{"name":"a"}]}"#),
            Err(IngestError::MissingField { field: Field::Version, entry: None })
        );
        assert_eq!(
            parse::<4>(r#"{"version":1}"#),
            Err(IngestError::MissingField { field: Field::Features, entry: None })
        );
        assert_eq!(parse::<4>(r#"{"version":1,"features":[]}"#), Err(IngestError::EmptyFeatureList));
        assert_eq!(
            parse::<4>(r#"{"version":1,"version":2,"features":[{"name":"a"}]}"#),
            Err(IngestError::DuplicateField { field: Field::Version, entry: None })
        );
        assert_eq!(
            parse::<4>(r#"{"version":1,"features":[{"name":"a","name":"b"}]}"#),
            Err(IngestError::DuplicateField { field: Field::Name, entry: Some(0) })
        );
    }

    #[test]
    fn depth_is_bounded_before_parsing_and_brackets_in_strings_do_not_count() {
        let deep =
            format!(r#"{{"version":1,"x":{}{},"features":[{{"name":"a"}}]}}"#, "[".repeat(5000), "]".repeat(5000));
        assert_eq!(
            parse::<4>(&deep),
            Err(IngestError::Json { error: json::Error::TooDeep { limit: 16, offset: 32 }, entry: None, field: None })
        );
        let in_string = format!(r#"{{"version":1,"x":"{}\"","features":[{{"name":"a"}}]}}"#, "[".repeat(100));
        assert!(parse::<4>(&in_string).is_ok());
    }

    #[test]
    fn a_bare_word_in_a_skipped_value_is_malformed_where_it_starts() {
        // serde-json-core skipped `a"` up to the comma and recursed into
        // `[[...`; the strict scanner rejects the bare word itself.
        let deep = format!(
            r#"{{"x": a", "y": {}{}, "version":1,"features":[{{"name":"a"}}]}}"#,
            "[".repeat(20),
            "]".repeat(20)
        );
        let bare = |offset| IngestError::Json {
            error: json::Error::syntax(JsonErrorKind::ExpectedSomeValue, offset),
            entry: None,
            field: None,
        };
        assert_eq!(parse::<4>(&deep), Err(bare(6)));
        let in_list = format!(
            r#"{{"x": [a:"q, {}{}], "version":1,"features":[{{"name":"a"}}]}}"#,
            "[".repeat(20),
            "]".repeat(20)
        );
        assert_eq!(parse::<4>(&in_list), Err(bare(7)));
    }

    #[test]
    fn size_limit_is_checked_first() {
        let mut t = FeatureTable::<1>::new(0);
        let limits = Limits { max_bytes: 4, ..Limits::DEFAULT };
        assert_eq!(
            ingest(b"{    }", &mut t, limits),
            Err(IngestError::Json { error: json::Error::TooLarge { len: 6, limit: 4 }, entry: None, field: None })
        );
    }
}
