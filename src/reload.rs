//! Reload with last known good: an active table, a staging table, guards
//! against implausible files, bounded statistics and kill switches.

use core::fmt;

use crate::ingest::{IngestError, ingest};
use crate::json::Limits;
use crate::name::FeatureName;
use crate::pair::ModelMismatch;
use crate::slot::Slot;
use crate::table::FeatureTable;

/// A growth/shrink ratio ≥ 1, stored in thousandths so that checks are exact
/// integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ratio {
    permille: u32,
}

impl Ratio {
    /// `ratio` must be finite and in `1.0..=1_000_000.0`; it is rounded to
    /// thousandths.
    pub fn new(ratio: f32) -> Option<Self> {
        if !(1.0..=1_000_000.0).contains(&ratio) {
            return None; // also rejects NaN
        }
        // In range, so the product fits a u32 exactly enough.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let permille = (ratio * 1000.0 + 0.5) as u32;
        Some(Self { permille })
    }

    /// A ratio given in thousandths (1500 = 1.5×); at least 1000.
    pub const fn from_permille(permille: u32) -> Option<Self> {
        if permille >= 1000 { Some(Self { permille }) } else { None }
    }

    /// The ratio in thousandths.
    pub const fn permille(self) -> u32 {
        self.permille
    }

    /// Whether going from `previous` to `found` entries stays within the ratio
    /// in both directions.
    fn allows(self, previous: usize, found: usize) -> bool {
        let (p, f, r) = (previous as u64, found as u64, u64::from(self.permille));
        f * 1000 <= p * r && p * 1000 <= f * r
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.permille / 1000, self.permille % 1000)
    }
}

/// What the [`Reloader`] accepts. Build with [`Policy::DEFAULT`] and struct
/// update syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Policy {
    /// Size and depth bounds for ingest.
    pub limits: Limits,
    /// A new file may have at most `ratio ×` and at least `1/ratio ×` the
    /// entries of the active one. `None` disables the guard.
    pub max_growth: Option<Ratio>,
    /// A new file's `version` must be greater than the active one's.
    pub require_newer_version: bool,
    /// Raise [`Warning::Headroom`] when the active table fills more than this
    /// percentage of capacity. 100 disables the warning.
    pub headroom_percent: u8,
}

impl Policy {
    /// [`Limits::DEFAULT`], growth within 1.5× either way (the 2025-11-18 file
    /// doubled), newer versions only, warning above 80 % of capacity.
    pub const DEFAULT: Self = Self {
        limits: Limits::DEFAULT,
        max_growth: Ratio::from_permille(1500),
        require_newer_version: true,
        headroom_percent: 80,
    };

