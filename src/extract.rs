//! Feature extraction without allocation: the features a binary can compute,
//! bound once per loaded file, filled per request into a stack vector.

use core::fmt;

use crate::reload::ReloadError;
use crate::table::{Feature, FeatureTable};

/// A feature the host binary can compute: a name and a function over the
/// host's own request type. A host declares its extractors once, as a
/// `static` slice:
///
/// ```
/// use feature_table::Extractor;
///
/// struct Request<'a> { user_agent: &'a str, path: &'a str }
///
/// static EXTRACTORS: &[Extractor<Request<'static>>] = &[
///     Extractor::new("ua_len", |r| r.user_agent.len() as f32),
///     Extractor::new("path_depth", |r| r.path.matches('/').count() as f32),
/// ];
/// # let _ = EXTRACTORS;
/// ```
pub struct Extractor<R: ?Sized> {
    name: &'static str,
    compute: fn(&R) -> f32,
}

impl<R: ?Sized> Extractor<R> {
    /// Binds `name` to `compute`. A non-finite result means "could not be
    /// computed": the feature then reads its default.
    pub const fn new(name: &'static str, compute: fn(&R) -> f32) -> Self {
        Self { name, compute }
    }

    /// The feature name this extractor computes.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Computes the feature for `request`.
    #[inline]
    pub fn compute(&self, request: &R) -> f32 {
        (self.compute)(request)
    }
}

impl<R: ?Sized> Clone for Extractor<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: ?Sized> Copy for Extractor<R> {}

impl<R: ?Sized> fmt::Debug for Extractor<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Extractor").field(&self.name).finish()
    }
}

/// For each feature of a table, in table order, the index of the extractor
/// that computes it. Built once per loaded file by [`Bindings::bind`].
///
/// Memory: `2·N + 4` bytes on every target.
#[derive(Clone, PartialEq, Eq)]
pub struct Bindings<const N: usize> {
    extractors: heapless::Vec<u16, N, u16>,
    /// Feature `i` is computed by extractor `i`, for every `i`: the file
    /// lists the binary's features in the binary's order, so
    /// [`FeatureVector::fill_signals`] is a copy rather than a gather.
    identity: bool,
}

impl<const N: usize> Bindings<N> {
    /// No bindings. `const`, so it can live in a `static`.
    pub const fn new() -> Self {
        Self { extractors: heapless::Vec::new(), identity: false }
    }

    /// Resolves every feature of `table` to an extractor by name.
    ///
    /// Cost: O(N·E) string comparisons for E extractors, at load time only;
    /// no allocation. Fails with [`ReloadError::UnknownFeature`] naming the
    /// first feature (in file order) that no extractor computes, leaving
    /// `self` unspecified: bind into a staging value.
    pub fn bind<R: ?Sized>(&mut self, table: &FeatureTable<N>, extractors: &[Extractor<R>]) -> Result<(), ReloadError> {
        self.extractors.clear();
        self.identity = false;
        for (entry, feature) in table.features().iter().enumerate() {
            let found = extractors.iter().position(|e| e.name == feature.name().as_str());
            let index = found
                .and_then(|i| u16::try_from(i).ok())
                .ok_or_else(|| ReloadError::UnknownFeature { name: feature.name().clone(), entry })?;
            // `table` holds at most N features, so this cannot overflow.
            self.extractors
                .push(index)
                .map_err(|_| ReloadError::UnknownFeature { name: feature.name().clone(), entry })?;
        }
        self.identity = self.extractors.iter().enumerate().all(|(i, &e)| usize::from(e) == i);
        Ok(())
    }

    /// The extractor indices, in table order.
    pub fn as_slice(&self) -> &[u16] {
        &self.extractors
    }

    /// Whether feature `i` is computed by extractor `i` for every `i` (the
    /// file lists the features in the binary's order): then
    /// [`FeatureVector::fill_signals`] copies instead of gathering.
    pub fn is_identity(&self) -> bool {
        self.identity
    }
}

impl<const N: usize> Default for Bindings<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for Bindings<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.extractors.iter()).finish()
    }
}

/// Computes every extractor for `request`, in extractor order, into
/// `signals` (`signals[i] = extractors[i].compute(request)`; extra slots of
/// either are left alone). The reference for a host's own one-pass signal
/// code, which feeds [`FeatureVector::fill_signals`]: a host can test that
/// its fast code agrees with its extractors.
///
/// Cost: one call per extractor, no allocation.
pub fn compute_signals<R: ?Sized>(extractors: &[Extractor<R>], request: &R, signals: &mut [f32]) {
    for (signal, extractor) in signals.iter_mut().zip(extractors) {
        *signal = extractor.compute(request);
    }
}

/// Whether every value is finite. Branch-free over the whole slice (an
/// exponent-bits test OR-ed together), so the compiler vectorizes it.
#[inline]
pub(crate) fn all_finite(values: &[f32]) -> bool {
    const EXPONENT: u32 = 0x7f80_0000;
    !values.iter().fold(false, |any, v| any | (v.to_bits() & EXPONENT == EXPONENT))
}

/// One request's feature values, in table order, on the stack.
///
/// Memory: `4·N + 4` bytes.
#[derive(Clone)]
pub struct FeatureVector<const N: usize> {
    values: [f32; N],
    len: u16,
}

impl<const N: usize> FeatureVector<N> {
    /// An empty vector.
    pub const fn new() -> Self {
        Self { values: [0.0; N], len: 0 }
    }

