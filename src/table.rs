//! The fixed-capacity feature table.

use core::fmt;

use crate::name::{FeatureName, NameKey, words_of_str};

/// One feature of a [`FeatureTable`]: a validated name, a finite default and a
/// per-feature kill switch.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Feature {
    default: f32,
    name: FeatureName,
    enabled: bool,
}

impl Feature {
    /// The feature's name.
    pub fn name(&self) -> &FeatureName {
        &self.name
    }

    /// The value used when the feature cannot be computed or is switched off.
    /// Always finite.
    pub fn default(&self) -> f32 {
        self.default
    }

    /// Whether the feature is switched on (see
    /// [`FeatureTable::set_feature_enabled`]).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The value a scorer should use for this feature: `computed` when the
    /// feature is switched on and `computed` is finite, the default otherwise.
    ///
    /// Cost: O(1), no allocation, no panic.
    #[inline]
    pub fn resolve(&self, computed: f32) -> f32 {
        if self.enabled && computed.is_finite() { computed } else { self.default }
    }
}

/// At most `N` features, in file order, with an index by name.
///
/// Memory is fixed by `N` and identical on 32- and 64-bit targets (lengths and
/// indices are stored as `u16`):
///
/// `size_of::<FeatureTable<N>>() = 40·N + 4·N + 16`, rounded up to 8
///
/// (40 bytes per [`Feature`]: a 33-byte inline name, an `f32` default and a
/// switch, padded; 4 bytes per feature for the name index, a hash table of
/// `2·N` two-byte slots; a `u64` version, a `u16` length, padding and a `u16`
/// count of switched-off features). `FeatureTable<200>` is 8,816 bytes. `N`
/// must be at most `u16::MAX`; a larger `N` is a compile-time error.
///
/// The name index hashes each name once; a lookup or a push then costs one
/// or two probes on average, in whatever order the names come. Names built
/// to collide can make each O(N): bounded, so a hostile file costs at most
/// O(N²) compares to ingest, never more memory.
///
/// A table only ever holds valid features: names are unique and valid,
/// defaults are finite. Build one with [`FeatureTable::push`] or from a feature
/// file with [`ingest`](crate::ingest()).
///
/// ```
/// use feature_table::{FeatureName, FeatureTable, TableError};
///
/// let mut table = FeatureTable::<2>::new(1);
/// table.push(FeatureName::new("ua_entropy")?, 0.5)?;
/// table.push(FeatureName::new("path_depth")?, 0.0)?;
/// assert_eq!(table.index_of("path_depth"), Some(1));
/// assert_eq!(
///     table.push(FeatureName::new("tls_ja4")?, 0.0),
///     Err(TableError::CapacityExceeded { capacity: 2 })
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct FeatureTable<const N: usize> {
    version: u64,
    features: heapless::Vec<Feature, N, u16>,
    /// The index by name: an open-addressing hash table of `2·N` slots
    /// (linear probing, at most half full), each 0 for empty or 1 + the
    /// index of a feature. Two halves because `[u16; 2 * N]` needs unstable
    /// const arithmetic; [`Self::slots`] joins them.
    slots: [[u16; N]; 2],
    /// How many features are switched off: when 0, the request path can
    /// skip every per-feature switch.
    switched_off: u16,
}

/// Where a name's probe for a slot starts, in `0..slots`: a multiplicative
/// hash of its words (two independent products, so the latency is two
/// multiplications, not four), mapped by the high half of a 128-bit product,
/// which needs no division and no power-of-two size. The high bits of each
/// product depend on every bit of its operand.
#[inline]
fn home_slot(words: &NameKey, slots: usize) -> usize {
    const K0: u64 = 0x517c_c1b7_2722_0a95;
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    let [a, b, c, d] = *words;
    let h = (a ^ b.rotate_left(29)).wrapping_mul(K0) ^ (c ^ d.rotate_left(29)).wrapping_mul(K1);
    // `slots` fits a u64 and the product's high half is below it.
    ((u128::from(h) * slots as u128) >> 64) as usize
}