    /// Checks a fully ingested `staged` table against the `active` one.
    /// Used by the [`Reloader`]; public so that other hosts (and the CLI) can
    /// apply the same rules.
    pub fn check<const N: usize, const M: usize>(
        &self,
        active: Option<&FeatureTable<M>>,
        staged: &FeatureTable<N>,
    ) -> Result<(), ReloadError> {
        let Some(active) = active else { return Ok(()) };
        if self.require_newer_version && staged.version() <= active.version() {
            return Err(ReloadError::VersionNotNewer { active: active.version(), offered: staged.version() });
        }
        if let Some(ratio) = self.max_growth
            && !ratio.allows(active.len(), staged.len())
        {
            return Err(ReloadError::GrowthExceeded { previous: active.len(), found: staged.len(), max: ratio });
        }
        Ok(())
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why the [`Reloader`] rejected a file. The active table is unchanged.
///
/// A variant that wraps another error ([`Ingest`](Self::Ingest),
/// [`ModelMismatch`](Self::ModelMismatch)) displays its message and has no
/// [`source`](core::error::Error::source), so a chain-walking reporter prints
/// it once.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReloadError {
    /// The file itself is invalid.
    Ingest(IngestError),
    /// The file's version is not newer than the active table's.
    VersionNotNewer {
        /// Version of the active table.
        active: u64,
        /// Version of the offered file.
        offered: u64,
    },
    /// The entry count changed by more than the policy's ratio.
    GrowthExceeded {
        /// Entries in the active table.
        previous: usize,
        /// Entries in the offered file.
        found: usize,
        /// The policy's ratio.
        max: Ratio,
    },
    /// Entry `entry` names a feature that no extractor of this binary
    /// computes.
    UnknownFeature {
        /// The feature's name.
        name: FeatureName,
        /// Its entry in the file.
        entry: usize,
    },
    /// The serving model reads features the file does not have.
    ModelMismatch(ModelMismatch),
}

impl From<IngestError> for ReloadError {
    fn from(e: IngestError) -> Self {
        Self::Ingest(e)
    }
}

impl From<ModelMismatch> for ReloadError {
    fn from(e: ModelMismatch) -> Self {
        Self::ModelMismatch(e)
    }
}

impl fmt::Display for ReloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ingest(e) => fmt::Display::fmt(e, f),
            Self::VersionNotNewer { active, offered } => {
                write!(f, "version {offered} is not newer than the active version {active}")
            }
            Self::GrowthExceeded { previous, found, max } => {
                write!(f, "{found} entries against {previous} active: changes by more than {max}x")
            }
            Self::UnknownFeature { name, entry } => {
                write!(f, "entry {entry} names feature `{name}`, which this binary cannot compute")
            }
            Self::ModelMismatch(e) => fmt::Display::fmt(e, f),
        }
    }
}

/// No `source()`: the wrapped error's message is part of `Display` already,
/// and a reporter that walks the chain would print it twice.
impl core::error::Error for ReloadError {}

/// Why there is no value to use. Callers must treat this as "not scored",
/// never as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Unscored {
    /// The global kill switch is off.
    Disabled,
    /// No valid feature table has been accepted yet.
    NoValidTable,
    /// No valid model has been accepted yet.
    NoValidModel,
    /// The model produced a NaN or infinite value (never turned into a score).
    NonFiniteOutput,
}

impl fmt::Display for Unscored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Disabled => "disabled",
            Self::NoValidTable => "no valid feature table",
            Self::NoValidModel => "no valid model",
            Self::NonFiniteOutput => "model output is not finite",
        })
    }
}

impl core::error::Error for Unscored {}

/// A state a caller can read and alert on; not a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Warning {
    /// The active table holds `len` of `capacity` features, more than the
    /// policy's `headroom_percent`.
    Headroom {
        /// Features in the active table.
        len: usize,
        /// `N`.
        capacity: usize,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Headroom { len, capacity } => write!(f, "{len} of {capacity} feature slots in use"),
        }
    }
}

/// The outcome of an accepted offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Accepted {
    /// Version now active.
    pub version: u64,
    /// Features now active.
    pub len: usize,
    /// Switched-off features of the previous table whose names the new file
    /// no longer has (their switches are gone with them).
    pub switches_dropped: usize,
}

/// Bounded reload statistics: a fixed number of counters and the last error,
/// whatever the number of reloads or requests. `E` is the error recorded
/// (the [`Engine`](crate::Engine) keeps one of these for feature files and one
/// for models).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReloadStats<E = ReloadError> {
    /// Offers accepted (saturating).
    pub accepted: u32,
    /// Offers rejected (saturating).
    pub rejected: u32,
    /// Rejections since the last acceptance.
    pub consecutive_rejections: u32,
    /// The most recent rejection, if any.
    pub last_error: Option<E>,
    /// Version of the active file, for files that carry one.
    pub active_version: Option<u64>,
}

impl<E> ReloadStats<E> {
    /// No offers yet. `const`, for statics.
    pub const fn new() -> Self {
        Self { accepted: 0, rejected: 0, consecutive_rejections: 0, last_error: None, active_version: None }
    }

