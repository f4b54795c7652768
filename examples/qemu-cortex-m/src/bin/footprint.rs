//! The smallest firmware that ingests a feature file and serves lookups:
//! what feature-table costs in flash and RAM without the demo's logging.
//!
//! ```text
//! cargo build --release --bin footprint
//! llvm-size -A target/thumbv7m-none-eabi/release/footprint
//! ```
//!
//! Exits through semihosting with 0 if the embedded 60-feature file was
//! accepted and a lookup found its feature (`cargo run --release --bin
//! footprint`). The file comes through `black_box` so the parse happens at
//! run time.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
use feature_table::{Policy, Reloader};

static GOOD: &[u8] = include_bytes!("../../testdata/good-60.json");

#[entry]
fn main() -> ! {
    let Some(reloader) = cortex_m::singleton!(: Reloader<200> = Reloader::new(Policy::DEFAULT)) else { exit(false) };
    let accepted = reloader.offer(black_box(GOOD)).is_ok();
    // SCORING GOES HERE: build the vector and score it, so its cost is measured too.
    let found =
        reloader.active().ok().and_then(|t| t.by_name(black_box("bot_feature_003"))).map(|f| f.resolve(f32::NAN));
    exit(accepted && found == Some(0.375))
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
