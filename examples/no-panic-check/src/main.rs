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
//! committing it ([`Reloader::offer_table`]), parsing a feature file whose
//! bytes are opaque ([`ingest`], [`Reloader::offer`],
//! [`Engine::offer_features`]: the whole reload path, JSON scanner and
//! number conversion included), parsing model files whose bytes are opaque
//! ([`Logistic::load_with`], [`catboost::ingest`] into a split-evaluator and
//! a table-evaluator model, [`Engine::offer_model`] for both kinds: the
//! model reload path, the table build included), and the per-request and
//! operator calls ([`Reloader::active`], [`FeatureTable::get`],
//! [`FeatureTable::index_of`], [`FeatureTable::by_name`],
//! [`Feature::resolve`], kill switches, [`Reloader::stats`],
//! [`Reloader::warning`]). Numbers are converted by the crate's own exact
//! decimal-to-float code, not by `core`'s float parser (`dec2flt`), whose
//! panic branches the optimizer cannot remove: with `str::parse` anywhere on
//! these paths this proof fails to link (and `llvm-symbolizer` then names
//! `core::num::dec2flt` at every panic call). The table build sorts with the
//! crate's own heapsort for the same reason: `core`'s sorts keep a
//! `panic_on_ord_violation` branch.
//!
//! Scoring is covered too: [`Bindings::bind`], and per request
//! [`FeatureVector::fill`], [`score_with`] and [`Engine::score`] with a
//! [`Logistic`] and with a [`CatBoost`] model, the signals lane
//! ([`FeatureVector::fill_signals`], [`score_signals_with`],
//! [`Engine::score_signals`]), hence [`Model::raw`] of both, their plans
//! ([`Model::plan`], [`Model::raw_planned`], [`Model::raw_signals`]) and
//! [`BotScore::from_logit`], and the engine's kill switches.
//!
//! The models scored are made by their `const fn new()` (empty) and then
//! passed through [`black_box`] by `&mut`, so the optimizer must assume any
//! content a safe caller could have put there, as if a file had been loaded
//! at run time: `raw` is compiled for an arbitrary model, not for an empty
//! one (the files parsed into them are opaque too). The same holds for the
//! engine, whose tables and models are opaque to the optimizer after
//! `black_box(&mut engine)`. No library API was added for the proof.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use feature_table::model::catboost::{self, table_blocks};
use feature_table::model::{InPlace, logistic::SignalOrder};
use feature_table::{
    Bindings, BotScore, CatBoost, Engine, Extractor, Feature, FeatureName, FeatureTable, FeatureVector, Limits,
    Logistic, Model, PairRef, Policy, Reloader, Unscored, Verdict, ingest, score_signals_with, score_with,
};

const CAPACITY: usize = 200;

/// A feature file; its bytes are opaque to the optimizer (`black_box`).
const FILE: &[u8] = br#"{"version": 2, "features": [{"name": "ua_entropy", "default": 0.1e-3}]}"#;

/// A logistic model file; opaque bytes, like [`FILE`].
const LOGISTIC_FILE: &[u8] = br#"{"bias": -0.5, "weights": [1.0, -2.5e-1]}"#;

/// A CatBoost export (abridged); opaque bytes, like [`FILE`].
const CATBOOST_FILE: &[u8] = br#"{"model_info": {"params": "{\"depth\": 1}"},
 "features_info": {"float_features": [{"borders": [0.5], "feature_index": 0, "flat_feature_index": 0,
   "nan_value_treatment": "AsTrue"}]},
 "oblivious_trees": [{"leaf_values": [-1.0, 2.0], "leaf_weights": [3, 4],
   "splits": [{"border": 0.5, "float_feature_index": 0, "split_type": "FloatFeature"}]}],
 "scale_and_bias": [1, [0.25]]}"#;

/// Names chosen at run time, as far as the optimizer knows.
const NAMES: [&str; 4] = ["ua_entropy", "path_depth", "tls_ja4", "header_order"];

/// A request: the values the extractors read.
struct Request {
    values: [f32; 4],
}

/// What the binary can compute. `get` so an extractor cannot panic either.
static EXTRACTORS: &[Extractor<Request>] = &[
    Extractor::new("ua_entropy", |r| r.values.first().copied().unwrap_or(f32::NAN)),
    Extractor::new("path_depth", |r| r.values.get(1).copied().unwrap_or(f32::NAN)),
    Extractor::new("tls_ja4", |r| r.values.get(2).copied().unwrap_or(f32::NAN)),
    Extractor::new("header_order", |r| r.values.get(3).copied().unwrap_or(f32::NAN)),
];

type Trees = CatBoost<16, 6, 64, { 16 << 6 }>;
/// The same capacities with the table evaluator (every group width it
/// dispatches to is linked: the model is opaque).
type FastTrees = CatBoost<16, 6, 64, { 16 << 6 }, { table_blocks(16, 6, 64) }>;

