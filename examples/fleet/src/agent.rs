//! The node side: keeps a [`Reloadable`] engine (a [`NodeEngine`](crate::node::NodeEngine),
//! or any host's `SharedEngine` with the fleet's model) serving what its cohort's target
//! says, and tells the fleet what it serves.
//!
//! At [`Agent::start`] the last accepted pair is read from the local
//! [`cache`] and offered to the engine before etcd is even
//! contacted, so a node restarted while etcd is down serves at once. A torn
//! or corrupt cache is rejected like any bad file: the node starts unscored
//! and its status says why. The kill switch as last seen is kept next to
//! the pair and applied at start too, so a node restarted while etcd is down
//! does not score if the operator had switched scoring off.
//!
//! Then, in a loop that reconnects with exponential backoff:
//! 1. connect, grant a lease (its TTL is how long a dead node's status
//!    outlives it), and keep it alive;
//! 2. on the first connection read the target and the kill switch; on a
//!    reconnection resume the watch from the last revision seen, so an
//!    update made while the watch was broken is delivered, in order;
//! 3. for each target value, fetch `files/<seq>/` and offer the pair to the
//!    engine, unless `seq` is the one serving or the one last rejected (so
//!    a replayed event is never applied twice); persist an accepted pair;
//! 4. if the engine refuses the pair only because it grew or shrank past
//!    the growth guard since the pair serving, catch up the way the fleet
//!    went: follow the target's `base` links (each publish names the last
//!    good it was checked against) back to the serving publish, or to the
//!    first one older than it (a node serving a publish the fleet rolled
//!    back goes back to that last good first), and offer the target by way
//!    of those publishes
//!    ([`SharedEngine::reload_via`]): each step must pass the guard against
//!    the one before, only the target serves, and if any step fails nothing
//!    changes and the target counts as rejected. A node that was down while
//!    the fleet went 60 -> 90 -> 120 features takes 120 when it returns;
//!    one offered a doubled file still refuses it (at most
//!    [`MAX_CATCH_UP`] links are followed);
//! 5. write the node's [`NodeStatus`] under the lease after every change and
//!    every status interval.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use etcd_client::{Client, ConnectOptions, EventType, GetOptions, PutOptions, WatchOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use feature_table::Accepted;
use feature_table::ReloadError;
use feature_table::model::logistic::{Logistic, LogisticError};
use feature_table::shared::{PairRejected, SharedEngine, SharedStats, StepRejected};

use crate::cache::{self, CacheError, Cached};
use crate::node::CAPACITY;
use crate::status::{NodeRejection, NodeStatus, STATUS_CAPACITY};
use crate::{Keys, parse_seq};

/// What an agent drives: a [`SharedEngine`] over any request type (the
/// fleet node's signal vector, the hyper proxy's request head, ...) with the
/// fleet's model and capacity. The agent only reloads it, flips its kill
/// switch and reads its counters, so one agent serves every such host.
pub trait Reloadable: Send + Sync + 'static {
    /// [`SharedEngine::reload`].
    fn reload(&self, features: &[u8], model: &[u8]) -> Result<Accepted, PairRejected<LogisticError>>;
    /// [`SharedEngine::reload_via`].
    fn reload_via(
        &self,
        via: &[(&[u8], &[u8])],
        features: &[u8],
        model: &[u8],
    ) -> Result<Accepted, StepRejected<LogisticError>>;
    /// [`SharedEngine::set_enabled`].
    fn set_enabled(&self, enabled: bool);
    /// [`SharedEngine::is_enabled`].
    fn is_enabled(&self) -> bool;
    /// [`SharedEngine::stats`].
    fn stats(&self) -> SharedStats;
}

