//! Hostile inputs against ingest and the reloader.
//!
//! Every input below is offered to a [`Reloader`] that is serving a good table
//! (the real file `tests/corpus/real/features_v1.json`). For each one the test
//! states the exact error, and checks that the serving table is unchanged
//! (compared with a clone taken before the offer) and that the rejection was
//! counted once. Small inputs are committed under `tests/corpus/hostile/`;
//! large ones (10 MB, 100 MB, a million entries, the file ten times over) are
//! generated here from the real file.

use std::path::Path;
use std::time::{Duration, Instant};

use feature_table::{
    FeatureName, FeatureTable, Field, IngestError, JsonError, JsonErrorKind, Limits, NameError, Policy, ReloadError,
    Reloader, ingest, json,
};

const REAL: &[u8] = include_bytes!("corpus/real/features_v1.json");
const REAL_VERSION: u64 = 20_251_118;
const REAL_LEN: usize = 50;

fn corpus(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/hostile").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn name(s: &str) -> FeatureName {
    FeatureName::new(s).unwrap()
}

/// A reloader with the real file active.
fn serving<const N: usize>(policy: Policy) -> Reloader<N> {
    let mut r = Reloader::new(policy);
    r.offer(REAL).unwrap();
    r
}

/// Offers `bytes` and checks that the rejection is exactly `expected`, that
/// the serving table is unchanged and that the rejection was counted once.
fn assert_rejected_and_last_good_unchanged<const N: usize>(r: &mut Reloader<N>, bytes: &[u8], expected: &ReloadError) {
    let table_before = r.active().unwrap().clone();
    let stats_before = r.stats().clone();
    let got = r.offer(bytes);
    assert_eq!(got.as_ref().err(), Some(expected), "input: {:?}", preview(bytes));
    assert!(!expected.to_string().is_empty());
    assert_eq!(r.active().unwrap(), &table_before, "the serving table changed");
    let stats = r.stats();
    assert_eq!(stats.accepted, stats_before.accepted);
    assert_eq!(stats.rejected, stats_before.rejected + 1);
    assert_eq!(stats.consecutive_rejections, stats_before.consecutive_rejections + 1);
    assert_eq!(stats.last_error.as_ref(), Some(expected));
    assert_eq!(stats.active_version, stats_before.active_version);
}

fn preview(bytes: &[u8]) -> String {
    let head = bytes.get(..bytes.len().min(120)).unwrap();
    format!("{} ({} bytes)", String::from_utf8_lossy(head), bytes.len())
}

/// `ingest` alone and a serving [`Reloader<200>`] both reject the corpus file
/// with exactly `expected`.
fn rejects(file: &str, expected: IngestError) {
    let bytes = corpus(file);
    let mut table = FeatureTable::<200>::new(0);
    assert_eq!(ingest(&bytes, &mut table, Limits::DEFAULT), Err(expected.clone()), "{file}");
    let mut r = serving::<200>(Policy::DEFAULT);
    assert_rejected_and_last_good_unchanged(&mut r, &bytes, &ReloadError::Ingest(expected));
}

/// `Malformed` with `kind` found at byte `offset`.
fn malformed(kind: JsonErrorKind, offset: usize, entry: Option<usize>, field: Option<Field>) -> IngestError {
    IngestError::Json { error: json::Error::syntax(kind, offset), entry, field }
}

/// `ingest` accepts the corpus file, and so does a fresh reloader.
fn accepts(file: &str) -> FeatureTable<200> {
    let bytes = corpus(file);
    let mut table = FeatureTable::<200>::new(0);
    ingest(&bytes, &mut table, Limits::DEFAULT).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut r = Reloader::<200>::new(Policy::DEFAULT);
    r.offer(&bytes).unwrap();
    assert_eq!(r.active().unwrap(), &table);
    table
}

fn real_table() -> FeatureTable<200> {
    let mut t = FeatureTable::new(0);
    ingest(REAL, &mut t, Limits::DEFAULT).unwrap();
    t
}

