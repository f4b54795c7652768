//! Differential tests of ingest's JSON scanner against `serde_json`.
//!
//! 1. Valid feature files, generated with every JSON feature a producer may
//!    use in the fields ingest ignores (all value types, nesting, escapes
//!    including `\uXXXX` and surrogate pairs, non-ASCII text, every number
//!    spelling the grammar allows) and random whitespace between all tokens,
//!    in random field order: `serde_json` accepts them, and ingest's table
//!    holds exactly what `serde_json` reads (version, names in order), with
//!    every default bit-for-bit `str::parse::<f32>` of its text.
//! 2. The same files with a few random byte mutations: whenever `serde_json`
//!    rejects the result as JSON, ingest rejects it too (never `Ok`).
//! 3. The same files with the keys ingest reads spelt with `\uXXXX` escapes:
//!    read exactly as before, as `serde_json` reads them; and a key given
//!    twice, however spelt, is rejected by both.

use feature_table::{FeatureTable, IngestError, Limits, ingest, json};
use proptest::prelude::*;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// A JSON value, rendered with random whitespace.
#[derive(Debug, Clone)]
enum Json {
    Lit(&'static str),
    /// A number's text.
    Num(String),
    /// A string's JSON text, quotes and escapes included.
    Str(String),
    Arr(Vec<Json>),
    /// Keys as JSON text.
    Obj(Vec<(String, Json)>),
}

/// Whitespace between tokens, taken in turn from a generated list.
struct Ws<'a> {
    pieces: &'a [&'static str],
    next: usize,
}

impl Ws<'_> {
    fn take(&mut self) -> &'static str {
        if self.pieces.is_empty() {
            return "";
        }
        let piece = self.pieces[self.next % self.pieces.len()];
        self.next += 1;
        piece
    }
}

fn render(value: &Json, ws: &mut Ws<'_>, out: &mut String) {
    match value {
        Json::Lit(s) => out.push_str(s),
        Json::Num(s) | Json::Str(s) => out.push_str(s),
        Json::Arr(items) => {
            out.push('[');
            out.push_str(ws.take());
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(ws.take());
                    out.push(',');
                    out.push_str(ws.take());
                }
                render(item, ws, out);
            }
            out.push_str(ws.take());
            out.push(']');
        }
        Json::Obj(members) => render_object(members, ws, out),
    }
}

fn render_object(members: &[(String, Json)], ws: &mut Ws<'_>, out: &mut String) {
    out.push('{');
    out.push_str(ws.take());
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push_str(ws.take());
            out.push(',');
            out.push_str(ws.take());
        }
        out.push_str(key);
        out.push_str(ws.take());
        out.push(':');
        out.push_str(ws.take());
        render(value, ws, out);
    }
    out.push_str(ws.take());
    out.push('}');
}

/// `text` as a JSON string, each character spelt raw or escaped as `style`
/// says (characters that must be escaped always are).
fn encode(text: &str, style: &[u8]) -> String {
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        let s = style.get(i % style.len().max(1)).copied().unwrap_or(0) % 4;
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '/' if s == 1 => Some("\\/"),
            _ => None,
        };
        let must = c < ' ' || c == '"' || c == '\\';
        match (short, must, s) {
            (Some(esc), _, 0 | 1) | (Some(esc), true, _) => out.push_str(esc),
            (_, true, _) | (_, _, 2) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    // Upper- or lower-case hex digits.
                    if i % 2 == 0 {
                        out.push_str(&format!("\\u{unit:04x}"));
                    } else {
                        out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_string() -> impl Strategy<Value = String> {
    (any::<String>(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(text, style)| encode(&text, &style))
}

/// Every spelling the number grammar allows, with up to 25 digits (past the
/// fast path) and exponents up to 3 digits (past the `f32` range).
fn json_number() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?(0|[1-9][0-9]{0,8})(\\.[0-9]{1,6})?",
        "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?",
        "-?[0-9]\\.[0-9]{1,9}[eE][+-]?(0|[1-3]?[0-9])",
    ]
}

/// Keys for ignored fields: any string that does not decode to a key ingest
/// reads (both decode escapes in keys).
fn ignored_key() -> impl Strategy<Value = String> {
    json_string().prop_filter("not a key ingest reads", |k| {
        let decoded: String = serde_json::from_str(k).unwrap();
        !matches!(decoded.as_str(), "name" | "default" | "version" | "features")
    })
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Lit("null")),
        Just(Json::Lit("true")),
        Just(Json::Lit("false")),
        json_number().prop_map(Json::Num),
        json_string().prop_map(Json::Str),
    ];
    // At most 4 levels: an entry's field is at level 3, the limit is 16.
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Arr),
            prop::collection::vec((json_string(), inner), 0..4).prop_map(Json::Obj),
        ]
    })
}

/// One generated entry: its name and default text (if any), and its JSON.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    default: Option<String>,
    json: Json,
}

