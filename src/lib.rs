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
//! ```
//! use feature_table::{IngestError, Policy, ReloadError, Reloader};
//!
//! let mut reloader = Reloader::<200>::new(Policy::DEFAULT);
//! reloader.offer(br#"{"version": 1, "features": [{"name": "ua_entropy", "default": 0.5}]}"#)?;
//!
//! let bad = br#"{"version": 2, "features": [{"name": "ua_entropy"}, {"name": "ua_entropy"}]}"#;
//! let err = reloader.offer(bad).unwrap_err(); // log this once: it is the only report
//! assert!(matches!(err, ReloadError::Ingest(IngestError::DuplicateName { first: 0, second: 1, .. })));
//!
//! let table = reloader.active()?; // still version 1
//! let ua = table.by_name("ua_entropy").unwrap();
//! assert_eq!((table.version(), ua.resolve(f32::NAN)), (1, 0.5));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Memory
//!
//! Everything is sized at compile time and identical on 32- and 64-bit
//! targets:
//!
//! - [`FeatureTable<N>`]: `42·N + 14` bytes, rounded up to 8 (8,416 for
//!   `N = 200`);
//! - [`Reloader<N>`]: two tables (active and staging) plus a fixed ~100 bytes
//!   of policy and statistics.
//!
//! # Layers
//!
//! Data flows one way; each module is one step:
//!
//! - [`name`]: a validated [`FeatureName`] (ASCII `[a-z0-9_.-]`, at most
//!   [`MAX_NAME_LEN`] bytes).
//! - [`table`]: the fixed-capacity [`FeatureTable`], with O(1) lookup by index
//!   and O(log N) by name, and per-feature kill switches.
//! - [`ingest`](mod@ingest): bytes → validated table, with size and nesting
//!   bounds checked before the JSON parser runs.
//! - [`reload`]: [`Reloader`] — staging, the [`Policy`] guards (growth,
//!   version, headroom), bounded [`ReloadStats`], the global kill switch and
//!   the explicit [`Unscored`] outcome.
//!
//! # Features
//!
//! - `std`: conveniences for hosted users, and [`shared`]: a lock-free
//!   handle for many worker threads with hot reload (adds `arc-swap`, `log`).
//! - `defmt`: `defmt::Format` for every public type.
//! - `cli`: the `feature-table` validator binary.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]
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

pub mod extract;
pub mod ingest;
pub mod model;
pub mod name;
pub mod reload;
pub mod score;
#[cfg(feature = "std")]
pub mod shared;
pub mod table;

pub use extract::{Bindings, Extractor, FeatureVector};
pub use ingest::{Field, IngestError, JsonError, Limits, ingest};
pub use model::Model;
pub use name::{FeatureName, MAX_NAME_LEN, NameError};
pub use reload::{Accepted, Policy, Ratio, ReloadError, ReloadStats, Reloader, Unscored, Warning};
pub use score::{BotScore, Engine, ModelRejected, Score, Verdict, check_pair, score_with};
pub use table::{Feature, FeatureTable, TableError};

/// The README's Rust snippets, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
