//! The publisher: validates a pair with the node's rules, then rolls it out
//! stage by stage, halting and rolling back on the first sign of trouble.
//!
//! Every change of the rollout is one etcd transaction that compares the
//! rollout key's revision with the one this publisher last wrote and checks
//! that it still holds the rollout lock (a key under its lease). So two
//! publishers cannot interleave, and a publisher that dies leaves a state
//! that is consistent at every point: its files and its rollout state were
//! written in the same transaction as its first target move, and its lock
//! expires with its lease. The next [`Publisher::publish`] finds the
//! abandoned rollout and points its cohorts back to the last good sequence
//! number before it starts (one more guarded transaction).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use etcd_client::{Client, Compare, CompareOp, ConnectOptions, GetOptions, PutOptions, Txn, TxnOp};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::status::NodeReport;
use crate::{Keys, node, parse_seq};

/// Where a rollout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// A publisher is moving stages (or died doing so, if the lock is gone).
    Running,
    /// Every stage is healthy: `seq` is the fleet's last good.
    Done,
    /// A stage failed; its cohorts point back to `last_good`.
    Halted,
    /// Its publisher died; a later publisher pointed its cohorts back to
    /// `last_good`.
    Abandoned,
}

/// The rollout state under `<prefix>/rollout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutState {
    /// The publish sequence number being (or last) rolled out.
    pub seq: u64,
    /// Its stages: each a list of cohorts moved together.
    pub stages: Vec<Vec<String>>,
    /// Index of the stage whose cohorts were moved last.
    pub stage: usize,
    /// Where it is.
    pub phase: Phase,
    /// The last sequence number every node accepted, if any.
    pub last_good: Option<u64>,
    /// Why it halted or was abandoned.
    pub reason: Option<String>,
}

/// How a rollout proceeds.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The stages, in order; each a set of cohorts moved at once
    /// (`[["canary"], ["wave-1"], ["all"]]`; push-to-all is one stage with
    /// every cohort).
    pub stages: Vec<Vec<String>>,
    /// A stage that is not healthy within this halts the rollout.
    pub stage_deadline: Duration,
    /// How long a stage must stay healthy before the next one moves.
    pub bake: Duration,
    /// A node serving the new pair with more unscored requests per thousand
    /// than this halts the rollout.
    pub max_unscored_permille: u32,
    /// Check the pair with the node's rules before writing it. Off only for
    /// drills that let the canary be the check.
    pub local_check: bool,
    /// The node's rules the local check applies: [`node::signal_rules`]
    /// for signal nodes; a fleet of hosts with other extractors passes its
    /// own (built on [`node::check_with`]).
    pub rules: Rules,
    /// How often node statuses are read during a stage.
    pub poll: Duration,
    /// A stage with fewer live nodes than this is not healthy (a cohort
    /// whose nodes all lost etcd must not pass for an empty one).
    pub min_nodes: usize,
    /// TTL of the publisher's lease (its lock outlives a crash this long).
    pub lock_ttl_secs: i64,
}

impl PublishOptions {
    /// `canary`, `wave-1`, `all`; 30 s per stage, no bake, 1 % unscored,
    /// the signal nodes' rules,
    /// local check on, polling every 20 ms, at least one live node per
    /// stage, lock TTL 3 s.
    pub fn new() -> Self {
        Self {
            stages: ["canary", "wave-1", "all"].iter().map(|c| vec![(*c).to_owned()]).collect(),
            stage_deadline: Duration::from_secs(30),
            bake: Duration::ZERO,
            max_unscored_permille: 10,
            local_check: true,
            rules: node::signal_rules,
            poll: Duration::from_millis(20),
            min_nodes: 1,
            lock_ttl_secs: 3,
        }
    }
}

impl Default for PublishOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// A local check: given the last good pair (if any), the feature file and
/// the model, `Ok` exactly when the fleet's nodes accept the pair, else the
/// error text they would report.
pub type Rules = fn(Option<(&[u8], &[u8])>, &[u8], &[u8]) -> Result<(), String>;

