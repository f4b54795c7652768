//! Link-time proof that feature-table's serving path cannot panic.
//!
//! ```text
//! cd examples/no-panic-check && cargo build --release
//! ```
//!
//! The panic handler calls `__feature_table_panic_reachable`, a symbol that
//! is defined nowhere. After LTO the handler survives only if some code path
//! that can panic survives, so **the build links if and only if no panic is
//! reachable** from what `main` calls. A reachable panic fails the build with
//! `undefined symbol: __feature_table_panic_reachable`.
//!
//! To find the panic when the link fails, link anyway and ask where the
//! panic functions are called from:
//!
//! ```text
//! CARGO_PROFILE_RELEASE_DEBUG=1 RUSTFLAGS="-C link-arg=-Tlink.x \
//!   -C link-arg=--defsym=__feature_table_panic_reachable=0" \
//!   cargo build --release --target-dir /tmp/npc
//! llvm-objdump -d -C /tmp/npc/thumbv7m-none-eabi/release/no-panic-check | grep 'bl.*panic'
//! llvm-symbolizer --obj=/tmp/npc/thumbv7m-none-eabi/release/no-panic-check -i -C 0x<address>
//! ```
//!
//! Inputs come through [`black_box`] so the optimizer cannot evaluate the
//! calls at compile time and drop their panic branches for the values used
//! here: every index, name and value is treated as unknown at run time.
//!
//! Covered: building a table ([`FeatureName::new`], [`FeatureTable::push`]),
//! committing it ([`Reloader::offer_table`]), and the per-request and
//! operator calls ([`Reloader::active`], [`FeatureTable::get`],
//! [`FeatureTable::index_of`], [`FeatureTable::by_name`],
//! [`Feature::resolve`], kill switches, [`Reloader::stats`],
//! [`Reloader::warning`]). Not covered: JSON parsing (`Reloader::offer`),
//! whose float parser in `serde-json-core` keeps panic branches the optimizer
//! cannot remove.
//!
//! SCORING GOES HERE too, once it exists: call the vector builder and the
//! model from `serve` so the proof covers them.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use feature_table::{Feature, FeatureName, FeatureTable, Policy, Reloader, Unscored};

const CAPACITY: usize = 200;

/// Names chosen at run time, as far as the optimizer knows.
const NAMES: [&str; 4] = ["ua_entropy", "path_depth", "tls_ja4", "header_order"];

#[entry]
fn main() -> ! {
    let mut reloader = Reloader::<CAPACITY>::new(Policy::DEFAULT);
    let mut version = black_box(1_u64);
    loop {
        // Operator: build a table in code and commit it.
        let mut table = FeatureTable::<CAPACITY>::new(version);
        for name in NAMES {
            if let Ok(name) = FeatureName::new(black_box(name)) {
                let _ = black_box(table.push(name, black_box(0.5)));
            }
        }
        let _ = black_box(reloader.offer_table(black_box(&table)));
        version = version.wrapping_add(1);

        // Operator: kill switches.
        reloader.set_enabled(black_box(true));
        let _ = black_box(reloader.set_feature_enabled(black_box(NAMES[1]), black_box(false)));

        // Requests.
        for _ in 0..black_box(8_u32) {
            let _ = black_box(serve(&reloader, black_box(7_usize), black_box("path_depth"), black_box(3.0_f32)));
        }

        // Monitoring.
        black_box(reloader.stats());
        black_box(reloader.warning());
        black_box(reloader.last_good().map(FeatureTable::len));
    }
}

/// What one request does: find the table, look features up by index and by
/// name, and resolve their values.
#[inline(never)]
fn serve(reloader: &Reloader<CAPACITY>, index: usize, name: &str, computed: f32) -> Result<f32, Unscored> {
    let table = reloader.active()?;
    let by_index = table.get(index).map_or(0.0, |f| f.resolve(computed));
    let by_name = table.by_name(name).map_or(0.0, |f: &Feature| f.resolve(computed));
    let position = table.index_of(name).unwrap_or(usize::MAX);
    Ok(by_index + by_name + black_box(position) as f32)
}

unsafe extern "C" {
    /// Defined nowhere: referencing it makes the link fail.
    fn __feature_table_panic_reachable() -> !;
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: never executes; the program links only if this call is
    // unreachable and removed.
    unsafe { __feature_table_panic_reachable() }
}
