//! Staged rollout of feature-table files over etcd: a bad feature file
//! stops at the first canary instead of reaching the whole fleet.
//!
//! Three pieces, all on one etcd key layout ([`Keys`]):
//!
//! - [`agent::Agent`], the node side a proxy embeds next to its
//!   [`SharedEngine`](feature_table::shared::SharedEngine): it watches its
//!   cohort's target, fetches the published pair, offers it through the
//!   engine's validation, persists every accepted pair locally
//!   ([`cache`]) so a restart with etcd down serves it at once, writes its
//!   [`status::NodeStatus`] under a lease, and follows the global kill switch.
//! - [`publish::Publisher`], the `feature-table-fleet` CLI's library: it
//!   validates with the node's rules ([`node`]), moves cohorts one at a time
//!   in revision-guarded etcd transactions, waits for each stage's health, and
//!   halts and rolls back on the first rejection.
//! - the `fleet-proxy` binary: the core's hyper reverse proxy
//!   (`examples/proxy/service.rs`, included unchanged) whose engine the
//!   [`agent::Agent`] feeds from etcd instead of a file watcher; its
//!   `/status` adds the agent's state to the core's report.
//! - the `fleet-demo` binary: the 2025-11-18 sequence of files against 8
//!   nodes, staged rollout vs push-to-all.
//!
//! The ordering of files is the fleet's (the publish sequence number kept in
//! etcd), not the files' own `version` fields: see [`node::policy`].
//!
//! In a proxy (inside its tokio runtime):
//!
//! ```no_run
//! use std::sync::Arc;
//! use feature_table_fleet::agent::{Agent, AgentConfig};
//! use feature_table_fleet::node;
//!
//! # async fn proxy() {
//! let engine = Arc::new(node::engine());
//! let config = AgentConfig::new(
//!     vec!["http://10.0.0.1:2379".into(), "http://10.0.0.2:2379".into(), "http://10.0.0.3:2379".into()],
//!     "/feature-table",
//!     "edge-17",
//!     "wave-1",
//!     "/var/lib/feature-table/last-good.pair".into(),
//! );
//! // Serves the cached pair at once (etcd may be down), then follows etcd.
//! let agent = Agent::start(config, Arc::clone(&engine));
//!
//! // Per request, on any worker: lock-free, no allocation.
//! let signals = [0.0f32; 120];
//! match engine.score_signals(&signals) {
//!     Ok(score) => println!("x-bot-score: {}", score.bot_score),
//!     Err(reason) => println!("unscored: {reason}"),
//! }
//! agent.stop().await; // revokes the lease: the node's status disappears now
//! # }
//! ```
//!
//! And the operator's side:
//!
//! ```text
//! feature-table-fleet --endpoints http://10.0.0.1:2379,http://10.0.0.2:2379 \
//!     publish features.json --model model.json --waves canary,wave-1,all --bake 60
//! feature-table-fleet status
//! feature-table-fleet kill on
//! ```
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

pub mod agent;
pub mod cache;
pub mod local;
mod names;
pub mod node;
pub mod publish;
pub mod status;

/// The etcd keys of one fleet, all under one prefix.
///
/// | key | value |
/// |---|---|
/// | `<prefix>/files/<seq>/features`, `.../model` | the published pair (raw bytes) |
/// | `<prefix>/files/<seq>/base` | the last good sequence number when `seq` was published (decimal; absent for the first): the pair the local check held it against |
/// | `<prefix>/target/<cohort>` | the sequence number the cohort should serve (decimal) |
/// | `<prefix>/rollout` | the rollout state ([`publish::RolloutState`], JSON) |
/// | `<prefix>/rollout-lock` | held by the running publisher under its lease |
/// | `<prefix>/nodes/<node>/status` | each node's [`status::NodeStatus`] under its lease |
/// | `<prefix>/kill` | `on` disables scoring on every node; anything else, or absent, enables it |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// The keys under `prefix` (without a trailing slash, e.g. `/feature-table`).
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.trim_end_matches('/').to_owned() }
    }

    /// Where the feature file of publish `seq` is.
    pub fn features(&self, seq: u64) -> String {
        format!("{}/files/{seq}/features", self.prefix)
    }

    /// Where the model of publish `seq` is.
    pub fn model(&self, seq: u64) -> String {
        format!("{}/files/{seq}/model", self.prefix)
    }

    /// The last good sequence number when `seq` was published.
    pub fn base(&self, seq: u64) -> String {
        format!("{}/files/{seq}/base", self.prefix)
    }

    /// The prefix of the files of publish `seq`.
    pub fn files(&self, seq: u64) -> String {
        format!("{}/files/{seq}/", self.prefix)
    }

    /// The target key of `cohort`.
    pub fn target(&self, cohort: &str) -> String {
        format!("{}/target/{cohort}", self.prefix)
    }

    /// The rollout state.
    pub fn rollout(&self) -> String {
        format!("{}/rollout", self.prefix)
    }

    /// The running publisher's lock.
    pub fn rollout_lock(&self) -> String {
        format!("{}/rollout-lock", self.prefix)
    }

    /// The prefix of every node's status.
    pub fn nodes(&self) -> String {
        format!("{}/nodes/", self.prefix)
    }

    /// The status key of `node`.
    pub fn status(&self, node: &str) -> String {
        format!("{}/nodes/{node}/status", self.prefix)
    }

    /// The kill switch.
    pub fn kill(&self) -> String {
        format!("{}/kill", self.prefix)
    }
}

/// Parses a target value: a decimal publish sequence number.
pub fn parse_seq(value: &[u8]) -> Option<u64> {
    std::str::from_utf8(value).ok()?.trim().parse().ok()
}