/// Parses `canary,wave-1,all` (stages) where `a+b` moves cohorts together.
pub fn parse_stages(waves: &str) -> Vec<Vec<String>> {
    waves
        .split(',')
        .map(|stage| stage.split('+').map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        .filter(|stage| !stage.is_empty())
        .collect()
}

/// Why a publish did not start or could not finish its bookkeeping. A
/// rollout that halts is not an error: see [`Outcome`].
#[derive(Debug)]
#[non_exhaustive]
pub enum PublishError {
    /// The node's rules reject the pair; nothing was written.
    LocalCheck {
        /// The node's error text.
        reason: String,
    },
    /// No stage given.
    NoStages,
    /// Another publisher holds the rollout lock.
    Busy {
        /// The sequence number it is rolling out.
        seq: u64,
    },
    /// The rollout state changed under this publisher (another publisher,
    /// or an operator); it stopped.
    Conflict {
        /// What this publisher was doing.
        during: String,
    },
    /// etcd did not answer in time, or refused.
    Etcd {
        /// The request.
        during: String,
        /// The error.
        reason: String,
    },
    /// The rollout state in etcd is not JSON this publisher reads.
    BadState {
        /// The JSON error.
        reason: String,
    },
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LocalCheck { reason } => write!(f, "refused locally, nodes would reject it: {reason}"),
            Self::NoStages => write!(f, "no stage to roll out to"),
            Self::Busy { seq } => write!(f, "another publisher is rolling out seq {seq}"),
            Self::Conflict { during } => write!(f, "the rollout state changed under this publisher during {during}"),
            Self::Etcd { during, reason } => write!(f, "etcd, during {during}: {reason}"),
            Self::BadState { reason } => write!(f, "rollout state unreadable: {reason}"),
        }
    }
}

impl std::error::Error for PublishError {}

/// How one stage went.
#[derive(Debug, Clone, PartialEq)]
pub struct StageReport {
    /// Its cohorts.
    pub cohorts: Vec<String>,
    /// Live nodes in those cohorts when it ended.
    pub nodes: usize,
    /// From the target move's commit to every live node reporting the new
    /// sequence number, if that happened.
    pub all_serving_after: Option<Duration>,
}

/// Why a rollout halted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HaltReason {
    /// A node rejected the pair.
    Rejected {
        /// The node.
        node: String,
        /// Its error text.
        error: String,
    },
    /// A node serving the pair left too many requests unscored.
    Unscored {
        /// The node.
        node: String,
        /// Its unscored requests per thousand.
        permille: u32,
    },
    /// The stage's cohorts had fewer live nodes than
    /// [`PublishOptions::min_nodes`] until the deadline.
    TooFewNodes {
        /// Live nodes at the deadline.
        live: usize,
        /// The minimum.
        needed: usize,
    },
    /// Some live nodes did not report the pair before the deadline.
    Deadline {
        /// Those nodes.
        missing: Vec<String>,
    },
}

impl fmt::Display for HaltReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected { node, error } => write!(f, "node {node} rejected it: {error}"),
            Self::Unscored { node, permille } => {
                write!(f, "node {node} left {permille} per thousand requests unscored")
            }
            Self::TooFewNodes { live, needed } => {
                write!(f, "{live} live nodes in the stage at the deadline, {needed} needed")
            }
            Self::Deadline { missing } => write!(f, "not served before the deadline by {}", missing.join(", ")),
        }
    }
}

/// What a publish did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The publish sequence number given to the pair.
    pub seq: u64,
    /// The stages that moved, in order.
    pub stages: Vec<StageReport>,
    /// `None` if every stage was healthy; else why the last one halted (its
    /// cohorts and the earlier ones now point to `rolled_back_to`).
    pub halted: Option<HaltReason>,
    /// Where halted cohorts point now (`None`: no good pair yet; their
    /// target was deleted).
    pub rolled_back_to: Option<u64>,
    /// An abandoned rollout this publish cleaned up first, if any.
    pub recovered: Option<u64>,
}

/// The fleet as `status` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetStatus {
    /// The rollout state, if any publish happened.
    pub rollout: Option<RolloutState>,
    /// Whether a live publisher holds the lock.
    pub locked: bool,
    /// Each cohort's target.
    pub targets: Vec<(String, u64)>,
    /// The kill switch.
    pub kill: bool,
    /// Every live node, by name.
    pub nodes: Vec<NodeReport>,
}