impl<const N: usize> FeatureTable<N> {
    /// The capacity, `N`.
    pub const CAPACITY: usize = N;

    /// An empty table for file `version`. `const`, so it can live in a `static`.
    pub const fn new(version: u64) -> Self {
        const { assert!(N <= u16::MAX as usize, "FeatureTable capacity must be at most u16::MAX") };
        Self { version, features: heapless::Vec::new(), slots: [[0; N]; 2], switched_off: 0 }
    }

    /// Empties the table and sets its version, keeping the storage.
    pub(crate) fn reset(&mut self, version: u64) {
        self.version = version;
        self.features.clear();
        self.slots.as_flattened_mut().fill(0);
        self.switched_off = 0;
    }

    pub(crate) fn set_version(&mut self, version: u64) {
        self.version = version;
    }

    /// The version of the feature file this table came from.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the table has no features. A table accepted by the reloader is
    /// never empty.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The features in file order.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// The feature at `index` (file order). O(1).
    #[inline]
    pub fn get(&self, index: usize) -> Option<&Feature> {
        self.features.get(index)
    }

    /// The index of the feature called `name`. No allocation; O(1) expected
    /// (one hash, under two probes on average), O(N) at worst, for names
    /// built to collide.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        let words = words_of_str(name)?;
        self.find(&words).ok()
    }

    /// The feature called `name`. Same cost as [`Self::index_of`].
    pub fn by_name(&self, name: &str) -> Option<&Feature> {
        self.index_of(name).and_then(|i| self.get(i))
    }

    /// Probes the name index for `words`: `Ok(index)` of the feature with
    /// that name, or `Err(slot)` with the empty slot where it would go. At
    /// most `N` of the `2·N` slots are used, so a probe always ends at an
    /// empty slot; the loop bound only makes that evident.
    fn find(&self, words: &NameKey) -> Result<usize, usize> {
        let slots = self.slots.as_flattened();
        let mut slot = home_slot(words, slots.len());
        for _ in 0..slots.len() {
            match slots.get(slot) {
                Some(&used) if used != 0 => {
                    let index = usize::from(used - 1);
                    if self.features.get(index).is_some_and(|f| f.name.words() == *words) {
                        return Ok(index);
                    }
                }
                _ => return Err(slot),
            }
            slot = if slot + 1 == slots.len() { 0 } else { slot + 1 };
        }
        Err(slot)
    }

    /// Appends a feature with a finite `default`.
    ///
    /// Cost: O(1) expected (one probe of the name index, whatever order
    /// names come in), O(N) at worst, for names built to collide; no
    /// allocation. Fails, leaving the table unchanged, when the table is
    /// full, the name is already present, or `default` is not finite.
    pub fn push(&mut self, name: FeatureName, default: f32) -> Result<(), TableError> {
        if !default.is_finite() {
            return Err(TableError::NonFiniteDefault { index: self.len() });
        }
        let slot = match self.find(&name.words()) {
            Ok(first) => return Err(TableError::DuplicateName { name, first, second: self.len() }),
            Err(slot) => slot,
        };
        // The slot holds 1 + index: at most N <= u16::MAX.
        let full = TableError::CapacityExceeded { capacity: N };
        let Some(used) = u16::try_from(self.len()).ok().and_then(|i| i.checked_add(1)) else { return Err(full) };
        let Some(empty) = self.slots.as_flattened_mut().get_mut(slot) else { return Err(full) };
        self.features.push(Feature { default, name, enabled: true }).map_err(|_| full)?;
        *empty = used;
        Ok(())
    }

    /// Switches one feature on or off. A switched-off feature reads its
    /// default (see [`Feature::resolve`]). O(1); fails only for an index out
    /// of range.
    pub fn set_feature_enabled(&mut self, index: usize, enabled: bool) -> Result<(), TableError> {
        let len = self.len();
        let feature = self.features.get_mut(index).ok_or(TableError::NoSuchIndex { index, len })?;
        if feature.enabled != enabled {
            feature.enabled = enabled;
            // At most `len` ≤ N ≤ u16::MAX features are off, and one is on
            // before it is switched off.
            self.switched_off =
                if enabled { self.switched_off.saturating_sub(1) } else { self.switched_off.saturating_add(1) };
        }
        Ok(())
    }

    /// Whether every feature is switched on. O(1): the request path's fast
    /// lane (see [`FeatureVector::fill_signals`](crate::FeatureVector::fill_signals)).
    #[inline]
    pub fn all_enabled(&self) -> bool {
        self.switched_off == 0
    }

    /// Copies the per-feature switches of `from` onto the features of `self`
    /// with the same name; features that exist only in `self` stay on.
    /// Returns how many switched-off features of `from` have no counterpart.
    pub(crate) fn inherit_switches<const M: usize>(&mut self, from: &FeatureTable<M>) -> usize {
        let mut dropped = 0;
        for old in from.features.iter().filter(|f| !f.enabled) {
            match self.index_of(old.name.as_str()) {
                Some(index) => {
                    // `index_of` found it, so it is in range.
                    let _ = self.set_feature_enabled(index, false);
                }
                None => dropped += 1,
            }
        }
        dropped
    }
}

