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
//! [`BotScore::from_logit`](feature_table::BotScore::from_logit) (a step
//! table lookup, no `exp`). Not linked: the CatBoost JSON loader (see the
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
use feature_table::model::InPlace;
use feature_table::{Bindings, CatBoost, Extractor, FeatureVector, Policy, Reloader, score_with};

static GOOD: &[u8] = include_bytes!("../../testdata/good-60.json");

include!("../footprint_extractors.rs");

/// As in the QEMU example: 9,104 bytes.
type Model = CatBoost<16, 6, 64, { 16 << 6 }>;

#[entry]
fn main() -> ! {
    let Some(reloader) = cortex_m::singleton!(: Reloader<200> = Reloader::new(Policy::DEFAULT)) else { exit(false) };
    let Some(model) = cortex_m::singleton!(: Model = Model::new()) else { exit(false) };
    let mut bindings = Bindings::<200>::new();
    let accepted = reloader.offer(black_box(GOOD)).is_ok();
    let bound = reloader.active().is_ok_and(|t| bindings.bind(t, EXTRACTORS).is_ok());
    let request: Request = black_box([0.5; 60]);
    let plan = InPlace::new(bindings.as_slice(), model.feature_count());
    let mut vector = FeatureVector::new();
    let scored = reloader.active().is_ok_and(|table| {
        let verdict = score_with(table, &bindings, EXTRACTORS, black_box(&*model), &plan, &request, &mut vector);
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
