//! Tests of the scanner, its keys, errors and number conversions.

use super::*;

fn skip(json: &str) -> Result<usize, Error> {
    let mut s = Scanner::new(json.as_bytes(), 16);
    s.skip_value()?;
    s.end()?;
    Ok(s.offset())
}

fn kind(json: &str) -> JsonErrorKind {
    match skip(json) {
        Err(Error::Syntax(JsonError { kind, .. })) => kind,
        other => panic!("{json}: {other:?}"),
    }
}

#[test]
fn special_bytes_finds_the_first_special_byte() {
    for (i, special) in [b'"', b'\\', 0x00, 0x1f, 0x80, 0xff].into_iter().enumerate() {
        for at in 0..8 {
            let mut bytes = *b"abcdefgh";
            bytes[at] = special;
            // A second special byte after it must not move the first.
            if at < 7 {
                bytes[7] = [b'"', 0x01, 0xc3][i % 3];
            }
            let word = u64::from_le_bytes(bytes);
            assert_eq!(special_bytes(word).trailing_zeros() / 8, at as u32, "{bytes:?}");
        }
    }
    assert_eq!(special_bytes(u64::from_le_bytes(*b" ~!#[]}{")), 0);
    for b in 0..=255u8 {
        let word = u64::from_le_bytes([b; 8]);
        assert_eq!(special_bytes(word) != 0, !is_plain_string_byte(b), "{b:#x}");
    }
}

#[test]
fn valid_values_of_every_type_are_skipped_whole() {
    for json in [
        "0",
        "-0",
        "-0.0e+0",
        "12.5E-3",
        "true",
        "false",
        "null",
        r#""""#,
        r#""a\"\\\/\b\f\n\r\t\u00e9\uD800 é 😀""#,
        "[]",
        "{}",
        r#" [1, "a", {"k": [true, {"x": null}]}, [], {}] "#,
        r#"{"a":{"b":{"c":[[[]]]}},"d":-1}"#,
    ] {
        assert_eq!(skip(json), Ok(json.len()), "{json}");
    }
}

#[test]
fn invalid_json_is_rejected_with_a_kind() {
    use JsonErrorKind::*;
    for (json, expected) in [
        ("", EofWhileParsingValue),
        ("+1", ExpectedSomeValue),
        ("01", InvalidNumber),
        ("1.", EofWhileParsingNumber),
        ("1.x", InvalidNumber),
        ("1e", EofWhileParsingNumber),
        ("1e+", EofWhileParsingNumber),
        ("-", EofWhileParsingNumber),
        ("-a", InvalidNumber),
        (".5", ExpectedSomeValue),
        ("NaN", ExpectedSomeValue),
        ("nul", EofWhileParsingValue),
        ("nan", ExpectedSomeIdent),
        ("tru e", ExpectedSomeIdent),
        ("\"a", EofWhileParsingString),
        ("\"a\\", EofWhileParsingString),
        ("\"\\x\"", InvalidEscapeSequence),
        ("\"\\u12g4\"", InvalidEscapeSequence),
        ("\"\\u12", EofWhileParsingString),
        ("\"a\tb\"", InvalidUnicodeCodePoint),
        ("[1,]", TrailingComma),
        ("[,1]", ExpectedSomeValue),
        ("[1,,2]", ExpectedSomeValue),
        ("[1 2]", ExpectedListCommaOrEnd),
        ("[1}", ExpectedListCommaOrEnd),
        ("[1", EofWhileParsingList),
        ("[", EofWhileParsingList),
        ("{", EofWhileParsingObject),
        ("{\"a\":1,}", TrailingComma),
        ("{\"a\" 1}", ExpectedColon),
        ("{\"a\":1 \"b\":2}", ExpectedObjectCommaOrEnd),
        ("{\"a\":1]", ExpectedObjectCommaOrEnd),
        ("{a:1}", KeyMustBeAString),
        ("{\"a\":1,b:1}", KeyMustBeAString),
        ("{,}", KeyMustBeAString),
        ("{\"a\":1", EofWhileParsingObject),
        ("{\"a\"", EofWhileParsingObject),
        ("1 2", TrailingCharacters),
        ("bare", ExpectedSomeValue),
    ] {
        assert_eq!(kind(json), expected, "{json}");
    }
    // Invalid UTF-8 inside a string, and cut short at the end.
    let mut s = Scanner::new(b"\"a\xff\"", 16);
    assert_eq!(s.skip_value(), Err(Error::syntax(JsonErrorKind::InvalidUnicodeCodePoint, 2)));
    let mut s = Scanner::new(b"\"\xc3", 16);
    assert_eq!(s.skip_value(), Err(Error::syntax(JsonErrorKind::EofWhileParsingString, 2)));
    let mut s = Scanner::new(b"\"\xed\xa0\x80\"", 16);
    assert!(s.skip_value().is_err(), "an encoded surrogate is not UTF-8");
}

