//! feature-table on a Cortex-M3 (QEMU `lm3s6965evb`: 256 KiB flash, 64 KiB
//! RAM): the 2025-11-18 sequence — a good file, then the doubled file, then an
//! over-capacity file — with the last known good table serving throughout.
//!
//! ```text
//! cd examples/qemu-cortex-m && cargo run --release
//! ```
//!
//! Logs go out as defmt frames over semihosting and are decoded on the host by
//! `defmt-print` (see `.ci/qemu.sh`, the cargo runner). The program exits
//! through semihosting with status 0 only if every check held.
//!
//! The firmware runs in stages, each a function below:
//!
//! 1. [`score_stage`]: load the good file and an embedded CatBoost model (16
//!    trees of depth 6, `testdata/model-16x6.json`) into an [`Engine`], score
//!    32 synthetic requests and compare each raw value with CatBoost's own
//!    (`testdata/expected.rs`; both files are written by
//!    `testdata/train_model.py`);
//! 2. [`reload_stage`]: offer the doubled, over-capacity and same-version
//!    files; each is rejected, the active table never changes, and the 32
//!    requests score bit for bit as before (the last good pair serves); the
//!    doubled file's rejection and then the engine's status are written as
//!    one line of JSON each ([`report`], into a stack buffer) and checked;
//! 3. [`kill_switch_stage`]: a switched-off feature reads its default and the
//!    score moves to CatBoost's value for that row; the global switch gives
//!    `Err(Unscored::Disabled)` for every request, never a number.
//!
//! RAM: the engine (two tables, two bindings, two models) is 36,816 bytes of
//! `.bss`, initialised by copying a constant image (36 KiB of flash) so it is
//! never built on the stack: 64 KiB of RAM cannot hold it twice.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
use defmt_semihosting as _;
use feature_table::report::{self, Outcome, Status};
use feature_table::{
    CatBoost, Engine, Extractor, FeatureVector, IngestError, Policy, ReloadError, Reloader, Unscored, Verdict,
};

/// Capacity of the preallocated table, as in the incident.
const CAPACITY: usize = 200;

/// 60 unique features, version 100 (see `testdata/gen.py`).
static GOOD: &[u8] = include_bytes!("../testdata/good-60.json");
/// The same 60 features twice, version 101: 120 entries, under capacity.
static DOUBLED: &[u8] = include_bytes!("../testdata/doubled-120.json");
/// 240 unique features, version 102: over capacity.
static OVER_CAPACITY: &[u8] = include_bytes!("../testdata/overcap-240.json");
/// CatBoost's JSON export: 16 trees of depth 6 over the 60 features of
/// `GOOD` (see `testdata/train_model.py`).
static MODEL: &[u8] = include_bytes!("../testdata/model-16x6.json");

// `EXPECTED_RAW` (CatBoost's RawFormulaVal of each request) and
// `EXPECTED_RAW_SWITCHED` (request 0 with bot_feature_003 at its default).
include!("../testdata/expected.rs");

/// The model's capacity: 16 trees, depth 6, 64 columns, 16·2⁶ leaves.
/// `8·1024 + 5·16·6 + 16 + 6·64 + 32` rounded up to 16 = 9,104 bytes.
type Model = CatBoost<16, 6, 64, { 16 << 6 }>;
/// Two tables, two bindings and two models: ~36 KiB of the 64 KiB RAM.
type ScoringEngine = Engine<Request, Model, CAPACITY>;

/// How many synthetic requests are scored.
const REQUESTS: usize = 32;
/// |ours − CatBoost| allowed on a raw value: f32 inputs and f64 leaves on
/// both sides; only the summation order may differ.
const TOLERANCE: f64 = 1e-9;

/// A synthetic request: the value of each of the 60 features, precomputed.
/// A real binary would compute them from headers, TLS and timing.
struct Request {
    values: [f32; 60],
}

impl Request {
    /// Request `k`: feature `i` is `((7·i + 13·k) mod 32)/8 − 2`, as in
    /// `testdata/train_model.py` (exact in f32).
    fn synthetic(k: usize) -> Self {
        let mut values = [0.0; 60];
        for (i, v) in values.iter_mut().enumerate() {
            *v = ((7 * i + 13 * k) % 32) as f32 / 8.0 - 2.0;
        }
        Self { values }
    }
}

