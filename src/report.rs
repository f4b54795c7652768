//! The machine-readable report: what was accepted or rejected and why, the
//! reload counters and the table serving, as JSON written into a caller's
//! fixed buffer.
//!
//! The same types serve every host: a `no_std` target writes them over
//! semihosting or a mailbox, the CLI prints them with `--format json`, a
//! proxy serves them on `/status`, and a fleet node embeds them in its status
//! record. Every type borrows what it reports (`&str` of the error's name,
//! the error itself for the message), so building one costs nothing and
//! [`to_slice`] writes it without allocating.
//!
//! ```
//! use feature_table::report::{self, Outcome};
//! use feature_table::{Policy, Reloader};
//!
//! let mut reloader = Reloader::<4>::new(Policy::DEFAULT);
//! let doubled = br#"{"version": 2, "features": [{"name": "ua_len"}, {"name": "ua_len"}]}"#;
//! let result = reloader.offer(doubled);
//!
//! let mut buf = [0u8; 512];
//! let len = report::to_slice(&Outcome::new(&result, reloader.warning()), &mut buf)?;
//! assert_eq!(
//!     core::str::from_utf8(&buf[..len]).unwrap(),
//!     concat!(
//!         r#"{"outcome":"rejected","rejection":{"kind":"DuplicateName","entry":1,"name":"ua_len","#,
//!         r#""field":null,"counts":{"first":0,"second":1},"#,
//!         r#""message":"duplicate name `ua_len` at entries 0 and 1"}}"#,
//!     )
//! );
//! # Ok::<(), report::ReportError>(())
//! ```
//!
//! # Schema
//!
//! - [`Outcome`]: `{"outcome": "accepted", "version", "entries",
//!   "switches_dropped", "warning"}` or `{"outcome": "rejected",
//!   "rejection"}`.
//! - [`Rejection`]: `kind` (the error variant's name, stable: `CapacityExceeded`,
//!   `DuplicateName`, ...), `entry`, `name`, `field` (`null` when they do not
//!   apply), `counts` (only the numbers the kind has: `found`/`capacity`,
//!   `first`/`second`, `offset`, ...) and the human `message` (the error's
//!   `Display`).
//! - [`StatsReport`]: the counters of [`ReloadStats`] (or of a
//!   `SharedEngine`) and the last rejection.
//! - [`TableSummary`]: version, entries, capacity and the names of the
//!   switched-off features.
//! - [`Status`]: all of it for one engine, for `/status` endpoints.

use core::fmt;

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use crate::ingest::IngestError;
use crate::json;
use crate::model::Model;
use crate::model::catboost::ModelError;
use crate::model::logistic::LogisticError;
use crate::pair::ModelMismatch;
use crate::reload::{Accepted, ReloadError, ReloadStats, Reloader, Warning};
use crate::score::{Engine, ModelRejected};
use crate::table::{Feature, FeatureTable, TableError};

/// Why [`to_slice`] could not write a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReportError {
    /// The report needs more than the `capacity` bytes of the buffer. The
    /// writer stops at the first byte that does not fit, so the exact size is
    /// not known; a larger buffer (for example twice as large) is the fix.
    BufferTooSmall {
        /// Length of the buffer given.
        capacity: usize,
    },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BufferTooSmall { capacity } => {
                write!(f, "the report needs more than the {capacity} bytes of the buffer")
            }
        }
    }
}

impl core::error::Error for ReportError {}

/// Writes `report` as one line of JSON (no trailing newline) into `buf` and
/// returns the number of bytes written. On error the content of `buf` is
/// unspecified.
///
/// Cost: no allocation; O(size of the report) time.
///
/// # Errors
///
/// [`ReportError::BufferTooSmall`] when the JSON does not fit.
pub fn to_slice<T: Serialize + ?Sized>(report: &T, buf: &mut [u8]) -> Result<usize, ReportError> {
    // serde-json-core's only error without its `custom-error-messages`
    // feature is `BufferFull`, and none of our types raises a custom error.
    serde_json_core::to_slice(report, buf).map_err(|_| ReportError::BufferTooSmall { capacity: buf.len() })
}

/// A borrowed error (or anything else) written as a JSON string through its
/// `Display`, straight into the output: no intermediate buffer, no
/// truncation.
#[derive(Clone, Copy)]
pub struct Message<'a>(pub &'a dyn fmt::Display);

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", format_args!("{}", self.0))
    }
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