impl<const N: usize> Default for FeatureTable<N> {
    fn default() -> Self {
        Self::new(0)
    }
}

/// Two tables are equal when they hold the same version and the same features
/// (names, defaults, switches) in the same order.
impl<const N: usize> PartialEq for FeatureTable<N> {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && self.features == other.features
    }
}

impl<const N: usize> fmt::Debug for FeatureTable<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeatureTable")
            .field("version", &self.version)
            .field("capacity", &N)
            .field("features", &self.features.as_slice())
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl<const N: usize> defmt::Format for FeatureTable<N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "FeatureTable {{ version: {=u64}, len: {=usize}, capacity: {=usize} }}",
            self.version,
            self.len(),
            N
        );
    }
}

/// Why a feature could not be added to a [`FeatureTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TableError {
    /// The table already holds `capacity` features.
    CapacityExceeded {
        /// `N`.
        capacity: usize,
    },
    /// `name` is already in the table at index `first`; it was offered again
    /// as index `second`.
    DuplicateName {
        /// The repeated name.
        name: FeatureName,
        /// Index of the feature already holding the name.
        first: usize,
        /// Index the repeated name would have taken.
        second: usize,
    },
    /// The default offered for index `index` is NaN or infinite.
    NonFiniteDefault {
        /// Index the feature would have taken.
        index: usize,
    },
    /// `index` is out of range for a table of `len` features.
    NoSuchIndex {
        /// The index asked for.
        index: usize,
        /// The table's length.
        len: usize,
    },
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CapacityExceeded { capacity } => write!(f, "table is full: capacity is {capacity} features"),
            Self::DuplicateName { name, first, second } => {
                write!(f, "duplicate feature name `{name}` at entries {first} and {second}")
            }
            Self::NonFiniteDefault { index } => write!(f, "default of entry {index} is not a finite number"),
            Self::NoSuchIndex { index, len } => write!(f, "no feature at index {index}: the table has {len}"),
        }
    }
}