/// Binds `bot_feature_NNN` to `values[NNN]`.
macro_rules! feature {
    ($i:literal, $name:literal) => {
        Extractor::new($name, |r: &Request| r.values[$i])
    };
}

/// What this firmware can compute: one extractor per feature of `GOOD`.
static EXTRACTORS: &[Extractor<Request>] = &[
    feature!(0, "bot_feature_000"),
    feature!(1, "bot_feature_001"),
    feature!(2, "bot_feature_002"),
    feature!(3, "bot_feature_003"),
    feature!(4, "bot_feature_004"),
    feature!(5, "bot_feature_005"),
    feature!(6, "bot_feature_006"),
    feature!(7, "bot_feature_007"),
    feature!(8, "bot_feature_008"),
    feature!(9, "bot_feature_009"),
    feature!(10, "bot_feature_010"),
    feature!(11, "bot_feature_011"),
    feature!(12, "bot_feature_012"),
    feature!(13, "bot_feature_013"),
    feature!(14, "bot_feature_014"),
    feature!(15, "bot_feature_015"),
    feature!(16, "bot_feature_016"),
    feature!(17, "bot_feature_017"),
    feature!(18, "bot_feature_018"),
    feature!(19, "bot_feature_019"),
    feature!(20, "bot_feature_020"),
    feature!(21, "bot_feature_021"),
    feature!(22, "bot_feature_022"),
    feature!(23, "bot_feature_023"),
    feature!(24, "bot_feature_024"),
    feature!(25, "bot_feature_025"),
    feature!(26, "bot_feature_026"),
    feature!(27, "bot_feature_027"),
    feature!(28, "bot_feature_028"),
    feature!(29, "bot_feature_029"),
    feature!(30, "bot_feature_030"),
    feature!(31, "bot_feature_031"),
    feature!(32, "bot_feature_032"),
    feature!(33, "bot_feature_033"),
    feature!(34, "bot_feature_034"),
    feature!(35, "bot_feature_035"),
    feature!(36, "bot_feature_036"),
    feature!(37, "bot_feature_037"),
    feature!(38, "bot_feature_038"),
    feature!(39, "bot_feature_039"),
    feature!(40, "bot_feature_040"),
    feature!(41, "bot_feature_041"),
    feature!(42, "bot_feature_042"),
    feature!(43, "bot_feature_043"),
    feature!(44, "bot_feature_044"),
    feature!(45, "bot_feature_045"),
    feature!(46, "bot_feature_046"),
    feature!(47, "bot_feature_047"),
    feature!(48, "bot_feature_048"),
    feature!(49, "bot_feature_049"),
    feature!(50, "bot_feature_050"),
    feature!(51, "bot_feature_051"),
    feature!(52, "bot_feature_052"),
    feature!(53, "bot_feature_053"),
    feature!(54, "bot_feature_054"),
    feature!(55, "bot_feature_055"),
    feature!(56, "bot_feature_056"),
    feature!(57, "bot_feature_057"),
    feature!(58, "bot_feature_058"),
    feature!(59, "bot_feature_059"),
];

// Every public type of the library implements `defmt::Format` with the
// `defmt` feature: checked at compile time.
const _: () = {
    const fn format<T: defmt::Format + ?Sized>() {}
    use feature_table as ft;
    format::<ft::Accepted>();
    format::<ft::BotScore>();
    format::<ft::Score>();
    format::<ft::ModelRejected<ft::model::catboost::ModelError>>();
    format::<ft::Feature>();
    format::<ft::FeatureName>();
    format::<ft::FeatureTable<CAPACITY>>();
    format::<ft::Field>();
    format::<ft::IngestError>();
    format::<ft::JsonError>();
    format::<ft::JsonErrorKind>();
    format::<ft::json::Error>();
    format::<ft::Limits>();
    format::<ft::NameError>();
    format::<ft::Policy>();
    format::<ft::Ratio>();
    format::<ft::ReloadError>();
    format::<ft::ReloadStats>();
    format::<ft::Reloader<CAPACITY>>();
    format::<ft::TableError>();
    format::<ft::Unscored>();
    format::<ft::Warning>();
};

/// Counts checks and logs each one.
#[derive(Default)]
struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn check(&mut self, what: &str, held: bool) {
        if held {
            self.passed += 1;
            defmt::info!("ok    {=str}", what);
        } else {
            self.failed += 1;
            defmt::error!("FAIL  {=str}", what);
        }
    }
}

