//! A scoring handle for many worker threads: lock-free reads per request,
//! validated reloads off the request path (`std` feature).
//!
//! [`SharedEngine`] publishes a checked (feature table, bindings, model)
//! [`Pair`] through an [`arc_swap::ArcSwapOption`]. A request does one
//! `load()` — no lock, no reference-count bump — and scores with
//! [`score_with`]. A reload parses and validates into a *new* pair with the
//! same building blocks as the single-threaded [`Engine`](crate::Engine)
//! ([`ingest`], [`Policy::check`], [`Bindings::bind`], [`check_pair`]) and
//! publishes it only if everything holds; readers see the old pair or the new
//! one, never a half-built one. Reloads are serialized by a writer-side
//! [`Mutex`] that readers never take.
//!
//! This module allocates (one `Arc` per accepted reload, and the counter
//! shards once per engine) and uses `std` threads; the per-request path does
//! not allocate, except once per thread: `arc_swap` gives a thread a debt
//! node on its first load, on the heap unless an exited thread left one
//! (tests/alloc.rs counts from the second load on). The per-request counters are sharded per worker thread, so
//! workers do not write a shared cache line per request
//! ([`SharedEngine::with_counter_shards`]).
//!
//! ```
//! use std::sync::Arc;
//! use feature_table::{Extractor, Policy, Unscored, model::logistic::Logistic, shared::SharedEngine};
//!
//! struct Request { ua_len: usize }
//! static EXTRACTORS: &[Extractor<Request>] = &[Extractor::new("ua_len", |r| r.ua_len as f32)];
//!
//! let engine = Arc::new(SharedEngine::<Request, Logistic<8>, 8>::new(EXTRACTORS, Policy::DEFAULT));
//! engine.reload(br#"{"version": 1, "features": [{"name": "ua_len"}]}"#, br#"{"bias": 0.0, "weights": [-1.0]}"#)?;
//! let worker = { let engine = Arc::clone(&engine); std::thread::spawn(move || engine.score(&Request { ua_len: 3 })) };
//! assert_eq!(worker.join().unwrap()?.bot_score.get(), 94);
//! engine.set_enabled(false);
//! assert_eq!(engine.score(&Request { ua_len: 3 }), Err(Unscored::Disabled));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwapOption;

use crate::extract::{Bindings, Extractor, FeatureVector};
use crate::ingest::ingest;
use crate::model::Model;
use crate::pair::PairRef;
use crate::pair::check_pair;
use crate::reload::{Accepted, Policy, ReloadError, Unscored, stage_table};
use crate::score::{ModelRejected, Verdict, score_signals_with, score_vector, score_with};
use crate::table::FeatureTable;
pub use crate::watch::Watcher;

/// A validated feature table and its extractor bindings, immutable once
/// published.
#[derive(Clone)]
pub struct Features<const N: usize> {
    /// The table.
    pub table: FeatureTable<N>,
    /// For each feature of `table`, its extractor.
    pub bindings: Bindings<N>,
}

/// What a request scores against: features and a model checked against each
/// other, and the model's plan for those bindings ([`Model::plan`]). Both
/// halves are shared, so a reload of one does not copy the other; the plan
/// is made for each new pair, on the reloading thread's stack
/// (`size_of::<M::Plan>()`: 1,208 bytes for `Logistic<200>`).
pub struct Pair<M: Model, const N: usize> {
    /// The feature table and bindings.
    pub features: Arc<Features<N>>,
    /// The model.
    pub model: Arc<M>,
    /// The model's plan for `features.bindings`.
    pub plan: M::Plan,
}

impl<M: Model, const N: usize> Pair<M, N> {
    /// The pair as the building blocks take it ([`score_with`] and friends).
    #[inline]
    pub fn view(&self) -> PairRef<'_, M, N> {
        PairRef { table: &self.features.table, bindings: &self.features.bindings, model: &self.model, plan: &self.plan }
    }
}

/// Why [`SharedEngine::reload`] rejected a (features, model) pair. Nothing
/// changed.
///
/// `Display` names the half and includes the wrapped error's message;
/// there is no [`source`](std::error::Error::source), so a chain-walking
/// reporter prints it once.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PairRejected<E> {
    /// The feature file is invalid, fails the policy, names a feature the
    /// binary cannot compute, or has fewer features than the model reads.
    Features(ReloadError),
    /// The model file is invalid.
    Model(E),
}

impl<E: fmt::Display> fmt::Display for PairRejected<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Features(e) => write!(f, "feature file: {e}"),
            Self::Model(e) => write!(f, "model: {e}"),
        }
    }
}

/// No `source()`: the wrapped error's message is part of `Display`.
impl<E: fmt::Debug + fmt::Display> std::error::Error for PairRejected<E> {}

/// Why [`SharedEngine::reload_via`] rejected a sequence of pairs: which
/// pair, and why. Nothing changed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StepRejected<E> {
    /// The rejected pair's index in the sequence (the pairs `via` first,
    /// then the final pair, whose index is `steps - 1`).
    pub step: usize,
    /// How many pairs the sequence had, the final one included.
    pub steps: usize,
    /// Why the pair was rejected, checked against the pair before it.
    pub error: PairRejected<E>,
}

impl<E: fmt::Display> fmt::Display for StepRejected<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pair {} of {}: {}", self.step.saturating_add(1), self.steps, self.error)
    }
}

/// No `source()`: the wrapped error's message is part of `Display`.
impl<E: fmt::Debug + fmt::Display> std::error::Error for StepRejected<E> {}

/// The per-request counters of one group of worker threads, alone on 128
/// bytes: a 64-byte cache line and its neighbour, which Intel's
/// adjacent-line prefetcher fetches as a pair, so two shards never contend.
#[repr(align(128))]
#[derive(Default)]
struct Shard {
    scored: AtomicU64,
    disabled: AtomicU64,
    no_valid_table: AtomicU64,
    no_valid_model: AtomicU64,
    non_finite: AtomicU64,
}

impl Shard {
    const fn counter(&self, verdict: &Verdict) -> &AtomicU64 {
        match verdict {
            Ok(_) => &self.scored,
            Err(Unscored::Disabled) => &self.disabled,
            Err(Unscored::NoValidTable) => &self.no_valid_table,
            Err(Unscored::NoValidModel) => &self.no_valid_model,
            Err(Unscored::NonFiniteOutput) => &self.non_finite,
        }
    }
}

/// The most counter shards an engine makes (128 KiB of counters).
pub const MAX_COUNTER_SHARDS: usize = 1024;

