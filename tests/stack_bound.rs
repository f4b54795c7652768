//! Ingest's stack use is bounded, whatever the input.
//!
//! Feature-file ingest does not recurse at all: its scanner tracks nesting
//! with a counter and a bit per level, so its stack use does not depend on
//! the depth. The model loaders read their files with the same scanner, so
//! they do not recurse either. These tests run ingest on threads with small
//! stacks: an overflow would abort the test process, not fail an assertion.

use std::process::Command;

use feature_table::model::catboost;
use feature_table::{FeatureTable, IngestError, JsonErrorKind, Limits, ingest, json};

const SMALL_STACK: usize = 64 * 1024;

/// A feature file whose unknown field `meta` holds `levels` nested arrays,
/// so that the document nests `levels + 1` deep. `meta`'s first bracket is
/// at byte 9.
fn nested(levels: usize) -> Vec<u8> {
    format!(r#"{{"meta": {}{}, "version": 1, "features": [{{"name": "a"}}]}}"#, "[".repeat(levels), "]".repeat(levels))
        .into_bytes()
}

/// Runs ingest of `bytes` with `limits` on a thread with `stack` bytes of stack.
fn ingest_on_stack(stack: usize, bytes: Vec<u8>, limits: Limits) -> Result<usize, IngestError> {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let mut table = FeatureTable::<4>::new(0);
            ingest(&bytes, &mut table, limits).map(|()| table.len())
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn the_deepest_nesting_the_default_limits_allow_parses_on_a_64_kib_stack() {
    let depth = usize::from(Limits::DEFAULT.max_depth);
    assert_eq!(ingest_on_stack(SMALL_STACK, nested(depth - 1), Limits::DEFAULT), Ok(1));
}

#[test]
fn defaults_that_need_the_exact_conversion_parse_on_a_64_kib_stack() {
    // Past the fast path (more than 24 bits of digits, or 10^k beyond
    // 10^10): the big-integer conversion, whose numbers live on the stack.
    let defaults = [
        "1.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001e-45",
        "3.40282356779733661637539395458142568447e38",
        "7.00649232162408535461864791644958065640130970938257885878534141944895541342930300743319094181060791015625e-46",
        "-123456789012345678901234567890e-60",
    ];
    let entries: Vec<String> =
        defaults.iter().enumerate().map(|(i, d)| format!(r#"{{"name": "f{i}", "default": {d}}}"#)).collect();
    let bytes = format!(r#"{{"version": 1, "features": [{}]}}"#, entries.join(",")).into_bytes();
    assert_eq!(ingest_on_stack(SMALL_STACK, bytes, Limits::DEFAULT), Ok(defaults.len()));
}

#[test]
fn one_level_more_than_the_default_limit_is_too_deep_at_its_bracket() {
    let depth = usize::from(Limits::DEFAULT.max_depth);
    assert_eq!(
        ingest_on_stack(SMALL_STACK, nested(depth), Limits::DEFAULT),
        Err(IngestError::Json {
            error: json::Error::TooDeep { limit: 16, offset: 9 + depth - 1 },
            entry: None,
            field: None
        })
    );
}

#[test]
fn five_thousand_and_a_million_levels_are_too_deep_on_a_64_kib_stack_not_an_overflow() {
    for levels in [5_000, 1_000_000] {
        let limits = Limits { max_bytes: u32::MAX, ..Limits::DEFAULT };
        assert_eq!(
            ingest_on_stack(SMALL_STACK, nested(levels), limits),
            Err(IngestError::Json {
                error: json::Error::TooDeep { limit: 16, offset: 9 + 15 },
                entry: None,
                field: None
            })
        );
    }
}

#[test]
fn a_million_levels_after_a_quote_in_a_skipped_bare_value_are_rejected_not_an_overflow() {
    // Regression: the old depth pre-pass read `a", "y": [[[...` as a string
    // running to the end, while the old parser skipped `a"` up to the comma
    // and recursed into the brackets: a stack overflow that aborted the
    // process. The strict scanner rejects the bare word `a` itself.
    let mut bytes = br#"{"x": a", "y": "#.to_vec();
    bytes.extend(std::iter::repeat_n(b'[', 1_000_000));
    let limits = Limits { max_bytes: u32::MAX, ..Limits::DEFAULT };
    assert_eq!(
        ingest_on_stack(SMALL_STACK, bytes, limits),
        Err(IngestError::Json {
            error: json::Error::syntax(JsonErrorKind::ExpectedSomeValue, 6),
            entry: None,
            field: None
        })
    );
}

#[test]
fn a_million_levels_in_an_entry_are_too_deep_at_the_largest_limit_on_a_64_kib_stack() {
    let head = br#"{"version": 1, "features": [{"name": "a", "tags": "#;
    let mut bytes = head.to_vec();
    bytes.extend(std::iter::repeat_n(b'[', 1_000_000));
    let limits = Limits { max_bytes: u32::MAX, max_depth: u8::MAX };
    // The entry is level 3: the 253rd bracket is level 256.
    assert_eq!(
        ingest_on_stack(SMALL_STACK, bytes, limits),
        Err(IngestError::Json {
            error: json::Error::TooDeep { limit: u8::MAX, offset: head.len() + 252 },
            entry: Some(0),
            field: None
        })
    );
}

/// Environment variable that turns [`stack_probe_child`] into a probe:
/// `STACK_PROBE=<stack bytes>,<depth>` ingests a file nested `depth` deep
/// (with `max_depth = depth`) on a thread with that much stack. It exits
/// normally if that fits and aborts on stack overflow.
const PROBE_VAR: &str = "FEATURE_TABLE_STACK_PROBE";

#[test]
#[ignore = "run as a child process by stack_use_is_bounded_by_the_depth_limit_and_measured_per_level"]
fn stack_probe_child() {
    let spec = std::env::var(PROBE_VAR).unwrap();
    let (stack, depth) = spec.split_once(',').unwrap();
    let (stack, depth): (usize, u8) = (stack.parse().unwrap(), depth.parse().unwrap());
    let limits = Limits { max_bytes: u32::MAX, max_depth: depth };
    assert_eq!(ingest_on_stack(stack, nested(usize::from(depth) - 1), limits), Ok(1));
}

/// Whether ingest of a `depth`-deep file fits in `stack` bytes, run in a
/// child process so that an overflow aborts only the child.
fn fits(stack: usize, depth: u8) -> bool {
    let exe = std::env::current_exe().unwrap();
    Command::new(exe)
        .args(["--exact", "stack_probe_child", "--ignored", "--test-threads", "1"])
        .env(PROBE_VAR, format!("{stack},{depth}"))
        .output()
        .unwrap()
        .status
        .success()
}

/// Thread stacks smaller than this are not asked for: glibc's minimum
/// thread stack is 16 KiB and smaller requests are rounded up to it.
const FLOOR: usize = 16 * 1024;

/// The smallest thread stack, to 1 KiB and at least [`FLOOR`], on which
/// ingest of a `depth`-deep file succeeds (the thread's own start-up cost
/// included). [`FLOOR`] means "fits in the smallest stack there is".
fn smallest_stack(depth: u8) -> usize {
    let (mut lo, mut hi) = (FLOOR / 1024, 4096usize); // in KiB: hi fits
    if fits(FLOOR, depth) {
        return FLOOR;
    }
    assert!(fits(hi * 1024, depth), "depth {depth} needs more than {hi} KiB");
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid * 1024, depth) { hi = mid } else { lo = mid }
    }
    hi * 1024
}

#[test]
fn stack_use_is_bounded_by_the_depth_limit_and_measured_per_level() {
    let build = if cfg!(debug_assertions) { "debug" } else { "release" };
    let at_default = smallest_stack(Limits::DEFAULT.max_depth);
    let (at_128, at_255) = (smallest_stack(128), smallest_stack(u8::MAX));
    println!(
        "{build} build, smallest thread stack: depth 16 = {} KiB, depth 128 = {} KiB, depth 255 = {} KiB \
         ({} KiB = fits in the smallest stack)",
        at_default / 1024,
        at_128 / 1024,
        at_255 / 1024,
        FLOOR / 1024
    );
    assert!(at_default <= SMALL_STACK, "the default depth needs {at_default} bytes");
    // The largest depth `Limits` can express fits a modest thread stack.
    assert!(at_255 <= 256 * 1024, "depth 255 needs {at_255} bytes");
    if at_128 > FLOOR {
        // Both above the floor: the difference is the parser's cost per level.
        let per_level = (at_255 - at_128) / (255 - 128);
        println!("{build} build: about {per_level} bytes of stack per nesting level");
        assert!(at_255 > at_128 && per_level <= 2048, "{per_level} bytes per nesting level");
    } else {
        println!("{build} build: at most {} bytes of stack per nesting level", FLOOR / 255);
    }
}

// CatBoost exports nest deeper than feature files (9 levels in real
// exports, `model_info.params`), so model ingest gets its own bounds.

type SmallCatBoost = feature_table::CatBoost<16, 8, 16, 512>;

/// Runs CatBoost ingest of `bytes` with `limits` on a thread with `stack`
/// bytes of stack; the model lives on the heap.
fn catboost_on_stack(stack: usize, bytes: Vec<u8>, limits: Limits) -> Result<usize, catboost::ModelError> {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let mut model = Box::new(SmallCatBoost::new());
            catboost::ingest(&bytes, &mut model, limits).map(|()| model.tree_count())
        })
        .unwrap()
        .join()
        .unwrap()
}

const SMALL_EXPORT: &[u8] = include_bytes!("corpus/models/catboost_base.json");

/// The small real export (two trees) with `levels` nested arrays in
/// `model_info`, its first key: the first bracket is at byte 14.
fn nested_model_info(levels: usize) -> Vec<u8> {
    let mut out = format!(r#"{{"model_info":{}{},"#, "[".repeat(levels), "]".repeat(levels)).into_bytes();
    out.extend_from_slice(&SMALL_EXPORT[1..]);
    out
}

/// The same export with `levels` nested arrays in an unknown field of the
/// first float feature, inside four levels the parser interprets: the first
/// bracket is at byte 41.
fn nested_in_float_feature(levels: usize) -> Vec<u8> {
    let head = br#"{"features_info":{"float_features":[{"x":"#;
    let text = std::str::from_utf8(SMALL_EXPORT).unwrap();
    let rest = text.strip_prefix(r#"{"features_info":{"float_features":[{"#).unwrap();
    let mut out = head.to_vec();
    out.extend(std::iter::repeat_n(b'[', levels));
    out.extend(std::iter::repeat_n(b']', levels));
    out.push(b',');
    out.extend_from_slice(rest.as_bytes());
    out
}

#[test]
fn a_real_catboost_export_parses_on_a_64_kib_stack() {
    let real = include_bytes!("fixtures/catboost/depth1_rmse_bias.json").to_vec();
    assert_eq!(catboost_on_stack(SMALL_STACK, real, catboost::DEFAULT_LIMITS), Ok(12));
}

#[test]
fn the_deepest_model_nesting_the_default_limits_allow_parses_on_a_64_kib_stack() {
    let depth = usize::from(catboost::DEFAULT_LIMITS.max_depth);
    assert_eq!(catboost_on_stack(SMALL_STACK, nested_model_info(depth - 1), catboost::DEFAULT_LIMITS), Ok(2));
    // Four levels of the file are above the float feature's field.
    assert_eq!(catboost_on_stack(SMALL_STACK, nested_in_float_feature(depth - 4), catboost::DEFAULT_LIMITS), Ok(2));
}

#[test]
fn deep_model_info_is_too_deep_on_a_64_kib_stack_not_an_overflow() {
    let limits = Limits { max_bytes: u32::MAX, ..catboost::DEFAULT_LIMITS };
    for levels in [16, 5_000, 1_000_000] {
        assert_eq!(
            catboost_on_stack(SMALL_STACK, nested_model_info(levels), limits),
            Err(catboost::ModelError::Json {
                error: json::Error::TooDeep { limit: 16, offset: 14 + 15 },
                field: None,
                index: None
            }),
            "{levels} levels in model_info"
        );
        assert_eq!(
            catboost_on_stack(SMALL_STACK, nested_in_float_feature(levels), limits),
            Err(catboost::ModelError::Json {
                error: json::Error::TooDeep { limit: 16, offset: 41 + 12 },
                field: None,
                index: Some(0)
            }),
            "{levels} levels in a float feature"
        );
    }
}