impl Serialize for Message<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// The numbers of a rejection; only those its kind has are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Counts {
    /// How many there are (entries, trees, weights, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<u64>,
    /// How many the type holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    /// A size or depth limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// An input length in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub len: Option<u64>,
    /// A byte offset into the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The first entry of a duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<u64>,
    /// The entry that repeats it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second: Option<u64>,
    /// Entries of the active table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<u64>,
    /// The growth ratio allowed, in thousandths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_permille: Option<u64>,
    /// Version of the active table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<u64>,
    /// Version of the offered file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered: Option<u64>,
    /// Features a model reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_reads: Option<u64>,
    /// Features a table has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_has: Option<u64>,
    /// A tree of a model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<u64>,
    /// A split of a tree, or a model's depth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<u64>,
}

/// `usize` to `u64`; saturates on a (hypothetical) 128-bit target.
fn n(value: usize) -> Option<u64> {
    Some(u64::try_from(value).unwrap_or(u64::MAX))
}

/// A rejected file, as a report. Build it with [`ToRejection::rejection`].
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rejection<'a> {
    /// The name of the innermost error variant that says what is wrong:
    /// `CapacityExceeded`, `DuplicateName`, `GrowthExceeded`, ...; for the
    /// JSON layer's errors, [`json::Error`]'s (`TooLarge`, `TooDeep`,
    /// `Syntax`). Stable: alert on it.
    pub kind: &'static str,
    /// The entry of the file (a feature, a tree, a weight) it is about.
    pub entry: Option<u64>,
    /// The feature name it is about.
    pub name: Option<&'a str>,
    /// The JSON key of the field it is about.
    pub field: Option<&'static str>,
    /// The numbers: how many, against what.
    pub counts: Counts,
    /// The error's `Display`, for a person.
    pub message: Message<'a>,
}

impl<'a> Rejection<'a> {
    /// A rejection of `kind` with no entry, name, field or counts.
    pub fn new(kind: &'static str, error: &'a dyn fmt::Display) -> Self {
        Self { kind, entry: None, name: None, field: None, counts: Counts::default(), message: Message(error) }
    }
}

/// The JSON layer's error, by its variant's name (`TooLarge`, `TooDeep`,
/// `Syntax`), with its numbers.
fn json_error(r: &mut Rejection<'_>, error: &json::Error) {
    match error {
        json::Error::TooLarge { len, limit } => {
            r.kind = "TooLarge";
            r.counts.len = n(*len);
            r.counts.limit = Some(u64::from(*limit));
        }
        json::Error::TooDeep { limit, offset } => {
            r.kind = "TooDeep";
            r.counts.limit = Some(u64::from(*limit));
            r.counts.offset = n(*offset);
        }
        json::Error::Syntax(e) => {
            r.kind = "Syntax";
            r.counts.offset = n(e.offset);
        }
    }
}

/// "The model and the table disagree", from whichever error wraps it.
fn model_mismatch<'a>(error: &'a dyn fmt::Display, mismatch: &ModelMismatch) -> Rejection<'a> {
    let mut r = Rejection::new("ModelMismatch", error);
    r.counts.model_reads = n(mismatch.model_reads);
    r.counts.table_has = n(mismatch.table_has);
    r
}

/// An error that can be reported as a [`Rejection`]. Each error type of the
/// crate maps its variants in one place, its implementation here.
pub trait ToRejection: fmt::Display {
    /// This error as a report.
    fn rejection(&self) -> Rejection<'_>;
}

impl ToRejection for IngestError {
    fn rejection(&self) -> Rejection<'_> {
        let mut r = Rejection::new("", self);
        match self {
            Self::Json { error, entry, field } => {
                json_error(&mut r, error);
                r.entry = entry.and_then(n);
                r.field = field.map(|f| f.key());
            }
            Self::MissingField { field, entry } => {
                r.kind = "MissingField";
                r.field = Some(field.key());
                r.entry = entry.and_then(n);
            }
            Self::DuplicateField { field, entry } => {
                r.kind = "DuplicateField";
                r.field = Some(field.key());
                r.entry = entry.and_then(n);
            }
            Self::CapacityExceeded { capacity, found } => {
                r.kind = "CapacityExceeded";
                r.counts.capacity = n(*capacity);
                r.counts.found = n(*found);
            }
            Self::DuplicateName { name, first, second } => {
                r.kind = "DuplicateName";
                r.entry = n(*second);
                r.name = Some(name.as_str());
                r.counts.first = n(*first);
                r.counts.second = n(*second);
            }
            Self::InvalidName { entry, reason: _ } => {
                r.kind = "InvalidName";
                r.entry = n(*entry);
                r.field = Some("name");
            }
            Self::NonFiniteDefault { entry } => {
                r.kind = "NonFiniteDefault";
                r.entry = n(*entry);
                r.field = Some("default");
            }
            Self::EmptyFeatureList => r.kind = "EmptyFeatureList",
        }
        r
    }
}

