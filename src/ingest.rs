//! Feature file ingest: bytes → validated [`FeatureTable`].
//!
//! The file is JSON:
//!
//! ```json
//! {"version": 42, "features": [{"name": "ua_entropy", "default": 0.5}, {"name": "path_depth"}]}
//! ```
//!
//! Ingest runs in three passes over the bytes, none of which allocates:
//!
//! 1. the size limit ([`Limits::max_bytes`]);
//! 2. a flat scan that bounds nesting depth ([`Limits::max_depth`]) *before*
//!    the recursive JSON parser sees the input, so hostile nesting cannot
//!    exhaust the stack;
//! 3. a streaming `serde-json-core` parse straight into the table, which
//!    counts every entry (so an over-long list reports its true length) and
//!    records the first bad entry with its position.
//!
//! This layer does *not* compare a file with the one already serving; that is
//! the [`Reloader`](crate::Reloader)'s job.

use core::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::name::{FeatureName, NameError};
use crate::table::{FeatureTable, TableError};

/// Bounds applied to a feature file before it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: u32,
    /// Deepest accepted nesting of arrays and objects. A feature file needs 3
    /// (document, `features` list, entry); the rest is for producers'
    /// metadata. Each level costs the parser a few hundred bytes of stack.
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

/// The JSON parser's own error kind, re-exported from `serde-json-core`.
pub use serde_json_core::de::Error as JsonError;