/// The real file split around its `features` list: (everything up to and
/// including `[`, the entries, `]` and the rest). `features` is the last
/// field of the real file.
fn real_parts() -> (&'static [u8], &'static [u8], &'static [u8]) {
    let key = b"\"features\": [";
    let open = REAL.windows(key.len()).position(|w| w == key).unwrap() + key.len();
    let close = REAL.iter().rposition(|&b| b == b']').unwrap();
    (&REAL[..open], &REAL[open..close], &REAL[close..])
}

/// The real file with its entries repeated `times` times and `version`.
fn real_repeated(times: usize, version: u64) -> Vec<u8> {
    let (head, entries, tail) = real_parts();
    let head = String::from_utf8(head.to_vec()).unwrap().replace(&REAL_VERSION.to_string(), &version.to_string());
    let entries = entries.trim_ascii();
    let mut out = Vec::with_capacity(head.len() + (entries.len() + 1) * times + tail.len());
    out.extend_from_slice(head.as_bytes());
    for i in 0..times {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(entries);
    }
    out.extend_from_slice(tail);
    out
}

// ---------------------------------------------------------------- truncation

#[test]
fn every_proper_prefix_of_the_real_file_is_rejected_as_truncated_and_last_good_keeps_serving() {
    let whole = REAL.trim_ascii_end().len();
    let mut r = serving::<200>(Policy::DEFAULT);
    let eof_kinds = [
        JsonErrorKind::EofWhileParsingValue,
        JsonErrorKind::EofWhileParsingObject,
        JsonErrorKind::EofWhileParsingList,
        JsonErrorKind::EofWhileParsingString,
        JsonErrorKind::EofWhileParsingNumber,
    ];
    let mut kinds_seen = Vec::new();
    for len in 0..whole {
        let prefix = &REAL[..len];
        let table_before = r.active().unwrap().clone();
        let Err(ReloadError::Ingest(IngestError::Json {
            error: json::Error::Syntax(JsonError { kind, offset, .. }),
            entry,
            ..
        })) = r.offer(prefix)
        else {
            panic!("prefix of {len} bytes was not rejected as malformed: {:?}", r.stats().last_error);
        };
        // Every prefix ends early, and says so at its end.
        assert!(eof_kinds.contains(&kind), "prefix of {len} bytes: {kind:?}");
        assert_eq!(offset, len, "prefix of {len} bytes: {kind:?}");
        // `entry` is the element being read: at most one past the last.
        assert!(entry.is_none_or(|e| e <= REAL_LEN), "prefix of {len} bytes: entry {entry:?}");
        assert_eq!(r.active().unwrap(), &table_before);
        if !kinds_seen.contains(&kind) {
            kinds_seen.push(kind);
        }
    }
    let stats = r.stats();
    assert_eq!((stats.accepted, stats.rejected, stats.consecutive_rejections), (1, whole as u32, whole as u32));
    assert_eq!(stats.active_version, Some(REAL_VERSION));
    // The truncations exercise every way the parser can run out of input,
    // including inside a number (`-` or `0.` with the digit cut off).
    kinds_seen.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(
        kinds_seen,
        [
            JsonErrorKind::EofWhileParsingList,
            JsonErrorKind::EofWhileParsingNumber,
            JsonErrorKind::EofWhileParsingObject,
            JsonErrorKind::EofWhileParsingString,
            JsonErrorKind::EofWhileParsingValue,
        ]
    );
    // Only the whole document (with or without its trailing newline) parses.
    for len in whole..=REAL.len() {
        let mut t = FeatureTable::<200>::new(0);
        ingest(&REAL[..len], &mut t, Limits::DEFAULT).unwrap();
        assert_eq!(t, real_table());
    }
}

// ------------------------------------------------------------- duplication