#[entry]
fn main() -> ! {
    // ~36 KiB in .bss, copied from the constant below rather than built on
    // the stack (64 KiB of RAM cannot hold it twice).
    const EMPTY: ScoringEngine = Engine::new(EXTRACTORS, Policy::DEFAULT, Model::new(), Model::new());
    let Some(engine) = cortex_m::singleton!(: ScoringEngine = EMPTY) else {
        defmt::error!("engine already taken");
        exit(false);
    };
    defmt::info!(
        "feature-table on Cortex-M3: Engine<{=usize}> is {=usize} bytes (Reloader {=usize}, CatBoost<16, 6, 64, 1024> {=usize})",
        CAPACITY,
        core::mem::size_of::<ScoringEngine>(),
        core::mem::size_of::<Reloader<CAPACITY>>(),
        core::mem::size_of::<Model>()
    );

    let mut checks = Checks::default();
    let baseline = score_stage(engine, &mut checks);
    reload_stage(engine, &baseline, &mut checks);
    kill_switch_stage(engine, &baseline, &mut checks);

    defmt::info!("{=u32} checks passed, {=u32} failed", checks.passed, checks.failed);
    defmt::info!("{}", engine.features());
    exit(checks.failed == 0 && checks.passed > 0)
}

/// Every request's verdict, in request order.
type Verdicts = [Verdict; REQUESTS];

fn score_all(engine: &ScoringEngine) -> Verdicts {
    core::array::from_fn(|k| engine.score(&Request::synthetic(k)))
}

/// Loads the good file and the model, scores the requests and checks them
/// against CatBoost's own values. Returns the verdicts the later stages must
/// reproduce.
fn score_stage(engine: &mut ScoringEngine, checks: &mut Checks) -> Verdicts {
    let request = Request::synthetic(0);
    checks.check(
        "no table before the first file: Unscored::NoValidTable",
        engine.score(&request) == Err(Unscored::NoValidTable),
    );
    let accepted = engine.offer_features(GOOD);
    match &accepted {
        Ok(a) => defmt::info!("good file accepted: {}", a),
        Err(e) => defmt::error!("good file rejected: {}", e),
    }
    checks.check(
        "good 60-feature file accepted as version 100",
        matches!(accepted, Ok(a) if a.version == 100 && a.len == 60),
    );
    checks.check("no model yet: Unscored::NoValidModel", engine.score(&request) == Err(Unscored::NoValidModel));

    let loaded = engine.offer_model(MODEL);
    if let Err(e) = &loaded {
        defmt::error!("model rejected: {}", e);
    }
    let trees = engine.model().map_or(0, |m| m.tree_count());
    let reads = engine.model().map_or(0, |m| m.feature_count());
    defmt::info!(
        "model accepted: {=usize} trees, reads {=usize} features ({=usize} bytes of JSON)",
        trees,
        reads,
        MODEL.len()
    );
    checks.check("CatBoost model accepted: 16 trees over 60 features", loaded.is_ok() && trees == 16 && reads == 60);

    let verdicts = score_all(engine);
    let mut in_range = true;
    let mut worst = 0.0_f64;
    for (k, (verdict, &expected)) in verdicts.iter().zip(EXPECTED_RAW.iter()).enumerate() {
        match verdict {
            Ok(score) => {
                in_range &= (1..=99).contains(&score.bot_score.get());
                worst = worst.max((score.raw - expected).abs());
                if k < 4 {
                    defmt::info!("request {=usize}: {}  (CatBoost raw {=f64})", k, score, expected);
                }
            }
            Err(unscored) => {
                defmt::error!("request {=usize} not scored: {}", k, unscored);
                in_range = false;
                worst = f64::INFINITY;
            }
        }
    }
    defmt::info!("{=usize} requests scored; largest |raw - CatBoost| = {=f64}", REQUESTS, worst);
    checks.check("all 32 requests scored Ok, bot score in 1..=99", in_range);
    checks.check("every raw value matches CatBoost's RawFormulaVal within 1e-9", worst <= TOLERANCE);
    checks.check(
        "request 0 (the known request): raw matches CatBoost",
        matches!(verdicts[0], Ok(s) if (s.raw - EXPECTED_RAW[0]).abs() <= TOLERANCE),
    );

    // A request with nothing computed (NaN) reads every feature's default.
    let mut vector = FeatureVector::new();
    let nothing = Request { values: [f32::NAN; 60] };
    let verdict = engine.score_into(&nothing, &mut vector);
    let defaults_used = engine
        .features()
        .active()
        .is_ok_and(|t| t.features().iter().zip(vector.as_slice()).all(|(f, &v)| v == f.default()));
    let sum: f32 = vector.as_slice().iter().sum();
    // Defaults are (i mod 16)/8 (testdata/gen.py): for i < 60 they sum to
    // 426/8 = 53.25, exact in f32.
    checks.check(
        "request with no computed values: every feature reads its default, and is scored",
        defaults_used && vector.as_slice().len() == 60 && sum == 53.25 && verdict.is_ok(),
    );
    verdicts
}

