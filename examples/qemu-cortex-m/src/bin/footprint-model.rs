//! [`footprint`](../footprint/index.html) plus the CatBoost JSON loader: the
//! firmware also loads its model from JSON at run time.
//!
//! ```text
//! cargo build --release --bin footprint-model
//! llvm-size -A target/thumbv7m-none-eabi/release/footprint-model
//! ```
//!
//! Linked: everything `footprint` links, and [`catboost::ingest`] (the
//! model's JSON loader, which parses f64 leaves as well as f32 borders).
//!
//! Exits through semihosting with 0 if the 60-feature file and the
//! 16-tree model were accepted and the request was scored (`cargo run
//! --release --bin footprint-model`). Both files come through `black_box` so
//! the parse happens at run time.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
use feature_table::model::InPlace;
use feature_table::model::catboost::{self, CatBoost};
use feature_table::{Bindings, Extractor, FeatureVector, PairRef, Policy, Reloader, score_with};

static GOOD: &[u8] = include_bytes!("../../testdata/good-60.json");
static MODEL: &[u8] = include_bytes!("../../testdata/model-16x6.json");

include!("../footprint_extractors.rs");

/// As in the QEMU example: 9,104 bytes.
type Model = CatBoost<16, 6, 64, { 16 << 6 }>;

#[entry]
fn main() -> ! {
    let Some(reloader) = cortex_m::singleton!(: Reloader<200> = Reloader::new(Policy::DEFAULT)) else { exit(false) };
    let Some(model) = cortex_m::singleton!(: Model = Model::new()) else { exit(false) };
    let loaded = catboost::ingest(black_box(MODEL), model, catboost::DEFAULT_LIMITS).is_ok();
    let mut bindings = Bindings::<200>::new();
    let accepted = reloader.offer(black_box(GOOD)).is_ok();
    let bound = reloader.active().is_ok_and(|t| bindings.bind(t, EXTRACTORS).is_ok());
    let request: Request = black_box([0.5; 60]);
    let plan = InPlace::new(bindings.as_slice(), model.feature_count());
    let mut vector = FeatureVector::new();
    let scored = reloader.active().is_ok_and(|table| {
        let pair = PairRef { table, bindings: &bindings, model: &*model, plan: &plan };
        let verdict = score_with(pair, EXTRACTORS, &request, &mut vector);
        verdict.is_ok_and(|s| (1..=99).contains(&s.bot_score.get()))
    });
    exit(accepted && loaded && bound && scored)
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