#[entry]
fn main() -> ! {
    let mut reloader = Reloader::<CAPACITY>::new(Policy::DEFAULT);
    let mut bindings = Bindings::<CAPACITY>::new();
    // Empty, then opaque (see the crate docs); parsed into below.
    let mut logistic = Logistic::<CAPACITY>::new();
    let mut trees = Trees::new();
    let mut fast_trees = FastTrees::new();
    black_box(&mut logistic);
    black_box(&mut trees);
    black_box(&mut fast_trees);
    let mut logistic_engine = Engine::<Request, Logistic<CAPACITY>, CAPACITY>::new(
        EXTRACTORS,
        Policy::DEFAULT,
        Logistic::new(),
        Logistic::new(),
    );
    let mut trees_engine =
        Engine::<Request, Trees, CAPACITY>::new(EXTRACTORS, Policy::DEFAULT, Trees::new(), Trees::new());
    black_box(&mut logistic_engine);
    black_box(&mut trees_engine);
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

        // Operator: parse a feature file (opaque bytes) into a table, and
        // offer one to the reloader and to both engines.
        let mut parsed = FeatureTable::<CAPACITY>::new(0);
        let _ = black_box(ingest(black_box(FILE), &mut parsed, black_box(Limits::DEFAULT)));
        black_box(&parsed);
        let _ = black_box(reloader.offer(black_box(FILE)));
        let _ = black_box(logistic_engine.offer_features(black_box(FILE)));
        let _ = black_box(trees_engine.offer_features(black_box(FILE)));
        // Operator: parse model files (opaque bytes) into staging models,
        // and offer them to both engines.
        let _ = black_box(logistic.load_with(black_box(LOGISTIC_FILE), black_box(Limits::DEFAULT)));
        let _ = black_box(catboost::ingest(black_box(CATBOOST_FILE), &mut trees, black_box(catboost::DEFAULT_LIMITS)));
        let _ =
            black_box(catboost::ingest(black_box(CATBOOST_FILE), &mut fast_trees, black_box(catboost::DEFAULT_LIMITS)));
        let _ = black_box(logistic_engine.offer_model(black_box(LOGISTIC_FILE)));
        let _ = black_box(trees_engine.offer_model(black_box(CATBOOST_FILE)));
        version = version.wrapping_add(1);
        if let Ok(active) = reloader.active() {
            let _ = black_box(bindings.bind(active, EXTRACTORS));
        }
        // The models' plans for those bindings, then opaque like the models.
        let mut logistic_plan = SignalOrder::<CAPACITY>::new();
        let mut trees_plan = InPlace::default();
        logistic.plan(bindings.as_slice(), &mut logistic_plan);
        trees.plan(bindings.as_slice(), &mut trees_plan);
        black_box(&mut logistic_plan);
        black_box(&mut trees_plan);
        let plans = (&logistic_plan, &trees_plan);

        // Operator: kill switches.
        reloader.set_enabled(black_box(true));
        let _ = black_box(reloader.set_feature_enabled(black_box(NAMES[1]), black_box(false)));
        logistic_engine.set_enabled(black_box(true));
        trees_engine.set_enabled(black_box(false));
        let _ = black_box(logistic_engine.set_feature_enabled(black_box(NAMES[2]), black_box(false)));
        let _ = black_box(trees_engine.set_feature_enabled(black_box(NAMES[3]), black_box(true)));

        // Requests.
        for _ in 0..black_box(8_u32) {
            let _ = black_box(serve(&reloader, black_box(7_usize), black_box("path_depth"), black_box(3.0_f32)));
            let request = Request { values: black_box([0.25, f32::NAN, 3.0, -1.0]) };
            let _ = black_box(score(&reloader, &bindings, (&logistic, &trees), plans, &request));
            let _ = black_box(fast_trees.raw(black_box(&request.values)));
            let _ = black_box(logistic_engine.score(&request));
            let _ = black_box(trees_engine.score(&request));
            let _ = black_box(logistic_engine.score_signals(black_box(&request.values[..])));
            let _ = black_box(trees_engine.score_signals(black_box(&request.values[..])));
            let _ = black_box(BotScore::from_logit(black_box(0.5)));
        }

        // Monitoring.
        black_box(reloader.stats());
        black_box(reloader.warning());
        black_box(reloader.last_good().map(FeatureTable::len));
        black_box(logistic_engine.model_stats());
        black_box(trees_engine.features().stats());
    }
}

/// One request scored with both kinds of model through the building blocks:
/// the vector is filled once per model by `score_with`, and once more by
/// hand.
#[inline(never)]
fn score(
    reloader: &Reloader<CAPACITY>,
    bindings: &Bindings<CAPACITY>,
    (logistic, trees): (&Logistic<CAPACITY>, &Trees),
    (logistic_plan, trees_plan): (&SignalOrder<CAPACITY>, &InPlace),
    request: &Request,
) -> Result<(Verdict, Verdict, Verdict, Verdict, usize), Unscored> {
    let table = reloader.active()?;
    let mut vector = FeatureVector::new();
    let logistic = PairRef { table, bindings, model: logistic, plan: logistic_plan };
    let trees = PairRef { table, bindings, model: trees, plan: trees_plan };
    let by_logistic = score_with(logistic, EXTRACTORS, request, &mut vector);
    let by_trees = score_with(trees, EXTRACTORS, request, &mut vector);
    vector.fill(table, bindings, EXTRACTORS, request);
    let signals = black_box(&request.values[..]);
    let by_signals = score_signals_with(logistic, signals);
    let by_tree_signals = score_signals_with(trees, signals);
    vector.fill_signals(table, bindings, black_box(&request.values[..]));
    Ok((by_logistic, by_trees, by_signals, by_tree_signals, vector.as_slice().len()))
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