#[test]
fn the_doubled_incident_file_is_rejected_with_both_positions_of_the_first_repeated_name() {
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/incident/doubled.json")).unwrap();
    let expected = IngestError::DuplicateName { name: name("ua_entropy"), first: 0, second: REAL_LEN };
    let mut r = serving::<200>(Policy::DEFAULT);
    assert_rejected_and_last_good_unchanged(&mut r, &bytes, &ReloadError::Ingest(expected));
}

#[test]
fn the_real_file_ten_times_over_is_a_duplicate_when_it_fits_and_over_capacity_when_it_does_not() {
    let bytes = real_repeated(10, REAL_VERSION + 1);
    let mut big = serving::<512>(Policy::DEFAULT);
    let duplicate = IngestError::DuplicateName { name: name("ua_entropy"), first: 0, second: REAL_LEN };
    assert_rejected_and_last_good_unchanged(&mut big, &bytes, &ReloadError::Ingest(duplicate));
    let mut small = serving::<200>(Policy::DEFAULT);
    let over = IngestError::CapacityExceeded { capacity: 200, found: 10 * REAL_LEN };
    assert_rejected_and_last_good_unchanged(&mut small, &bytes, &ReloadError::Ingest(over));
}

#[test]
fn the_real_file_concatenated_ten_times_is_trailing_characters() {
    let bytes = REAL.repeat(10);
    let mut r = serving::<200>(Policy::DEFAULT);
    let expected = malformed(JsonErrorKind::TrailingCharacters, REAL.len(), None, None);
    assert_rejected_and_last_good_unchanged(&mut r, &bytes, &ReloadError::Ingest(expected));
}