impl<R: ?Sized + 'static> Reloadable for SharedEngine<R, Logistic<CAPACITY>, CAPACITY>
where
    Self: Send + Sync,
{
    fn reload(&self, features: &[u8], model: &[u8]) -> Result<Accepted, PairRejected<LogisticError>> {
        SharedEngine::reload(self, features, model)
    }
    fn reload_via(
        &self,
        via: &[(&[u8], &[u8])],
        features: &[u8],
        model: &[u8],
    ) -> Result<Accepted, StepRejected<LogisticError>> {
        SharedEngine::reload_via(self, via, features, model)
    }
    fn set_enabled(&self, enabled: bool) {
        SharedEngine::set_enabled(self, enabled);
    }
    fn is_enabled(&self) -> bool {
        SharedEngine::is_enabled(self)
    }
    fn stats(&self) -> SharedStats {
        SharedEngine::stats(self)
    }
}

/// How an agent finds etcd and names itself.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// etcd client endpoints (`http://127.0.0.1:2379`, ...); one session
    /// talks to one member, the next session to the next member.
    pub endpoints: Vec<String>,
    /// The fleet's key prefix.
    pub prefix: String,
    /// This node's name (unique in the fleet).
    pub node: String,
    /// This node's cohort.
    pub cohort: String,
    /// Where the last accepted pair is kept.
    pub cache_path: PathBuf,
    /// Lease TTL in seconds: a dead node's status disappears this long after
    /// its last keep-alive.
    pub lease_ttl_secs: i64,
    /// How often the status is rewritten even when nothing changed (the
    /// unscored rate is measured over this interval).
    pub status_interval: Duration,
    /// First reconnection delay; doubled after each failure up to
    /// `backoff_max`.
    pub backoff_min: Duration,
    /// Longest reconnection delay.
    pub backoff_max: Duration,
    /// Bound on one etcd request (and on connecting).
    pub request_timeout: Duration,
}

impl AgentConfig {
    /// Defaults for a node: lease 3 s, status every 500 ms, backoff
    /// 100 ms..2 s, requests bounded at 2 s.
    pub fn new(endpoints: Vec<String>, prefix: &str, node: &str, cohort: &str, cache_path: PathBuf) -> Self {
        Self {
            endpoints,
            prefix: prefix.to_owned(),
            node: node.to_owned(),
            cohort: cohort.to_owned(),
            cache_path,
            lease_ttl_secs: 3,
            status_interval: Duration::from_millis(500),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
        }
    }
}

/// What the agent knows, shared with [`AgentHandle`] for inspection.
#[derive(Debug, Default)]
struct State {
    /// Sequence number serving plus one; 0 = none.
    serving: AtomicU64,
    /// Target last seen plus one; 0 = none.
    target: AtomicU64,
    /// Sequence number last rejected plus one; 0 = none.
    rejected: AtomicU64,
    /// Connected to etcd with a live lease and watch.
    connected: AtomicBool,
    /// Revision up to which every event of the target key has been
    /// applied; 0 = nothing read yet.
    seen_target: AtomicU64,
    /// The same for the kill switch (each key has its own watcher, and
    /// etcd syncs watchers independently, so one revision cannot stand for
    /// both).
    seen_kill: AtomicU64,
    text: Mutex<Text>,
}

#[derive(Debug, Default)]
struct Text {
    last_error: Option<NodeRejection>,
    cache: String,
    kill: String,
    /// The kill switch state last persisted (or read at start), if any.
    kill_persisted: Option<bool>,
}

impl State {
    fn text(&self) -> MutexGuard<'_, Text> {
        self.text.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn get(cell: &AtomicU64) -> Option<u64> {
    cell.load(Ordering::Relaxed).checked_sub(1)
}

fn set(cell: &AtomicU64, seq: u64) {
    cell.store(seq.saturating_add(1), Ordering::Relaxed);
}

/// A running agent. Dropping it stops the agent without revoking its lease
/// (like a crash: the status expires with the lease); [`stop`](Self::stop)
/// revokes it.
#[derive(Debug)]
pub struct Agent {
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// What an [`Agent`] knows, read from another task ([`Agent::view`]).
#[derive(Debug, Clone)]
pub struct AgentView {
    state: Arc<State>,
}

impl AgentView {
    /// Publish sequence number serving, if any.
    pub fn serving(&self) -> Option<u64> {
        get(&self.state.serving)
    }

