//! The node's rules, shared by the agent and the publisher's local check:
//! one engine type, one policy, one set of extractors.

use feature_table::model::logistic::Logistic;
use feature_table::shared::SharedEngine;
use feature_table::{Extractor, Policy};

pub use crate::names::EXTRACTORS;

/// Feature slots per node (the 2025-11-18 proxy preallocated 200).
pub const CAPACITY: usize = 200;

/// The model a node scores with.
pub type NodeModel = Logistic<CAPACITY>;

/// A node's scoring engine; a request is its signal vector
/// ([`SharedEngine::score_signals`]).
pub type NodeEngine = SharedEngine<[f32], NodeModel, CAPACITY>;

/// The fleet's reload policy: [`Policy::DEFAULT`] except that a file need
/// not carry a newer `version` than the serving one. The fleet orders files
/// by its own publish sequence number (an agent applies a target only when it
/// differs from what it serves, see [`agent`](crate::agent)), and a rollback
/// must be able to point a cohort back at an older file.
///
/// The growth guard stays on, also for rollbacks, and never needs a bypass
/// there: it is symmetric (`a -> b` passes exactly when `b -> a` does), and
/// the publisher's local check holds every new file within the guard of the
/// last good one, so pointing a cohort back at the last good is always
/// within the guard of the file a node leaves. (Tested:
/// `the_growth_guard_is_symmetric_...` in `tests/node.rs`, and
/// `a_rollback_across_the_largest_size_change_...` in `tests/faults.rs`.)
/// Nor for a node that missed publishes: it catches up by way of them, each
/// within the guard of the one before (see [`agent`](crate::agent), step 4,
/// and `a_node_down_while_the_fleet_grew_past_the_guard_...`).
pub const fn policy() -> Policy {
    Policy { require_newer_version: false, ..Policy::DEFAULT }
}

/// A node engine with no pair yet (every request unscored until one is
/// accepted).
pub fn engine() -> NodeEngine {
    NodeEngine::new(extractors(), policy())
}

/// The extractors nodes compute.
pub fn extractors() -> &'static [Extractor<[f32]>] {
    EXTRACTORS
}

/// Checks a pair with the node's rules, as a node with `serving` (the pair
/// every node accepted last, if any) would: `Ok` exactly when such a node
/// accepts it. The error is the node's, so its `Display` is what the node
/// would report.
pub fn check(
    serving: Option<(&[u8], &[u8])>,
    features: &[u8],
    model: &[u8],
) -> Result<feature_table::Accepted, feature_table::shared::PairRejected<feature_table::model::logistic::LogisticError>>
{
    check_with(EXTRACTORS, serving, features, model)
}

/// [`check`] for nodes that compute other features: a host embedding the
/// [`Agent`](crate::agent::Agent) in front of its own `SharedEngine` (the
/// `fleet-proxy` binary's request-head extractors, for one) checks with its
/// own extractor list, the fleet's [`policy`] and model.
pub fn check_with<R: ?Sized + 'static>(
    extractors: &'static [Extractor<R>],
    serving: Option<(&[u8], &[u8])>,
    features: &[u8],
    model: &[u8],
) -> Result<feature_table::Accepted, feature_table::shared::PairRejected<feature_table::model::logistic::LogisticError>>
{
    let engine = SharedEngine::<R, NodeModel, CAPACITY>::new(extractors, policy());
    if let Some((f, m)) = serving {
        // A serving pair that no longer loads (rules changed) checks the
        // new pair as a fresh node would.
        let _ = engine.reload(f, m);
    }
    engine.reload(features, model)
}

/// The publisher's local check for a fleet of signal nodes ([`check`]), in
/// the shape of [`Rules`](crate::publish::Rules).
pub fn signal_rules(serving: Option<(&[u8], &[u8])>, features: &[u8], model: &[u8]) -> Result<(), String> {
    check(serving, features, model).map(drop).map_err(|e| e.to_string())
}