impl fmt::Display for FleetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rollout {
            None => writeln!(f, "rollout: none")?,
            Some(r) => {
                let phase = match (r.phase, self.locked) {
                    (Phase::Running, false) => "abandoned (publisher gone; the next publish rolls it back)",
                    (Phase::Running, true) => "running",
                    (Phase::Done, _) => "done",
                    (Phase::Halted, _) => "halted",
                    (Phase::Abandoned, _) => "abandoned, rolled back",
                };
                let good = r.last_good.map_or("none".to_owned(), |g| g.to_string());
                write!(
                    f,
                    "rollout: seq {} {phase} at stage {} of {}; last good {good}",
                    r.seq,
                    r.stage + 1,
                    r.stages.len()
                )?;
                if let Some(reason) = &r.reason {
                    write!(f, "; {reason}")?;
                }
                writeln!(f)?;
            }
        }
        let targets: Vec<String> = self.targets.iter().map(|(c, s)| format!("{c}={s}")).collect();
        writeln!(f, "targets: {}", if targets.is_empty() { "none".to_owned() } else { targets.join(" ") })?;
        writeln!(f, "kill switch: {}", if self.kill { "ON (scoring disabled)" } else { "off" })?;
        writeln!(f, "{:<12} {:<8} {:>7} {:>8} {:>9}  last error", "node", "cohort", "serving", "rejected", "unscored")?;
        let opt = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
        for n in &self.nodes {
            writeln!(
                f,
                "{:<12} {:<8} {:>7} {:>8} {:>7}‰  {}",
                n.node,
                n.cohort,
                opt(n.serving),
                opt(n.rejected),
                n.unscored_permille,
                n.last_error().unwrap_or("-")
            )?;
        }
        Ok(())
    }
}

/// A connection to the fleet's etcd for publishing and inspection.
#[derive(Clone)]
pub struct Publisher {
    /// One client per member (`first`, then `rest`): a request that fails
    /// is retried on the next.
    first: Client,
    rest: Vec<Client>,
    /// The member that answered last.
    member: Arc<AtomicUsize>,
    keys: Keys,
    timeout: Duration,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher").field("keys", &self.keys).finish_non_exhaustive()
    }
}

/// Keeps a lease alive until dropped.
struct LeaseGuard {
    id: i64,
    task: JoinHandle<()>,
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn etcd(during: &str) -> impl FnOnce(etcd_client::Error) -> PublishError + '_ {
    move |e| PublishError::Etcd { during: during.to_owned(), reason: e.to_string() }
}

impl Publisher {
    /// Connects to `endpoints` (every request is then bounded by 2 s and
    /// retried on the next member until 10 s pass).
    pub async fn connect(endpoints: &[String], prefix: &str) -> Result<Self, PublishError> {
        let timeout = Duration::from_secs(2);
        let options =
            ConnectOptions::new().with_connect_timeout(timeout).with_timeout(timeout).with_require_leader(true);
        let mut clients = Vec::new();
        for endpoint in endpoints {
            clients.push(Client::connect([endpoint], Some(options.clone())).await.map_err(etcd("connect"))?);
        }
        let mut clients = clients.into_iter();
        let first = clients
            .next()
            .ok_or_else(|| PublishError::Etcd { during: "connect".into(), reason: "no endpoint given".into() })?;
        let rest = clients.collect();
        Ok(Self { first, rest, member: Arc::new(AtomicUsize::new(0)), keys: Keys::new(prefix), timeout })
    }

    /// The client of the member that answered last.
    fn client(&self) -> Client {
        let index = self.member.load(Ordering::Relaxed) % (1 + self.rest.len());
        index.checked_sub(1).and_then(|i| self.rest.get(i)).unwrap_or(&self.first).clone()
    }

    /// Runs `op` until it succeeds or 5 × the request timeout pass: a killed
    /// member's connection fails and the next attempt goes to another.
    async fn retry<T, F, Fut>(&self, during: &str, mut op: F) -> Result<T, PublishError>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let deadline = Instant::now() + self.timeout * 5;
        loop {
            let error = match tokio::time::timeout(self.timeout, op(self.client())).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no answer within {:?}", self.timeout),
            };
            self.member.fetch_add(1, Ordering::Relaxed);
            if Instant::now() >= deadline {
                return Err(PublishError::Etcd { during: during.to_owned(), reason: error });
            }
            log::debug!("etcd {during}: {error}; retrying");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn get_value(&self, key: String) -> Result<Option<(Vec<u8>, i64)>, PublishError> {
        let response = self
            .retry("get", |mut c| {
                let key = key.clone();
                async move { c.get(key, None).await }
            })
            .await?;
        Ok(response.kvs().first().map(|kv| (kv.value().to_vec(), kv.mod_revision())))
    }

    /// The rollout state and its revision (0 if absent).
    async fn rollout(&self) -> Result<(Option<RolloutState>, i64), PublishError> {
        match self.get_value(self.keys.rollout()).await? {
            None => Ok((None, 0)),
            Some((value, revision)) => serde_json::from_slice(&value)
                .map(|state| (Some(state), revision))
                .map_err(|e| PublishError::BadState { reason: e.to_string() }),
        }
    }

