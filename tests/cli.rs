//! The `feature-table validate` binary, run as a user runs it.
//!
//! Fixtures live in `tests/fixtures/` (see its README); exit status is 0 for
//! accepted (validate) or may replace (diff), 1 for rejected, may not
//! replace or unreadable, 2 for usage errors. JSON output is parsed back with
//! serde_json.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{doubled_feature_file, feature_file, names};
use serde_json::{Value, json};

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
fn help_prints_usage_and_the_exit_statuses_and_exits_0() {
    for (args, usage) in [
        (&["--help"][..], "Usage: feature-table <COMMAND>"),
        (&["-h"], "Usage: feature-table <COMMAND>"),
        (&["validate", "--help"], "Usage: feature-table validate [OPTIONS] <FILE>..."),
        (&["diff", "--help"], "Usage: feature-table diff [OPTIONS] <OLD> <NEW>"),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let help = stdout(&o);
        assert!(help.contains(usage), "{args:?}: {help}");
        assert!(help.contains("Exit status:\n  0  every FILE accepted"), "{args:?}: {help}");
        assert!(help.contains("  2  usage error"), "{args:?}: {help}");
        assert_eq!(stderr(&o), "");
    }
}

#[test]
fn version_prints_the_crate_version_and_exits_0() {
    let line = assert_one_line(&run(&["--version"]), 0, true);
    assert_eq!(line, format!("feature-table {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2_with_the_reason_on_stderr() {
    let good = fixture("good-60.json");
    let cases: &[(&[&str], &str)] = &[
        (&[], "Usage: feature-table <COMMAND>"),
        (&["check", &good], "error: unrecognized subcommand 'check'"),
        (&["validate"], "error: the following required arguments were not provided:\n  <FILE>..."),
        (&["validate", &good, "--frobnicate"], "error: unexpected argument '--frobnicate'"),
        (&["validate", &good, "--capacity"], "error: a value is required for '--capacity <N>'"),
        (&["validate", &good, "--capacity", "abc"], "`abc` is not a number"),
        (
            &["validate", &good, "--capacity", "100"],
            "100 is not supported; use one of 64, 128, 200, 256, 512, 1024, 4096",
        ),
        (&["validate", &good, "--max-growth", "0.5"], "`0.5` is not a ratio >= 1"),
        (&["validate", &good, "--max-growth", "NaN"], "`NaN` is not a ratio >= 1"),
        (&["validate", &good, "--format", "yaml"], "invalid value 'yaml' for '--format <FORMAT>'"),
        (&["validate", &good, "--capacity", "64", "--capacity", "64"], "cannot be used multiple times"),
        (&["diff", &good], "error: the following required arguments were not provided:\n  <NEW>"),
        (&["diff", &good, &good, &good], "error: unexpected argument"),
    ];
    for (args, message) in cases {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn every_file_is_checked_and_one_rejection_makes_the_exit_status_1() {
    let (good, doubled) = (fixture("good-60.json"), fixture("doubled-120.json"));
    let o = run(&["validate", &good, &doubled, &good]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert_eq!(stderr(&o), format!("REJECTED {doubled}: duplicate name `ua_entropy` at entries 0 and 60\n"));
    assert_eq!(run(&["validate", &good, &fixture("good-120.json")]).status.code(), Some(0));
}

/// Parses every stdout line as one JSON object.
fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn json_format_prints_one_report_object_per_file() {
    let (good, doubled, over, missing) =
        (fixture("good-60.json"), fixture("doubled-120.json"), fixture("doubled-240.json"), fixture("nope.json"));
    let o = run(&["validate", "--format", "json", &good, &doubled, &over, &missing]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "", "JSON mode reports everything on stdout");
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        json!({"file": good, "role": "file", "capacity": 200, "replaces": null, "outcome": "accepted",
               "version": 7, "entries": 60, "switches_dropped": 0, "warning": null})
    );
    assert_eq!(lines[1]["outcome"], "rejected");
    assert_eq!(
        lines[1]["rejection"],
        json!({"kind": "DuplicateName", "entry": 60, "name": "ua_entropy", "field": null,
               "counts": {"first": 0, "second": 60},
               "message": "duplicate name `ua_entropy` at entries 0 and 60"})
    );
    assert_eq!(lines[2]["rejection"]["kind"], "CapacityExceeded");
    assert_eq!(lines[2]["rejection"]["counts"], json!({"found": 240, "capacity": 200}));
    assert_eq!(lines[3]["file"], missing);
    assert_eq!(lines[3]["rejection"]["kind"], "Unreadable");
}

#[test]
fn json_format_reports_the_replaced_version_the_warning_and_an_invalid_previous() {
    let (previous, file) = (fixture("good-60.json"), fixture("good-120.json"));
    let o =
        run(&["validate", &file, "--previous", &previous, "--max-growth", "2", "--capacity", "128", "--format=json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let line = &json_lines(&o)[0];
    assert_eq!((&line["replaces"], &line["version"], &line["capacity"]), (&json!(7), &json!(8), &json!(128)));
    assert_eq!(line["warning"], json!({"kind": "Headroom", "entries": 120, "capacity": 128, "used_percent": 93}));

    let o = run(&["validate", &file, "--previous", &fixture("doubled-120.json"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 1);
    assert_eq!((&lines[0]["role"], &lines[0]["rejection"]["kind"]), (&json!("previous"), &json!("DuplicateName")));
}

mod diff {
    use super::*;

    #[test]
    fn the_incidents_doubled_file_names_all_60_duplicates_and_may_not_replace() {
        let (old, new) = (fixture("good-60.json"), fixture("doubled-120.json"));
        let o = run(&["diff", &old, &new]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let text = stdout(&o);
        assert!(text.contains("version: 7 -> 8\nentries: 60 -> 120 (+60)\n"), "{text}");
        assert!(text.contains("added: none\nremoved: none\n"), "{text}");
        let duplicated = text.lines().find(|l| l.starts_with("duplicated")).unwrap();
        assert!(duplicated.starts_with("duplicated (60): ua_entropy x2, "), "{duplicated}");
        for name in names(60) {
            assert!(duplicated.contains(&format!(" {name} x2")), "{name} missing: {duplicated}");
        }
        assert!(
            text.ends_with(&format!(
                "MAY NOT REPLACE: {new} may not replace {old}: duplicate name `ua_entropy` at entries 0 and 60\n"
            )),
            "{text}"
        );

        let o = run(&["diff", &old, &new, "--format", "json"]);
        assert_eq!(o.status.code(), Some(1));
        let report = &json_lines(&o)[0];
        assert_eq!(report["old"], json!({"file": old, "version": 7, "entries": 60}));
        assert_eq!(report["new"], json!({"file": new, "version": 8, "entries": 120}));
        assert_eq!(report["may_replace"], false);
        let duplicated = report["duplicated"].as_array().unwrap();
        let listed: Vec<(&str, u64)> =
            duplicated.iter().map(|d| (d["name"].as_str().unwrap(), d["count"].as_u64().unwrap())).collect();
        let expected: Vec<(String, u64)> = names(60).into_iter().map(|n| (n, 2)).collect();
        assert_eq!(listed, expected.iter().map(|(n, c)| (n.as_str(), *c)).collect::<Vec<_>>());
        assert_eq!((&report["added"], &report["removed"]), (&json!([]), &json!([])));
        assert_eq!(report["verdict"]["rejection"]["kind"], "DuplicateName");
    }

    #[test]
    fn growth_within_the_ratio_may_replace_and_lists_the_added_names() {
        let (old, new) = (fixture("good-60.json"), fixture("good-120.json"));
        let o = run(&["diff", &old, &new, "--max-growth", "2", "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let report = &json_lines(&o)[0];
        assert_eq!(report["may_replace"], true);
        let added: Vec<&str> = report["added"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
        let all = names(120);
        assert_eq!(added, all[60..].iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(report["verdict"]["outcome"], "accepted");

        // The same files under the default 1.5x guard: the diff still lists the
        // names, and says why NEW may not replace OLD.
        let o = run(&["diff", &old, &new]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stdout(&o).contains("added (60): "), "{}", stdout(&o));
        assert!(stdout(&o).contains(": 120 entries against 60 active: changes by more than 1.500x\n"));
    }

    #[test]
    fn an_older_new_file_may_not_replace_and_its_missing_names_are_removed() {
        let (old, new) = (fixture("good-120.json"), fixture("good-60.json"));
        let o = run(&["diff", &old, &new, "--max-growth", "2", "--format", "json"]);
        assert_eq!(o.status.code(), Some(1));
        let report = &json_lines(&o)[0];
        assert_eq!(report["may_replace"], false);
        assert_eq!(report["removed"].as_array().unwrap().len(), 60);
        assert_eq!(report["removed"][0], "ua_entropy.v2");
        let rejection = &report["verdict"]["rejection"];
        assert_eq!(
            (&rejection["kind"], &rejection["counts"]),
            (&json!("VersionNotNewer"), &json!({"active": 8, "offered": 7}))
        );
    }

    #[test]
    fn removed_names_and_changed_defaults_are_listed() {
        let dir = std::env::temp_dir().join(format!("feature-table-cli-diff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (old, new) = (dir.join("old.json"), dir.join("new.json"));
        std::fs::write(
            &old,
            r#"{"version": 1, "features": [{"name": "a"}, {"name": "b", "default": 1.5}, {"name": "c"}]}"#,
        )
        .unwrap();
        std::fs::write(
            &new,
            r#"{"version": 2, "features": [{"name": "b", "default": 2}, {"name": "c"}, {"name": "d"}]}"#,
        )
        .unwrap();
        let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
        let o = run(&["diff", old, new]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            format!(
                "version: 1 -> 2\nentries: 3 -> 3 (+0)\nadded (1): d\nremoved (1): a\nduplicated: none\n\
                 defaults changed (1): b 1.5 -> 2\nMAY REPLACE: {new} may replace {old}\n"
            )
        );
        let report = &json_lines(&run(&["diff", old, new, "--format", "json"]))[0];
        assert_eq!(report["defaults_changed"], json!([{"name": "b", "old": 1.5, "new": 2.0}]));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_new_file_is_named_and_an_invalid_old_file_stops_the_diff() {
        let (good, malformed) = (fixture("good-60.json"), fixture("malformed.json"));
        let o = run(&["diff", &good, &malformed, "--format", "json"]);
        assert_eq!(o.status.code(), Some(1));
        let report = &json_lines(&o)[0];
        assert_eq!((&report["added"], &report["new"]["version"]), (&Value::Null, &Value::Null));
        assert_eq!(report["verdict"]["rejection"]["kind"], "Syntax");

        let o = run(&["diff", &fixture("doubled-120.json"), &good]);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(stdout(&o), "");
        assert!(stderr(&o).starts_with("ERROR old file "), "{}", stderr(&o));

        let o = run(&["diff", &good, &fixture("nope.json"), "--format", "json"]);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(json_lines(&o)[0]["rejection"]["kind"], "Unreadable");
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