/// Per-request counters, sharded: each thread writes the shard its
/// [`thread_slot`] picks, readers sum them all.
struct Shards {
    /// A power of two in `1..=MAX_COUNTER_SHARDS` shards.
    all: Box<[Shard]>,
    /// `all.len() - 1`: `slot & mask` is always an index into `all`.
    mask: usize,
}

impl Shards {
    /// `wanted` rounded up to a power of two, in `1..=MAX_COUNTER_SHARDS`.
    fn new(wanted: usize) -> Self {
        let len = wanted.clamp(1, MAX_COUNTER_SHARDS).next_power_of_two();
        Self { all: (0..len).map(|_| Shard::default()).collect(), mask: len - 1 }
    }

    /// The calling thread's shard. Cost: a thread-local read and a mask.
    #[inline]
    fn mine(&self) -> Option<&Shard> {
        // Cannot miss: `mask` is `all.len() - 1` and the length a power of two.
        self.all.get(thread_slot() & self.mask)
    }

    /// The sum of one counter over all shards.
    fn sum(&self, counter: impl Fn(&Shard) -> &AtomicU64) -> u64 {
        self.all.iter().fold(0_u64, |sum, shard| sum.wrapping_add(counter(shard).load(Ordering::Relaxed)))
    }
}

/// No thread slot yet; `NEXT_SLOT` hands out only values below it.
const NO_SLOT: usize = usize::MAX;

/// The next thread slot to hand out, round-robin over the shards by masking.
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

std::thread_local! {
    // `const`, `Copy` and without a destructor: on targets with native
    // thread-locals (Linux, macOS, Windows) its first use allocates nothing
    // and registers no destructor (tests/alloc.rs checks it on a new thread).
    static SLOT: Cell<usize> = const { Cell::new(NO_SLOT) };
}

/// This thread's slot, handed out once per thread, on its first request, by
/// one `fetch_add` on a process-wide counter: threads in first-request order
/// get consecutive slots, so the first `S` scoring threads of a process get
/// distinct shards of an engine with `S` shards.
#[inline]
fn thread_slot() -> usize {
    SLOT.try_with(|slot| {
        let mine = slot.get();
        if mine != NO_SLOT {
            return mine;
        }
        let mine = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) & (NO_SLOT >> 1);
        slot.set(mine);
        mine
    })
    // Only while the thread is being torn down: share slot 0 (exact all
    // the same, by `fetch_add`).
    .unwrap_or(0)
}

/// Bounded, lock-free counters: a fixed set of atomics whatever the traffic.
/// The per-request ones are sharded; reloads are rare and counted once.
struct Counters {
    requests: Shards,
    accepted: AtomicU64,
    rejected: AtomicU64,
    consecutive_rejections: AtomicU64,
    /// Active feature-file version plus one; 0 = none.
    active_version: AtomicU64,
}

/// A snapshot of [`SharedEngine`]'s counters. The snapshot as a whole is not
/// atomic (counters move while it is taken): each reload field is one atomic
/// load, each request field a sum over the counter shards, which lies between
/// the field's values when [`stats`](SharedEngine::stats) started and ended.
/// Once the scoring threads are done (joined), every field is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SharedStats {
    /// Requests that got a score.
    pub scored: u64,
    /// Requests not scored because the kill switch was off.
    pub unscored_disabled: u64,
    /// Requests not scored because no feature table was ever accepted.
    pub unscored_no_valid_table: u64,
    /// Requests not scored because no model was ever accepted.
    pub unscored_no_valid_model: u64,
    /// Requests not scored because the model produced a non-finite value.
    pub unscored_non_finite: u64,
    /// Reloads (features, model or both) accepted.
    pub reloads_accepted: u64,
    /// Reloads rejected.
    pub reloads_rejected: u64,
    /// Rejections since the last accepted reload.
    pub consecutive_rejections: u64,
    /// Version of the feature file serving, if any.
    pub active_version: Option<u64>,
}

impl SharedStats {
    /// All unscored requests, whatever the reason.
    pub fn unscored(&self) -> u64 {
        self.unscored_disabled + self.unscored_no_valid_table + self.unscored_no_valid_model + self.unscored_non_finite
    }
}

/// What is missing while no pair is published.
const MISSING_TABLE: u8 = 0;
const MISSING_MODEL: u8 = 1;

/// The writer side: the halves accepted so far, even before they form a pair.
struct Writer<M, const N: usize> {
    features: Option<Arc<Features<N>>>,
    model: Option<Arc<M>>,
}

/// A scoring engine shared by many threads: lock-free per-request reads,
/// validated reloads, a global kill switch and bounded atomic counters,
/// sharded per worker thread so that workers do not write one cache line per
/// request ([`with_counter_shards`](Self::with_counter_shards)). See the
/// [module docs](self).
///
/// `M: Default` is the empty model a reload loads into (on the heap, so a
/// large model never sits on the stack).
///
/// In a proxy:
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// use feature_table::{Extractor, Policy, model::logistic::Logistic, shared::{SharedEngine, Watcher}};
/// # let dir = std::env::temp_dir().join(format!("feature-table-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # let (features_path, model_path) = (dir.join("features.json"), dir.join("model.json"));
/// # std::fs::write(&features_path, r#"{"version": 1, "features": [{"name": "ua_len"}, {"name": "path_depth"}]}"#)?;
/// # std::fs::write(&model_path, r#"{"bias": 2.0, "weights": [-0.1, 0.5]}"#)?;
///
/// // Your request type and the features your binary can compute.
/// struct Req { user_agent: String, path: String }
/// static EXTRACTORS: &[Extractor<Req>] = &[
///     Extractor::new("ua_len", |r| r.user_agent.len() as f32),
///     Extractor::new("path_depth", |r| r.path.matches('/').count() as f32),
/// ];
/// type Scorer = SharedEngine<Req, Logistic<200>, 200>;
///
/// // At startup: load the pair, then watch the feature file (replace it by rename).
/// let engine = Arc::new(Scorer::new(EXTRACTORS, Policy::DEFAULT));
/// engine.reload(&std::fs::read(&features_path)?, &std::fs::read(&model_path)?)?;
/// let _watcher = Watcher::features(Arc::clone(&engine), &features_path, Duration::from_secs(1))?;
///
/// // Per request, on any worker thread: no lock, no allocation, no panic.
/// let header = match engine.score(&Req { user_agent: "curl/8.5".into(), path: "/a/b".into() }) {
///     Ok(score) => score.bot_score.to_string(),
///     Err(reason) => format!("unscored; reason={reason}"), // never a made-up number
/// };
/// assert_eq!(header, "11"); // curl-like: likely automated
///
/// // A bad file is rejected and logged once; the last good pair keeps serving.
/// engine.set_enabled(false); // global kill switch: every request is Unscored::Disabled
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SharedEngine<R: ?Sized + 'static, M: Model, const N: usize> {
    extractors: &'static [Extractor<R>],
    policy: Policy,
    current: ArcSwapOption<Pair<M, N>>,
    enabled: AtomicBool,
    missing: AtomicU8,
    counters: Counters,
    writer: Mutex<Writer<M, N>>,
}