    /// Fills the vector for `request`: feature `i` of `table` is computed by
    /// its bound extractor and resolved through the feature's switch and
    /// default ([`Feature::resolve`](crate::Feature::resolve)).
    ///
    /// Cost: one extractor call per feature, no allocation, no panic. An
    /// extractor index that `bindings` got from a different extractor list
    /// reads the feature's default rather than panic.
    #[inline]
    pub fn fill<R: ?Sized>(
        &mut self,
        table: &FeatureTable<N>,
        bindings: &Bindings<N>,
        extractors: &[Extractor<R>],
        request: &R,
    ) {
        self.fill_by(table, bindings, |feature, index| match extractors.get(index) {
            Some(extractor) if feature.is_enabled() => extractor.compute(request),
            _ => f32::NAN,
        });
    }

    /// Feature `i` of `table` reads `value(feature, its extractor index)`,
    /// resolved through the feature's switch and default: the loop shared
    /// by [`fill`](Self::fill) and the general case of
    /// [`fill_signals`](Self::fill_signals).
    #[inline]
    fn fill_by(
        &mut self,
        table: &FeatureTable<N>,
        bindings: &Bindings<N>,
        mut value: impl FnMut(&Feature, usize) -> f32,
    ) {
        let features = table.features().iter().zip(bindings.extractors.iter());
        let mut len: u16 = 0;
        for (slot, (feature, &index)) in self.values.iter_mut().zip(features) {
            *slot = feature.resolve(value(feature, usize::from(index)));
            len = len.wrapping_add(1);
        }
        self.len = len;
    }

    /// Fills the vector from `signals`, the host's values in extractor
    /// order: `signals[i]` is what `extractors[i]` would compute for the
    /// request (see [`compute_signals`]). Feature `i` of `table` reads the
    /// signal of its bound extractor, resolved through the feature's switch
    /// and default exactly as [`fill`](Self::fill) does; a signal missing
    /// from a short slice reads as NaN, i.e. the default.
    ///
    /// This is the fast lane for hosts that compute all their signals in one
    /// pass over the request (no call per feature). When no feature is
    /// switched off ([`FeatureTable::all_enabled`]) it is a copy (identity
    /// bindings, [`Bindings::is_identity`]) or a gather, then one vectorized
    /// finiteness check, with defaults patched in only if a signal is not
    /// finite; otherwise a gather that resolves each feature's switch.
    ///
    /// Cost: O(N), no allocation, no panic.
    #[inline]
    pub fn fill_signals(&mut self, table: &FeatureTable<N>, bindings: &Bindings<N>, signals: &[f32]) {
        if self.gather_unresolved(table, bindings, signals) {
            self.resolve(table);
        } else {
            self.fill_by(table, bindings, |_, index| signals.get(index).copied().unwrap_or(f32::NAN));
        }
    }

    /// The first half of [`fill_signals`](Self::fill_signals) when no
    /// feature is switched off: each feature's signal, copied (identity
    /// bindings) or gathered, with NaN for a missing one, but no default
    /// applied yet. Returns `false`, doing nothing, when a feature is
    /// switched off or the bindings are not `table`'s.
    #[inline]
    pub(crate) fn gather_unresolved(
        &mut self,
        table: &FeatureTable<N>,
        bindings: &Bindings<N>,
        signals: &[f32],
    ) -> bool {
        let len = table.len();
        let (true, true, Some(values)) =
            (table.all_enabled(), bindings.extractors.len() == len, self.values.get_mut(..len))
        else {
            return false;
        };
        match signals.get(..len) {
            Some(signals) if bindings.identity => values.copy_from_slice(signals),
            _ => {
                for (value, &index) in values.iter_mut().zip(bindings.extractors.iter()) {
                    *value = signals.get(usize::from(index)).copied().unwrap_or(f32::NAN);
                }
            }
        }
        // `len` is at most N ≤ u16::MAX (the table's own bound).
        self.len = u16::try_from(len).unwrap_or(0);
        true
    }

    /// The second half: every non-finite value reads its feature's default
    /// ([`Feature::resolve`](crate::Feature::resolve)). One vectorized
    /// check; the patch loop runs only if a value is NaN or infinite.
    #[inline]
    pub(crate) fn resolve(&mut self, table: &FeatureTable<N>) {
        let len = usize::from(self.len);
        if let Some(values) = self.values.get_mut(..len)
            && !all_finite(values)
        {
            for (value, feature) in values.iter_mut().zip(table.features()) {
                *value = feature.resolve(*value);
            }
        }
    }

    /// `signals` itself, cut to the table's length, when it already is the
    /// feature vector but for non-finite values: the bindings are the
    /// identity and no feature is switched off. A NaN or infinite signal in
    /// it still stands for its feature's default: read it with
    /// [`Model::raw_unresolved`](crate::Model::raw_unresolved), or check it
    /// and fall back to [`fill_signals`](Self::fill_signals). `None`
    /// otherwise (then fill). O(1).
    #[inline]
    pub fn as_unresolved<'a>(table: &FeatureTable<N>, bindings: &Bindings<N>, signals: &'a [f32]) -> Option<&'a [f32]> {
        let len = table.len();
        if !(bindings.identity && bindings.extractors.len() == len && table.all_enabled()) {
            return None;
        }
        signals.get(..len)
    }

    /// The filled values, in table order.
    #[inline]
    pub fn as_slice(&self) -> &[f32] {
        self.values.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl<const N: usize> Default for FeatureVector<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for FeatureVector<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}