    /// Commits `txn`; `Ok(Some(revision))` if its compares held. A retried
    /// commit whose first attempt landed shows up as a failed compare with
    /// `written` already in place, and counts as committed.
    async fn commit(&self, during: &str, txn: Txn, written: &RolloutState) -> Result<i64, PublishError> {
        let response = self
            .retry(during, |mut c| {
                let txn = txn.clone();
                async move { c.txn(txn).await }
            })
            .await?;
        if response.succeeded() {
            return Ok(response.header().map_or(0, |h| h.revision()));
        }
        match self.rollout().await? {
            (Some(state), revision) if &state == written => Ok(revision),
            _ => Err(PublishError::Conflict { during: during.to_owned() }),
        }
    }

    async fn grant_lock_lease(&self, ttl: i64) -> Result<LeaseGuard, PublishError> {
        let lease = self.retry("lease grant", |mut c| async move { c.lease_grant(ttl, None).await }).await?;
        let id = lease.id();
        let period = Duration::from_millis(u64::try_from(ttl).unwrap_or(1).saturating_mul(1000) / 3);
        let publisher = self.clone();
        // Keep-alives through any member: a member that dies mid-rollout
        // must not cost the publisher its lock.
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                let mut client = publisher.client();
                let kept = async {
                    let (mut keeper, mut stream) = client.lease_keep_alive(id).await.ok()?;
                    loop {
                        tick.tick().await;
                        keeper.keep_alive().await.ok()?;
                        let reply = tokio::time::timeout(publisher.timeout, stream.message()).await.ok()?.ok()??;
                        if reply.ttl() <= 0 {
                            return Some(()); // expired: nothing left to keep
                        }
                    }
                }
                .await;
                if kept.is_some() {
                    log::warn!("publisher: its lease expired; its next transaction will fail");
                    return;
                }
                publisher.member.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Ok(LeaseGuard { id, task })
    }

    /// Target puts pointing `cohorts` at `seq` (deletes when `None`).
    fn point(&self, cohorts: impl IntoIterator<Item = String>, seq: Option<u64>) -> Vec<TxnOp> {
        cohorts
            .into_iter()
            .map(|c| match seq {
                Some(seq) => TxnOp::put(self.keys.target(&c), seq.to_string(), None),
                None => TxnOp::delete(self.keys.target(&c), None),
            })
            .collect()
    }

    fn state_op(&self, state: &RolloutState) -> Result<TxnOp, PublishError> {
        let json = serde_json::to_vec(state).map_err(|e| PublishError::BadState { reason: e.to_string() })?;
        Ok(TxnOp::put(self.keys.rollout(), json, None))
    }

    /// If the last rollout's publisher died mid-way, points its cohorts
    /// back to the last good pair. Returns its sequence number if it did.
    async fn recover(&self, state: &RolloutState, revision: i64) -> Result<Option<(RolloutState, i64)>, PublishError> {
        let moved = state.stages.iter().take(state.stage.saturating_add(1)).flatten().cloned();
        let recovered = RolloutState {
            phase: Phase::Abandoned,
            reason: Some(format!("publisher gone at stage {}; cohorts pointed back", state.stage + 1)),
            ..state.clone()
        };
        let mut ops = self.point(moved, state.last_good);
        ops.push(self.state_op(&recovered)?);
        let txn = Txn::new()
            .when([
                Compare::mod_revision(self.keys.rollout(), CompareOp::Equal, revision),
                Compare::version(self.keys.rollout_lock(), CompareOp::Equal, 0),
            ])
            .and_then(ops);
        let revision = self.commit("recovery of an abandoned rollout", txn, &recovered).await?;
        log::warn!(
            "publisher: seq {} was abandoned at stage {}; its cohorts point back to the last good",
            state.seq,
            state.stage + 1
        );
        Ok(Some((recovered, revision)))
    }