impl<R: ?Sized + 'static, M: Model + Default, const N: usize> SharedEngine<R, M, N> {
    /// An engine with no table and no model, scoring switched on, with one
    /// counter shard per CPU the process may use
    /// ([`std::thread::available_parallelism`], 1 if unknown; see
    /// [`with_counter_shards`](Self::with_counter_shards)).
    ///
    /// Cost: one heap allocation of `128·S` bytes for the counters (`S`: the
    /// shard count), once.
    pub fn new(extractors: &'static [Extractor<R>], policy: Policy) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::with_counter_shards(extractors, policy, cpus)
    }

    /// [`new`](Self::new) with `shards` counter shards, rounded up to a
    /// power of two and kept in `1..=`[`MAX_COUNTER_SHARDS`] (0 means 1).
    ///
    /// Each worker thread counts its requests in one shard, 128 bytes
    /// aligned to 128 (a cache line and the neighbour the CPU prefetches
    /// with it), so workers on different shards never write the same line;
    /// [`stats`](Self::stats) sums the shards. Threads get shards
    /// round-robin in the order they first score (through any engine of the
    /// process); with more scoring threads than shards, some share one,
    /// which costs contention, never accuracy: every increment is an atomic
    /// `fetch_add`.
    ///
    /// Memory: `128·S` bytes on the heap for `S` shards (8 KiB for 64
    /// CPUs), plus the engine itself. One shard is the layout of a single
    /// shared counter per verdict.
    ///
    /// ```
    /// # use feature_table::{Extractor, Policy, model::logistic::Logistic, shared::SharedEngine};
    /// # static EXTRACTORS: &[Extractor<u8>] = &[];
    /// let engine = SharedEngine::<u8, Logistic<8>, 8>::with_counter_shards(EXTRACTORS, Policy::DEFAULT, 48);
    /// assert_eq!(engine.counter_shards(), 64);
    /// ```
    pub fn with_counter_shards(extractors: &'static [Extractor<R>], policy: Policy, shards: usize) -> Self {
        Self {
            extractors,
            policy,
            current: ArcSwapOption::const_empty(),
            enabled: AtomicBool::new(true),
            missing: AtomicU8::new(MISSING_TABLE),
            counters: Counters {
                requests: Shards::new(shards),
                accepted: AtomicU64::new(0),
                rejected: AtomicU64::new(0),
                consecutive_rejections: AtomicU64::new(0),
                active_version: AtomicU64::new(0),
            },
            writer: Mutex::new(Writer { features: None, model: None }),
        }
    }

    /// How many shards the per-request counters have (a power of two).
    pub fn counter_shards(&self) -> usize {
        self.counters.requests.all.len()
    }

    /// Scores one request against the published pair.
    ///
    /// Cost: one atomic load of the kill switch, one `arc_swap` load (no
    /// lock, no reference-count bump while no reload races it), one
    /// extractor call per feature plus the model, one relaxed `fetch_add`
    /// on the calling thread's counter shard (see
    /// [`with_counter_shards`](Self::with_counter_shards)), and a `FeatureVector<N>` (`4·N + 4` bytes) on the stack. No
    /// allocation, no panic, no lock.
    #[inline]
    pub fn score(&self, request: &R) -> Verdict {
        let mut vector = FeatureVector::new();
        self.score_into(request, &mut vector)
    }

    /// [`score`](Self::score), leaving the feature values in `vector`.
    #[inline]
    pub fn score_into(&self, request: &R, vector: &mut FeatureVector<N>) -> Verdict {
        let extractors = self.extractors;
        self.count(self.verdict(|pair| score_with(pair, extractors, request, vector)))
    }

    /// Scores a request from its signals, computed by the host in one pass
    /// in extractor order (`signals[i]` is what `extractors[i]` computes):
    /// the fast lane, with the same verdicts and counters as
    /// [`score`](Self::score) for the same values. See
    /// [`FeatureVector::fill_signals`].
    #[inline]
    pub fn score_signals(&self, signals: &[f32]) -> Verdict {
        self.count(self.verdict(|pair| score_signals_with(pair, signals)))
    }

    /// [`score_signals`](Self::score_signals), leaving the feature values in
    /// `vector`.
    #[inline]
    pub fn score_signals_into(&self, signals: &[f32], vector: &mut FeatureVector<N>) -> Verdict {
        self.count(self.verdict(|pair| {
            vector.fill_signals(pair.table, pair.bindings, signals);
            score_vector(pair, vector)
        }))
    }

    /// Counts `verdict` in the calling thread's shard.
    #[inline]
    fn count(&self, verdict: Verdict) -> Verdict {
        if let Some(shard) = self.counters.requests.mine() {
            shard.counter(&verdict).fetch_add(1, Ordering::Relaxed);
        }
        verdict
    }

    /// The kill switch and the published pair, then `score` on the pair.
    #[inline]
    fn verdict(&self, score: impl FnOnce(PairRef<'_, M, N>) -> Verdict) -> Verdict {
        if !self.enabled.load(Ordering::Relaxed) {
            return Err(Unscored::Disabled);
        }
        let guard = self.current.load();
        let Some(pair) = guard.as_deref() else {
            return Err(match self.missing.load(Ordering::Relaxed) {
                MISSING_TABLE => Unscored::NoValidTable,
                _ => Unscored::NoValidModel,
            });
        };
        score(pair.view())
    }

    /// Runs `f` on the published pair (or `None`) under one `arc_swap` load:
    /// no lock, no reference-count bump, no allocation. The building block
    /// of [`score`](Self::score), for hosts that need more than a verdict.
    #[inline]
    pub fn with_current<T>(&self, f: impl FnOnce(Option<&Pair<M, N>>) -> T) -> T {
        f(self.current.load().as_deref())
    }

    /// The published pair, if any (for inspection; a request should use
    /// [`score`](Self::score)). Cost: one `arc_swap` load plus a
    /// reference-count increment.
    pub fn current(&self) -> Option<Arc<Pair<M, N>>> {
        self.current.load_full()
    }

    /// The global kill switch: `false` makes every request
    /// [`Unscored::Disabled`] from the next one on. One atomic store; logged.
    pub fn set_enabled(&self, enabled: bool) {
        let was = self.enabled.swap(enabled, Ordering::Relaxed);
        if was != enabled {
            log::warn!("feature-table: scoring {}", if enabled { "enabled" } else { "disabled (kill switch)" });
        }
    }

    /// Whether the global kill switch is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// The counters; the per-request ones summed over the shards. Cost:
    /// `5·S + 4` relaxed atomic loads for `S` shards, no allocation.
    pub fn stats(&self) -> SharedStats {
        let c = &self.counters;
        let requests = &c.requests;
        SharedStats {
            scored: requests.sum(|s| &s.scored),
            unscored_disabled: requests.sum(|s| &s.disabled),
            unscored_no_valid_table: requests.sum(|s| &s.no_valid_table),
            unscored_no_valid_model: requests.sum(|s| &s.no_valid_model),
            unscored_non_finite: requests.sum(|s| &s.non_finite),
            reloads_accepted: c.accepted.load(Ordering::Relaxed),
            reloads_rejected: c.rejected.load(Ordering::Relaxed),
            consecutive_rejections: c.consecutive_rejections.load(Ordering::Relaxed),
            active_version: c.active_version.load(Ordering::Relaxed).checked_sub(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Writer<M, N>> {
        // A writer that panicked (a model's `load` is foreign code) left the
        // halves as they were: every update below is a single assignment.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Parses and validates a feature file into new features: ingest, the
    /// policy against the serving table, extractor binding, and the check
    /// against `model` if there is one. Switches of the serving table carry
    /// over.
    fn stage_features(
        &self,
        bytes: &[u8],
        active: Option<&Features<N>>,
        model: Option<&M>,
    ) -> Result<(Arc<Features<N>>, Accepted), ReloadError> {
        let mut staged = Box::new(Features { table: FeatureTable::new(0), bindings: Bindings::new() });
        let Features { table, bindings } = &mut *staged;
        let limits = self.policy.limits;
        let accepted = stage_table(
            &self.policy,
            active.map(|a| &a.table),
            table,
            |table| ingest(bytes, table, limits).map_err(ReloadError::Ingest),
            |table| {
                bindings.bind(table, self.extractors)?;
                Ok(model.map_or(Ok(()), |model| check_pair(table, model))?)
            },
        )?;
        Ok((Arc::from(staged), accepted))
    }

    fn stage_model(bytes: &[u8]) -> Result<Arc<M>, M::Error> {
        let mut model = Box::<M>::default();
        model.load(bytes)?;
        Ok(Arc::from(model))
    }

    /// Records the writer's halves as serving: publishes the pair if both
    /// exist, and the active version.
    fn publish(&self, writer: &Writer<M, N>) {
        if let Some(features) = &writer.features {
            self.counters.active_version.store(features.table.version().saturating_add(1), Ordering::Relaxed);
        }
        match (&writer.features, &writer.model) {
            (Some(features), Some(model)) => {
                let mut pair =
                    Pair { features: Arc::clone(features), model: Arc::clone(model), plan: M::Plan::default() };
                pair.model.plan(pair.features.bindings.as_slice(), &mut pair.plan);
                self.current.store(Some(Arc::new(pair)));
            }
            (None, _) => self.missing.store(MISSING_TABLE, Ordering::Relaxed),
            (Some(_), None) => self.missing.store(MISSING_MODEL, Ordering::Relaxed),
        }
    }

    fn record<T, E: fmt::Display>(&self, what: &str, result: &Result<T, E>) {
        let c = &self.counters;
        match result {
            Ok(_) => {
                c.accepted.fetch_add(1, Ordering::Relaxed);
                c.consecutive_rejections.store(0, Ordering::Relaxed);
            }
            Err(error) => {
                c.rejected.fetch_add(1, Ordering::Relaxed);
                let streak = c.consecutive_rejections.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                log::warn!("feature-table: rejected {what} ({streak} in a row), last good keeps serving: {error}");
            }
        }
    }

    /// Offers a feature file. It becomes the serving table only if it
    /// ingests, passes the policy against the serving table, every feature
    /// has an extractor and the serving model (if any) reads no feature it
    /// lacks. Logs one line either way.
    ///
    /// Cost: O(len + N·E), one heap allocation for the new table (none kept
    /// on rejection); takes the writer lock, never blocks readers.
    pub fn reload_features(&self, bytes: &[u8]) -> Result<Accepted, ReloadError> {
        let mut writer = self.lock();
        let result = self.stage_features(bytes, writer.features.as_deref(), writer.model.as_deref());
        self.record("feature file", &result);
        let (features, accepted) = result?;
        log::info!(
            "feature-table: serving feature file version {} ({} features, capacity {N})",
            accepted.version,
            accepted.len
        );
        writer.features = Some(features);
        self.publish(&writer);
        Ok(accepted)
    }

    /// Offers a model. It serves only if it loads and reads no feature the
    /// serving table (if any) lacks. Logs one line either way.
    ///
    /// Cost: the model's load cost plus one heap allocation; takes the writer
    /// lock, never blocks readers. The empty model is built with
    /// `Box::<M>::default()`, which may pass through the calling thread's
    /// stack: call this from a thread with at least `size_of::<M>()` of stack
    /// to spare (2 MiB for a 1024-tree depth-8 CatBoost model).
    pub fn reload_model(&self, bytes: &[u8]) -> Result<(), ModelRejected<M::Error>> {
        let mut writer = self.lock();
        let result = Self::stage_model(bytes).map_err(ModelRejected::Load).and_then(|model| {
            writer.features.as_ref().map_or(Ok(()), |f| check_pair(&f.table, &*model))?;
            Ok(model)
        });
        self.record("model", &result);
        let model = result?;
        log::info!("feature-table: serving model reading {} features", model.feature_count());
        writer.model = Some(model);
        self.publish(&writer);
        Ok(())
    }

    /// Offers a feature file and a model together; both serve, checked
    /// against each other, or neither does. Logs one line either way.
    ///
    /// Cost: [`reload_features`](Self::reload_features) plus the model's load.
    pub fn reload(&self, features: &[u8], model: &[u8]) -> Result<Accepted, PairRejected<M::Error>> {
        let mut writer = self.lock();
        let result = self.stage_pair(features, model, writer.features.as_deref());
        self.record("feature file and model", &result);
        let (features, model, accepted) = result?;
        log::info!(
            "feature-table: serving feature file version {} ({} features) with a model reading {}",
            accepted.version,
            accepted.len,
            model.feature_count()
        );
        writer.features = Some(features);
        writer.model = Some(model);
        self.publish(&writer);
        Ok(accepted)
    }

    /// Offers a feature file and a model by way of earlier pairs: `via`
    /// (oldest first), then `features` and `model`. Each pair is checked
    /// as [`reload`](Self::reload) would check it against the pair before
    /// it, the first against the serving pair, so the policy's growth guard
    /// and version rule hold between neighbours. Only the final pair
    /// serves: the pairs of `via` are staged and dropped, never published.
    /// Either the final pair serves or nothing changes. Counted and logged
    /// as one reload.
    ///
    /// For a host that missed updates: a node that was down while its fleet
    /// went from 60 to 90 to 120 features cannot jump from 60 to 120 within
    /// a 1.5× guard, but it can go by way of the 90-feature file its fleet
    /// served in between. With `via` empty this is `reload`.
    ///
    /// ```
    /// # use feature_table::{Extractor, Policy, model::logistic::Logistic, shared::SharedEngine};
    /// static EXTRACTORS: &[Extractor<u8>] = &[
    ///     Extractor::new("a", |_| 1.0), Extractor::new("b", |_| 1.0), Extractor::new("c", |_| 1.0), Extractor::new("d", |_| 1.0),
    /// ];
    /// let file = |names: &[&str]| {
    ///     let entries: Vec<_> = names.iter().map(|n| format!(r#"{{"name":"{n}"}}"#)).collect();
    ///     format!(r#"{{"version":1,"features":[{}]}}"#, entries.join(","))
    /// };
    /// let policy = Policy { require_newer_version: false, ..Policy::DEFAULT }; // growth within 1.5x
    /// let engine = SharedEngine::<u8, Logistic<4>, 4>::new(EXTRACTORS, policy);
    /// let model = br#"{"bias": 0.0, "weights": [1.0, 1.0]}"#;
    /// engine.reload(file(&["a", "b"]).as_bytes(), model)?;
    /// // 2 -> 4 entries is 2x: refused ...
    /// assert!(engine.reload(file(&["a", "b", "c", "d"]).as_bytes(), model).is_err());
    /// // ... but 2 -> 3 -> 4 stays within 1.5x at each step.
    /// let three = file(&["a", "b", "c"]);
    /// let accepted = engine.reload_via(&[(three.as_bytes(), model)], file(&["a", "b", "c", "d"]).as_bytes(), model)?;
    /// assert_eq!(accepted.len, 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Cost: the `reload` of every pair, one after the other, under one
    /// writer lock; one table and one model on the heap at a time besides
    /// the serving ones.
    pub fn reload_via(
        &self,
        via: &[(&[u8], &[u8])],
        features: &[u8],
        model: &[u8],
    ) -> Result<Accepted, StepRejected<M::Error>> {
        let mut writer = self.lock();
        let steps = via.len().saturating_add(1);
        let mut before = writer.features.clone();
        let mut result = Ok(());
        for (step, (f, m)) in via.iter().enumerate() {
            match self.stage_pair(f, m, before.as_deref()) {
                Ok((staged, _, _)) => before = Some(staged),
                Err(error) => {
                    result = Err(StepRejected { step, steps, error });
                    break;
                }
            }
        }
        let result = result.and_then(|()| {
            self.stage_pair(features, model, before.as_deref()).map_err(|error| StepRejected {
                step: via.len(),
                steps,
                error,
            })
        });
        self.record("feature file and model", &result);
        let (features, model, accepted) = result?;
        log::info!(
            "feature-table: serving feature file version {} ({} features) with a model reading {}, by way of {} earlier pair(s)",
            accepted.version,
            accepted.len,
            model.feature_count(),
            via.len()
        );
        writer.features = Some(features);
        writer.model = Some(model);
        self.publish(&writer);
        Ok(accepted)
    }

    /// Stages a pair checked against `active`: the model loads, the file
    /// passes [`stage_features`](Self::stage_features) with it.
    #[allow(clippy::type_complexity)]
    fn stage_pair(
        &self,
        features: &[u8],
        model: &[u8],
        active: Option<&Features<N>>,
    ) -> Result<(Arc<Features<N>>, Arc<M>, Accepted), PairRejected<M::Error>> {
        let model = Self::stage_model(model).map_err(PairRejected::Model)?;
        let (features, accepted) =
            self.stage_features(features, active, Some(&*model)).map_err(PairRejected::Features)?;
        Ok((features, model, accepted))
    }

    /// Switches the feature called `name` on or off (it then reads its
    /// default); the setting carries over to later files that keep the name.
    /// Publishes a copy of the serving table.
    ///
    /// Cost: a copy of the table (`size_of::<FeatureTable<N>>()`) on the
    /// heap. Fails with [`Unscored::NoValidTable`] before the first accepted
    /// file; `Ok(false)` if no feature has that name.
    pub fn set_feature_enabled(&self, name: &str, enabled: bool) -> Result<bool, Unscored> {
        let mut writer = self.lock();
        let current = writer.features.as_deref().ok_or(Unscored::NoValidTable)?;
        let Some(index) = current.table.index_of(name) else { return Ok(false) };
        let mut next = Box::new(current.clone());
        if next.table.set_feature_enabled(index, enabled).is_err() {
            return Ok(false);
        }
        log::info!("feature-table: feature `{name}` switched {}", if enabled { "on" } else { "off" });
        writer.features = Some(Arc::from(next));
        self.publish(&writer);
        Ok(true)
    }
}

impl<R: ?Sized + 'static, M: Model, const N: usize> fmt::Debug for SharedEngine<R, M, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedEngine")
            .field("extractors", &self.extractors.len())
            .field("enabled", &self.enabled.load(Ordering::Relaxed))
            .field("active_version", &self.counters.active_version.load(Ordering::Relaxed).checked_sub(1))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::IngestError;
    use crate::model::logistic::Logistic;
    use crate::pair::ModelMismatch;
    use std::thread;
    use std::time::{Duration, Instant};

    struct Req {
        a: f32,
        b: f32,
    }

    static EXTRACTORS: &[Extractor<Req>] = &[Extractor::new("a", |r| r.a), Extractor::new("b", |r| r.b)];

    type Shared = SharedEngine<Req, Logistic<4>, 4>;

    fn lax() -> Policy {
        Policy { max_growth: None, ..Policy::DEFAULT }
    }

    fn file(version: u64, names: &[&str]) -> Vec<u8> {
        let entries: Vec<String> = names.iter().map(|n| format!(r#"{{"name":"{n}"}}"#)).collect();
        format!(r#"{{"version":{version},"features":[{}]}}"#, entries.join(",")).into_bytes()
    }

    #[test]
    fn nothing_is_scored_until_both_halves_are_accepted() {
        let e = Shared::new(EXTRACTORS, lax());
        let req = Req { a: 1.0, b: 2.0 };
        assert_eq!(e.score(&req), Err(Unscored::NoValidTable));
        e.reload_model(br#"{"bias":0,"weights":[1]}"#).unwrap();
        assert_eq!(e.score(&req), Err(Unscored::NoValidTable));
        let e = Shared::new(EXTRACTORS, lax());
        e.reload_features(&file(1, &["a", "b"])).unwrap();
        assert_eq!(e.score(&req), Err(Unscored::NoValidModel));
        e.reload_model(br#"{"bias":0,"weights":[1,10]}"#).unwrap();
        assert_eq!(e.score(&req).unwrap().raw, 21.0);
        let s = e.stats();
        assert_eq!((s.scored, s.unscored_no_valid_table, s.unscored_no_valid_model), (1, 0, 1));
        assert_eq!(s.active_version, Some(1));
    }

    #[test]
    fn rejected_reloads_change_nothing_and_are_counted() {
        let e = Shared::new(EXTRACTORS, lax());
        e.reload(&file(1, &["a", "b"]), br#"{"bias":0,"weights":[1,10]}"#).unwrap();
        let before = e.current().unwrap();
        let doubled = e.reload_features(&file(2, &["a", "b", "a", "b"])).unwrap_err();
        assert!(matches!(doubled, ReloadError::Ingest(IngestError::DuplicateName { first: 0, second: 2, .. })));
        let over = e.reload_features(&file(3, &["a", "b", "a", "b", "a"])).unwrap_err();
        assert_eq!(over, ReloadError::Ingest(IngestError::CapacityExceeded { capacity: 4, found: 5 }));
        let unknown = e.reload_features(&file(4, &["a", "zz"])).unwrap_err();
        assert!(matches!(unknown, ReloadError::UnknownFeature { entry: 1, .. }));
        let stranded = e.reload_features(&file(5, &["a"])).unwrap_err();
        assert_eq!(stranded, ReloadError::ModelMismatch(ModelMismatch { model_reads: 2, table_has: 1 }));
        assert!(matches!(e.reload_model(b"{"), Err(ModelRejected::Load(_))));
        assert!(matches!(e.reload(&file(6, &["a"]), br#"{"bias":0,"weights":[1,1]}"#), Err(PairRejected::Features(_))));
        assert!(Arc::ptr_eq(&before, &e.current().unwrap()));
        let s = e.stats();
        assert_eq!((s.reloads_accepted, s.reloads_rejected, s.consecutive_rejections), (1, 6, 6));
        assert_eq!(s.active_version, Some(1));
        e.reload_features(&file(7, &["b", "a"])).unwrap();
        let s = e.stats();
        assert_eq!((s.reloads_accepted, s.consecutive_rejections, s.active_version), (2, 0, Some(7)));
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 12.0);
    }

    static ABCD: &[Extractor<Req>] = &[
        Extractor::new("a", |r| r.a),
        Extractor::new("b", |r| r.b),
        Extractor::new("c", |_| 100.0),
        Extractor::new("d", |_| 1000.0),
    ];

    /// 2 -> 4 entries exceeds the default 1.5x guard; 2 -> 3 -> 4 does not.
    #[test]
    fn reload_via_takes_steps_the_guard_allows_and_only_the_last_pair_serves() {
        let guarded = Policy { require_newer_version: false, ..Policy::DEFAULT };
        let e = Shared::new(ABCD, guarded);
        let m2 = br#"{"bias":0,"weights":[1,10]}"#.as_slice();
        let m4 = br#"{"bias":0,"weights":[1,10,0,1]}"#.as_slice();
        e.reload(&file(1, &["a", "b"]), m2).unwrap();
        let direct = e.reload(&file(3, &["a", "b", "c", "d"]), m4).unwrap_err();
        assert!(matches!(direct, PairRejected::Features(ReloadError::GrowthExceeded { previous: 2, found: 4, .. })));

        let three = file(2, &["a", "b", "c"]);
        let accepted = e.reload_via(&[(&three, m2)], &file(3, &["a", "b", "c", "d"]), m4).unwrap();
        assert_eq!((accepted.version, accepted.len), (3, 4));
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 1021.0, "the final pair serves");
        let s = e.stats();
        assert_eq!((s.reloads_accepted, s.reloads_rejected, s.active_version), (2, 1, Some(3)), "{s:?}");

        // With no step in between it is `reload`.
        assert_eq!(e.reload_via(&[], &file(4, &["a", "b", "c"]), m2).unwrap().len, 3);
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 21.0);
    }

    #[test]
    fn reload_via_rejected_at_any_step_changes_nothing_and_says_which_step() {
        let guarded = Policy { require_newer_version: false, ..Policy::DEFAULT };
        let e = Shared::new(ABCD, guarded);
        let m2 = br#"{"bias":0,"weights":[1,10]}"#.as_slice();
        e.reload(&file(1, &["a", "b"]), m2).unwrap();
        let before = e.current().unwrap();
        let (two, three, four) = (file(2, &["a", "b"]), file(3, &["a", "b", "c"]), file(4, &["a", "b", "c", "d"]));

        // The first step is checked against the serving pair.
        let jump = e.reload_via(&[(&four, m2)], &three, m2).unwrap_err();
        assert_eq!((jump.step, jump.steps), (0, 2));
        assert!(matches!(
            jump.error,
            PairRejected::Features(ReloadError::GrowthExceeded { previous: 2, found: 4, .. })
        ));
        assert!(jump.to_string().starts_with("pair 1 of 2: feature file: "), "{jump}");
        // A middle step against the one before it, not against the serving pair.
        let middle = e.reload_via(&[(&three, m2), (&two, m2), (&four, m2)], &four, m2).unwrap_err();
        assert_eq!((middle.step, middle.steps), (2, 4));
        assert!(matches!(
            middle.error,
            PairRejected::Features(ReloadError::GrowthExceeded { previous: 2, found: 4, .. })
        ));
        // The final pair, and a model that does not load.
        let last = e.reload_via(&[(&three, m2)], &file(5, &["a", "b", "a"]), m2).unwrap_err();
        assert!(matches!(last.error, PairRejected::Features(ReloadError::Ingest(IngestError::DuplicateName { .. }))));
        assert_eq!((last.step, last.steps), (1, 2));
        let model = e.reload_via(&[(&three, b"{")], &four, m2).unwrap_err();
        assert!(matches!(model, StepRejected { step: 0, error: PairRejected::Model(_), .. }));

        assert!(Arc::ptr_eq(&before, &e.current().unwrap()), "no step was published");
        let s = e.stats();
        assert_eq!((s.reloads_accepted, s.reloads_rejected, s.active_version), (1, 4, Some(1)), "one count each");
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 21.0);
    }

    static EIGHT: &[Extractor<Req>] = &[
        Extractor::new("n0", |r| r.a),
        Extractor::new("n1", |r| r.b),
        Extractor::new("n2", |_| 2.0),
        Extractor::new("n3", |_| 3.0),
        Extractor::new("n4", |_| 4.0),
        Extractor::new("n5", |_| 5.0),
        Extractor::new("n6", |_| 6.0),
        Extractor::new("n7", |_| 7.0),
    ];

    /// `size` features `n0..`, version `version`; `broken` repeats `n0`.
    fn sized(version: u64, size: usize, broken: bool) -> Vec<u8> {
        let mut names: Vec<String> = (0..size).map(|i| format!("n{i}")).collect();
        if broken {
            names.push("n0".into());
        }
        file(version, &names.iter().map(String::as_str).collect::<Vec<_>>())
    }

    proptest::proptest! {
        /// `reload_via` against the same pairs offered one by one to a
        /// throwaway engine with the same serving pair: the same outcome,
        /// the first step that engine refuses, and on a rejection nothing
        /// published and one rejection counted.
        #[test]
        fn reload_via_is_reload_step_by_step_with_only_the_last_pair_published(
            serving in 1usize..=6,
            via in proptest::collection::vec((0usize..=8, proptest::bool::weighted(0.1)), 0..4),
            last in (0usize..=8, proptest::bool::weighted(0.1)),
        ) {
            let policy = Policy { require_newer_version: false, ..Policy::DEFAULT };
            let model = br#"{"bias":0,"weights":[1]}"#.as_slice();
            let files: Vec<Vec<u8>> =
                via.iter().enumerate().map(|(i, &(size, broken))| sized(i as u64 + 2, size, broken)).collect();
            let final_file = sized(9, last.0, last.1);

            let oracle = SharedEngine::<Req, Logistic<8>, 8>::new(EIGHT, policy);
            oracle.reload(&sized(1, serving, false), model).unwrap();
            let mut expected = Ok(());
            for (step, file) in files.iter().enumerate() {
                if let Err(error) = oracle.reload(file, model) {
                    expected = Err(StepRejected { step, steps: files.len() + 1, error });
                    break;
                }
            }
            let expected = expected.and_then(|()| {
                oracle.reload(&final_file, model).map_err(|error| StepRejected { step: files.len(), steps: files.len() + 1, error })
            });

            let engine = SharedEngine::<Req, Logistic<8>, 8>::new(EIGHT, policy);
            engine.reload(&sized(1, serving, false), model).unwrap();
            let before = engine.current().unwrap();
            let via: Vec<(&[u8], &[u8])> = files.iter().map(|f| (f.as_slice(), model)).collect();
            let got = engine.reload_via(&via, &final_file, model);
            proptest::prop_assert_eq!(&got, &expected);
            let stats = engine.stats();
            match got {
                Ok(accepted) => {
                    proptest::prop_assert_eq!(accepted.len, last.0);
                    proptest::prop_assert_eq!(engine.current().unwrap().features.table.len(), last.0);
                    proptest::prop_assert_eq!((stats.reloads_accepted, stats.reloads_rejected), (2, 0));
                }
                Err(_) => {
                    proptest::prop_assert!(Arc::ptr_eq(&before, &engine.current().unwrap()));
                    proptest::prop_assert_eq!((stats.reloads_accepted, stats.reloads_rejected), (1, 1));
                }
            }
        }
    }

    #[test]
    fn a_model_wider_than_the_serving_table_is_rejected_and_the_pair_keeps_serving() {
        let e = Shared::new(EXTRACTORS, lax());
        e.reload(&file(1, &["a"]), br#"{"bias":0,"weights":[1]}"#).unwrap();
        let before = e.current().unwrap();
        let wide = e.reload_model(br#"{"bias":0,"weights":[1,1]}"#);
        assert_eq!(wide, Err(ModelRejected::ModelMismatch(ModelMismatch { model_reads: 2, table_has: 1 })));
        assert!(Arc::ptr_eq(&before, &e.current().unwrap()));
        assert_eq!(e.stats().reloads_rejected, 1);
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 1.0);
    }

    #[test]
    fn kill_switch_makes_every_request_disabled_and_is_counted() {
        let e = Shared::new(EXTRACTORS, lax());
        e.reload(&file(1, &["a", "b"]), br#"{"bias":0,"weights":[1,1]}"#).unwrap();
        e.set_enabled(false);
        for _ in 0..3 {
            assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }), Err(Unscored::Disabled));
        }
        e.set_enabled(true);
        assert!(e.score(&Req { a: 1.0, b: 2.0 }).is_ok());
        let s = e.stats();
        assert_eq!((s.unscored_disabled, s.unscored(), s.scored), (3, 3, 1));
    }

    #[test]
    fn feature_switches_publish_and_survive_reloads() {
        let e = Shared::new(EXTRACTORS, lax());
        e.reload(&file(1, &["a", "b"]), br#"{"bias":0,"weights":[1,1]}"#).unwrap();
        assert_eq!(e.set_feature_enabled("a", false), Ok(true));
        assert_eq!(e.set_feature_enabled("zz", false), Ok(false));
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 2.0);
        e.reload_features(&file(2, &["b", "a"])).unwrap();
        assert_eq!(e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw, 2.0);
    }

    /// Readers on several threads score continuously while a writer
    /// alternates good and bad files: every request is scored, each with a
    /// value one of the good pairs gives, and the counters add up.
    #[test]
    fn concurrent_readers_never_see_a_bad_or_half_built_pair() {
        let e = Arc::new(Shared::new(EXTRACTORS, lax()));
        e.reload(&file(1, &["a", "b"]), br#"{"bias":0,"weights":[1,10]}"#).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + Duration::from_millis(500);
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (e, stop) = (Arc::clone(&e), Arc::clone(&stop));
                thread::spawn(move || {
                    let mut n = 0_u64;
                    while !stop.load(Ordering::Relaxed) && n < 5_000_000 {
                        let raw = e.score(&Req { a: 1.0, b: 2.0 }).unwrap().raw;
                        // ["a","b"] → 1 + 20; ["b","a"] → 2 + 10.
                        assert!(raw == 21.0 || raw == 12.0, "raw {raw}");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let (mut good, mut bad) = (1_u64, 0_u64);
        let mut version = 2;
        while Instant::now() < deadline && version < 20_000 {
            let names: &[&str] = if version % 2 == 0 { &["b", "a"] } else { &["a", "b"] };
            e.reload_features(&file(version, names)).unwrap();
            good += 1;
            assert!(e.reload_features(&file(version + 1, &["a", "b", "a", "b"])).is_err());
            assert!(e.reload_features(&file(version + 1, &["a", "b", "a", "b", "a"])).is_err());
            bad += 2;
            version += 1;
        }
        stop.store(true, Ordering::Relaxed);
        let requests: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
        let s = e.stats();
        assert_eq!((s.reloads_accepted, s.reloads_rejected), (good, bad));
        assert_eq!((s.scored, s.unscored()), (requests, 0));
        assert_eq!(s.active_version, Some(version - 1));
        assert!(requests > 0 && good > 2);
    }

    #[test]
    fn a_counter_shard_is_128_bytes_aligned_to_128_and_the_count_a_power_of_two() {
        assert_eq!((std::mem::size_of::<Shard>(), std::mem::align_of::<Shard>()), (128, 128));
        for (wanted, made) in [(0, 1), (1, 1), (2, 2), (3, 4), (48, 64), (64, 64), (100, 128), (usize::MAX, 1024)] {
            let e = Shared::with_counter_shards(EXTRACTORS, lax(), wanted);
            assert_eq!(e.counter_shards(), made, "{wanted} shards wanted");
            let first = e.counters.requests.all.as_ptr();
            assert_eq!(first as usize % 128, 0, "the shards start on a 128-byte boundary");
        }
        let cpus = thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        assert_eq!(Shared::new(EXTRACTORS, lax()).counter_shards(), cpus.next_power_of_two().min(MAX_COUNTER_SHARDS));
    }

    /// N threads x M requests each, every verdict kind: the sums are exact
    /// whether each thread has its own shard or all share one.
    #[test]
    fn sharded_counters_sum_exactly_over_threads_however_many_shards() {
        const THREADS: u64 = 8;
        const EACH: u64 = 20_000;
        for shards in [1, 2, 8, 64] {
            let e = Arc::new(Shared::with_counter_shards(EXTRACTORS, lax(), shards));
            // Before any pair: NoValidTable; then a table alone: NoValidModel.
            assert_eq!(e.score(&Req { a: 1.0, b: 1.0 }), Err(Unscored::NoValidTable));
            e.reload_features(&file(1, &["a", "b"])).unwrap();
            assert_eq!(e.score(&Req { a: 1.0, b: 1.0 }), Err(Unscored::NoValidModel));
            e.reload_model(br#"{"bias":0,"weights":[1,1]}"#).unwrap();
            let start = Arc::new(std::sync::Barrier::new(THREADS as usize));
            let workers: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (e, start) = (Arc::clone(&e), Arc::clone(&start));
                    thread::spawn(move || {
                        start.wait();
                        for i in 0..EACH {
                            // Odd requests overflow f32 to infinity: NonFiniteOutput.
                            let a = if i % 2 == 0 { 1.0 } else { f32::MAX };
                            let _ = e.score(&Req { a, b: f32::MAX });
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            e.set_enabled(false);
            let _ = e.score(&Req { a: 1.0, b: 1.0 });
            let s = e.stats();
            let half = THREADS * EACH / 2;
            assert_eq!(
                (s.scored, s.unscored_non_finite, s.unscored_no_valid_table, s.unscored_no_valid_model),
                (half, half, 1, 1),
                "{shards} shards"
            );
            assert_eq!((s.unscored_disabled, s.unscored()), (1, half + 3), "{shards} shards");
            assert_eq!((s.reloads_accepted, s.reloads_rejected, s.active_version), (2, 0, Some(1)));
        }
    }

    #[test]
    fn workers_count_in_distinct_shards_while_there_are_enough() {
        let e = Arc::new(Shared::with_counter_shards(EXTRACTORS, lax(), MAX_COUNTER_SHARDS));
        e.reload(&file(1, &["a", "b"]), br#"{"bias":0,"weights":[1,1]}"#).unwrap();
        for _ in 0..4 {
            let e = Arc::clone(&e);
            thread::spawn(move || (0..10).for_each(|_| assert!(e.score(&Req { a: 1.0, b: 1.0 }).is_ok())))
                .join()
                .unwrap();
        }
        let used: Vec<u64> =
            e.counters.requests.all.iter().map(|s| s.scored.load(Ordering::Relaxed)).filter(|&n| n > 0).collect();
        assert_eq!(used, [10, 10, 10, 10], "each worker wrote its own shard");
    }

    /// Threads that score in turn get consecutive slots, so an engine with
    /// as many shards as scoring threads gives each its own shard.
    #[test]
    fn each_new_scoring_thread_takes_the_next_slot_once() {
        let slots: Vec<usize> = (0..4)
            .map(|_| thread::spawn(|| (thread_slot(), thread_slot())).join().unwrap())
            .map(|(first, again)| {
                assert_eq!(first, again, "a thread keeps its slot");
                first
            })
            .collect();
        // Other tests' threads may take slots in between, never the same one.
        assert!(slots.windows(2).all(|w| w[0] < w[1]), "{slots:?}");
    }

    #[test]
    fn watcher_offers_each_change_and_stops_when_dropped() {
        let dir = std::env::temp_dir().join(format!("feature-table-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("features.json");
        std::fs::write(&path, file(1, &["a", "b"])).unwrap();
        let e = Arc::new(Shared::new(EXTRACTORS, lax()));
        e.reload(&std::fs::read(&path).unwrap(), br#"{"bias":0,"weights":[1]}"#).unwrap();
        let watcher = Watcher::features(Arc::clone(&e), &path, Duration::from_millis(5)).unwrap();
        // As the docs ask: replace by rename, so the watcher never reads a
        // half-written file.
        let replace = |bytes: Vec<u8>| {
            let tmp = dir.join("features.tmp");
            std::fs::write(&tmp, bytes).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
        };
        let wait_for = |accepted: u64, rejected: u64| {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                let s = e.stats();
                if (s.reloads_accepted, s.reloads_rejected) == (accepted, rejected) {
                    return;
                }
                thread::sleep(Duration::from_millis(2));
            }
            panic!("watcher did not reach {accepted}/{rejected}: {:?}", e.stats());
        };
        thread::sleep(Duration::from_millis(20));
        assert_eq!(e.stats().reloads_accepted, 1, "the file as it was at spawn is not offered again");
        replace(file(2, &["a", "b", "a", "b"]));
        wait_for(1, 1);
        replace(file(3, &["b", "a", "b"]));
        wait_for(1, 2);
        replace(file(4, &["b"]));
        wait_for(2, 2);
        assert_eq!(e.stats().active_version, Some(4));
        let started = Instant::now();
        drop(watcher);
        assert!(started.elapsed() < Duration::from_secs(1));
        replace(file(5, &["a"]));
        thread::sleep(Duration::from_millis(30));
        assert_eq!(e.stats().reloads_accepted, 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