fn entry(name: String) -> impl Strategy<Value = Entry> {
    (prop::option::weighted(0.8, json_number()), prop::collection::vec((ignored_key(), json_value()), 0..3))
        .prop_flat_map(move |(default, extra)| {
            let mut members = vec![(String::from("\"name\""), Json::Str(format!("\"{name}\"")))];
            if let Some(d) = &default {
                members.push((String::from("\"default\""), Json::Num(d.clone())));
            }
            members.extend(extra);
            let name = name.clone();
            Just(members).prop_shuffle().prop_map(move |members| Entry {
                name: name.clone(),
                default: default.clone(),
                json: Json::Obj(members),
            })
        })
}

/// A valid feature file: its version, entries, and text.
#[derive(Debug, Clone)]
struct File {
    version: u64,
    entries: Vec<Entry>,
    text: String,
}

fn whitespace() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(vec!["", "", " ", "\n", "\t", "\r\n", "  "]), 0..16)
}

fn file() -> impl Strategy<Value = File> {
    let names = prop::collection::btree_set("[a-z0-9_.-]{1,32}", 1..16)
        .prop_map(|set| set.into_iter().collect::<Vec<_>>())
        .prop_shuffle();
    (names, any::<u64>(), prop::collection::vec((ignored_key(), json_value()), 0..3), whitespace()).prop_flat_map(
        |(names, version, extra, ws)| {
            let entries: Vec<_> = names.into_iter().map(entry).collect();
            (entries, Just(version), Just(extra), Just(ws), any::<prop::sample::Index>()).prop_map(
                |(entries, version, extra, ws, at)| {
                    let list = Json::Arr(entries.iter().map(|e| e.json.clone()).collect());
                    let mut members = extra;
                    let version_at = at.index(members.len() + 1);
                    members.insert(version_at, (String::from("\"version\""), Json::Num(version.to_string())));
                    let features_at = at.index(members.len() + 1);
                    members.insert(features_at, (String::from("\"features\""), list));
                    let mut ws = Ws { pieces: &ws, next: 0 };
                    let mut text = String::from(ws.take());
                    render_object(&members, &mut ws, &mut text);
                    text.push_str(ws.take());
                    File { version, entries, text }
                },
            )
        },
    )
}