/// The keys of the object `json`, as [`Scanner::key`] reads them
/// against `known`.
fn keys<'a>(json: &'a str, known: &[KnownKey]) -> Vec<Key<'a>> {
    let mut s = Scanner::new(json.as_bytes(), 4);
    s.open(true).unwrap();
    let (mut first, mut keys) = (true, Vec::new());
    while let Some(key) = s.key(&mut first, known).unwrap() {
        keys.push(key);
        s.colon().unwrap();
        s.skip_value().unwrap();
    }
    keys
}

#[test]
fn a_known_key_matches_however_it_is_escaped() {
    const KNOWN: [KnownKey; 2] = [KnownKey::new(b"name"), KnownKey::new(b"a/b")];
    let json = r#"{"name":1,"n\u0061me":2,"\u006E\u0061\u006d\u0065":3,"a\/b":4,"a\u002Fb":5}"#;
    assert_eq!(keys(json, &KNOWN), [Key::Known(0), Key::Known(0), Key::Known(0), Key::Known(1), Key::Known(1)]);
}

#[test]
fn an_escape_that_decodes_to_another_key_is_another_key() {
    const KNOWN: [KnownKey; 1] = [KnownKey::new(b"name")];
    for (json, raw) in [
        // Non-ASCII, a surrogate, a different letter, one letter more
        // or fewer, and escapes that decode to quote or backslash.
        (r#"{"n\u00e1me":0}"#, &br"n\u00e1me"[..]),
        (r#"{"name\ud800":0}"#, br"name\ud800"),
        (r#"{"n\u0062me":0}"#, br"n\u0062me"),
        (r#"{"name\u0073":0}"#, br"name\u0073"),
        (r#"{"nam\u0022":0}"#, br"nam\u0022"),
        (r#"{"n\\me":0}"#, br"n\\me"),
        (r#"{"nam":0}"#, b"nam"),
    ] {
        assert_eq!(keys(json, &KNOWN), [Key::Other(raw)], "{json}");
    }
    assert!(key_is(br"\u006e\u0061\u006d\u0065", b"name"));
    assert!(!key_is(br"\u006e\u0061\u006d\u0065", b"nam"));
    assert!(!key_is(br"\u006e\u0061\u006d", b"name"));
    assert!(key_is(br"tab\there", b"tab\there"));
}

#[test]
fn errors_say_what_and_where_once_without_a_source() {
    use core::error::Error as _;
    let syntax = Error::syntax(JsonErrorKind::TrailingComma, 7);
    assert_eq!(syntax.to_string(), "malformed JSON at byte 7: trailing comma");
    assert_eq!(Error::TooLarge { len: 9, limit: 4 }.to_string(), "input is 9 bytes, the limit is 4");
    assert_eq!(Error::TooDeep { limit: 2, offset: 3 }.to_string(), "nesting deeper than 2 levels at byte 3");
    // The message already says everything: no source to print twice.
    assert!(syntax.source().is_none());
    assert!(JsonError::new(JsonErrorKind::TrailingComma, 7).source().is_none());
}

#[test]
fn size_is_checked_before_reading() {
    let limits = Limits { max_bytes: 2, max_depth: 1 };
    assert!(matches!(Scanner::with_limits(b"[1]", limits), Err(Error::TooLarge { len: 3, limit: 2 })));
    assert!(Scanner::with_limits(b"[]", limits).is_ok());
}

#[test]
fn depth_is_bounded_without_recursion() {
    let ok = format!("{}{}", "[".repeat(16), "]".repeat(16));
    assert_eq!(skip(&ok), Ok(32));
    let deep = "[{\"a\":".repeat(100_000);
    assert_eq!(skip(&deep), Err(Error::TooDeep { limit: 16, offset: 6 * 8 }));
    let mut s = Scanner::new(b"[[[]]]", 255);
    assert_eq!(s.skip_value(), Ok(()));
    let deep = "[".repeat(300);
    let mut s = Scanner::new(deep.as_bytes(), 255);
    assert_eq!(s.skip_value(), Err(Error::TooDeep { limit: 255, offset: 255 }));
    let mut s = Scanner::new(b"[]", 0);
    assert_eq!(s.skip_value(), Err(Error::TooDeep { limit: 0, offset: 0 }));
}

#[test]
fn numbers_convert_correctly_rounded() {
    for text in [
        "0",
        "-0",
        "0.25",
        "1",
        "16777216",
        "16777217",
        "0.1",
        "3.4028235e38",
        "3.4028236e38",
        "1e-45",
        "7e-46",
        "1e10",
        "1e-10",
        "123456.789",
        "-2.5e-3",
        "1e39",
        "0.000000000000000000000000000001",
        "99999999999999999999999999",
        "1.00000000000000000000000000001",
        "8388609.5",
        "0e999999999999",
    ] {
        let mut s = Scanner::new(text.as_bytes(), 1);
        let n = s.number().unwrap();
        assert_eq!(s.offset(), text.len());
        let got = n.to_f32().unwrap();
        let want: f32 = text.parse().unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "{text}");
    }
}