/// Offers doubled → over-capacity → good again (same version), and checks
/// that each is rejected, that the active table is the same, byte for byte,
/// after every rejection, and that the requests score exactly as before.
fn reload_stage(engine: &mut ScoringEngine, baseline: &Verdicts, checks: &mut Checks) {
    let doubled = engine.offer_features(DOUBLED);
    if let Err(e) = &doubled {
        defmt::warn!("doubled file rejected: {}", e);
    }
    checks.check(
        "doubled 120-entry file rejected: DuplicateName bot_feature_000 at entries 0 and 60",
        matches!(
            &doubled,
            Err(ReloadError::Ingest(IngestError::DuplicateName { name, first: 0, second: 60 }))
                if name.as_str() == "bot_feature_000"
        ),
    );
    check_unchanged(engine, baseline, checks);
    // The rejection as a host reads it: one line of JSON, written into a
    // stack buffer (`report::to_slice`, no allocation).
    let mut buf = [0u8; 512];
    let json = report_json(report::to_slice(&Outcome::new(&doubled, None), &mut buf), &buf);
    defmt::info!("report {=str}", json);
    checks.check(
        "its JSON report: rejected, DuplicateName bot_feature_000, entries 0 and 60",
        json.starts_with(
            r#"{"outcome":"rejected","rejection":{"kind":"DuplicateName","entry":60,"name":"bot_feature_000","#,
        ) && json.contains(r#""counts":{"first":0,"second":60}"#),
    );

    let over = engine.offer_features(OVER_CAPACITY);
    if let Err(e) = &over {
        defmt::warn!("over-capacity file rejected: {}", e);
    }
    checks.check(
        "240-entry file rejected: CapacityExceeded { capacity: 200, found: 240 }",
        matches!(over, Err(ReloadError::Ingest(IngestError::CapacityExceeded { capacity: CAPACITY, found: 240 }))),
    );
    check_unchanged(engine, baseline, checks);

    let again = engine.offer_features(GOOD);
    checks.check(
        "same version offered again rejected: VersionNotNewer { active: 100, offered: 100 }",
        matches!(again, Err(ReloadError::VersionNotNewer { active: 100, offered: 100 })),
    );
    check_unchanged(engine, baseline, checks);

    let stats = engine.features().stats();
    defmt::info!("stats: {}", stats);
    checks.check(
        "stats count 1 accepted, 3 rejected in a row, active version 100",
        stats.accepted == 1
            && stats.rejected == 3
            && stats.consecutive_rejections == 3
            && stats.active_version == Some(100)
            && matches!(stats.last_error, Some(ReloadError::VersionNotNewer { .. })),
    );
    checks.check("60 of 200 slots in use: no headroom warning", engine.features().warning().is_none());

    // The engine's status, as a node would publish it.
    let mut buf = [0u8; 1024];
    let json = report_json(report::to_slice(&Status::engine(engine), &mut buf), &buf);
    defmt::info!("status {=str}", json);
    checks.check(
        "its JSON status: version 100, 60 of 200, 1 accepted, 3 rejected, the last VersionNotNewer",
        json.starts_with(concat!(
            r#"{"enabled":true,"table":{"version":100,"entries":60,"capacity":200,"disabled":[]},"#,
            r#""features":{"accepted":1,"rejected":3,"consecutive_rejections":3,"active_version":100,"#,
            r#""last_error":{"kind":"VersionNotNewer","#
        )),
    );
}

/// The JSON `report::to_slice` wrote into `buf`, or "" if it did not fit.
fn report_json(written: Result<usize, report::ReportError>, buf: &[u8]) -> &str {
    match written {
        Ok(len) => buf.get(..len).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or(""),
        Err(e) => {
            defmt::error!("report: {}", e);
            ""
        }
    }
}

/// The active table must still be the last good one, and the requests must
/// score exactly as they did before the rejected offer.
///
/// The table is checked against what `testdata/gen.py` wrote, feature by
/// feature, rather than against a copy: a copy would be another 8 KiB on the
/// stack.
fn check_unchanged(engine: &ScoringEngine, baseline: &Verdicts, checks: &mut Checks) {
    let Ok(table) = engine.features().active() else {
        checks.check("last good table still active", false);
        return;
    };
    let lookups = table.index_of("bot_feature_000") == Some(0)
        && table.index_of("bot_feature_059") == Some(59)
        && table.by_name("bot_feature_003").map(|f| f.default()) == Some(0.375)
        && table.get(17).map(|f| f.name().as_str()) == Some("bot_feature_017")
        && table.index_of("bot_feature_060").is_none();
    let as_written = table.features().iter().enumerate().all(|(i, f)| {
        let digits = [b'0' + (i / 100) as u8, b'0' + (i / 10 % 10) as u8, b'0' + (i % 10) as u8];
        let name = f.name().as_str().as_bytes();
        name.strip_prefix(b"bot_feature_") == Some(&digits[..])
            && f.default() == (i % 16) as f32 / 8.0
            && f.is_enabled()
    });
    checks.check(
        "last good table still active and unchanged (version 100, the 60 features as written, lookups)",
        table.version() == 100 && table.len() == 60 && lookups && as_written,
    );
    checks.check("last good pair serving: all 32 scores identical to before", score_all(engine) == *baseline);
}

/// Per-feature switch: a switched-off feature reads its default, and the
/// score moves to CatBoost's value for that row. Global switch: every
/// request is `Err(Unscored::Disabled)`, not a number.
fn kill_switch_stage(engine: &mut ScoringEngine, baseline: &Verdicts, checks: &mut Checks) {
    let request = Request::synthetic(0);
    checks.check(
        "switching off bot_feature_003 finds it",
        engine.set_feature_enabled("bot_feature_003", false) == Ok(true),
    );
    checks.check(
        "switching off an unknown name reports it is not there",
        engine.set_feature_enabled("no_such_feature", false) == Ok(false),
    );
    let mut vector = FeatureVector::new();
    let switched = engine.score_into(&request, &mut vector);
    if let Ok(score) = &switched {
        defmt::info!("request 0 with bot_feature_003 off: {}  (CatBoost raw {=f64})", score, EXPECTED_RAW_SWITCHED);
    }
    checks.check(
        "switched-off feature reads its default (0.375), its neighbour the computed value (1.5)",
        vector.as_slice().get(3..5) == Some(&[0.375, 1.5]),
    );
    checks.check(
        "request 0 with bot_feature_003 off: raw matches CatBoost for that row, and differs from before",
        matches!((switched, baseline[0]), (Ok(now), Ok(then))
            if (now.raw - EXPECTED_RAW_SWITCHED).abs() <= TOLERANCE && now.raw != then.raw),
    );

    engine.set_enabled(false);
    checks.check(
        "global kill switch off: every request is Err(Unscored::Disabled)",
        score_all(engine).iter().all(|v| *v == Err(Unscored::Disabled)),
    );
    checks.check(
        "global kill switch off: last good still kept",
        engine.features().last_good().map(|t| t.version()) == Some(100),
    );
    engine.set_enabled(true);
    checks.check("bot_feature_003 back on", engine.set_feature_enabled("bot_feature_003", true) == Ok(true));
    checks.check("both switches back on: all 32 scores identical to before", score_all(engine) == *baseline);
}

/// Leaves QEMU through semihosting: status 0 on success, 1 otherwise.
fn exit(success: bool) -> ! {
    debug::exit(if success { EXIT_SUCCESS } else { EXIT_FAILURE });
    // Only reached without a semihosting host (real hardware, no debugger).
    loop {
        cortex_m::asm::wfi();
    }
}

/// Any panic is a failed run. Only the location is logged: formatting the
/// message would link `core::fmt` (several KiB of flash) for a path that
/// should never run.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    match info.location() {
        Some(at) => defmt::error!("panic at {=str}:{=u32}", at.file(), at.line()),
        None => defmt::error!("panic"),
    }
    exit(false)
}