    /// Records an accepted offer.
    pub fn record_accept(&mut self, version: Option<u64>) {
        self.accepted = self.accepted.saturating_add(1);
        self.consecutive_rejections = 0;
        self.active_version = version;
    }

    /// Records a rejected offer. O(1) memory: the error replaces the last one.
    pub fn record_reject(&mut self, error: &E)
    where
        E: Clone,
    {
        self.rejected = self.rejected.saturating_add(1);
        self.consecutive_rejections = self.consecutive_rejections.saturating_add(1);
        self.last_error = Some(error.clone());
    }
}

impl<E> Default for ReloadStats<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// The one acceptance path for a feature table, shared by [`Reloader`] and
/// the multi-threaded handle: fill the staging table, check it against the
/// policy and the active table, run the caller's `check`, then carry the
/// per-feature switches over. The caller makes `staging` active only on `Ok`.
pub(crate) fn stage_table<const N: usize>(
    policy: &Policy,
    active: Option<&FeatureTable<N>>,
    staging: &mut FeatureTable<N>,
    fill: impl FnOnce(&mut FeatureTable<N>) -> Result<(), ReloadError>,
    check: impl FnOnce(&FeatureTable<N>) -> Result<(), ReloadError>,
) -> Result<Accepted, ReloadError> {
    fill(staging)?;
    policy.check(active, staging)?;
    check(staging)?;
    let switches_dropped = active.map_or(0, |active| staging.inherit_switches(active));
    Ok(Accepted { version: staging.version(), len: staging.len(), switches_dropped })
}

/// Owns the active table and a staging table; only a fully valid file that
/// passes the [`Policy`] becomes active.
///
/// Memory: `2 × size_of::<FeatureTable<N>>()` plus about 100 bytes of policy
/// and statistics. Nothing is allocated; a commit flips which of the two
/// tables is active, it does not copy.
///
/// ```
/// use feature_table::{Policy, ReloadError, IngestError, Reloader, Unscored};
///
/// let mut reloader = Reloader::<4>::new(Policy::DEFAULT);
/// assert_eq!(reloader.active().err(), Some(Unscored::NoValidTable));
///
/// reloader.offer(br#"{"version": 1, "features": [{"name": "a"}, {"name": "b"}]}"#)?;
/// let doubled = br#"{"version": 2, "features": [{"name": "a"}, {"name": "b"}, {"name": "a"}, {"name": "b"}]}"#;
/// assert!(matches!(
///     reloader.offer(doubled),
///     Err(ReloadError::Ingest(IngestError::DuplicateName { first: 0, second: 2, .. }))
/// ));
/// // The last known good table keeps serving.
/// assert_eq!(reloader.active()?.version(), 1);
/// assert_eq!(reloader.stats().rejected, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Reloader<const N: usize> {
    a: FeatureTable<N>,
    b: FeatureTable<N>,
    active: Slot,
    enabled: bool,
    policy: Policy,
    stats: ReloadStats,
}