impl ToRejection for ReloadError {
    fn rejection(&self) -> Rejection<'_> {
        match self {
            // The file's own fault: report it as ingest does.
            Self::Ingest(e) => e.rejection(),
            Self::VersionNotNewer { active, offered } => {
                let mut r = Rejection::new("VersionNotNewer", self);
                r.field = Some("version");
                r.counts.active = Some(*active);
                r.counts.offered = Some(*offered);
                r
            }
            Self::GrowthExceeded { previous, found, max } => {
                let mut r = Rejection::new("GrowthExceeded", self);
                r.counts.previous = n(*previous);
                r.counts.found = n(*found);
                r.counts.max_permille = Some(u64::from(max.permille()));
                r
            }
            Self::UnknownFeature { name, entry } => {
                let mut r = Rejection::new("UnknownFeature", self);
                r.entry = n(*entry);
                r.name = Some(name.as_str());
                r
            }
            Self::ModelMismatch(mismatch) => model_mismatch(self, mismatch),
        }
    }
}

impl ToRejection for TableError {
    fn rejection(&self) -> Rejection<'_> {
        match self {
            Self::CapacityExceeded { capacity } => {
                let mut r = Rejection::new("CapacityExceeded", self);
                r.counts.capacity = n(*capacity);
                r
            }
            Self::DuplicateName { name, first, second } => {
                let mut r = Rejection::new("DuplicateName", self);
                r.entry = n(*second);
                r.name = Some(name.as_str());
                r.counts.first = n(*first);
                r.counts.second = n(*second);
                r
            }
            Self::NonFiniteDefault { index } => {
                let mut r = Rejection::new("NonFiniteDefault", self);
                r.entry = n(*index);
                r
            }
            Self::NoSuchIndex { index, len } => {
                let mut r = Rejection::new("NoSuchIndex", self);
                r.entry = n(*index);
                r.counts.found = n(*len);
                r
            }
        }
    }
}

impl ToRejection for LogisticError {
    fn rejection(&self) -> Rejection<'_> {
        let mut r = Rejection::new("", self);
        match self {
            Self::Json { error, weight } => {
                json_error(&mut r, error);
                r.entry = weight.and_then(n);
            }
            Self::MissingField { field } => {
                r.kind = "MissingField";
                r.field = Some(*field);
            }
            Self::DuplicateField { field } => {
                r.kind = "DuplicateField";
                r.field = Some(*field);
            }
            Self::TooManyWeights { capacity, found } => {
                r.kind = "TooManyWeights";
                r.counts.capacity = n(*capacity);
                r.counts.found = n(*found);
            }
            Self::NonFinite { weight } => {
                r.kind = "NonFinite";
                r.entry = weight.and_then(n);
                r.field = Some(if weight.is_some() { "weights" } else { "bias" });
            }
            Self::NoWeights => {
                r.kind = "NoWeights";
                r.field = Some("weights");
            }
            Self::AllWeightsZero => {
                r.kind = "AllWeightsZero";
                r.field = Some("weights");
            }
        }
        r
    }
}

