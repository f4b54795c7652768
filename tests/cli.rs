//! The `feature-table validate` binary, run as a user runs it.
//!
//! Fixtures live in `tests/fixtures/` (see its README); exit status is 0 for
//! accepted, 1 for rejected or unreadable, 2 for usage errors.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{doubled_feature_file, feature_file, names};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name).display().to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feature-table")).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Asserts the exit status, and that exactly one line went to the expected
/// stream and nothing to the other.
fn assert_one_line(o: &Output, code: i32, on_stdout: bool) -> String {
    assert_eq!(o.status.code(), Some(code), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    let (line, other) = if on_stdout { (stdout(o), stderr(o)) } else { (stderr(o), stdout(o)) };
    assert_eq!(other, "", "unexpected output on the other stream");
    assert_eq!(line.lines().count(), 1, "not one line: {line:?}");
    line
}

#[test]
fn good_file_is_accepted_with_a_one_line_summary() {
    let path = fixture("good-60.json");
    let o = run(&["validate", &path]);
    let line = assert_one_line(&o, 0, true);
    assert_eq!(line, format!("OK {path}: version 7, 60 features, capacity 200 (30% used)\n"));
}

#[test]
fn doubled_file_is_rejected_naming_the_duplicate_and_both_entries() {
    let path = fixture("doubled-120.json");
    let line = assert_one_line(&run(&["validate", &path]), 1, false);
    assert_eq!(line, format!("REJECTED {path}: duplicate name `ua_entropy` at entries 0 and 60\n"));
}

#[test]
fn over_capacity_file_is_rejected_with_its_true_count() {
    let path = fixture("doubled-240.json");
    let line = assert_one_line(&run(&["validate", &path]), 1, false);
    assert_eq!(line, format!("REJECTED {path}: 240 entries for capacity 200\n"));
}

#[test]
fn capacity_flag_selects_the_table_size() {
    // With room for 240 entries, the same file fails on its duplicate instead.
    let path = fixture("doubled-240.json");
    let line = assert_one_line(&run(&["validate", &path, "--capacity", "256"]), 1, false);
    assert!(line.contains("duplicate name `ua_entropy` at entries 0 and 120"), "{line}");

    let line = assert_one_line(&run(&["validate", "--capacity=64", &fixture("doubled-240.json")]), 1, false);
    assert!(line.ends_with(": 240 entries for capacity 64\n"), "{line}");
}

#[test]
fn largest_capacity_runs_without_overflowing_the_stack() {
    let path = fixture("good-60.json");
    let line = assert_one_line(&run(&["validate", &path, "--capacity", "4096"]), 0, true);
    assert!(line.ends_with(": version 7, 60 features, capacity 4096 (1% used)\n"), "{line}");
}

#[test]
fn malformed_file_is_rejected() {
    let path = fixture("malformed.json");
    let line = assert_one_line(&run(&["validate", &path]), 1, false);
    assert!(line.starts_with(&format!("REJECTED {path}: malformed JSON")), "{line}");
}

#[test]
fn growth_beyond_the_ratio_against_previous_is_rejected() {
    let (previous, file) = (fixture("good-60.json"), fixture("good-120.json"));
    let line = assert_one_line(&run(&["validate", &file, "--previous", &previous]), 1, false);
    assert_eq!(line, format!("REJECTED {file}: 120 entries against 60 active: changes by more than 1.500x\n"));
}

#[test]
fn max_growth_flag_sets_the_ratio_and_the_summary_names_the_replaced_version() {
    let (previous, file) = (fixture("good-60.json"), fixture("good-120.json"));
    let line = assert_one_line(&run(&["validate", &file, "--previous", &previous, "--max-growth", "2"]), 0, true);
    assert_eq!(
        line,
        format!("OK {file}: version 8, 120 features, capacity 200 (60% used), replaces version 7 (60 features)\n")
    );
}

#[test]
fn older_version_than_previous_is_rejected() {
    let (previous, file) = (fixture("good-120.json"), fixture("good-60.json"));
    let line = assert_one_line(&run(&["validate", &file, "--previous", &previous]), 1, false);
    assert_eq!(line, format!("REJECTED {file}: version 7 is not newer than the active version 8\n"));
}

#[test]
fn invalid_previous_file_is_reported_as_such() {
    let (previous, file) = (fixture("doubled-120.json"), fixture("good-60.json"));
    let line = assert_one_line(&run(&["validate", &file, "--previous", &previous]), 1, false);
    assert_eq!(
        line,
        format!("ERROR previous file {previous} is invalid: duplicate name `ua_entropy` at entries 0 and 60\n")
    );
}

#[test]
fn headroom_warning_goes_to_stderr_and_the_file_is_still_accepted() {
    let path = fixture("good-120.json");
    let o = run(&["validate", &path, "--capacity", "128"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("OK {path}: version 8, 120 features, capacity 128 (93% used)\n"));
    assert_eq!(stderr(&o), format!("WARNING {path}: 120 of 128 feature slots in use (more than 80%)\n"));
}

#[test]
fn unreadable_file_exits_1_with_the_io_error() {
    let path = fixture("does-not-exist.json");
    let line = assert_one_line(&run(&["validate", &path]), 1, false);
    assert!(line.starts_with(&format!("ERROR {path}: cannot read: ")), "{line}");
}

#[test]
fn help_prints_usage_and_exits_0() {
    for args in [&["--help"][..], &["-h"], &["validate", "--help"]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(stdout(&o).starts_with("Usage: feature-table validate FILE"), "{args:?}");
        assert_eq!(stderr(&o), "");
    }
}

#[test]
fn usage_errors_exit_2_with_the_reason_and_the_usage() {
    let good = fixture("good-60.json");
    let cases: &[(&[&str], &str)] = &[
        (&[], "error: missing command"),
        (&["check", &good], "error: unknown command `check`"),
        (&["validate"], "error: missing FILE"),
        (&["validate", &good, "--frobnicate"], "error: unknown option `--frobnicate`"),
        (&["validate", &good, "--capacity"], "error: --capacity needs a value"),
        (&["validate", &good, "--capacity", "abc"], "error: --capacity: `abc` is not a number"),
        (
            &["validate", &good, "--capacity", "100"],
            "error: --capacity 100 is not supported; use one of 64, 128, 200, 256, 512, 1024, 4096",
        ),
        (&["validate", &good, "--max-growth", "0.5"], "error: --max-growth: `0.5` is not a ratio >= 1"),
        (&["validate", &good, "--max-growth", "NaN"], "error: --max-growth: `NaN` is not a ratio >= 1"),
        (&["validate", &good, &good], "error: FILE given twice"),
        (&["validate", &good, "--capacity", "64", "--capacity", "64"], "error: --capacity given twice"),
    ];
    for (args, message) in cases {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}");
        let err = stderr(&o);
        assert!(err.starts_with(&format!("{message}\n\nUsage: ")), "{args:?}: {err}");
    }
}

#[test]
fn fixtures_are_what_the_generator_writes() {
    let expected = [
        ("good-60.json", feature_file(7, &names(60))),
        ("good-120.json", feature_file(8, &names(120))),
        ("doubled-120.json", doubled_feature_file(8, &names(60))),
        ("doubled-240.json", doubled_feature_file(9, &names(120))),
    ];
    let bless = std::env::var_os("FEATURE_TABLE_BLESS").is_some();
    for (name, content) in expected {
        if bless {
            std::fs::write(fixture(name), &content).unwrap();
        }
        let on_disk = std::fs::read_to_string(fixture(name)).unwrap();
        assert!(on_disk == content, "{name} differs from the generator; see tests/fixtures/README.md");
    }
}

mod score {
    use super::*;

    const MODELS: &[&str] =
        &["depth1_rmse_bias", "depth6_logloss_nan_min", "depth6_logloss_nan_max", "depth8_rmse_nan_max", "bench_100x6"];

    fn catboost(name: &str) -> String {
        fixture(&format!("catboost/{name}"))
    }

    #[test]
    fn prints_catboosts_raw_value_for_every_row_within_1e_6() {
        for name in MODELS {
            let o = run(&[
                "score",
                "--model",
                &catboost(&format!("{name}.json")),
                "--input",
                &catboost(&format!("{name}.csv")),
            ]);
            assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
            let expected = std::fs::read_to_string(catboost(&format!("{name}.expected"))).unwrap();
            let ours: Vec<f64> = stdout(&o).lines().map(|l| l.parse().unwrap()).collect();
            let theirs: Vec<f64> = expected.lines().map(|l| l.trim().parse().unwrap()).collect();
            assert_eq!(ours.len(), theirs.len(), "{name}: row count");
            for (row, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                assert!((a - b).abs() <= 1e-6, "{name} row {row}: ours {a}, CatBoost {b}");
            }
        }
    }

    #[test]
    fn a_bad_row_is_an_error_naming_its_line() {
        let dir = std::env::temp_dir().join(format!("feature-table-cli-score-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rows = dir.join("rows.csv");
        std::fs::write(&rows, "0,0,0,0,0,0,0,0\n1,2,x,4,5,6,7,8\n").unwrap();
        let o = run(&["score", "--model", &catboost("depth6_logloss_nan_min.json"), "--input", rows.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("rows.csv:2: column 2 is `x`, not a number"), "{}", stderr(&o));
        std::fs::write(&rows, "0,0,0\n").unwrap();
        let o = run(&["score", "--model", &catboost("depth6_logloss_nan_min.json"), "--input", rows.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("rows.csv:1: 3 columns, the model reads 8"), "{}", stderr(&o));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unsupported_model_is_rejected_and_usage_errors_exit_2() {
        let o =
            run(&["score", "--model", &catboost("reject_multiclass.json"), "--input", &catboost("bench_100x6.csv")]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).starts_with("REJECTED"), "{}", stderr(&o));
        assert_eq!(run(&["score", "--input", "x.csv"]).status.code(), Some(2));
        assert_eq!(run(&["score", "--model", "m.json"]).status.code(), Some(2));
        assert_eq!(run(&["score", "--model", "m.json", "--input", "x", "--bogus"]).status.code(), Some(2));
    }
}
