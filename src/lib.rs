//! A bot-management feature table that cannot take the proxy down: no panic,
//! no heap, and the last known good table keeps serving when a bad file
//! arrives.
//!
//! On 2025-11-18 a doubled feature file hit a 200-feature limit in a proxy,
//! the loader's `Err` was `unwrap()`ed, and every worker thread panicked. This
//! crate is that loader done as embedded code is done: capacity is a const
//! generic, every failure is a typed error that says what, where and how much,
//! and a rejected file changes nothing.
//!
//! From file bytes to a verdict:
//!
//! ```
//! use feature_table::{Engine, Extractor, IngestError, Logistic, Policy, ReloadError, Unscored};
//!
//! struct Request<'a> { user_agent: &'a str }
//! static EXTRACTORS: &[Extractor<Request<'static>>] = &[Extractor::new("ua_len", |r| r.user_agent.len() as f32)];
//!
//! let mut engine = Engine::<_, Logistic<200>, 200>::new(EXTRACTORS, Policy::DEFAULT, Logistic::new(), Logistic::new());
//! engine.offer_features(br#"{"version": 1, "features": [{"name": "ua_len", "default": 0}]}"#)?;
//! engine.offer_model(br#"{"bias": 2.0, "weights": [-0.1]}"#)?;
//!
//! let doubled = br#"{"version": 2, "features": [{"name": "ua_len"}, {"name": "ua_len"}]}"#;
//! let err = engine.offer_features(doubled).unwrap_err(); // log it once: the only report
//! assert!(matches!(err, ReloadError::Ingest(IngestError::DuplicateName { first: 0, second: 1, .. })));
//!
//! let score = engine.score(&Request { user_agent: "curl/8.5.0" })?; // version 1 still serves
//! assert_eq!((score.raw, score.bot_score.get()), (1.0, 27)); // 1 = automated .. 99 = human
//! engine.set_enabled(false); // the global kill switch
//! assert_eq!(engine.score(&Request { user_agent: "curl/8.5.0" }), Err(Unscored::Disabled));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Memory
//!
//! Everything is sized at compile time by const generics, and the table side
//! is identical on 32- and 64-bit targets (lengths are `u16`):
//!
//! - [`FeatureTable<N>`]: `44·N + 16` bytes, rounded up to 8 (8,816 for
//!   `N = 200`);
//! - [`Reloader<N>`]: two tables (active and staging) plus a fixed ~100 bytes
//!   of policy and statistics;
//! - [`Bindings<N>`]: `2·N + 4`; [`FeatureVector<N>`] (on the stack, per
//!   request): `4·N + 4`;
//! - [`Logistic<F>`]: `4·F + 8`; [`CatBoost<T, D, F, L, B>`](CatBoost):
//!   `8·L + 5·T·D + T + 6·F + 32·B + 32`, rounded up to 16 (`B`, the table
//!   evaluator's blocks, is 0 by default);
//! - [`Engine<R, M, N>`]: a reloader, two bindings and two models.
//!
//! # Layers
//!
//! Data flows one way; each module is one step:
//!
//! - [`name`]: a validated [`FeatureName`] (ASCII `[a-z0-9_.-]`, at most
//!   [`MAX_NAME_LEN`] bytes).
//! - [`table`]: the fixed-capacity [`FeatureTable`], with O(1) lookup by index
//!   and by name (a hash index; O(N) at worst), and per-feature kill switches.
//! - [`ingest`](mod@ingest): bytes → validated table, in one strict,
//!   non-recursive pass with size and nesting bounds.
//! - [`reload`]: [`Reloader`] — staging, the [`Policy`] guards (growth,
//!   version, headroom), bounded [`ReloadStats`], the global kill switch and
//!   the explicit [`Unscored`] outcome.
//! - [`extract`]: the features a binary can compute ([`Extractor`]), bound
//!   once per file ([`Bindings`]) and filled per request ([`FeatureVector`]).
//! - [`model`]: [`Logistic`] and [`CatBoost`] (from CatBoost's own JSON
//!   export), behind the [`Model`] trait.
//! - [`score`]: [`Engine`] swaps a table + model pair as one checked unit and
//!   returns a [`Verdict`]: a [`Score`] or an explicit [`Unscored`] reason.
//!
//! # Features
//!
//! - `std`: conveniences for hosted users, and [`shared`]: a lock-free
//!   handle for many worker threads with hot reload (adds `arc-swap`, `log`).
//! - `defmt`: `defmt::Format` for every public type.
//! - `cli`: the `feature-table` validator binary.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
// No unsafe code, except one call in AVX-512 builds (see
// `model::catboost::avx512`): `forbid` there would not let it be allowed.
#![cfg_attr(
    not(all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512bw",
        target_feature = "avx512vbmi"
    )),
    forbid(unsafe_code)
)]
#![cfg_attr(
    all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512bw",
        target_feature = "avx512vbmi"
    ),
    deny(unsafe_code)
)]
#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented,
    clippy::indexing_slicing
)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod decimal;
pub mod extract;
pub mod ingest;
mod json;
pub mod model;
pub mod name;
pub mod reload;
pub mod report;
pub mod score;
#[cfg(feature = "std")]
pub mod shared;
pub mod table;

pub use extract::{Bindings, Extractor, FeatureVector, compute_signals};
pub use ingest::{Field, IngestError, JsonError, Limits, ingest};
pub use model::Model;
pub use model::catboost::CatBoost;
pub use model::logistic::Logistic;
pub use name::{FeatureName, MAX_NAME_LEN, NameError};
pub use reload::{Accepted, Policy, Ratio, ReloadError, ReloadStats, Reloader, Unscored, Warning};
pub use score::{
    BotScore, Engine, ModelRejected, Score, Verdict, check_pair, score_signals_with, score_vector, score_with,
};
pub use table::{Feature, FeatureTable, TableError};

/// The README's Rust snippets, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