impl ToRejection for ModelError {
    fn rejection(&self) -> Rejection<'_> {
        let mut r = Rejection::new("", self);
        match self {
            Self::Json { error, field, index } => {
                json_error(&mut r, error);
                r.field = field.map(|f| f.key());
                r.entry = index.and_then(n);
            }
            Self::MissingField { field, index } => {
                r.kind = "MissingField";
                r.field = Some(field.key());
                r.entry = index.and_then(n);
            }
            Self::DuplicateField { field, index } => {
                r.kind = "DuplicateField";
                r.field = Some(field.key());
                r.entry = index.and_then(n);
            }
            Self::UnsupportedFeatures { field, count } => {
                r.kind = "UnsupportedFeatures";
                r.field = Some(field.key());
                r.counts.found = n(*count);
            }
            Self::NonSymmetricTrees => r.kind = "NonSymmetricTrees",
            Self::UnsupportedSplitType { tree, split } => {
                r.kind = "UnsupportedSplitType";
                r.counts.tree = n(*tree);
                r.entry = n(*split);
            }
            Self::MultiDimensional { dimension } => {
                r.kind = "MultiDimensional";
                r.counts.found = n(*dimension);
                r.counts.capacity = Some(1);
            }
            Self::LeafCountMismatch { tree, depth, found } => {
                r.kind = "LeafCountMismatch";
                r.counts.tree = n(*tree);
                r.counts.depth = n(*depth);
                r.counts.found = n(*found);
            }
            Self::TooManyTrees { capacity, found } => {
                r.kind = "TooManyTrees";
                r.counts.capacity = n(*capacity);
                r.counts.found = n(*found);
            }
            Self::TreeTooDeep { tree, depth, max } => {
                r.kind = "TreeTooDeep";
                r.counts.tree = n(*tree);
                r.counts.depth = n(*depth);
                r.counts.capacity = n(*max);
            }
            Self::TooManyLeaves { capacity, found } => {
                r.kind = "TooManyLeaves";
                r.counts.capacity = n(*capacity);
                r.counts.found = n(*found);
            }
            Self::FeatureIndexOutOfRange { feature, index, capacity } => {
                r.kind = "FeatureIndexOutOfRange";
                r.entry = n(*feature);
                r.counts.found = n(*index);
                r.counts.capacity = n(*capacity);
            }
            Self::UnknownNanTreatment { feature } => {
                r.kind = "UnknownNanTreatment";
                r.entry = n(*feature);
                r.field = Some("nan_value_treatment");
            }
            Self::UnknownFloatFeature { tree, split, index } => {
                r.kind = "UnknownFloatFeature";
                r.counts.tree = n(*tree);
                r.entry = n(*split);
                r.counts.found = n(*index);
            }
            Self::NonFinite { field, index } => {
                r.kind = "NonFinite";
                r.field = Some(field.key());
                r.entry = index.and_then(n);
            }
            Self::NoTrees => r.kind = "NoTrees",
            Self::Constant => r.kind = "Constant",
        }
        r
    }
}

impl<E: ToRejection> ToRejection for ModelRejected<E> {
    fn rejection(&self) -> Rejection<'_> {
        match self {
            // The model file's own fault: report it as its loader does.
            Self::Load(e) => e.rejection(),
            Self::ModelMismatch(mismatch) => model_mismatch(self, mismatch),
        }
    }
}

#[cfg(feature = "std")]
impl<E: ToRejection> ToRejection for crate::shared::PairRejected<E> {
    fn rejection(&self) -> Rejection<'_> {
        match self {
            Self::Features(e) => e.rejection(),
            Self::Model(e) => e.rejection(),
        }
    }
}

/// A [`Warning`], as a report: `kind`, its numbers and its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WarningReport {
    /// The variant's name (`Headroom`).
    pub kind: &'static str,
    /// Features in the active table.
    pub entries: u64,
    /// Its capacity.
    pub capacity: u64,
    /// The percentage of capacity in use (rounded down).
    pub used_percent: u64,
}

impl From<Warning> for WarningReport {
    fn from(warning: Warning) -> Self {
        match warning {
            Warning::Headroom { len, capacity } => Self {
                kind: "Headroom",
                entries: n(len).unwrap_or(u64::MAX),
                capacity: n(capacity).unwrap_or(u64::MAX),
                used_percent: n(len.saturating_mul(100).checked_div(capacity).unwrap_or(100)).unwrap_or(u64::MAX),
            },
        }
    }
}

/// The outcome of one offer: what became active, or why nothing changed.
// A report lives on the stack only while it is written; boxing the larger
// variant would need `alloc`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome<'a> {
    /// The file is active now.
    Accepted {
        /// Its version.
        version: u64,
        /// Its features.
        entries: u64,
        /// Switched-off features of the previous table that the file no
        /// longer has.
        switches_dropped: u64,
        /// A state to alert on (the table is nearly full), if any.
        warning: Option<WarningReport>,
    },
    /// The file was rejected; the previous one still serves.
    Rejected {
        /// Why.
        rejection: Rejection<'a>,
    },
}

