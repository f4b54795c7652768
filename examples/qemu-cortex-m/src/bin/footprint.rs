//! The smallest firmware that ingests a feature file and scores a request:
//! what feature-table costs in flash and RAM without the demo's logging.
//!
//! ```text
//! cargo build --release --bin footprint
//! llvm-size -A target/thumbv7m-none-eabi/release/footprint
//! ```
//!
//! Linked: [`Reloader::offer`] (the JSON feature-file parser and its
//! validation), [`Bindings::bind`], and per request [`score_with`]:
//! [`FeatureVector::fill`], [`CatBoost::raw`] and
//! [`BotScore::from_logit`](feature_table::BotScore::from_logit) (libm `exp`
//! and `round`). Not linked: the CatBoost JSON loader (see the
//! `footprint-model` binary for that cost). The model comes through
//! `black_box`, so its evaluation is compiled for an arbitrary model, as if
//! it had been loaded at run time; here it is empty and every score is 50.
//!
//! Exits through semihosting with 0 if the embedded 60-feature file was
//! accepted and bound, and the request was scored (`cargo run --release --bin
//! footprint`). The file comes through `black_box` so the parse happens at
//! run time.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
use feature_table::{Bindings, CatBoost, Extractor, FeatureVector, Policy, Reloader, score_with};

static GOOD: &[u8] = include_bytes!("../../testdata/good-60.json");

/// The request: the 60 feature values, precomputed.
type Request = [f32; 60];

macro_rules! features {
    ($($i:literal $name:literal)*) => { &[$(Extractor::new($name, |r: &Request| r[$i]),)*] };
}

static EXTRACTORS: &[Extractor<Request>] = features!(
    0 "bot_feature_000" 1 "bot_feature_001" 2 "bot_feature_002" 3 "bot_feature_003" 4 "bot_feature_004"
    5 "bot_feature_005" 6 "bot_feature_006" 7 "bot_feature_007" 8 "bot_feature_008" 9 "bot_feature_009"
    10 "bot_feature_010" 11 "bot_feature_011" 12 "bot_feature_012" 13 "bot_feature_013" 14 "bot_feature_014"
    15 "bot_feature_015" 16 "bot_feature_016" 17 "bot_feature_017" 18 "bot_feature_018" 19 "bot_feature_019"
    20 "bot_feature_020" 21 "bot_feature_021" 22 "bot_feature_022" 23 "bot_feature_023" 24 "bot_feature_024"
    25 "bot_feature_025" 26 "bot_feature_026" 27 "bot_feature_027" 28 "bot_feature_028" 29 "bot_feature_029"
    30 "bot_feature_030" 31 "bot_feature_031" 32 "bot_feature_032" 33 "bot_feature_033" 34 "bot_feature_034"
    35 "bot_feature_035" 36 "bot_feature_036" 37 "bot_feature_037" 38 "bot_feature_038" 39 "bot_feature_039"
    40 "bot_feature_040" 41 "bot_feature_041" 42 "bot_feature_042" 43 "bot_feature_043" 44 "bot_feature_044"
    45 "bot_feature_045" 46 "bot_feature_046" 47 "bot_feature_047" 48 "bot_feature_048" 49 "bot_feature_049"
    50 "bot_feature_050" 51 "bot_feature_051" 52 "bot_feature_052" 53 "bot_feature_053" 54 "bot_feature_054"
    55 "bot_feature_055" 56 "bot_feature_056" 57 "bot_feature_057" 58 "bot_feature_058" 59 "bot_feature_059"
);

/// As in the QEMU example: 9,192 bytes.
type Model = CatBoost<16, 6, 64, { 16 << 6 }>;

#[entry]
fn main() -> ! {
    let Some(reloader) = cortex_m::singleton!(: Reloader<200> = Reloader::new(Policy::DEFAULT)) else { exit(false) };
    let Some(model) = cortex_m::singleton!(: Model = Model::new()) else { exit(false) };
    let mut bindings = Bindings::<200>::new();
    let accepted = reloader.offer(black_box(GOOD)).is_ok();
    let bound = reloader.active().is_ok_and(|t| bindings.bind(t, EXTRACTORS).is_ok());
    let request: Request = black_box([0.5; 60]);
    let mut vector = FeatureVector::new();
    let scored = reloader.active().is_ok_and(|table| {
        let verdict = score_with(table, &bindings, EXTRACTORS, black_box(&*model), &request, &mut vector);
        verdict.is_ok_and(|s| (1..=99).contains(&s.bot_score.get()))
    });
    exit(accepted && bound && scored)
}

fn exit(success: bool) -> ! {
    debug::exit(if success { EXIT_SUCCESS } else { EXIT_FAILURE });
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(false)
}