    /// Validates and rolls out a pair. See the [module docs](self).
    pub async fn publish(
        &self,
        features: &[u8],
        model: &[u8],
        options: &PublishOptions,
    ) -> Result<Outcome, PublishError> {
        if options.stages.is_empty() {
            return Err(PublishError::NoStages);
        }
        let (mut state, mut revision) = self.rollout().await?;
        let locked = self.get_value(self.keys.rollout_lock()).await?.is_some();
        let mut recovered = None;
        if let Some(current) = state.as_ref().filter(|s| s.phase == Phase::Running) {
            if locked {
                return Err(PublishError::Busy { seq: current.seq });
            }
            if let Some((s, r)) = self.recover(current, revision).await? {
                recovered = Some(s.seq);
                (state, revision) = (Some(s), r);
            }
        }
        let last_good = state.as_ref().and_then(|s| if s.phase == Phase::Done { Some(s.seq) } else { s.last_good });
        if options.local_check {
            let serving = match last_good {
                Some(good) => self.files(good).await?,
                None => None,
            };
            (options.rules)(serving.as_ref().map(|(f, m)| (f.as_slice(), m.as_slice())), features, model)
                .map_err(|reason| PublishError::LocalCheck { reason })?;
        }
        let seq = state.as_ref().map_or(1, |s| s.seq.saturating_add(1));
        let lease = self.grant_lock_lease(options.lock_ttl_secs).await?;
        let lock_held = || Compare::lease(self.keys.rollout_lock(), CompareOp::Equal, lease.id);
        let mut current = RolloutState {
            seq,
            stages: options.stages.clone(),
            stage: 0,
            phase: Phase::Running,
            last_good,
            reason: None,
        };

        // Files, rollout state, lock and the first stage's targets: one
        // transaction, so nothing is ever half-published.
        let mut ops = vec![
            TxnOp::put(self.keys.rollout_lock(), seq.to_string(), Some(PutOptions::new().with_lease(lease.id))),
            TxnOp::put(self.keys.features(seq), features.to_vec(), None),
            TxnOp::put(self.keys.model(seq), model.to_vec(), None),
            self.state_op(&current)?,
        ];
        if let Some(good) = last_good {
            // How a node that missed publishes catches up (see `agent`).
            ops.push(TxnOp::put(self.keys.base(seq), good.to_string(), None));
        }
        ops.extend(self.point(options.stages.first().cloned().unwrap_or_default(), Some(seq)));
        let txn = Txn::new()
            .when([
                Compare::mod_revision(self.keys.rollout(), CompareOp::Equal, revision),
                Compare::version(self.keys.rollout_lock(), CompareOp::Equal, 0),
            ])
            .and_then(ops);
        revision = self.commit("the first stage", txn, &current).await?;
        let mut moved_at = Instant::now();
        let mut reports = Vec::new();
        for (index, cohorts) in options.stages.iter().enumerate() {
            let (report, halt) = self.wait_stage(cohorts, seq, moved_at, options).await?;
            reports.push(report);
            if let Some(reason) = halt {
                let halted = RolloutState { phase: Phase::Halted, reason: Some(reason.to_string()), ..current.clone() };
                let mut ops = self.point(options.stages.iter().take(index + 1).flatten().cloned(), last_good);
                ops.push(self.state_op(&halted)?);
                ops.push(TxnOp::delete(self.keys.rollout_lock(), None));
                let txn = Txn::new()
                    .when([Compare::mod_revision(self.keys.rollout(), CompareOp::Equal, revision), lock_held()])
                    .and_then(ops);
                self.commit("the rollback", txn, &halted).await?;
                return Ok(Outcome {
                    seq,
                    stages: reports,
                    halted: Some(reason),
                    rolled_back_to: last_good,
                    recovered,
                });
            }
            let next = options.stages.get(index + 1);
            let mut after = match next {
                Some(_) => RolloutState { stage: index + 1, ..current.clone() },
                None => RolloutState { phase: Phase::Done, ..current.clone() },
            };
            if next.is_none() {
                after.last_good = Some(seq);
            }
            let mut ops = vec![self.state_op(&after)?];
            match next {
                Some(cohorts) => ops.extend(self.point(cohorts.iter().cloned(), Some(seq))),
                None => ops.push(TxnOp::delete(self.keys.rollout_lock(), None)),
            }
            let txn = Txn::new()
                .when([Compare::mod_revision(self.keys.rollout(), CompareOp::Equal, revision), lock_held()])
                .and_then(ops);
            revision = self.commit("a stage move", txn, &after).await?;
            moved_at = Instant::now();
            current = after;
        }
        Ok(Outcome { seq, stages: reports, halted: None, rolled_back_to: None, recovered })
    }

    /// The feature file and model of publish `seq`, if both exist.
    pub async fn files(&self, seq: u64) -> Result<Option<(Vec<u8>, Vec<u8>)>, PublishError> {
        let features = self.get_value(self.keys.features(seq)).await?;
        let model = self.get_value(self.keys.model(seq)).await?;
        Ok(features.zip(model).map(|((f, _), (m, _))| (f, m)))
    }

