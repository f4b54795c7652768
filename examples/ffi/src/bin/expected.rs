//! What the Rust engine says for the 2025-11-18 sequence, for the C and
//! LuaJIT tests to compare with: scores straight from `feature_table`'s
//! `Engine` (not through the C ABI), written as a C header and a Lua module.
//!
//! ```text
//! cargo run --bin expected -- ../../tests/fixtures OUT_DIR
//! ```
//!
//! Writes `OUT_DIR/expected.h`, `OUT_DIR/expected.lua` and the logistic model
//! both tests offer, `OUT_DIR/model-logistic.json` (60 weights).
//!
//! Signals: the 120 names of `good-120.json` in reverse order (so the
//! engine's bindings are not the identity); request `k`'s signal `j` is
//! `((7·j + 13·k) mod 32)/8 − 2`, exact in `f32`.
use std::fmt::Write as _;
use std::{
    env, fs,
    path::{Path, PathBuf},
    process::ExitCode,
};

use feature_table::{Engine, Extractor, Logistic, Policy, Unscored};

const REQUESTS: usize = 32;

fn signals(k: usize, count: usize) -> Vec<f32> {
    (0..count).map(|j| ((7 * j + 13 * k) % 32) as f32 / 8.0 - 2.0).collect()
}

fn names(fixtures: &Path) -> Result<Vec<String>, String> {
    let text = fs::read_to_string(fixtures.join("good-120.json")).map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut names: Vec<String> = json["features"]
        .as_array()
        .ok_or("good-120.json: no features array")?
        .iter()
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect();
    names.reverse();
    Ok(names)
}

/// 60 weights and a bias, exact in f32.
fn model() -> String {
    let weights: Vec<String> = (0..60).map(|i| format!("{}", ((i * 37 % 17) as f32 - 8.0) / 64.0)).collect();
    format!("{{\"bias\": 0.25, \"weights\": [{}]}}\n", weights.join(", "))
}

fn run() -> Result<(), String> {
    let mut args = env::args_os().skip(1);
    let (Some(fixtures), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: expected FIXTURES_DIR OUT_DIR".into());
    };
    let (fixtures, out) = (PathBuf::from(fixtures), PathBuf::from(out));
    let read = |name: &str| fs::read(fixtures.join(name)).map_err(|e| format!("{name}: {e}"));
    let names = names(&fixtures)?;
    let extractors: Vec<Extractor<[f32]>> =
        names.iter().map(|n| Extractor::new(Box::leak(n.clone().into_boxed_str()), |_: &[f32]| f32::NAN)).collect();
    let extractors: &'static [Extractor<[f32]>] = Box::leak(extractors.into_boxed_slice());
    let mut engine: Box<Engine<[f32], Logistic<200>, 200>> =
        Box::new(Engine::new(extractors, Policy::DEFAULT, Logistic::new(), Logistic::new()));
    let n = names.len();

    if engine.score_signals(&signals(0, n)) != Err(Unscored::NoValidTable) {
        return Err("expected no table before the first file".into());
    }
    engine.offer_features(&read("good-60.json")?).map_err(|e| format!("good-60 rejected: {e}"))?;
    let model = model();
    engine.offer_model(model.as_bytes()).map_err(|e| format!("model rejected: {e}"))?;
    let scores: Vec<_> = (0..REQUESTS)
        .map(|k| engine.score_signals(&signals(k, n)).map_err(|e| format!("request {k}: {e}")))
        .collect::<Result<_, _>>()?;
    // The incident's files: each rejected, the scores unchanged.
    for file in ["doubled-120.json", "good-120.json", "doubled-240.json", "malformed.json"] {
        if engine.offer_features(&read(file)?).is_ok() {
            return Err(format!("{file} accepted"));
        }
    }
    for (k, score) in scores.iter().enumerate() {
        if engine.score_signals(&signals(k, n)).as_ref() != Ok(score) {
            return Err(format!("request {k} changed after the rejections"));
        }
    }
    if engine.set_feature_enabled("ua_length", false) != Ok(true) {
        return Err("ua_length not found".into());
    }
    let switched = engine.score_signals(&signals(0, n)).map_err(|e| format!("switched: {e}"))?;

    let mut h =
        String::from("/* Written by `cargo run --bin expected` (examples/ffi): the Rust engine's results. */\n");
    let _ = writeln!(h, "#define EXPECTED_SIGNALS {n}\n#define EXPECTED_REQUESTS {REQUESTS}");
    h.push_str("static const char *const expected_names[EXPECTED_SIGNALS] = {\n");
    for name in &names {
        let _ = writeln!(h, "    \"{name}\",");
    }
    h.push_str("};\n/* f64 bit patterns of each request's raw value, and its bot score. */\n");
    h.push_str("static const unsigned long long expected_raw_bits[EXPECTED_REQUESTS] = {\n");
    for s in &scores {
        let _ = writeln!(h, "    0x{:016x}ULL, /* {} */", s.raw.to_bits(), s.raw);
    }
    h.push_str("};\nstatic const unsigned char expected_bot[EXPECTED_REQUESTS] = {");
    h.push_str(&scores.iter().map(|s| s.bot_score.get().to_string()).collect::<Vec<_>>().join(", "));
    let _ = writeln!(
        h,
        "}};\n/* Request 0 with ua_length switched off. */\nstatic const unsigned long long expected_switched_bits = 0x{:016x}ULL; /* {} */",
        switched.raw.to_bits(),
        switched.raw
    );

    let mut lua = String::from(
        "-- Written by `cargo run --bin expected` (examples/ffi): the Rust engine's results.\nreturn {\n  names = {\n",
    );
    for name in &names {
        let _ = writeln!(lua, "    \"{name}\",");
    }
    lua.push_str("  },\n  -- raw values as %.17g: exact when read back as a double\n  raw = {\n");
    for s in &scores {
        let _ = writeln!(lua, "    {:?},", s.raw);
    }
    lua.push_str("  },\n  bot = {");
    lua.push_str(&scores.iter().map(|s| s.bot_score.get().to_string()).collect::<Vec<_>>().join(", "));
    lua.push_str("},\n}\n");

    fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    fs::write(out.join("expected.h"), h).map_err(|e| e.to_string())?;
    fs::write(out.join("expected.lua"), lua).map_err(|e| e.to_string())?;
    fs::write(out.join("model-logistic.json"), model).map_err(|e| e.to_string())?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("expected: {e}");
            ExitCode::FAILURE
        }
    }
}