    /// The target last seen, if any.
    pub fn target(&self) -> Option<u64> {
        get(&self.state.target)
    }

    /// The sequence number last rejected, if any.
    pub fn rejected(&self) -> Option<u64> {
        get(&self.state.rejected)
    }

    /// The last rejection, if any.
    pub fn last_error(&self) -> Option<NodeRejection> {
        self.state.text().last_error.clone()
    }

    /// What happened to the cache at start.
    pub fn cache(&self) -> String {
        self.state.text().cache.clone()
    }

    /// Whether the agent holds a live etcd session (lease and watch).
    pub fn connected(&self) -> bool {
        self.state.connected.load(Ordering::Relaxed)
    }

    /// The kill switch and where its state comes from (`on (etcd)`, `on
    /// (local cache, until etcd answers)`, `off (no local state, until etcd
    /// answers)`, ...).
    pub fn kill_switch(&self) -> String {
        self.state.text().kill.clone()
    }
}

/// Why the etcd session ended (the agent then reconnects).
#[derive(Debug)]
enum SessionEnd {
    Shutdown,
    Lost(String),
}

impl<E: std::fmt::Display> From<E> for SessionEnd {
    fn from(e: E) -> Self {
        Self::Lost(e.to_string())
    }
}

impl Agent {
    /// Serves the cached pair (if it is valid) on `engine`, then starts the
    /// etcd loop on the current tokio runtime. Never fails: every problem is
    /// in the node's status and log.
    pub fn start<E: Reloadable>(config: AgentConfig, engine: Arc<E>) -> Self {
        let engine: Arc<dyn Reloadable> = engine;
        let state = Arc::new(State::default());
        let cache_text = match cache::read(&config.cache_path) {
            Ok(Cached { seq, features, model }) => match engine.reload(&features, &model) {
                Ok(_) => {
                    set(&state.serving, seq);
                    format!("loaded seq {seq}")
                }
                Err(e) => {
                    log::warn!("fleet {}: cached pair seq {seq} rejected, starting unscored: {e}", config.node);
                    format!("rejected: {e}")
                }
            },
            Err(CacheError::Missing) => "none".to_owned(),
            Err(e) => {
                log::warn!("fleet {}: cache rejected, starting unscored: {e}", config.node);
                format!("rejected: {e}")
            }
        };
        state.text().cache = cache_text;
        let kill_path = cache::kill_path(&config.cache_path);
        let (kill_text, kill_persisted) = match cache::read_kill(&kill_path) {
            Ok(on) => {
                engine.set_enabled(!on);
                if on {
                    log::warn!("fleet {}: kill switch on (from the local cache), not scoring", config.node);
                }
                (format!("{} (local cache, until etcd answers)", if on { "on" } else { "off" }), Some(on))
            }
            Err(CacheError::Missing) => ("off (no local state, until etcd answers)".to_owned(), None),
            Err(e) => {
                log::warn!("fleet {}: kill switch cache rejected, scoring until etcd answers: {e}", config.node);
                (format!("off (local cache rejected: {e}; until etcd answers)"), None)
            }
        };
        {
            let mut text = state.text();
            text.kill = kill_text;
            text.kill_persisted = kill_persisted;
        }
        let (shutdown, stop) = watch::channel(false);
        let task = tokio::spawn(run(config, engine, Arc::clone(&state), stop));
        Self { state, shutdown, task: Some(task) }
    }

    /// A handle on what the agent knows, for a host's status page: cheap to
    /// clone into request handlers, and it outlives [`stop`](Self::stop).
    pub fn view(&self) -> AgentView {
        AgentView { state: Arc::clone(&self.state) }
    }

    /// Publish sequence number serving, if any.
    pub fn serving(&self) -> Option<u64> {
        self.view().serving()
    }