    /// Every live node's status (undecodable entries are skipped and logged).
    pub async fn nodes(&self) -> Result<Vec<NodeReport>, PublishError> {
        let prefix = self.keys.nodes();
        let response = self
            .retry("node statuses", |mut c| {
                let prefix = prefix.clone();
                async move { c.get(prefix, Some(GetOptions::new().with_prefix())).await }
            })
            .await?;
        let mut nodes = Vec::new();
        for kv in response.kvs() {
            match NodeReport::decode(kv.value()) {
                Ok(status) => nodes.push(status),
                Err(e) => log::warn!("publisher: {}: {e}", String::from_utf8_lossy(kv.key())),
            }
        }
        nodes.sort_by(|a, b| a.node.cmp(&b.node));
        Ok(nodes)
    }

    /// Watches one stage until every live node of `cohorts` serves `seq`
    /// (and stays so for the bake time), one rejects it, one serving it
    /// leaves too many requests unscored, or the deadline passes.
    async fn wait_stage(
        &self,
        cohorts: &[String],
        seq: u64,
        moved_at: Instant,
        options: &PublishOptions,
    ) -> Result<(StageReport, Option<HaltReason>), PublishError> {
        let mut report = StageReport { cohorts: cohorts.to_vec(), nodes: 0, all_serving_after: None };
        loop {
            let nodes: Vec<_> = self.nodes().await?.into_iter().filter(|n| cohorts.contains(&n.cohort)).collect();
            report.nodes = nodes.len();
            for n in &nodes {
                if n.rejected == Some(seq) && n.serving != Some(seq) {
                    let error = n.last_error().unwrap_or("no reason given").to_owned();
                    return Ok((report, Some(HaltReason::Rejected { node: n.node.clone(), error })));
                }
                if n.serving == Some(seq) && n.enabled && n.unscored_permille > options.max_unscored_permille {
                    let halt = HaltReason::Unscored { node: n.node.clone(), permille: n.unscored_permille };
                    return Ok((report, Some(halt)));
                }
            }
            if nodes.len() >= options.min_nodes && nodes.iter().all(|n| n.serving == Some(seq)) {
                let after = *report.all_serving_after.get_or_insert_with(|| moved_at.elapsed());
                if moved_at.elapsed() >= after + options.bake {
                    return Ok((report, None));
                }
            } else {
                report.all_serving_after = None;
            }
            if moved_at.elapsed() >= options.stage_deadline {
                if nodes.len() < options.min_nodes {
                    let halt = HaltReason::TooFewNodes { live: nodes.len(), needed: options.min_nodes };
                    return Ok((report, Some(halt)));
                }
                let missing = nodes.iter().filter(|n| n.serving != Some(seq)).map(|n| n.node.clone()).collect();
                return Ok((report, Some(HaltReason::Deadline { missing })));
            }
            tokio::time::sleep(options.poll).await;
        }
    }

    /// The fleet: rollout state, targets, kill switch, live nodes.
    pub async fn status(&self) -> Result<FleetStatus, PublishError> {
        let (rollout, _) = self.rollout().await?;
        let locked = self.get_value(self.keys.rollout_lock()).await?.is_some();
        let kill = self.get_value(self.keys.kill()).await?.is_some_and(|(v, _)| v.trim_ascii() == b"on");
        let prefix = self.keys.target("");
        let response = self
            .retry("targets", |mut c| {
                let prefix = prefix.clone();
                async move { c.get(prefix, Some(GetOptions::new().with_prefix())).await }
            })
            .await?;
        let targets = response
            .kvs()
            .iter()
            .filter_map(|kv| {
                let cohort = kv.key().strip_prefix(prefix.as_bytes())?;
                Some((String::from_utf8_lossy(cohort).into_owned(), parse_seq(kv.value())?))
            })
            .collect();
        Ok(FleetStatus { rollout, locked, targets, kill, nodes: self.nodes().await? })
    }

    /// Flips the global kill switch (`true`: every node stops scoring).
    pub async fn kill(&self, on: bool) -> Result<(), PublishError> {
        let key = self.keys.kill();
        let value = if on { "on" } else { "off" };
        self.retry("kill switch", |mut c| {
            let key = key.clone();
            async move { c.put(key, value, None).await }
        })
        .await?;
        Ok(())
    }
}
