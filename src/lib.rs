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
//! # Errors
//!
//! Every rejection is one variant of a `#[non_exhaustive]` enum per layer,
//! with `Display` and `core::error::Error`, that says what, where and how
//! much; a wrapping error prints its inner message and has no `source()`.
//! Entry positions are zero-based indices into `features`.
//!
//! | layer | error | example message |
//! |---|---|---|
//! | name | [`NameError`] | `byte 0 of the name is 'U', allowed are a-z 0-9 _ . -` |
//! | table | [`TableError`] | `table is full: capacity is 200 features` |
//! | JSON | [`json::Error`]: `TooLarge`, `TooDeep`, `Syntax(`[`JsonError`]`)` | `input is 2000000 bytes, the limit is 1048576` |
//! | ingest | [`IngestError::Json`], with the entry and field | `malformed JSON at byte 412: invalid number in entry 17 at field `default`` |
//! | | [`IngestError::CapacityExceeded`] | `240 entries for capacity 200` (the true count) |
//! | | [`IngestError::DuplicateName`] | ``duplicate name `ua_entropy` at entries 0 and 60`` |
//! | | `MissingField`, `DuplicateField` (any spelling of a key), `InvalidName`, `NonFiniteDefault`, `EmptyFeatureList` | ``entry 3 has no `name` `` |
//! | reload | [`ReloadError`]: `Ingest(_)`, `VersionNotNewer`, `GrowthExceeded`, `UnknownFeature`, `ModelMismatch` | `120 entries against 60 active: changes by more than 1.500x` |
//! | model | [`model::logistic::LogisticError`], [`model::catboost::ModelError`] (incl. `NoTrees`, `Constant`, `AllWeightsZero`), wrapped in [`ModelRejected`] | `tree 3 has depth 9, the maximum is 8` |
//! | outcome | [`Unscored`]: `Disabled`, `NoValidTable`, `NoValidModel`, `NonFiniteOutput` | returned instead of a score, never a number |
//!
//! When a file is over capacity *and* has duplicates, capacity is reported
//! (it is the more fundamental problem); otherwise the first bad entry in
//! file order. [`report`] turns any of them into JSON for a machine.
//!
//! # Layers
//!
//! Data flows one way; each module is one step and uses only the steps
//! above it:
//!
//! - [`name`]: a validated [`FeatureName`] (ASCII `[a-z0-9_.-]`, at most
//!   [`MAX_NAME_LEN`] bytes).
//! - [`table`]: the fixed-capacity [`FeatureTable`], with O(1) lookup by index
//!   and by name (a hash index; O(N) at worst), and per-feature kill switches.
//! - [`ingest`](mod@ingest): bytes → validated table, in one strict,
//!   non-recursive pass with size and nesting bounds.
//! - [`reload`]: [`Reloader`] — staging, the [`Policy`] guards (growth,
//!   version, headroom), bounded [`ReloadStats`], the global kill switch and
//!   the explicit [`Unscored`] outcome. Its active/staging flip is the
//!   crate's one A/B slot helper, shared with the [`Engine`].
//! - [`extract`]: the features a binary can compute ([`Extractor`]), bound
//!   once per file ([`Bindings`]) and filled per request ([`FeatureVector`]).
//! - [`model`]: [`Logistic`] and [`CatBoost`] (from CatBoost's own JSON
//!   export), behind the [`Model`] trait.
//! - [`pair`]: what a request scores against, table + bindings + model +
//!   plan, lent as one [`PairRef`]; [`check_pair`], the one check that a
//!   model fits a table ([`ModelMismatch`]).
//! - [`score`]: the building blocks ([`score_with`], [`score_signals_with`],
//!   [`score_vector`]) that turn a pair and a request into a [`Verdict`] (a
//!   [`Score`] with its [`BotScore`], or an explicit [`Unscored`] reason),
//!   and [`Engine`], which swaps a table + model pair as one checked unit.
//! - [`report`]: what was accepted or rejected and why, the reload counters
//!   and the table serving, as JSON written into a caller's fixed buffer
//!   (`serde` + `serde-json-core`, no allocation): the same report from a
//!   microcontroller, the CLI and a proxy's `/status`.
//!
//! Under ingest and the model loaders, [`json`]: the strict, non-recursive
//! JSON scanner they share, with its [`Limits`] and its errors
//! ([`json::Error`]: too large, too deep, or a [`JsonError`] with its kind and
//! byte offset), which their own errors embed.
//!
//! # Features
//!
//! - `std`: conveniences for hosted users; [`shared`]: a lock-free handle
//!   for many worker threads with hot reload, on the same building blocks
//!   (adds `arc-swap`, `log`); [`watch`]: a file watcher that feeds it.
//! - `defmt`: `defmt::Format` for every public type.
//! - `cli`: the `feature-table` validator binary.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
// No unsafe code on any target but x86-64, where three calls need it: the
// AVX2 and AVX-512 evaluators' entry points and `xgetbv` in the CPU
// detection (`model::catboost`, each with its safety argument).
#![cfg_attr(not(target_arch = "x86_64"), forbid(unsafe_code))]
#![cfg_attr(target_arch = "x86_64", deny(unsafe_code))]
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

mod bot_score;
mod decimal;
pub mod extract;
pub mod ingest;
pub mod json;
pub mod model;
pub mod name;
pub mod pair;
pub mod reload;
pub mod report;
pub mod score;
#[cfg(feature = "std")]
pub mod shared;
mod slot;
pub mod table;
#[cfg(feature = "std")]
pub mod watch;

pub use extract::{Bindings, Extractor, FeatureVector, compute_signals};
pub use ingest::{Field, IngestError, ingest};
pub use json::{JsonError, JsonErrorKind, Limits};
pub use model::Model;
pub use model::catboost::CatBoost;
pub use model::logistic::Logistic;
pub use name::{FeatureName, MAX_NAME_LEN, NameError};
pub use pair::{ModelMismatch, PairRef, check_pair};
pub use reload::{Accepted, Policy, Ratio, ReloadError, ReloadStats, Reloader, Unscored, Warning};
pub use score::{BotScore, Engine, ModelRejected, Score, Verdict, score_signals_with, score_vector, score_with};
pub use table::{Feature, FeatureTable, TableError};

/// The README's Rust snippets, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