/// Why a feature file was rejected by [`ingest`]. Every variant says what is
/// wrong, where, and by how much. Entry positions are zero-based indices into
/// the `features` list.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum IngestError {
    /// The input is `len` bytes; the limit is `limit`.
    TooLarge {
        /// Input length in bytes.
        len: usize,
        /// [`Limits::max_bytes`].
        limit: u32,
    },
    /// Arrays/objects nest deeper than `limit` at byte `offset`.
    TooDeep {
        /// [`Limits::max_depth`].
        limit: u8,
        /// Offset of the bracket that crossed the limit.
        offset: usize,
    },
    /// The input is not well-formed JSON of the expected shape.
    Malformed {
        /// What the parser found.
        kind: JsonError,
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
            Self::TooLarge { len, limit } => write!(f, "input is {len} bytes, the limit is {limit}"),
            Self::TooDeep { limit, offset } => {
                write!(f, "nesting deeper than {limit} levels at byte {offset}")
            }
            Self::Malformed { kind, entry, field } => {
                f.write_str("malformed JSON")?;
                if let Some(entry) = entry {
                    write!(f, " in entry {entry}")?;
                }
                if let Some(field) = field {
                    write!(f, " at field {field}")?;
                }
                write!(f, ": {kind}")
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

impl core::error::Error for IngestError {}

/// Parses and validates a feature file into `table`.
///
/// `table` is cleared first and holds the file on success; on failure its
/// contents are unspecified (but valid), so parse into a staging table, never
/// the serving one — the [`Reloader`](crate::Reloader) does this for you.
///
/// Cost: O(len) time, no heap allocation; stack bounded by
/// [`Limits::max_depth`].
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
    if bytes.len() > limits.max_bytes as usize {
        return Err(IngestError::TooLarge { len: bytes.len(), limit: limits.max_bytes });
    }
    check_depth(bytes, limits.max_depth)?;
    table.reset(0);

    let mut ctx = Context::default();
    let mut de = serde_json_core::de::Deserializer::new(bytes, None);
    let parsed = FileSeed { table: &mut *table, ctx: &mut ctx }.deserialize(&mut de).and_then(|()| de.end());
    if let Some(error) = ctx.error.take() {
        // A validation error we recorded ourselves (the parser only saw an
        // opaque `CustomError` for it, if anything).
        return Err(error);
    }
    if let Err(kind) = parsed {
        return Err(IngestError::Malformed { kind, entry: ctx.entry, field: ctx.field });
    }
    let Some(found) = ctx.entries else {
        return Err(IngestError::MissingField { field: Field::Features, entry: None });
    };
    let Some(version) = ctx.version else {
        return Err(IngestError::MissingField { field: Field::Version, entry: None });
    };
    if found > N {
        return Err(IngestError::CapacityExceeded { capacity: N, found });
    }
    if let Some(error) = ctx.first_bad_entry {
        return Err(error);
    }
    if found == 0 {
        return Err(IngestError::EmptyFeatureList);
    }
    table.set_version(version);
    Ok(())
}

/// Rejects input whose arrays/objects nest deeper than `max_depth`, in one
/// flat pass that understands strings and escapes. O(len), O(1) stack.
///
/// Other syntax errors are left to the parser; this only guarantees that the
/// parser's recursion is bounded. To do so it reads the bytes as the parser
/// does: a bare scalar (a number, `true`, or non-JSON such as `abc"[`) runs
/// up to the next `,`, `]` or `}`, because that is how `serde-json-core`
/// skips an unknown field's value, and a `"` or bracket inside it starts
/// nothing.
pub fn check_depth(bytes: &[u8], max_depth: u8) -> Result<(), IngestError> {
    let mut depth: u8 = 0;
    let mut offset = 0;
    while let Some(&b) = bytes.get(offset) {
        match b {
            b'"' => {
                // Skip the string in runs: only `"` and `\` matter inside.
                offset += 1;
                loop {
                    let rest = bytes.get(offset..).unwrap_or(&[]);
                    match rest.iter().position(|&c| c == b'"' || c == b'\\') {
                        Some(run) if rest.get(run) == Some(&b'\\') => offset += run + 2,
                        Some(run) => {
                            offset += run;
                            break;
                        }
                        // Unterminated string: nothing deeper can follow.
                        None => return Ok(()),
                    }
                }
            }
            b'[' | b'{' => {
                depth = depth.saturating_add(1);
                if depth > max_depth {
                    return Err(IngestError::TooDeep { limit: max_depth, offset });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' | b':' | b' ' | b'\n' | b'\t' | b'\r' => {}
            _ => {
                // A bare scalar: the parser either skips it up to the next
                // delimiter without recursing or has already failed on it.
                let rest = bytes.get(offset..).unwrap_or(&[]);
                match rest.iter().position(|&c| matches!(c, b',' | b']' | b'}')) {
                    Some(run) => {
                        offset += run;
                        continue; // the delimiter itself is handled above
                    }
                    None => return Ok(()),
                }
            }
        }
        offset += 1;
    }
    Ok(())
}

/// What the parse learned, kept outside serde's error channel (which
/// `serde-json-core` reduces to an opaque `CustomError`).
#[derive(Default)]
struct Context {
    version: Option<u64>,
    /// Number of entries in `features`, once the list has been read.
    entries: Option<usize>,
    /// Where the parser is, for `Malformed` errors.
    entry: Option<usize>,
    field: Option<Field>,
    /// An error that aborts the parse (duplicate field, missing name).
    error: Option<IngestError>,
    /// The first invalid entry; reported after counting the whole list,
    /// unless the list is over capacity.
    first_bad_entry: Option<IngestError>,
}

impl Context {
    /// Records an aborting error and returns the opaque serde error that
    /// unwinds the parser.
    fn abort<E: de::Error>(&mut self, error: IngestError) -> E {
        self.error = Some(error);
        E::custom("")
    }
}

/// The top-level object.
struct FileSeed<'a, const N: usize> {
    table: &'a mut FeatureTable<N>,
    ctx: &'a mut Context,
}

impl<'de, const N: usize> DeserializeSeed<'de> for FileSeed<'_, N> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for FileSeed<'_, N> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a feature file object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "version" => {
                    if self.ctx.version.is_some() {
                        return Err(self.ctx.abort(IngestError::DuplicateField { field: Field::Version, entry: None }));
                    }
                    self.ctx.field = Some(Field::Version);
                    self.ctx.version = Some(map.next_value::<u64>()?);
                }
                "features" => {
                    if self.ctx.entries.is_some() {
                        return Err(self
                            .ctx
                            .abort(IngestError::DuplicateField { field: Field::Features, entry: None }));
                    }
                    self.ctx.field = Some(Field::Features);
                    let found = map.next_value_seed(ListSeed { table: &mut *self.table, ctx: &mut *self.ctx })?;
                    self.ctx.entries = Some(found);
                    self.ctx.entry = None;
                }
                _ => {
                    self.ctx.field = None;
                    map.next_value::<IgnoredAny>()?;
                }
            }
            self.ctx.field = None;
        }
        Ok(())
    }
}

/// The `features` list; its value is the number of entries.
struct ListSeed<'a, const N: usize> {
    table: &'a mut FeatureTable<N>,
    ctx: &'a mut Context,
}

