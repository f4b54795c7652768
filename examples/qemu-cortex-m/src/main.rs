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
//! 1. [`reload_stage`]: offer the embedded files, check verdicts and that the
//!    active table never changes on a rejection;
//! 2. [`kill_switch_stage`]: per-feature and global kill switches;
//! 3. [`score_stage`]: what a request does with the active table. Today it
//!    resolves the feature values; feature vectors and the model are added
//!    there when scoring lands.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
use defmt_semihosting as _;
use feature_table::{FeatureTable, IngestError, Policy, ReloadError, Reloader, Unscored};

/// Capacity of the preallocated table, as in the incident.
const CAPACITY: usize = 200;

/// 60 unique features, version 100 (see `testdata/gen.py`).
static GOOD: &[u8] = include_bytes!("../testdata/good-60.json");
/// The same 60 features twice, version 101: 120 entries, under capacity.
static DOUBLED: &[u8] = include_bytes!("../testdata/doubled-120.json");
/// 240 unique features, version 102: over capacity.
static OVER_CAPACITY: &[u8] = include_bytes!("../testdata/overcap-240.json");

// Every public type of the library implements `defmt::Format` with the
// `defmt` feature: checked at compile time.
const _: () = {
    const fn format<T: defmt::Format + ?Sized>() {}
    use feature_table as ft;
    format::<ft::Accepted>();
    format::<ft::Feature>();
    format::<ft::FeatureName>();
    format::<ft::FeatureTable<CAPACITY>>();
    format::<ft::Field>();
    format::<ft::IngestError>();
    format::<ft::JsonError>();
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
    // 2 × 8,416 + ~100 bytes: in .bss, not on the stack, and written in place.
    let Some(reloader) = cortex_m::singleton!(: Reloader<CAPACITY> = Reloader::new(Policy::DEFAULT)) else {
        defmt::error!("reloader already taken");
        exit(false);
    };
    defmt::info!(
        "feature-table on Cortex-M3: Reloader<{=usize}> is {=usize} bytes, FeatureTable<{=usize}> {=usize} bytes",
        CAPACITY,
        core::mem::size_of::<Reloader<CAPACITY>>(),
        CAPACITY,
        core::mem::size_of::<FeatureTable<CAPACITY>>()
    );

    let mut checks = Checks::default();
    reload_stage(reloader, &mut checks);
    kill_switch_stage(reloader, &mut checks);
    score_stage(reloader, &mut checks);

    defmt::info!("{=u32} checks passed, {=u32} failed", checks.passed, checks.failed);
    defmt::info!("{}", reloader);
    exit(checks.failed == 0 && checks.passed > 0)
}

/// Offers good → doubled → over-capacity → good again (same version), and
/// checks that only the first is accepted and that the active table is the
/// same, byte for byte, after every rejection.
fn reload_stage(reloader: &mut Reloader<CAPACITY>, checks: &mut Checks) {
    checks.check(
        "no table before the first file: Unscored::NoValidTable",
        reloader.active().err() == Some(Unscored::NoValidTable),
    );

    let accepted = reloader.offer(GOOD);
    match &accepted {
        Ok(a) => defmt::info!("good file accepted: {}", a),
        Err(e) => defmt::error!("good file rejected: {}", e),
    }
    checks.check(
        "good 60-feature file accepted as version 100",
        matches!(accepted, Ok(a) if a.version == 100 && a.len == 60),
    );
    let Ok(good) = reloader.active() else {
        checks.check("a table is active after the good file", false);
        return;
    };
    let before = good.clone();

    let doubled = reloader.offer(DOUBLED);
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
    check_unchanged(reloader, &before, checks);

    let over = reloader.offer(OVER_CAPACITY);
    if let Err(e) = &over {
        defmt::warn!("over-capacity file rejected: {}", e);
    }
    checks.check(
        "240-entry file rejected: CapacityExceeded { capacity: 200, found: 240 }",
        matches!(over, Err(ReloadError::Ingest(IngestError::CapacityExceeded { capacity: CAPACITY, found: 240 }))),
    );
    check_unchanged(reloader, &before, checks);

    let again = reloader.offer(GOOD);
    checks.check(
        "same version offered again rejected: VersionNotNewer { active: 100, offered: 100 }",
        matches!(again, Err(ReloadError::VersionNotNewer { active: 100, offered: 100 })),
    );
    check_unchanged(reloader, &before, checks);

    let stats = reloader.stats();
    defmt::info!("stats: {}", stats);
    checks.check(
        "stats count 1 accepted, 3 rejected in a row, active version 100",
        stats.accepted == 1
            && stats.rejected == 3
            && stats.consecutive_rejections == 3
            && stats.active_version == Some(100)
            && matches!(stats.last_error, Some(ReloadError::VersionNotNewer { .. })),
    );
    checks.check("60 of 200 slots in use: no headroom warning", reloader.warning().is_none());
}