impl<'a> Outcome<'a> {
    /// The report of an offer's result (from [`Reloader::offer`],
    /// [`Engine::offer_features`], `SharedEngine::reload_features`, ...) and
    /// the reloader's warning after it.
    pub fn new<E: ToRejection>(result: &'a Result<Accepted, E>, warning: Option<Warning>) -> Self {
        match result {
            Ok(accepted) => Self::accepted(accepted, warning),
            Err(e) => Self::Rejected { rejection: e.rejection() },
        }
    }

    /// The report of an accepted offer.
    pub fn accepted(accepted: &Accepted, warning: Option<Warning>) -> Self {
        Self::Accepted {
            version: accepted.version,
            entries: n(accepted.len).unwrap_or(u64::MAX),
            switches_dropped: n(accepted.switches_dropped).unwrap_or(u64::MAX),
            warning: warning.map(WarningReport::from),
        }
    }
}

/// Reload counters and the last rejection.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StatsReport<'a> {
    /// Offers accepted.
    pub accepted: u64,
    /// Offers rejected.
    pub rejected: u64,
    /// Rejections since the last acceptance.
    pub consecutive_rejections: u64,
    /// Version of the active file, for files that carry one.
    pub active_version: Option<u64>,
    /// The most recent rejection, if any (and if the source keeps it).
    pub last_error: Option<Rejection<'a>>,
}

impl<'a> StatsReport<'a> {
    /// The report of a [`ReloadStats`] (a [`Reloader`]'s, or an
    /// [`Engine`]'s model statistics).
    pub fn new<E: ToRejection>(stats: &'a ReloadStats<E>) -> Self {
        Self {
            accepted: u64::from(stats.accepted),
            rejected: u64::from(stats.rejected),
            consecutive_rejections: u64::from(stats.consecutive_rejections),
            active_version: stats.active_version,
            last_error: stats.last_error.as_ref().map(ToRejection::rejection),
        }
    }

    /// The report of a `SharedEngine`'s counters, with the last rejection
    /// if the caller kept it (the shared handle does not).
    #[cfg(feature = "std")]
    pub fn shared(stats: &crate::shared::SharedStats, last_error: Option<Rejection<'a>>) -> Self {
        Self {
            accepted: stats.reloads_accepted,
            rejected: stats.reloads_rejected,
            consecutive_rejections: stats.consecutive_rejections,
            active_version: stats.active_version,
            last_error,
        }
    }
}

/// The names of a table's switched-off features, written as a JSON list
/// straight from the table.
#[derive(Debug, Clone, Copy)]
pub struct DisabledNames<'a>(pub &'a [Feature]);

impl Serialize for DisabledNames<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for feature in self.0.iter().filter(|f| !f.is_enabled()) {
            seq.serialize_element(feature.name().as_str())?;
        }
        seq.end()
    }
}

/// A feature table in brief.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TableSummary<'a> {
    /// The file's version.
    pub version: u64,
    /// Features in the table.
    pub entries: u64,
    /// `N`.
    pub capacity: u64,
    /// Names of the features switched off (they score as their default).
    pub disabled: DisabledNames<'a>,
}

impl<'a> TableSummary<'a> {
    /// The summary of `table`.
    pub fn new<const N: usize>(table: &'a FeatureTable<N>) -> Self {
        Self {
            version: table.version(),
            entries: n(table.len()).unwrap_or(u64::MAX),
            capacity: n(N).unwrap_or(u64::MAX),
            disabled: DisabledNames(table.features()),
        }
    }
}

/// One engine's state: the kill switch, the table serving, and the counters
/// of feature and model reloads. What a `/status` endpoint serves and a
/// fleet node publishes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Status<'a> {
    /// The global kill switch: `false` means nothing is scored.
    pub enabled: bool,
    /// The table serving, if any was accepted.
    pub table: Option<TableSummary<'a>>,
    /// Feature-file reloads.
    pub features: StatsReport<'a>,
    /// Model reloads, where they are counted apart from feature files.
    pub model: Option<StatsReport<'a>>,
    /// A state to alert on, if any.
    pub warning: Option<WarningReport>,
}

impl<'a> Status<'a> {
    /// The status of a [`Reloader`].
    pub fn reloader<const N: usize>(reloader: &'a Reloader<N>) -> Self {
        Self {
            enabled: reloader.is_enabled(),
            table: reloader.last_good().map(TableSummary::new),
            features: StatsReport::new(reloader.stats()),
            model: None,
            warning: reloader.warning().map(WarningReport::from),
        }
    }