impl<const N: usize> Reloader<N> {
    /// A reloader with no active table, scoring switched on. `const`, so it
    /// can be placed in a `static`.
    pub const fn new(policy: Policy) -> Self {
        Self {
            a: FeatureTable::new(0),
            b: FeatureTable::new(0),
            active: Slot::NONE,
            enabled: true,
            policy,
            stats: ReloadStats::new(),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Offers a new feature file. It is parsed into the staging table,
    /// checked against the policy and, only if everything holds, made active
    /// (keeping the per-feature switches of features that still exist).
    ///
    /// On error the active table is untouched, byte for byte, and the
    /// rejection is counted in [`stats`](Self::stats). The returned error is
    /// the one report of this rejection: log it here, not per request.
    ///
    /// Cost: O(len) of the input plus O(N log N), no allocation.
    pub fn offer(&mut self, bytes: &[u8]) -> Result<Accepted, ReloadError> {
        self.offer_with(bytes, |_| Ok(()))
    }

    /// [`offer`](Self::offer) with one more check: `check` sees the fully
    /// ingested, policy-checked staging table and can still reject it (the
    /// [`Engine`](crate::Engine) binds extractors and checks the model here).
    /// The table becomes active only if `check` returns `Ok`.
    pub fn offer_with(
        &mut self,
        bytes: &[u8],
        check: impl FnOnce(&FeatureTable<N>) -> Result<(), ReloadError>,
    ) -> Result<Accepted, ReloadError> {
        let limits = self.policy.limits;
        self.stage(|staging| ingest(bytes, staging, limits).map_err(ReloadError::Ingest), check)
    }

    /// Offers a table built in code with [`FeatureTable::push`] rather than
    /// parsed from a file: for firmware that compiles its features in, or
    /// receives them in another format. The table is copied into staging and
    /// then treated exactly like a file given to [`offer`](Self::offer): the
    /// same [`Policy`] checks, switch inheritance and statistics. An empty
    /// table is rejected as [`IngestError::EmptyFeatureList`].
    ///
    /// Cost: one copy of `table` plus O(N log N), no allocation, no JSON
    /// parsing.
    ///
    /// ```
    /// use feature_table::{FeatureName, FeatureTable, Policy, Reloader};
    ///
    /// let mut table = FeatureTable::<4>::new(1);
    /// table.push(FeatureName::new("ua_entropy")?, 0.5)?;
    /// let mut reloader = Reloader::<4>::new(Policy::DEFAULT);
    /// assert_eq!(reloader.offer_table(&table)?.len, 1);
    /// assert!(reloader.offer_table(&table).is_err()); // version 1 is not newer than 1
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn offer_table(&mut self, table: &FeatureTable<N>) -> Result<Accepted, ReloadError> {
        self.stage(
            |staging| {
                if table.is_empty() {
                    return Err(ReloadError::Ingest(IngestError::EmptyFeatureList));
                }
                staging.clone_from(table);
                Ok(())
            },
            |_| Ok(()),
        )
    }

    /// Fills the staging table with `fill`, checks it against the policy,
    /// the active table and `check`, and only then makes it active; records
    /// the outcome in the statistics.
    fn stage(
        &mut self,
        fill: impl FnOnce(&mut FeatureTable<N>) -> Result<(), ReloadError>,
        check: impl FnOnce(&FeatureTable<N>) -> Result<(), ReloadError>,
    ) -> Result<Accepted, ReloadError> {
        let result = self.stage_unrecorded(fill, check);
        match &result {
            Ok(accepted) => self.stats.record_accept(Some(accepted.version)),
            Err(error) => self.stats.record_reject(error),
        }
        result
    }

    fn stage_unrecorded(
        &mut self,
        fill: impl FnOnce(&mut FeatureTable<N>) -> Result<(), ReloadError>,
        check: impl FnOnce(&FeatureTable<N>) -> Result<(), ReloadError>,
    ) -> Result<Accepted, ReloadError> {
        let (active, staging) = self.active.staging(&mut self.a, &mut self.b);
        let accepted = stage_table(&self.policy, active, staging, fill, check)?;
        self.active.commit();
        Ok(accepted)
    }

    /// The table to use for a request, or why there is none.
    ///
    /// Cost: O(1), no allocation, no panic.
    #[inline]
    pub fn active(&self) -> Result<&FeatureTable<N>, Unscored> {
        if !self.enabled {
            return Err(Unscored::Disabled);
        }
        self.last_good().ok_or(Unscored::NoValidTable)
    }

    /// The last known good table, whatever the kill switch says (for
    /// inspection and reporting, not for scoring).
    pub fn last_good(&self) -> Option<&FeatureTable<N>> {
        self.active.active(&self.a, &self.b)
    }

    /// The global kill switch: `false` makes [`active`](Self::active) return
    /// [`Unscored::Disabled`] until switched back on. O(1).
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// Whether the global kill switch is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Switches the feature called `name` in the active table on or off; the
    /// setting carries over to later tables that have the same name.
    ///
    /// Cost: one lookup by name (see [`FeatureTable::index_of`]). Fails with [`Unscored::NoValidTable`] before the first
    /// accepted file, and returns `Ok(false)` if no feature has that name.
    pub fn set_feature_enabled(&mut self, name: &str, enabled: bool) -> Result<bool, Unscored> {
        let table = self.active.active_mut(&mut self.a, &mut self.b).ok_or(Unscored::NoValidTable)?;
        Ok(match table.index_of(name) {
            Some(index) => table.set_feature_enabled(index, enabled).is_ok(),
            None => false,
        })
    }

    /// Counters and the last error. O(1).
    pub fn stats(&self) -> &ReloadStats {
        &self.stats
    }

    /// A warning state about the active table, if any. O(1).
    pub fn warning(&self) -> Option<Warning> {
        let len = self.last_good()?.len();
        let over = len.saturating_mul(100) > N.saturating_mul(usize::from(self.policy.headroom_percent));
        over.then_some(Warning::Headroom { len, capacity: N })
    }
}

impl<const N: usize> fmt::Debug for Reloader<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reloader")
            .field("active", &self.last_good())
            .field("enabled", &self.enabled)
            .field("policy", &self.policy)
            .field("stats", &self.stats)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl<const N: usize> defmt::Format for Reloader<N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Reloader {{ active: {}, enabled: {=bool}, stats: {} }}",
            self.last_good(),
            self.enabled,
            self.stats
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(version: u64, names: &[&str]) -> String {
        let entries: Vec<String> = names.iter().map(|n| format!(r#"{{"name":"{n}"}}"#)).collect();
        format!(r#"{{"version":{version},"features":[{}]}}"#, entries.join(","))
    }

    #[test]
    fn ratio_is_exact_in_both_directions() {
        let r = Ratio::new(1.5).unwrap();
        assert!(r.allows(10, 15) && r.allows(15, 10));
        assert!(!r.allows(10, 16) && !r.allows(16, 10));
        assert_eq!(Ratio::new(0.5), None);
        assert_eq!(Ratio::new(f32::NAN), None);
        assert_eq!(Ratio::new(f32::INFINITY), None);
        assert_eq!(r.to_string(), "1.500");
    }

    #[test]
    fn growth_beyond_ratio_is_rejected_and_last_good_keeps_serving() {
        let mut r = Reloader::<16>::new(Policy::DEFAULT);
        r.offer(file(1, &["a", "b", "c", "d"]).as_bytes()).unwrap();
        let before = r.active().unwrap().clone();
        let err = r.offer(file(2, &["a", "b", "c", "d", "e", "f", "g"]).as_bytes()).unwrap_err();
        assert_eq!(
            err,
            ReloadError::GrowthExceeded { previous: 4, found: 7, max: Ratio::from_permille(1500).unwrap() }
        );
        let err = r.offer(file(2, &["a", "b"]).as_bytes()).unwrap_err();
        assert!(matches!(err, ReloadError::GrowthExceeded { previous: 4, found: 2, .. }));
        assert_eq!(r.active().unwrap(), &before);
        assert_eq!(r.stats().consecutive_rejections, 2);
    }

    #[test]
    fn older_or_same_version_is_rejected() {
        let mut r = Reloader::<4>::new(Policy::DEFAULT);
        r.offer(file(5, &["a"]).as_bytes()).unwrap();
        assert_eq!(r.offer(file(5, &["a"]).as_bytes()), Err(ReloadError::VersionNotNewer { active: 5, offered: 5 }));
        assert_eq!(r.offer(file(4, &["a"]).as_bytes()), Err(ReloadError::VersionNotNewer { active: 5, offered: 4 }));
        let lax = Policy { require_newer_version: false, ..Policy::DEFAULT };
        let mut r = Reloader::<4>::new(lax);
        r.offer(file(5, &["a"]).as_bytes()).unwrap();
        assert!(r.offer(file(4, &["a"]).as_bytes()).is_ok());
    }

    #[test]
    fn kill_switches() {
        let mut r = Reloader::<4>::new(Policy::DEFAULT);
        assert_eq!(r.set_feature_enabled("a", false), Err(Unscored::NoValidTable));
        r.offer(file(1, &["a", "b"]).as_bytes()).unwrap();
        r.set_enabled(false);
        assert_eq!(r.active().err(), Some(Unscored::Disabled));
        r.set_enabled(true);
        assert_eq!(r.set_feature_enabled("a", false), Ok(true));
        assert_eq!(r.set_feature_enabled("zz", false), Ok(false));
        assert!(!r.active().unwrap().by_name("a").unwrap().is_enabled());
        // The switch survives a reload that keeps the name...
        let accepted = r.offer(file(2, &["b", "a"]).as_bytes()).unwrap();
        assert_eq!(accepted.switches_dropped, 0);
        assert!(!r.active().unwrap().by_name("a").unwrap().is_enabled());
        assert!(r.active().unwrap().by_name("b").unwrap().is_enabled());
        // ...and is reported as dropped when the name goes away.
        let accepted = r.offer(file(3, &["b", "c"]).as_bytes()).unwrap();
        assert_eq!(accepted.switches_dropped, 1);
    }

    #[test]
    fn table_built_in_code_goes_through_the_same_policy_as_a_file() {
        use crate::name::FeatureName;
        fn table(version: u64, names: &[&str]) -> FeatureTable<8> {
            let mut t = FeatureTable::new(version);
            for n in names {
                t.push(FeatureName::new(n).unwrap(), 0.5).unwrap();
            }
            t
        }
        let mut r = Reloader::<8>::new(Policy::DEFAULT);
        assert_eq!(r.offer_table(&table(1, &[])), Err(ReloadError::Ingest(IngestError::EmptyFeatureList)));
        let v1 = table(1, &["a", "b"]);
        assert_eq!(r.offer_table(&v1), Ok(Accepted { version: 1, len: 2, switches_dropped: 0 }));
        assert_eq!(r.active().unwrap(), &v1);
        r.set_feature_enabled("a", false).unwrap();
        let before = r.active().unwrap().clone();
        assert!(matches!(
            r.offer_table(&table(2, &["a", "b", "c", "d"])),
            Err(ReloadError::GrowthExceeded { previous: 2, found: 4, .. })
        ));
        assert_eq!(r.offer_table(&table(1, &["a", "b"])), Err(ReloadError::VersionNotNewer { active: 1, offered: 1 }));
        assert_eq!(r.active().unwrap(), &before, "rejections change nothing");
        // Accepted: a file and a table share the staging slot and switches.
        assert_eq!(r.offer_table(&table(2, &["a", "b", "c"])).unwrap().len, 3);
        assert!(!r.active().unwrap().by_name("a").unwrap().is_enabled());
        assert!(r.offer(file(3, &["a", "b", "c"]).as_bytes()).is_ok());
        assert_eq!((r.stats().accepted, r.stats().rejected), (3, 3));
    }

    #[test]
    fn headroom_warning_is_a_state_not_a_rejection() {
        let mut r = Reloader::<5>::new(Policy { max_growth: None, ..Policy::DEFAULT });
        r.offer(file(1, &["a", "b", "c", "d"]).as_bytes()).unwrap();
        assert_eq!(r.warning(), None);
        r.offer(file(2, &["a", "b", "c", "d", "e"]).as_bytes()).unwrap();
        assert_eq!(r.warning(), Some(Warning::Headroom { len: 5, capacity: 5 }));
    }
}