impl<'de, const N: usize> DeserializeSeed<'de> for ListSeed<'_, N> {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for ListSeed<'_, N> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut count: usize = 0;
        loop {
            self.ctx.entry = Some(count);
            self.ctx.field = None;
            let Some(entry) = seq.next_element_seed(EntrySeed { index: count, ctx: &mut *self.ctx })? else {
                break;
            };
            // Past capacity, keep parsing only to count: the error must
            // report the true length.
            if count < N && self.ctx.first_bad_entry.is_none() {
                let result = match entry {
                    Ok((name, default)) => self.table.push(name, default).map_err(|e| match e {
                        TableError::DuplicateName { name, first, second } => {
                            IngestError::DuplicateName { name, first, second }
                        }
                        TableError::NonFiniteDefault { .. } => IngestError::NonFiniteDefault { entry: count },
                        _ => IngestError::CapacityExceeded { capacity: N, found: count.saturating_add(1) },
                    }),
                    Err(error) => Err(error),
                };
                if let Err(error) = result {
                    self.ctx.first_bad_entry = Some(error);
                }
            }
            count = count.saturating_add(1);
        }
        self.ctx.entry = None;
        Ok(count)
    }
}

/// One entry: `{"name": "...", "default": 0.0}`. Its value is the validated
/// pair, or the entry-level error to report if no worse one turns up.
struct EntrySeed<'a> {
    index: usize,
    ctx: &'a mut Context,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = Result<(FeatureName, f32), IngestError>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = Result<(FeatureName, f32), IngestError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a feature entry object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let entry = Some(self.index);
        let mut name: Option<&'de str> = None;
        let mut default: Option<f32> = None;
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "name" => {
                    if name.is_some() {
                        return Err(self.ctx.abort(IngestError::DuplicateField { field: Field::Name, entry }));
                    }
                    self.ctx.field = Some(Field::Name);
                    // Borrowed and not unescaped: an escape is an invalid name.
                    name = Some(map.next_value::<&str>()?);
                }
                "default" => {
                    if default.is_some() {
                        return Err(self.ctx.abort(IngestError::DuplicateField { field: Field::Default, entry }));
                    }
                    self.ctx.field = Some(Field::Default);
                    default = Some(map.next_value::<f32>()?);
                }
                _ => {
                    self.ctx.field = None;
                    map.next_value::<IgnoredAny>()?;
                }
            }
            self.ctx.field = None;
        }
        let Some(name) = name else {
            return Err(self.ctx.abort(IngestError::MissingField { field: Field::Name, entry }));
        };
        let default = default.unwrap_or(0.0);
        Ok(match FeatureName::new(name) {
            Err(reason) => Err(IngestError::InvalidName { entry: self.index, reason }),
            Ok(_) if !default.is_finite() => Err(IngestError::NonFiniteDefault { entry: self.index }),
            Ok(name) => Ok((name, default)),
        })
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
            Err(IngestError::Malformed { kind: JsonError::InvalidNumber, entry: Some(0), field: Some(Field::Default) })
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
        assert_eq!(parse::<4>(&deep), Err(IngestError::TooDeep { limit: 16, offset: 32 }));
        let in_string = format!(r#"{{"version":1,"x":"{}\"","features":[{{"name":"a"}}]}}"#, "[".repeat(100));
        assert!(parse::<4>(&in_string).is_ok());
    }

    #[test]
    fn quote_inside_a_skipped_bare_value_does_not_hide_nesting_from_the_depth_check() {
        // serde-json-core skips `a"` up to the comma, so `[[...` is parsed
        // (recursively) as the value of "y"; the depth check must see it too.
        let deep = format!(
            r#"{{"x": a", "y": {}{}, "version":1,"features":[{{"name":"a"}}]}}"#,
            "[".repeat(20),
            "]".repeat(20)
        );
        assert_eq!(parse::<4>(&deep), Err(IngestError::TooDeep { limit: 16, offset: 30 }));
        let in_list = format!(
            r#"{{"x": [a:"q, {}{}], "version":1,"features":[{{"name":"a"}}]}}"#,
            "[".repeat(20),
            "]".repeat(20)
        );
        assert_eq!(parse::<4>(&in_list), Err(IngestError::TooDeep { limit: 16, offset: 27 }));
    }

    #[test]
    fn size_limit_is_checked_first() {
        let mut t = FeatureTable::<1>::new(0);
        let limits = Limits { max_bytes: 4, ..Limits::DEFAULT };
        assert_eq!(ingest(b"{    }", &mut t, limits), Err(IngestError::TooLarge { len: 6, limit: 4 }));
    }
}