#[derive(Deserialize)]
struct SerdeEntry {
    name: String,
    #[serde(rename = "default")]
    _default: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SerdeFile {
    version: u64,
    features: Vec<SerdeEntry>,
}

const N: usize = 64;

fn ingest_bytes(bytes: &[u8]) -> Result<FeatureTable<N>, IngestError> {
    let mut table = FeatureTable::<N>::new(0);
    ingest(bytes, &mut table, Limits::DEFAULT).map(|()| table)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn valid_files_read_exactly_as_serde_json_reads_them(file in file()) {
        let bytes = file.text.as_bytes();
        let parsed: SerdeFile = serde_json::from_slice(bytes).map_err(|e| TestCaseError::fail(format!("serde_json: {e}")))?;
        prop_assert_eq!(parsed.version, file.version);
        // The first default outside the `f32` range is the error, if any.
        let defaults: Vec<f32> =
            file.entries.iter().map(|e| e.default.as_ref().map_or(0.0, |d| d.parse::<f32>().unwrap())).collect();
        match defaults.iter().position(|d| !d.is_finite()) {
            Some(entry) => prop_assert_eq!(ingest_bytes(bytes).err(), Some(IngestError::NonFiniteDefault { entry })),
            None => {
                let table = ingest_bytes(bytes).map_err(|e| TestCaseError::fail(format!("ingest: {e}\n{}", file.text)))?;
                prop_assert_eq!(table.version(), parsed.version);
                prop_assert_eq!(table.len(), parsed.features.len());
                let rows = table.features().iter().zip(&parsed.features).zip(&file.entries).zip(&defaults);
                for (((feature, expected), generated), default) in rows {
                    prop_assert_eq!(&expected.name, &generated.name);
                    prop_assert_eq!(feature.name().as_str(), expected.name.as_str());
                    prop_assert_eq!(feature.default().to_bits(), default.to_bits(), "{}", feature.name());
                }
            }
        }
    }

    #[test]
    fn keys_spelt_with_escapes_read_exactly_as_serde_json_reads_them(
        file in file(),
        escape in any::<u64>(),
        upper in any::<bool>(),
    ) {
        let respelt = respell_keys(&file.text, escape, upper);
        let original: SerdeFile = serde_json::from_str(&file.text).unwrap();
        let parsed: SerdeFile = serde_json::from_str(&respelt).map_err(|e| TestCaseError::fail(format!("serde_json: {e}")))?;
        prop_assert_eq!(parsed.version, original.version);
        let names = |f: &SerdeFile| f.features.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
        prop_assert_eq!(names(&parsed), names(&original));
        prop_assert_eq!(ingest_bytes(respelt.as_bytes()), ingest_bytes(file.text.as_bytes()), "{}", respelt);
    }

    #[test]
    fn whatever_serde_json_rejects_ingest_rejects(
        file in file(),
        mutations in prop::collection::vec(
            (any::<prop::sample::Index>(), 0u8..3, prop::sample::select(
                b"\"\\{}[],:0129eE+-. \tatfnu\x00\x1f\x7f\xc3\xa9\xff".to_vec(),
            )),
            1..4,
        ),
    ) {
        let mut bytes = file.text.into_bytes();
        for (at, kind, byte) in mutations {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 if i < bytes.len() => bytes[i] = byte,
                1 if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, byte),
            }
        }
        if let Err(error) = serde_json::from_slice::<IgnoredAny>(&bytes) {
            let got = ingest_bytes(&bytes);
            prop_assert!(
                got.is_err(),
                "serde_json: {error}; ingest accepted {:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

/// `text` with every key ingest reads (`"name"` ... followed by `:`) spelt
/// with `\uXXXX` escapes: character `i` of the `k`-th key escaped when bit
/// `(k + i) % 64` of `escape` is set, in upper- or lower-case hex.
fn respell_keys(text: &str, escape: u64, upper: bool) -> String {
    let mut out = String::new();
    let mut rest = text;
    let mut k = 0;
    'scan: while !rest.is_empty() {
        for key in ["name", "default", "version", "features"] {
            let quoted = format!("\"{key}\"");
            let is_key =
                rest.starts_with(&quoted) && !out.ends_with('\\') && rest[quoted.len()..].trim_start().starts_with(':');
            if is_key {
                out.push('"');
                for (i, c) in key.chars().enumerate() {
                    if escape >> ((k + i) % 64) & 1 == 1 {
                        let code = c as u32;
                        out.push_str(&if upper { format!("\\u{code:04X}") } else { format!("\\u{code:04x}") });
                    } else {
                        out.push(c);
                    }
                }
                out.push('"');
                rest = &rest[quoted.len()..];
                k += 1;
                continue 'scan;
            }
        }
        let c = rest.chars().next().unwrap();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[test]
fn a_key_given_twice_in_any_spelling_is_rejected_by_ingest_and_serde_json() {
    use feature_table::Field;
    let cases = [
        (r#"{"version": 1, "versio\u006e": 2, "features": [{"name": "a"}]}"#, Field::Version, None),
        (r#"{"version": 1, "features": [{"name": "a"}], "\u0066eatures": []}"#, Field::Features, None),
        (r#"{"version": 1, "features": [{"n\u0061me": "a", "name": "b"}]}"#, Field::Name, Some(0)),
        (r#"{"version": 1, "features": [{"name": "a", "default": 1, "d\u0065fault": 2}]}"#, Field::Default, Some(0)),
    ];
    for (case, field, entry) in cases {
        let error = serde_json::from_str::<SerdeFile>(case).err().map(|e| e.to_string());
        assert!(error.as_deref().is_some_and(|e| e.starts_with("duplicate field")), "{case}: {error:?}");
        assert_eq!(ingest_bytes(case.as_bytes()).err(), Some(IngestError::DuplicateField { field, entry }), "{case}");
    }
    // Escapes that decode to another key are other keys for both.
    let other = r#"{"version": 1, "features": [{"name": "a", "n\u00e1me": "b"}]}"#;
    assert_eq!(serde_json::from_str::<SerdeFile>(other).unwrap().features[0].name, "a");
    assert_eq!(ingest_bytes(other.as_bytes()).unwrap().get(0).unwrap().name().as_str(), "a");
}

#[test]
fn hand_picked_non_json_in_ignored_fields_is_rejected_like_serde_json_does() {
    let cases = [
        r#"{"x": 01, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": 1., "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": .5, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": +1, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": 1e, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": -, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": NaN, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": tru, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": nulll, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": "\x", "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": "\u12G4", "version": 1, "features": [{"name": "a"}]}"#,
        "{\"x\": \"a\u{1}b\", \"version\": 1, \"features\": [{\"name\": \"a\"}]}",
        r#"{"x": [1,], "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": [,1], "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": {"a" 1}, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": {a: 1}, "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": [1 2], "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"x": 'a', "version": 1, "features": [{"name": "a"}]}"#,
        r#"{"version": 1, "features": [{"name": "a", "x": [}]}"#,
        "{\"version\": 1, \"features\": [{\"name\": \"a\"}]}\u{b}",
        "{\"version\": 1,\u{c}\"features\": [{\"name\": \"a\"}]}",
    ];
    for case in cases {
        assert!(serde_json::from_str::<IgnoredAny>(case).is_err(), "serde_json accepts {case}");
        assert!(
            matches!(ingest_bytes(case.as_bytes()), Err(IngestError::Json { error: json::Error::Syntax(_), .. })),
            "{case}"
        );
    }
}
