//! A node's status as it is written to etcd: JSON encoded with `serde` +
//! `serde-json-core` into a fixed buffer, so the same types also serialize
//! on a `no_std` target.
//!
//! The engine part is the core's report type,
//! [`feature_table::report::StatsReport`] (reload counters and the last
//! rejection with its `kind`, counts and message); the fleet adds the node,
//! its cohort, what it serves and what it last rejected around it. The node
//! writes a borrowed [`NodeStatus`]; the publisher reads it back as an owned
//! [`NodeReport`].

use std::fmt;

use feature_table::model::logistic::LogisticError;
use feature_table::report::{Rejection, StatsReport, ToRejection};
use feature_table::shared::{PairRejected, SharedStats};
use serde::{Deserialize, Serialize};

/// Bytes reserved for one encoded status; [`NodeStatus::encode`] fails
/// (nothing written) rather than truncate.
pub const STATUS_CAPACITY: usize = 2048;

/// Why a node did not take a target.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NodeRejection {
    /// The engine rejected the pair (the core's typed error).
    Pair(PairRejected<LogisticError>),
    /// The target names a publish whose files are not in etcd.
    MissingFiles {
        /// The target's sequence number.
        seq: u64,
    },
}

impl fmt::Display for NodeRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pair(e) => write!(f, "{e}"),
            Self::MissingFiles { seq } => write!(f, "target seq {seq} has no files"),
        }
    }
}

impl std::error::Error for NodeRejection {}

impl ToRejection for NodeRejection {
    fn rejection(&self) -> Rejection<'_> {
        match self {
            Self::Pair(e) => e.rejection(),
            Self::MissingFiles { .. } => Rejection::new("MissingFiles", self),
        }
    }
}

/// One node's status under `<prefix>/nodes/<node>/status`, as the node
/// writes it (borrowed: building it costs nothing).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NodeStatus<'a> {
    /// The node's name.
    pub node: &'a str,
    /// Its cohort (`canary`, `wave-1`, `all`, ...).
    pub cohort: &'a str,
    /// Publish sequence number serving, if any.
    pub serving: Option<u64>,
    /// Target sequence number last seen for the cohort, if any.
    pub target: Option<u64>,
    /// The last sequence number this node rejected, if any.
    pub rejected: Option<u64>,
    /// What happened to the local cache at start (`loaded seq 4`, `none`,
    /// `rejected: ...`).
    pub cache: &'a str,
    /// Whether scoring is on (the kill switch is off).
    pub enabled: bool,
    /// Requests scored.
    pub scored: u64,
    /// Requests not scored, whatever the reason.
    pub unscored: u64,
    /// Unscored requests per thousand over the last status interval.
    pub unscored_permille: u32,
    /// The core's report of the engine's reloads, with this node's last
    /// rejection.
    pub reloads: StatsReport<'a>,
}

impl<'a> NodeStatus<'a> {
    /// The engine part from its counters and the last rejection.
    pub fn reloads(stats: &SharedStats, last: Option<&'a NodeRejection>) -> StatsReport<'a> {
        StatsReport::shared(stats, last.map(ToRejection::rejection))
    }

    /// Encodes into `buf` with `serde_json_core::to_slice` (through the
    /// core's [`feature_table::report::to_slice`]); returns the bytes
    /// written. No allocation.
    pub fn encode<'b>(&self, buf: &'b mut [u8; STATUS_CAPACITY]) -> Result<&'b [u8], StatusError> {
        let len = feature_table::report::to_slice(self, buf)
            .map_err(|_| StatusError::TooLarge { capacity: STATUS_CAPACITY })?;
        buf.get(..len).ok_or(StatusError::TooLarge { capacity: STATUS_CAPACITY })
    }
}

/// The last rejection as the publisher reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RejectionView {
    /// The error variant's name (`DuplicateName`, `CapacityExceeded`, ...).
    pub kind: String,
    /// The error's text.
    pub message: String,
}

/// The reload counters as the publisher reads them back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReloadsView {
    /// Reloads accepted.
    pub accepted: u64,
    /// Reloads rejected.
    pub rejected: u64,
    /// Feature-file version serving, if any.
    pub active_version: Option<u64>,
    /// The last rejection, if any.
    pub last_error: Option<RejectionView>,
}

/// A [`NodeStatus`] as the publisher reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NodeReport {
    /// The node's name.
    pub node: String,
    /// Its cohort.
    pub cohort: String,
    /// Publish sequence number serving, if any.
    pub serving: Option<u64>,
    /// Target last seen, if any.
    pub target: Option<u64>,
    /// Sequence number last rejected, if any.
    pub rejected: Option<u64>,
    /// What happened to the cache at start.
    pub cache: String,
    /// Whether scoring is on.
    pub enabled: bool,
    /// Requests scored.
    pub scored: u64,
    /// Requests not scored.
    pub unscored: u64,
    /// Unscored requests per thousand over the node's last status interval.
    pub unscored_permille: u32,
    /// The engine's reload counters and last rejection.
    pub reloads: ReloadsView,
}

impl NodeReport {
    /// Decodes a status written by [`NodeStatus::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, StatusError> {
        serde_json::from_slice(bytes).map_err(|e| StatusError::Invalid { reason: e.to_string() })
    }

    /// The last rejection's text, if any.
    pub fn last_error(&self) -> Option<&str> {
        self.reloads.last_error.as_ref().map(|e| e.message.as_str())
    }
}

/// Why a status could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusError {
    /// The encoding did not fit [`STATUS_CAPACITY`] bytes.
    TooLarge {
        /// The buffer's size.
        capacity: usize,
    },
    /// The bytes are not a status.
    Invalid {
        /// The JSON error's text.
        reason: String,
    },
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { capacity } => write!(f, "status does not fit {capacity} bytes"),
            Self::Invalid { reason } => write!(f, "not a node status: {reason}"),
        }
    }
}

impl std::error::Error for StatusError {}