impl core::error::Error for TableError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> FeatureName {
        FeatureName::new(s).unwrap()
    }

    #[test]
    fn lookup_by_name_finds_every_feature_in_any_insertion_order() {
        let names = ["m", "b", "z", "a", "k", "c"];
        let mut t = FeatureTable::<8>::new(1);
        for n in names {
            t.push(name(n), 1.0).unwrap();
        }
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.index_of(n), Some(i));
            assert_eq!(t.get(i).unwrap().name().as_str(), *n);
        }
        assert_eq!(t.index_of("q"), None);
        assert_eq!(t.index_of(""), None);
        assert_eq!(t.index_of("m\0"), None);
    }

    #[test]
    fn duplicate_reports_both_positions_and_changes_nothing() {
        let mut t = FeatureTable::<4>::new(1);
        t.push(name("a"), 0.0).unwrap();
        t.push(name("b"), 0.0).unwrap();
        let before = t.clone();
        assert_eq!(t.push(name("a"), 1.0), Err(TableError::DuplicateName { name: name("a"), first: 0, second: 2 }));
        assert_eq!(t, before);
    }

    #[test]
    fn full_table_reports_capacity_and_changes_nothing() {
        let mut t = FeatureTable::<1>::new(1);
        t.push(name("a"), 0.0).unwrap();
        let before = t.clone();
        assert_eq!(t.push(name("b"), 0.0), Err(TableError::CapacityExceeded { capacity: 1 }));
        assert_eq!(t, before);
    }

    #[test]
    fn a_zero_capacity_table_has_no_slots_and_refuses_every_push() {
        let mut t = FeatureTable::<0>::new(1);
        assert_eq!(t.push(name("a"), 0.0), Err(TableError::CapacityExceeded { capacity: 0 }));
        assert_eq!(t.index_of("a"), None);
        assert!(t.is_empty());
    }

    #[test]
    fn non_finite_default_is_refused() {
        let mut t = FeatureTable::<2>::new(1);
        assert_eq!(t.push(name("a"), f32::NAN), Err(TableError::NonFiniteDefault { index: 0 }));
        assert_eq!(t.push(name("a"), f32::INFINITY), Err(TableError::NonFiniteDefault { index: 0 }));
        assert!(t.is_empty());
    }

    #[test]
    fn switched_off_feature_reads_its_default() {
        let mut t = FeatureTable::<2>::new(1);
        t.push(name("a"), 7.0).unwrap();
        assert_eq!(t.get(0).unwrap().resolve(3.0), 3.0);
        assert_eq!(t.get(0).unwrap().resolve(f32::NAN), 7.0);
        assert!(t.all_enabled());
        t.set_feature_enabled(0, false).unwrap();
        assert_eq!(t.get(0).unwrap().resolve(3.0), 7.0);
        assert!(!t.all_enabled());
        assert_eq!(t.set_feature_enabled(5, false), Err(TableError::NoSuchIndex { index: 5, len: 1 }));
    }

    #[test]
    fn the_switched_off_count_follows_every_change() {
        let mut t = FeatureTable::<4>::new(1);
        t.push(name("a"), 0.0).unwrap();
        t.push(name("b"), 0.0).unwrap();
        // Switching off twice counts once; switching back on uncounts it.
        t.set_feature_enabled(0, false).unwrap();
        t.set_feature_enabled(0, false).unwrap();
        t.set_feature_enabled(1, false).unwrap();
        t.set_feature_enabled(0, true).unwrap();
        assert!(!t.all_enabled());
        t.set_feature_enabled(1, true).unwrap();
        t.set_feature_enabled(1, true).unwrap();
        assert!(t.all_enabled());
        // Inherited switches count; a reset clears them.
        t.set_feature_enabled(1, false).unwrap();
        let mut next = FeatureTable::<4>::new(2);
        next.push(name("b"), 0.0).unwrap();
        assert_eq!(next.inherit_switches(&t), 0);
        assert!(!next.all_enabled());
        next.reset(3);
        assert!(next.all_enabled());
    }

    #[test]
    fn memory_formula_holds_and_does_not_depend_on_pointer_width() {
        fn formula(n: usize) -> usize {
            (44 * n + 16).next_multiple_of(8)
        }
        assert_eq!(core::mem::size_of::<Feature>(), 40);
        assert_eq!(core::mem::size_of::<FeatureTable<1>>(), formula(1));
        assert_eq!(core::mem::size_of::<FeatureTable<60>>(), formula(60));
        assert_eq!(core::mem::size_of::<FeatureTable<200>>(), formula(200));
        assert_eq!(core::mem::size_of::<FeatureTable<200>>(), 8816);
        assert_eq!(core::mem::size_of::<FeatureTable<1024>>(), formula(1024));
    }
}