/// The active table must still be the last good one: same version, length,
/// lookups, and equal to the copy taken before the rejected offer.
fn check_unchanged(reloader: &Reloader<CAPACITY>, before: &FeatureTable<CAPACITY>, checks: &mut Checks) {
    let Ok(table) = reloader.active() else {
        checks.check("last good table still active", false);
        return;
    };
    let lookups = table.index_of("bot_feature_000") == Some(0)
        && table.index_of("bot_feature_059") == Some(59)
        && table.by_name("bot_feature_003").map(|f| f.default()) == Some(0.375)
        && table.get(17).map(|f| f.name().as_str()) == Some("bot_feature_017")
        && table.index_of("bot_feature_060").is_none();
    checks.check(
        "last good table still active and unchanged (version 100, 60 features, lookups)",
        table.version() == 100 && table.len() == 60 && lookups && table == before,
    );
}

/// Per-feature switch: a switched-off feature reads its default. Global
/// switch: the reloader reports `Unscored::Disabled`, not a number.
fn kill_switch_stage(reloader: &mut Reloader<CAPACITY>, checks: &mut Checks) {
    checks.check(
        "switching off bot_feature_003 finds it",
        reloader.set_feature_enabled("bot_feature_003", false) == Ok(true),
    );
    checks.check(
        "switching off an unknown name reports it is not there",
        reloader.set_feature_enabled("no_such_feature", false) == Ok(false),
    );
    let resolved = reloader.active().ok().map(|t| {
        (t.by_name("bot_feature_003").map(|f| f.resolve(9.0)), t.by_name("bot_feature_004").map(|f| f.resolve(9.0)))
    });
    checks.check(
        "switched-off feature resolves to its default (0.375), others to the computed value",
        resolved == Some((Some(0.375), Some(9.0))),
    );

    reloader.set_enabled(false);
    checks.check("global kill switch off: Unscored::Disabled", reloader.active().err() == Some(Unscored::Disabled));
    checks
        .check("global kill switch off: last good still kept", reloader.last_good().map(|t| t.version()) == Some(100));
    reloader.set_enabled(true);
    checks.check("global kill switch back on: version 100 serves", reloader.active().map(|t| t.version()) == Ok(100));

    checks.check("bot_feature_003 back on", reloader.set_feature_enabled("bot_feature_003", true) == Ok(true));
}

/// What one request does with the active table.
///
/// SCORING GOES HERE: build the feature vector from the active table and run
/// the model on it; an `Err(Unscored)` from `active()` must reach the caller
/// as "not scored", never as a number. Today the stage resolves every
/// feature's value for a request with no computed values (NaN), which must
/// give each feature's default.
fn score_stage(reloader: &Reloader<CAPACITY>, checks: &mut Checks) {
    let table = match reloader.active() {
        Ok(table) => table,
        Err(unscored) => {
            defmt::warn!("request not scored: {}", unscored);
            checks.check("a table serves requests", false);
            return;
        }
    };
    let defaults_used = table.features().iter().all(|f| f.resolve(f32::NAN) == f.default());
    let sum: f32 = table.features().iter().map(|f| f.resolve(f32::NAN)).sum();
    defmt::info!("request: {=usize} features resolved, sum of values {=f32}", table.len(), sum);
    // Defaults are (i mod 16)/8 (testdata/gen.py): for i < 60 they sum to
    // 426/8 = 53.25, exact in f32.
    checks
        .check("request with no computed values resolves every feature to its default", defaults_used && sum == 53.25);
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