    /// The status of an [`Engine`]: its reloader's, and its model counters.
    pub fn engine<R: ?Sized + 'static, M, const N: usize>(engine: &'a Engine<R, M, N>) -> Self
    where
        M: Model,
        M::Error: ToRejection,
    {
        Self { model: Some(StatsReport::new(engine.model_stats())), ..Self::reloader(engine.features()) }
    }

    /// The status of a `SharedEngine`, from a snapshot of its counters, the
    /// pair serving (hold the `Arc` from `SharedEngine::current` while the
    /// report is written) and the last rejection, if the caller kept it (the
    /// shared handle keeps counters only). The headroom warning is the
    /// [`Reloader`]'s, from `policy` (the one the engine was made with).
    #[cfg(feature = "std")]
    pub fn shared<M: Model, const N: usize>(
        enabled: bool,
        stats: &crate::shared::SharedStats,
        pair: Option<&'a crate::shared::Pair<M, N>>,
        last_error: Option<Rejection<'a>>,
        policy: &crate::Policy,
    ) -> Self {
        let table = pair.map(|pair| &pair.features.table);
        let warning = table.and_then(|table| {
            let over = table.len().saturating_mul(100) > N.saturating_mul(usize::from(policy.headroom_percent));
            over.then_some(Warning::Headroom { len: table.len(), capacity: N })
        });
        Self {
            enabled,
            table: table.map(TableSummary::new),
            features: StatsReport::shared(stats, last_error),
            model: None,
            warning: warning.map(WarningReport::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, Logistic, Policy, Ratio};
    use serde_json::{Value, json};

    fn write<T: Serialize>(report: &T) -> Value {
        let mut buf = [0u8; 1024];
        let len = to_slice(report, &mut buf).unwrap();
        serde_json::from_slice(&buf[..len]).unwrap()
    }

    fn file(version: u64, names: &[&str]) -> std::string::String {
        let entries: std::vec::Vec<_> = names.iter().map(|n| format!(r#"{{"name": "{n}"}}"#)).collect();
        format!(r#"{{"version": {version}, "features": [{}]}}"#, entries.join(", "))
    }

    #[test]
    fn capacity_exceeded_reports_its_kind_and_both_counts() {
        let mut reloader = Reloader::<2>::new(Policy::DEFAULT);
        let result = reloader.offer(file(1, &["a", "b", "c"]).as_bytes());
        let v = write(&Outcome::new(&result, None));
        assert_eq!(
            v,
            json!({"outcome": "rejected", "rejection": {
                "kind": "CapacityExceeded", "entry": null, "name": null, "field": null,
                "counts": {"found": 3, "capacity": 2},
                "message": "3 entries for capacity 2"}})
        );
    }

    #[test]
    fn duplicate_name_reports_the_name_and_both_entries() {
        let mut reloader = Reloader::<4>::new(Policy::DEFAULT);
        let result = reloader.offer(file(1, &["a", "b", "a"]).as_bytes());
        let r = &write(&Outcome::new(&result, None))["rejection"];
        assert_eq!(r["kind"], "DuplicateName");
        assert_eq!(r["name"], "a");
        assert_eq!((r["entry"].clone(), r["counts"].clone()), (json!(2), json!({"first": 0, "second": 2})));
    }

    #[test]
    fn policy_rejections_report_their_counts() {
        let mut reloader = Reloader::<8>::new(Policy::DEFAULT);
        reloader.offer(file(5, &["a", "b"]).as_bytes()).unwrap();
        let older = reloader.offer(file(4, &["a", "b"]).as_bytes());
        let r = &write(&Outcome::new(&older, None))["rejection"];
        assert_eq!((&r["kind"], &r["field"]), (&json!("VersionNotNewer"), &json!("version")));
        assert_eq!(r["counts"], json!({"active": 5, "offered": 4}));

        let grown = reloader.offer(file(6, &["a", "b", "c", "d"]).as_bytes());
        let r = &write(&Outcome::new(&grown, None))["rejection"];
        assert_eq!(r["kind"], "GrowthExceeded");
        assert_eq!(r["counts"], json!({"found": 4, "previous": 2, "max_permille": 1500}));
        assert_eq!(r["message"], "4 entries against 2 active: changes by more than 1.500x");
    }

    #[test]
    fn message_with_quotes_and_control_bytes_is_escaped_json() {
        let text = "a \"quoted\" name\nand a tab\t";
        let v = write(&Rejection::new("Custom", &text));
        assert_eq!(v["message"], text);
        assert_eq!(v["kind"], "Custom");
    }

    #[test]
    fn malformed_file_reports_offset_entry_and_field() {
        let mut reloader = Reloader::<4>::new(Policy::DEFAULT);
        // The scanner rejects a raw control byte inside a string.
        let bytes = b"{\"version\": 1, \"features\": [{\"name\": \"a\x01\"}]}";
        let result = reloader.offer(bytes);
        let at = bytes.iter().position(|&b| b == 1).unwrap();
        let r = &write(&Outcome::new(&result, None))["rejection"];
        assert_eq!(r["kind"], "Syntax");
        assert_eq!(r["field"], "name");
        assert_eq!(r["entry"], 0);
        assert_eq!(r["counts"], json!({"offset": at}));
        assert_eq!(r["message"], result.unwrap_err().to_string());
    }

    #[test]
    fn too_large_reports_len_and_limit() {
        let policy = Policy { limits: Limits { max_bytes: 10, ..Limits::DEFAULT }, ..Policy::DEFAULT };
        let mut reloader = Reloader::<4>::new(policy);
        let result = reloader.offer(file(1, &["a"]).as_bytes());
        let r = &write(&Outcome::new(&result, None))["rejection"];
        assert_eq!(r["kind"], "TooLarge");
        assert_eq!(r["counts"]["limit"], 10);
        assert_eq!(r["counts"]["len"], file(1, &["a"]).len());
    }

    #[test]
    fn accepted_outcome_carries_version_entries_and_the_headroom_warning() {
        let mut reloader = Reloader::<2>::new(Policy::DEFAULT);
        let result = reloader.offer(file(3, &["a", "b"]).as_bytes());
        let v = write(&Outcome::new(&result, reloader.warning()));
        assert_eq!(
            v,
            json!({"outcome": "accepted", "version": 3, "entries": 2, "switches_dropped": 0,
                   "warning": {"kind": "Headroom", "entries": 2, "capacity": 2, "used_percent": 100}})
        );
    }

    #[test]
    fn status_of_a_reloader_lists_disabled_features_and_the_last_error() {
        let mut reloader = Reloader::<8>::new(Policy::DEFAULT);
        reloader.offer(file(1, &["a", "b", "c"]).as_bytes()).unwrap();
        assert_eq!(reloader.set_feature_enabled("b", false), Ok(true));
        let _ = reloader.offer(file(2, &["a", "a"]).as_bytes());
        reloader.set_enabled(false);
        let v = write(&Status::reloader(&reloader));
        assert_eq!(v["enabled"], false);
        assert_eq!(v["table"], json!({"version": 1, "entries": 3, "capacity": 8, "disabled": ["b"]}));
        assert_eq!(v["features"]["accepted"], 1);
        assert_eq!(v["features"]["rejected"], 1);
        assert_eq!(v["features"]["consecutive_rejections"], 1);
        assert_eq!(v["features"]["active_version"], 1);
        assert_eq!(v["features"]["last_error"]["kind"], "DuplicateName");
        assert_eq!(v["model"], Value::Null);
        assert_eq!(v["warning"], Value::Null);
    }

    #[test]
    fn status_of_an_engine_counts_model_rejections_apart() {
        static EXTRACTORS: &[crate::Extractor<u8>] = &[crate::Extractor::new("a", |_| 1.0)];
        let mut engine =
            Engine::<u8, Logistic<4>, 4>::new(EXTRACTORS, Policy::DEFAULT, Logistic::new(), Logistic::new());
        assert_eq!(write(&Status::engine(&engine))["table"], Value::Null);
        engine.offer_features(file(1, &["a"]).as_bytes()).unwrap();
        let _ = engine.offer_model(br#"{"bias": 0.0, "weights": [1.0, 2.0]}"#);
        let v = write(&Status::engine(&engine));
        assert_eq!(v["model"]["rejected"], 1);
        assert_eq!(v["model"]["last_error"]["kind"], "ModelMismatch");
        assert_eq!(v["model"]["last_error"]["counts"], json!({"model_reads": 2, "table_has": 1}));
        let _ = engine.offer_model(br#"{"bias": 0.0, "weights": []}"#);
        let v = write(&Status::engine(&engine));
        assert_eq!(v["model"]["last_error"]["kind"], "NoWeights");
    }

    #[cfg(feature = "std")]
    #[test]
    fn status_of_a_shared_engine_reports_its_pair_counters_and_the_kept_rejection() {
        use crate::shared::SharedEngine;
        static EXTRACTORS: &[crate::Extractor<u8>] =
            &[crate::Extractor::new("a", |_| 1.0), crate::Extractor::new("b", |_| 2.0)];
        let engine = SharedEngine::<u8, Logistic<2>, 2>::new(EXTRACTORS, Policy::DEFAULT);
        let v = write(&Status::shared::<Logistic<2>, 2>(
            engine.is_enabled(),
            &engine.stats(),
            None,
            None,
            &Policy::DEFAULT,
        ));
        assert_eq!((&v["table"], &v["features"]["accepted"]), (&Value::Null, &json!(0)));

        engine.reload(file(1, &["a", "b"]).as_bytes(), br#"{"bias": 0.0, "weights": [1.0, 1.0]}"#).unwrap();
        let error = engine.reload_features(file(2, &["a", "a"]).as_bytes()).unwrap_err();
        let pair = engine.current();
        let stats = engine.stats();
        let status = Status::shared(true, &stats, pair.as_deref(), Some(error.rejection()), &Policy::DEFAULT);
        let v = write(&status);
        assert_eq!(v["table"], json!({"version": 1, "entries": 2, "capacity": 2, "disabled": []}));
        assert_eq!(v["features"]["last_error"]["kind"], "DuplicateName");
        assert_eq!((&v["features"]["accepted"], &v["features"]["rejected"]), (&json!(1), &json!(1)));
        assert_eq!(v["warning"]["kind"], "Headroom", "2 of 2 slots is over the default 80 %");
    }

    #[test]
    fn a_short_buffer_is_a_typed_error_naming_its_size() {
        let mut reloader = Reloader::<2>::new(Policy::DEFAULT);
        let result = reloader.offer(file(1, &["a", "b", "c"]).as_bytes());
        let outcome = Outcome::new(&result, None);
        let mut big = [0u8; 512];
        let len = to_slice(&outcome, &mut big).unwrap();
        let mut short = [0u8; 512];
        assert_eq!(to_slice(&outcome, &mut short[..len - 1]), Err(ReportError::BufferTooSmall { capacity: len - 1 }));
        assert_eq!(to_slice(&outcome, &mut short[..len]), Ok(len), "the exact size fits");
    }

    #[test]
    fn every_ingest_kind_is_the_variant_name() {
        let name = crate::FeatureName::new("x").unwrap();
        let cases: &[(IngestError, &str)] = &[
            (IngestError::MissingField { field: crate::Field::Version, entry: None }, "MissingField"),
            (IngestError::DuplicateField { field: crate::Field::Name, entry: Some(1) }, "DuplicateField"),
            (IngestError::CapacityExceeded { capacity: 1, found: 2 }, "CapacityExceeded"),
            (IngestError::DuplicateName { name, first: 0, second: 1 }, "DuplicateName"),
            (IngestError::NonFiniteDefault { entry: 0 }, "NonFiniteDefault"),
            (IngestError::EmptyFeatureList, "EmptyFeatureList"),
        ];
        for (error, kind) in cases {
            assert_eq!(error.rejection().kind, *kind);
            assert!(format!("{error:?}").starts_with(kind), "{kind} is not the variant name of {error:?}");
        }
        for (error, kind) in [
            (json::Error::TooLarge { len: 2, limit: 1 }, "TooLarge"),
            (json::Error::TooDeep { limit: 1, offset: 0 }, "TooDeep"),
            (json::Error::syntax(crate::JsonErrorKind::InvalidNumber, 3), "Syntax"),
        ] {
            assert!(format!("{error:?}").starts_with(kind), "{kind} is not the variant name of {error:?}");
            let wrapped = IngestError::Json { error, entry: None, field: None };
            assert_eq!(wrapped.rejection().kind, kind);
        }
        let growth = ReloadError::GrowthExceeded { previous: 1, found: 2, max: Ratio::from_permille(1000).unwrap() };
        assert_eq!(growth.rejection().kind, "GrowthExceeded");
    }
}