    /// The target last seen, if any.
    pub fn target(&self) -> Option<u64> {
        self.view().target()
    }

    /// The sequence number last rejected, if any.
    pub fn rejected(&self) -> Option<u64> {
        self.view().rejected()
    }

    /// The last rejection, if any.
    pub fn last_error(&self) -> Option<NodeRejection> {
        self.view().last_error()
    }

    /// What happened to the cache at start.
    pub fn cache(&self) -> String {
        self.view().cache()
    }

    /// Whether the agent holds a live etcd session (lease and watch).
    pub fn connected(&self) -> bool {
        self.view().connected()
    }

    /// The kill switch and where its state comes from.
    pub fn kill_switch(&self) -> String {
        self.view().kill_switch()
    }

    /// Stops the agent and revokes its lease (its status disappears now).
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn run(config: AgentConfig, engine: Arc<dyn Reloadable>, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    let mut backoff = config.backoff_min;
    let mut member = 0usize;
    loop {
        let mut established = false;
        // One member per session, the next one after each loss: a dead
        // member is never retried before the others.
        let endpoint = config.endpoints.get(member % config.endpoints.len().max(1)).cloned().unwrap_or_default();
        member = member.wrapping_add(1);
        match session(&config, &endpoint, engine.as_ref(), &state, &mut stop, &mut established).await {
            SessionEnd::Shutdown => return,
            SessionEnd::Lost(reason) => {
                state.connected.store(false, Ordering::Relaxed);
                if established {
                    backoff = config.backoff_min;
                }
                log::warn!(
                    "fleet {}: etcd session with {endpoint} lost ({reason}); retrying in {backoff:?}",
                    config.node
                );
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => return,
        }
        backoff = backoff.saturating_mul(2).min(config.backoff_max);
    }
}

/// One etcd session: lease, catch-up, watch, until it breaks or stops.
async fn session(
    config: &AgentConfig,
    endpoint: &str,
    engine: &dyn Reloadable,
    state: &State,
    stop: &mut watch::Receiver<bool>,
    established: &mut bool,
) -> SessionEnd {
    match session_inner(config, endpoint, engine, state, stop, established).await {
        Ok(end) | Err(end) => end,
    }
}

async fn session_inner(
    config: &AgentConfig,
    endpoint: &str,
    engine: &dyn Reloadable,
    state: &State,
    stop: &mut watch::Receiver<bool>,
    established: &mut bool,
) -> Result<SessionEnd, SessionEnd> {
    let keys = Keys::new(&config.prefix);
    let options = ConnectOptions::new()
        .with_connect_timeout(config.request_timeout)
        .with_timeout(config.request_timeout)
        .with_keep_alive(Duration::from_millis(500), config.request_timeout)
        .with_require_leader(true);
    let timeout = config.request_timeout;
    let mut client = bounded(timeout, Client::connect([endpoint], Some(options))).await?;
    let lease = bounded(timeout, client.lease_grant(config.lease_ttl_secs, None)).await?.id();
    let (mut keeper, mut alive) = bounded(timeout, client.lease_keep_alive(lease)).await?;

    // Catch up: on the first session read the current values; on a later one
    // resume each key's watch after the last revision applied.
    if state.seen_target.load(Ordering::Relaxed) == 0 || state.seen_kill.load(Ordering::Relaxed) == 0 {
        let revision =
            |r: &etcd_client::GetResponse| r.header().map_or(0, |h| u64::try_from(h.revision()).unwrap_or(0));
        let kill = bounded(timeout, client.get(keys.kill(), None)).await?;
        apply_kill(config, engine, state, kill.kvs().first().map(|kv| kv.value())).await;
        state.seen_kill.store(revision(&kill), Ordering::Relaxed);
        let target = bounded(timeout, client.get(keys.target(&config.cohort), None)).await?;
        if let Some(seq) = target.kvs().first().and_then(|kv| parse_seq(kv.value())) {
            apply_target(config, &keys, &mut client, engine, state, seq).await?;
        }
        state.seen_target.store(revision(&target), Ordering::Relaxed);
    }
    let after = |seen: &AtomicU64| {
        WatchOptions::new()
            .with_start_revision(i64::try_from(seen.load(Ordering::Relaxed)).unwrap_or(i64::MAX).saturating_add(1))
    };
    let mut stream =
        bounded(timeout, client.watch(keys.target(&config.cohort), Some(after(&state.seen_target)))).await?;
    bounded(timeout, stream.watch(keys.kill(), Some(after(&state.seen_kill)))).await?;
    write_status(config, &keys, &mut client, engine, state, lease, 0).await?;
    state.connected.store(true, Ordering::Relaxed);
    *established = true;
    log::info!(
        "fleet {}: watching {} after revision {} via {endpoint}",
        config.node,
        keys.target(&config.cohort),
        state.seen_target.load(Ordering::Relaxed)
    );

    let mut keep_alive = tokio::time::interval(Duration::from_millis(
        u64::try_from(config.lease_ttl_secs).unwrap_or(1).saturating_mul(1000) / 3,
    ));
    let mut status_tick = tokio::time::interval(config.status_interval);
    let mut last_counts = counts(engine);
    loop {
        tokio::select! {
            _ = stop.changed() => {
                let _ = bounded(timeout, client.lease_revoke(lease)).await;
                return Ok(SessionEnd::Shutdown);
            }
            message = stream.message() => {
                let Some(response) = message? else { return Err(SessionEnd::Lost("watch stream ended".into())) };
                if response.canceled() {
                    if response.compact_revision() > 0 {
                        // The revision to resume from is compacted away: read
                        // the current values instead.
                        state.seen_target.store(0, Ordering::Relaxed);
                    }
                    return Err(SessionEnd::Lost(format!("watch canceled: {}", response.cancel_reason())));
                }
                let mut target = None;
                let mut target_revision = 0;
                for event in response.events() {
                    let Some(kv) = event.kv() else { continue };
                    let revision = u64::try_from(kv.mod_revision()).unwrap_or(0);
                    let deleted = event.event_type() == EventType::Delete;
                    if kv.key() == keys.kill().as_bytes() {
                        if revision > state.seen_kill.load(Ordering::Relaxed) {
                            apply_kill(config, engine, state, if deleted { None } else { Some(kv.value()) }).await;
                            state.seen_kill.store(revision, Ordering::Relaxed);
                        }
                    } else if revision > state.seen_target.load(Ordering::Relaxed) {
                        // Only the newest target of a batch matters.
                        target = if deleted { None } else { parse_seq(kv.value()) };
                        target_revision = revision;
                    }
                }
                if let Some(seq) = target {
                    apply_target(config, &keys, &mut client, engine, state, seq).await?;
                }
                if target_revision > 0 {
                    state.seen_target.store(target_revision, Ordering::Relaxed);
                }
                write_status(config, &keys, &mut client, engine, state, lease, 0).await?;
            }
            reply = alive.message() => {
                match reply? {
                    Some(r) if r.ttl() > 0 => {}
                    _ => return Err(SessionEnd::Lost("lease expired".into())),
                }
            }
            _ = keep_alive.tick() => bounded(timeout, keeper.keep_alive()).await?,
            _ = status_tick.tick() => {
                let now = counts(engine);
                let (scored, unscored) = (now.0 - last_counts.0, now.1 - last_counts.1);
                let permille = u32::try_from(unscored.saturating_mul(1000) / (scored + unscored).max(1)).unwrap_or(1000);
                last_counts = now;
                write_status(config, &keys, &mut client, engine, state, lease, permille).await?;
            }
        }
    }
}

/// `future`, or a [`SessionEnd::Lost`] after `limit`.
async fn bounded<T, E: std::fmt::Display>(
    limit: Duration,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, SessionEnd> {
    match tokio::time::timeout(limit, future).await {
        Ok(result) => result.map_err(SessionEnd::from),
        Err(_) => Err(SessionEnd::Lost(format!("no answer from etcd within {limit:?}"))),
    }
}

fn counts(engine: &dyn Reloadable) -> (u64, u64) {
    let stats = engine.stats();
    (stats.scored, stats.unscored())
}

/// Applies the kill switch's value from etcd and persists it when it
/// differs from the state last persisted.
async fn apply_kill(config: &AgentConfig, engine: &dyn Reloadable, state: &State, value: Option<&[u8]>) {
    let on = value.map(<[u8]>::trim_ascii) == Some(b"on");
    engine.set_enabled(!on);
    let persist = {
        let mut text = state.text();
        text.kill = format!("{} (etcd)", if on { "on" } else { "off" });
        text.kill_persisted != Some(on)
    };
    if !persist {
        return;
    }
    let path = cache::kill_path(&config.cache_path);
    // Off the async workers: two fsyncs.
    let written = tokio::task::spawn_blocking(move || cache::write_kill(&path, on)).await;
    match written.map_err(std::io::Error::other) {
        Ok(Ok(())) => state.text().kill_persisted = Some(on),
        Ok(Err(e)) | Err(e) => log::warn!("fleet {}: could not persist the kill switch ({on}): {e}", config.node),
    }
}

/// Offers publish `seq` to the engine unless it is serving or was rejected.
async fn apply_target(
    config: &AgentConfig,
    keys: &Keys,
    client: &mut Client,
    engine: &dyn Reloadable,
    state: &State,
    seq: u64,
) -> Result<(), SessionEnd> {
    set(&state.target, seq);
    if get(&state.serving) == Some(seq) || get(&state.rejected) == Some(seq) {
        return Ok(());
    }
    let files =
        bounded(config.request_timeout, client.get(keys.files(seq), Some(GetOptions::new().with_prefix()))).await?;
    let find = |key: String| files.kvs().iter().find(|kv| kv.key() == key.as_bytes()).map(|kv| kv.value());
    let (Some(features), Some(model)) = (find(keys.features(seq)), find(keys.model(seq))) else {
        let error = NodeRejection::MissingFiles { seq };
        log::warn!("fleet {}: {error} under {}", config.node, keys.files(seq));
        set(&state.rejected, seq);
        state.text().last_error = Some(error);
        return Ok(());
    };
    let base = find(keys.base(seq)).and_then(parse_seq);
    let mut result = engine.reload(features, model);
    if let (Err(PairRejected::Features(ReloadError::GrowthExceeded { .. })), Some(from)) =
        (&result, get(&state.serving))
    {
        match catch_up_path(config, keys, client, from, seq, base).await? {
            Ok(path) => {
                let via: Vec<(&[u8], &[u8])> = path.iter().map(|(_, f, m)| (f.as_slice(), m.as_slice())).collect();
                let seqs: Vec<u64> = path.iter().map(|(s, _, _)| *s).collect();
                match engine.reload_via(&via, features, model) {
                    Ok(accepted) => {
                        log::info!("fleet {}: from seq {from} to seq {seq} by way of seq(s) {seqs:?}", config.node);
                        result = Ok(accepted);
                    }
                    Err(e) => log::warn!("fleet {}: no catching up by way of seq(s) {seqs:?}: {e}", config.node),
                }
            }
            Err(why) => log::warn!("fleet {}: no catching up from seq {from} to seq {seq}: {why}", config.node),
        }
    }
    match result {
        Ok(accepted) => {
            set(&state.serving, seq);
            log::info!("fleet {}: serving seq {seq} (feature file version {})", config.node, accepted.version);
            let cached = Cached { seq, features: features.to_vec(), model: model.to_vec() };
            let path = config.cache_path.clone();
            let node = config.node.clone();
            // Off the async workers: two fsyncs.
            let written = tokio::task::spawn_blocking(move || cache::write(&path, &cached)).await;
            if let Ok(Err(e)) | Err(e) = written.map_err(std::io::Error::other) {
                log::warn!("fleet {node}: could not persist seq {seq}: {e}");
            }
        }
        Err(e) => {
            log::warn!("fleet {}: rejected seq {seq}, last good keeps serving: {e}", config.node);
            set(&state.rejected, seq);
            state.text().last_error = Some(NodeRejection::Pair(e));
        }
    }
    Ok(())
}

/// Links an agent follows back from a target to the publish it serves, at
/// most (each one etcd read of a pair).
pub const MAX_CATCH_UP: usize = 32;

/// A publish on the way: its sequence number, feature file and model.
type Step = (u64, Vec<u8>, Vec<u8>);

/// The publishes to go by way of from `from` (serving) to `target` (whose
/// base is `base`), oldest first: follow `base` links back to `from`, or to
/// the first publish older than it (a node serving a publish the fleet
/// rolled back: that older last good is then the first step, checked
/// against the serving pair like every other). `Ok(Err(why))` if the links
/// do not lead there.
async fn catch_up_path(
    config: &AgentConfig,
    keys: &Keys,
    client: &mut Client,
    from: u64,
    target: u64,
    base: Option<u64>,
) -> Result<Result<Vec<Step>, String>, SessionEnd> {
    let mut path = Vec::new();
    let (mut at, mut next) = (target, base);
    loop {
        let Some(seq) = next else { return Ok(Err(format!("seq {at} names no earlier publish"))) };
        if seq >= at {
            return Ok(Err(format!("seq {at} names seq {seq} as its base, not an earlier publish")));
        }
        if seq == from {
            if path.is_empty() {
                // The direct step was this very check: nothing to go by way of.
                return Ok(Err(format!("seq {target} was published against seq {from}, the one serving")));
            }
            path.reverse();
            return Ok(Ok(path));
        }
        if path.len() == MAX_CATCH_UP {
            return Ok(Err(format!("more than {MAX_CATCH_UP} publishes between seq {from} and seq {target}")));
        }
        let files =
            bounded(config.request_timeout, client.get(keys.files(seq), Some(GetOptions::new().with_prefix()))).await?;
        let find = |key: String| files.kvs().iter().find(|kv| kv.key() == key.as_bytes()).map(|kv| kv.value());
        let (Some(features), Some(model)) = (find(keys.features(seq)), find(keys.model(seq))) else {
            return Ok(Err(format!("seq {seq} has no files")));
        };
        path.push((seq, features.to_vec(), model.to_vec()));
        if seq < from {
            path.reverse();
            return Ok(Ok(path));
        }
        (at, next) = (seq, find(keys.base(seq)).and_then(parse_seq));
    }
}

#[allow(clippy::too_many_arguments)]
async fn write_status(
    config: &AgentConfig,
    keys: &Keys,
    client: &mut Client,
    engine: &dyn Reloadable,
    state: &State,
    lease: i64,
    unscored_permille: u32,
) -> Result<(), SessionEnd> {
    let mut buf = [0u8; STATUS_CAPACITY];
    let bytes = {
        let text = state.text();
        let stats = engine.stats();
        let status = NodeStatus {
            node: &config.node,
            cohort: &config.cohort,
            serving: get(&state.serving),
            target: get(&state.target),
            rejected: get(&state.rejected),
            cache: &text.cache,
            enabled: engine.is_enabled(),
            scored: stats.scored,
            unscored: stats.unscored(),
            unscored_permille,
            reloads: NodeStatus::reloads(&stats, text.last_error.as_ref()),
        };
        status.encode(&mut buf).map_err(SessionEnd::from)?.to_vec()
    };
    let put = client.put(keys.status(&config.node), bytes, Some(PutOptions::new().with_lease(lease)));
    bounded(config.request_timeout, put).await?;
    Ok(())
}