#[test]
fn a_million_entries_report_their_true_count_and_are_too_large_under_default_limits() {
    // The real file's names, as `{"name": ...}` entries, 20,000 times over
    // (about 25 MB; the whole real entries would be 110 MB and slow in a
    // debug build).
    let names: Vec<String> = real_table().features().iter().map(|f| format!(r#"{{"name":"{}"}}"#, f.name())).collect();
    let entries = names.join(",");
    let mut bytes = format!(r#"{{"version":{},"features":["#, REAL_VERSION + 1).into_bytes();
    for i in 0..1_000_000 / REAL_LEN {
        if i > 0 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(entries.as_bytes());
    }
    bytes.extend_from_slice(b"]}");
    let roomy = Policy { limits: Limits { max_bytes: u32::MAX, ..Limits::DEFAULT }, ..Policy::DEFAULT };
    let mut r = serving::<200>(roomy);
    let over = IngestError::CapacityExceeded { capacity: 200, found: 1_000_000 };
    assert_rejected_and_last_good_unchanged(&mut r, &bytes, &ReloadError::Ingest(over));

    let mut r = serving::<200>(Policy::DEFAULT);
    let too_large = IngestError::Json {
        error: json::Error::TooLarge { len: bytes.len(), limit: Limits::DEFAULT.max_bytes },
        entry: None,
        field: None,
    };
    assert_rejected_and_last_good_unchanged(&mut r, &bytes, &ReloadError::Ingest(too_large));
}

// -------------------------------------------------------------------- size

#[test]
fn a_100_mb_input_is_rejected_as_too_large_before_any_byte_is_read() {
    let mut bytes = REAL.to_vec();
    bytes.resize(100 << 20, b' ');
    let mut r = serving::<200>(Policy::DEFAULT);
    let expected =
        IngestError::Json { error: json::Error::TooLarge { len: 100 << 20, limit: 1 << 20 }, entry: None, field: None };
    let start = Instant::now();
    assert_rejected_and_last_good_unchanged(&mut r, &bytes, &ReloadError::Ingest(expected));
    // The size is checked first, so this costs nothing like a scan of 100 MB
    // (which takes over a second in a debug build).
    assert!(start.elapsed() < Duration::from_millis(50), "took {:?}", start.elapsed());
}

#[test]
fn a_10_mb_file_with_a_large_unknown_field_parses_fully_when_the_size_limit_allows_it() {
    let text = String::from_utf8(REAL.to_vec()).unwrap().replace(&REAL_VERSION.to_string(), "20251119");
    let padding = "x".repeat(10 << 20);
    let bytes = format!("{{\"padding\": \"{padding}\",{}", text.strip_prefix('{').unwrap()).into_bytes();
    assert!(bytes.len() > 10 << 20);

    let policy = Policy { limits: Limits { max_bytes: 16 << 20, ..Limits::DEFAULT }, ..Policy::DEFAULT };
    let mut r = serving::<200>(policy);
    let accepted = r.offer(&bytes).unwrap();
    assert_eq!((accepted.version, accepted.len, accepted.switches_dropped), (20_251_119, REAL_LEN, 0));
    assert_eq!(r.active().unwrap().features(), real_table().features());

    let mut r = serving::<200>(Policy::DEFAULT);
    let expected = IngestError::Json {
        error: json::Error::TooLarge { len: bytes.len(), limit: 1 << 20 },
        entry: None,
        field: None,
    };
    assert_rejected_and_last_good_unchanged(&mut r, &bytes, &ReloadError::Ingest(expected));
}

#[test]
fn empty_and_whitespace_only_inputs_are_eof_while_parsing_a_value() {
    rejects("empty.json", malformed(JsonErrorKind::EofWhileParsingValue, 0, None, None));
    rejects("whitespace_only.json", malformed(JsonErrorKind::EofWhileParsingValue, 6, None, None));
}

// ----------------------------------------------------------------- nesting

#[test]
fn nesting_one_past_the_limit_is_too_deep_at_the_bracket_that_crosses_it() {
    let too_deep =
        |offset, entry| IngestError::Json { error: json::Error::TooDeep { limit: 16, offset }, entry, field: None };
    // `{"meta": ` is 9 bytes; the 16th bracket of the run is level 17.
    rejects("nesting_17_in_unknown_field.json", too_deep(9 + 15, None));
    // Nesting directly in `features` (`{"version": 20251119, "features": `
    // is 34 bytes) is read in one pass, so its first problem is found
    // first: entry 0 is an array, not an object.
    rejects("nesting_17_in_features.json", malformed(JsonErrorKind::InvalidType, 34 + 1, Some(0), None));
    // The entry is level 3, so its 14th nested bracket is level 17; the
    // error says which entry.
    let entry_file = corpus("nesting_17_in_entry.json");
    let tags = entry_file.iter().position(|&b| b == b'[').unwrap();
    let first_tag_bracket = entry_file[tags + 1..].iter().position(|&b| b == b'[').unwrap() + tags + 1;
    rejects("nesting_17_in_entry.json", too_deep(first_tag_bracket + 13, Some(0)));
    // A quote inside a skipped bare value used to hide the brackets after
    // it from the depth pre-pass (and the parser recursed unbounded); the
    // strict scanner rejects the bare word `a` itself, at byte 6.
    rejects("nesting_hidden_after_bare_quote.json", malformed(JsonErrorKind::ExpectedSomeValue, 6, None, None));
}

#[test]
fn nesting_exactly_at_the_limit_is_accepted() {
    assert_eq!(accepts("nesting_16_in_unknown_field.json").len(), 1);
}

#[test]
fn five_thousand_levels_in_an_unknown_field_or_in_features_are_too_deep_not_a_crash() {
    let deep_meta = format!(
        r#"{{"meta": {}{}, "version": 20251119, "features": [{{"name": "ua_entropy"}}]}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let mut r = serving::<200>(Policy::DEFAULT);
    let expected =
        IngestError::Json { error: json::Error::TooDeep { limit: 16, offset: 9 + 15 }, entry: None, field: None };
    assert_rejected_and_last_good_unchanged(&mut r, deep_meta.as_bytes(), &ReloadError::Ingest(expected));

    let deep_tags = format!(
        r#"{{"version": 20251119, "features": [{{"name": "a", "tags": {}{}}}]}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    // `{"version": 20251119, "features": [{"name": "a", "tags": ` is 57
    // bytes and three levels deep: the 14th bracket is level 17, in entry 0.
    let expected =
        IngestError::Json { error: json::Error::TooDeep { limit: 16, offset: 57 + 13 }, entry: Some(0), field: None };
    assert_rejected_and_last_good_unchanged(&mut r, deep_tags.as_bytes(), &ReloadError::Ingest(expected));
}

// ----------------------------------------------------------------- numbers

#[test]
fn a_default_that_overflows_f32_is_non_finite_with_its_entry() {
    rejects("default_1e999.json", IngestError::NonFiniteDefault { entry: 1 });
    rejects("default_negative_1e999.json", IngestError::NonFiniteDefault { entry: 0 });
}

#[test]
fn null_default_is_non_finite_because_the_parser_reads_it_as_nan() {
    rejects("default_null.json", IngestError::NonFiniteDefault { entry: 1 });
}

#[test]
fn nan_and_infinity_as_producers_spell_them_are_malformed_numbers_in_the_default_field() {
    let in_default = |kind, offset| malformed(kind, offset, Some(0), Some(Field::Default));
    rejects("default_NaN.json", in_default(JsonErrorKind::InvalidNumber, 69));
    rejects("default_Infinity.json", in_default(JsonErrorKind::InvalidNumber, 69));
    // At the `I`: `-` must be followed by a digit.
    rejects("default_minus_Infinity.json", in_default(JsonErrorKind::InvalidNumber, 70));
    rejects("default_inf.json", in_default(JsonErrorKind::InvalidNumber, 69));
    rejects("default_NaN_as_string.json", in_default(JsonErrorKind::InvalidNumber, 69));
    // `n` starts `null` for the parser, so `nan` fails as a bad identifier,
    // at the `a`.
    rejects("default_nan_lowercase.json", in_default(JsonErrorKind::ExpectedSomeIdent, 70));
}

#[test]
fn negative_zero_is_a_finite_default_and_keeps_its_sign() {
    let t = accepts("default_negative_zero.json");
    assert_eq!(t.get(0).unwrap().default().to_bits(), (-0.0f32).to_bits());
}

#[test]
fn a_default_below_the_smallest_f32_rounds_to_zero_and_one_in_the_subnormal_range_is_kept() {
    let t = accepts("default_1e-50.json");
    assert_eq!(t.get(0).unwrap().default().to_bits(), 0.0f32.to_bits());
    let t = accepts("default_1e-40_subnormal.json");
    let d = t.get(0).unwrap().default();
    assert!(d.is_subnormal() && d > 0.0, "{d:e}");
}

// ------------------------------------------------------------------- names

#[test]
fn escapes_and_non_ascii_in_names_are_invalid_names_with_their_offset() {
    let invalid = |entry, reason| IngestError::InvalidName { entry, reason };
    rejects("name_with_unicode_escape.json", invalid(0, NameError::Escape { offset: 2 }));
    rejects("name_with_escaped_quote.json", invalid(0, NameError::Escape { offset: 2 }));
    rejects("name_with_utf8.json", invalid(0, NameError::InvalidByte { byte: 0xc3, offset: 12 }));
    rejects("name_uppercase.json", invalid(1, NameError::InvalidByte { byte: b'U', offset: 0 }));
    rejects("name_empty.json", invalid(0, NameError::Empty));
    rejects("name_too_long.json", invalid(0, NameError::TooLong { len: 33, max: 32 }));
}

#[test]
fn an_escaped_key_is_the_key_it_decodes_to_as_rfc_8259_reads_it() {
    // `"n\u0061me"` is `name`, as serde_json and Python's json read it.
    let t = accepts("key_name_escaped.json");
    assert_eq!(t.get(0).unwrap().name(), &name("ua_entropy"));
    let t = accepts("key_default_escaped.json");
    assert_eq!(t.get(0).unwrap().default(), 0.5);
    // A key that decodes to something else is another key: `n\u00e1me` is
    // `náme`, so the entry has no name.
    rejects("key_name_escaped_non_ascii.json", IngestError::MissingField { field: Field::Name, entry: Some(0) });
}

#[test]
fn a_utf8_byte_order_mark_is_rejected_as_not_an_object() {
    rejects("utf8_bom_before_object.json", malformed(JsonErrorKind::InvalidType, 0, None, None));
}

// ----------------------------------------------------------------- structure

#[test]
fn a_key_given_twice_is_a_duplicate_field_at_its_level() {
    let dup = |field, entry| IngestError::DuplicateField { field, entry };
    rejects("duplicate_key_version.json", dup(Field::Version, None));
    rejects("duplicate_key_features.json", dup(Field::Features, None));
    rejects("duplicate_key_name.json", dup(Field::Name, Some(0)));
    rejects("duplicate_key_default.json", dup(Field::Default, Some(0)));
}

#[test]
fn a_key_given_twice_is_a_duplicate_field_however_it_is_spelt() {
    // Other readers take the last of two keys: a file with `default` and
    // `def\u0061ult` would mean one thing to us and another to them.
    let dup = |field, entry| IngestError::DuplicateField { field, entry };
    rejects("duplicate_key_version_escaped.json", dup(Field::Version, None));
    rejects("duplicate_key_features_escaped.json", dup(Field::Features, None));
    rejects("duplicate_key_name_escaped.json", dup(Field::Name, Some(0)));
    rejects("duplicate_key_default_escaped.json", dup(Field::Default, Some(0)));
}

#[test]
fn what_ingest_accepts_beyond_serde_json_value_is_ignored_lone_surrogates_numbers_past_f64_and_deep_nesting() {
    // Both only where ingest does not read the value: see the docs of
    // `feature_table::ingest`, which list these three.
    for file in ["lone_surrogate_in_ignored_string.json", "number_past_f64_in_ignored_field.json"] {
        assert_eq!(accepts(file).len(), 1, "{file}");
        let error = serde_json::from_slice::<serde_json::Value>(&corpus(file)).unwrap_err();
        assert!(error.is_syntax(), "{file}: {error}");
    }
    // And nesting past serde_json's recursion limit of 128, when the limit
    // allows it (the default is 16).
    let deep =
        format!(r#"{{"meta": {}{}, "version": 1, "features": [{{"name": "a"}}]}}"#, "[".repeat(129), "]".repeat(129));
    let limits = Limits { max_depth: u8::MAX, ..Limits::DEFAULT };
    assert_eq!(ingest(deep.as_bytes(), &mut FeatureTable::<1>::new(0), limits), Ok(()));
    let error = serde_json::from_str::<serde_json::Value>(&deep).unwrap_err();
    assert!(error.to_string().starts_with("recursion limit exceeded"), "{error}");
    let deep = deep.replace("[[", "[").replace("]]", "]");
    assert!(serde_json::from_str::<serde_json::Value>(&deep).is_ok(), "65 levels");
}

#[test]
fn a_wrong_type_in_every_field_is_malformed_at_that_field() {
    let version = |kind, offset| malformed(kind, offset, None, Some(Field::Version));
    rejects("version_as_string.json", version(JsonErrorKind::InvalidType, 12));
    rejects("version_negative.json", version(JsonErrorKind::InvalidNumber, 12));
    // At the digit that overflows.
    rejects("version_above_u64_max.json", version(JsonErrorKind::InvalidNumber, 31));
    rejects("version_null.json", version(JsonErrorKind::InvalidType, 12));
    // The integer part is read as the version; the parser then stops at `.`.
    rejects("version_float.json", malformed(JsonErrorKind::ExpectedObjectCommaOrEnd, 20, None, None));

    rejects("features_as_object.json", malformed(JsonErrorKind::InvalidType, 34, None, Some(Field::Features)));
    rejects("features_as_number.json", malformed(JsonErrorKind::InvalidType, 34, None, Some(Field::Features)));
    rejects("entry_as_number.json", malformed(JsonErrorKind::InvalidType, 59, Some(1), None));
    rejects("entry_as_array.json", malformed(JsonErrorKind::InvalidType, 35, Some(0), None));
    rejects("name_as_number.json", malformed(JsonErrorKind::InvalidType, 44, Some(0), Some(Field::Name)));
    rejects("name_null.json", malformed(JsonErrorKind::InvalidType, 44, Some(0), Some(Field::Name)));

    let default = |kind| malformed(kind, 69, Some(0), Some(Field::Default));
    rejects("default_as_string.json", default(JsonErrorKind::InvalidNumber));
    rejects("default_as_bool.json", default(JsonErrorKind::InvalidNumber));
    rejects("default_as_array.json", default(JsonErrorKind::InvalidNumber));
}

#[test]
fn missing_or_empty_required_parts_are_named() {
    rejects("missing_version.json", IngestError::MissingField { field: Field::Version, entry: None });
    rejects("missing_features.json", IngestError::MissingField { field: Field::Features, entry: None });
    rejects("entry_without_name.json", IngestError::MissingField { field: Field::Name, entry: Some(1) });
    rejects("features_empty.json", IngestError::EmptyFeatureList);
}

#[test]
fn trailing_garbage_and_trailing_commas_are_malformed_where_they_occur() {
    rejects("trailing_garbage.json", malformed(JsonErrorKind::TrailingCharacters, 60, None, None));
    rejects("trailing_second_document.json", malformed(JsonErrorKind::TrailingCharacters, 59, None, None));
    // A trailing comma is found at the bracket after it.
    rejects("trailing_comma_in_document.json", malformed(JsonErrorKind::TrailingComma, 59, None, None));
    rejects("trailing_comma_in_features.json", malformed(JsonErrorKind::TrailingComma, 58, Some(1), None));
    rejects("trailing_comma_in_entry.json", malformed(JsonErrorKind::TrailingComma, 57, Some(0), None));
    rejects("missing_comma_between_entries.json", malformed(JsonErrorKind::ExpectedListCommaOrEnd, 58, Some(1), None));
}

#[test]
fn a_document_that_is_not_an_object_with_string_keys_is_malformed() {
    rejects("top_level_array.json", malformed(JsonErrorKind::InvalidType, 0, None, None));
    rejects("top_level_null.json", malformed(JsonErrorKind::InvalidType, 0, None, None));
    rejects("unquoted_key.json", malformed(JsonErrorKind::KeyMustBeAString, 1, None, None));
    rejects("single_quoted_key.json", malformed(JsonErrorKind::KeyMustBeAString, 1, None, None));
}

/// serde-json-core, the parser ingest used before, accepted these non-JSON
/// inputs (the `lenient_` files). Ingest's own scanner is strict JSON, so
/// they are now malformed, each at the byte where it stops being JSON.
#[test]
fn non_json_that_the_old_parser_accepted_bare_words_leading_commas_plus_signs_and_leading_zeros_is_malformed() {
    rejects("lenient_bare_word_in_unknown_field.json", malformed(JsonErrorKind::ExpectedSomeValue, 6, None, None));
    rejects("lenient_leading_comma_in_features.json", malformed(JsonErrorKind::ExpectedSomeValue, 35, Some(0), None));
    let default = |kind, offset| malformed(kind, offset, Some(0), Some(Field::Default));
    rejects("lenient_default_plus_sign.json", default(JsonErrorKind::InvalidNumber, 69));
    // At the second digit: a leading zero is followed by nothing numeric.
    rejects("lenient_default_leading_zero.json", default(JsonErrorKind::InvalidNumber, 70));
}

// ----------------------------------------------------------------- coverage

#[test]
fn every_committed_hostile_file_has_an_expected_outcome_in_this_file() {
    let source = include_str!("hostile.rs");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/hostile");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        if !source.contains(&format!("\"{file}\"")) {
            missing.push(file);
        }
    }
    assert!(missing.is_empty(), "corpus files without an assertion: {missing:?}");
}
