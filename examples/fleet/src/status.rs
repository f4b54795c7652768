//! A node's status as it is written to etcd: JSON encoded with `serde` +
//! `serde-json-core` ([`serde_json_core::to_slice`]) into a fixed buffer, so
//! the same type also serializes on a `no_std` target.
//!
//! The engine part ([`EngineReport`]) is the one seam to the core crate's
//! report type: the fleet adds the node, its cohort, what it serves and what
//! it last rejected around it.

use std::borrow::Cow;

use feature_table::shared::SharedStats;
use serde::{Deserialize, Serialize};

/// Bytes reserved for one encoded status; [`NodeStatus::encode`] fails
/// (nothing written) rather than truncate.
pub const STATUS_CAPACITY: usize = 2048;

/// The engine's counters as the node reports them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct EngineReport {
    /// Feature-file version serving, if any.
    pub active_version: Option<u64>,
    /// Requests scored.
    pub scored: u64,
    /// Requests not scored, whatever the reason.
    pub unscored: u64,
    /// Reloads accepted.
    pub reloads_accepted: u64,
    /// Reloads rejected.
    pub reloads_rejected: u64,
    /// Whether scoring is on (the kill switch is off).
    pub enabled: bool,
}

impl EngineReport {
    /// The report of an engine's counters.
    pub fn new(stats: &SharedStats, enabled: bool) -> Self {
        Self {
            active_version: stats.active_version,
            scored: stats.scored,
            unscored: stats.unscored(),
            reloads_accepted: stats.reloads_accepted,
            reloads_rejected: stats.reloads_rejected,
            enabled,
        }
    }
}

/// One node's status under `<prefix>/nodes/<node>/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus<'a> {
    /// The node's name.
    #[serde(borrow)]
    pub node: Cow<'a, str>,
    /// Its cohort (`canary`, `wave-1`, `all`, ...).
    #[serde(borrow)]
    pub cohort: Cow<'a, str>,
    /// Publish sequence number serving, if any.
    pub serving: Option<u64>,
    /// Target sequence number last seen for the cohort, if any.
    pub target: Option<u64>,
    /// The last sequence number this node rejected, if any.
    pub rejected: Option<u64>,
    /// Why it rejected it: the core's typed error's text.
    #[serde(borrow)]
    pub last_error: Option<Cow<'a, str>>,
    /// What happened to the local cache at start (`loaded seq 4`, `none`,
    /// `rejected: ...`).
    #[serde(borrow)]
    pub cache: Cow<'a, str>,
    /// Unscored requests per thousand over the last status interval.
    pub unscored_permille: u32,
    /// The engine's counters.
    pub engine: EngineReport,
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

impl std::fmt::Display for StatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { capacity } => write!(f, "status does not fit {capacity} bytes"),
            Self::Invalid { reason } => write!(f, "not a node status: {reason}"),
        }
    }
}

impl std::error::Error for StatusError {}

impl<'a> NodeStatus<'a> {
    /// Encodes into `buf` with `serde_json_core::to_slice`; returns the
    /// bytes written. No allocation.
    pub fn encode<'b>(&self, buf: &'b mut [u8; STATUS_CAPACITY]) -> Result<&'b [u8], StatusError> {
        let len =
            serde_json_core::to_slice(self, buf).map_err(|_| StatusError::TooLarge { capacity: STATUS_CAPACITY })?;
        buf.get(..len).ok_or(StatusError::TooLarge { capacity: STATUS_CAPACITY })
    }

    /// Decodes a status (the publisher's side; allocates for escaped text).
    pub fn decode(bytes: &'a [u8]) -> Result<Self, StatusError> {
        serde_json::from_slice(bytes).map_err(|e| StatusError::Invalid { reason: e.to_string() })
    }
}
