//! A logistic model: `raw = bias + Σ weight[i] · x[i]`.
//!
//! The file is JSON, weights in feature-table order:
//!
//! ```json
//! {"bias": -1.25, "weights": [0.8, -0.1, 0.03]}
//! ```

use core::fmt;

use super::read;
use crate::json::{self, Key, KnownKey, Limits, Scanner};
use crate::model::Model;

/// Bias plus at most `F` weights.
///
/// Memory: `4·F + 8` bytes on every target.
///
/// ```
/// use feature_table::model::{Model, logistic::Logistic};
///
/// let mut model = Logistic::<4>::new();
/// model.load(br#"{"bias": 0.5, "weights": [1.0, -2.0]}"#)?;
/// assert_eq!(model.raw(&[3.0, 1.0]), 1.5);
/// # Ok::<(), feature_table::model::logistic::LogisticError>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Logistic<const F: usize> {
    bias: f32,
    weights: heapless::Vec<f32, F, u16>,
}

impl<const F: usize> Logistic<F> {
    /// An empty model (no weights, bias 0). `const`, for statics.
    pub const fn new() -> Self {
        Self { bias: 0.0, weights: heapless::Vec::new() }
    }

    /// The bias.
    pub fn bias(&self) -> f32 {
        self.bias
    }

    /// The weights, in feature-table order.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// Parses and validates a model file into `self` with explicit limits.
    ///
    /// The file is read once by the crate's strict JSON scanner (RFC 8259
    /// JSON, unknown fields included), straight into the weights. Fails
    /// with a [`LogisticError`] that says what and where; on failure `self`
    /// is unspecified (but valid). A model whose weights are all zero would
    /// score every row as its bias, and is refused
    /// ([`LogisticError::AllWeightsZero`]).
    ///
    /// Cost: O(len), no allocation, no recursion: O(1) stack whatever the
    /// input.
    pub fn load_with(&mut self, bytes: &[u8], limits: Limits) -> Result<(), LogisticError> {
        let mut at = Position { weight: None };
        let mut s = at.error(Scanner::with_limits(bytes, limits))?;
        self.bias = 0.0;
        self.weights.clear();
        let (bias, found, non_finite) = self.parse(&mut s, &mut at)?;
        at.error(s.end())?;
        let (Some(bias), Some(found)) = (bias, found) else {
            return Err(LogisticError::MissingField { field: if bias.is_none() { "bias" } else { "weights" } });
        };
        if found > F {
            return Err(LogisticError::TooManyWeights { capacity: F, found });
        }
        if let Some(weight) = non_finite {
            return Err(LogisticError::NonFinite { weight: Some(weight) });
        }
        if !bias.is_finite() {
            return Err(LogisticError::NonFinite { weight: None });
        }
        if found == 0 {
            return Err(LogisticError::NoWeights);
        }
        if self.weights.iter().all(|&w| w == 0.0) {
            return Err(LogisticError::AllWeightsZero);
        }
        self.bias = bias;
        Ok(())
    }
}

impl<const F: usize> Default for Logistic<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const F: usize> fmt::Debug for Logistic<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logistic").field("bias", &self.bias).field("weights", &self.weights.len()).finish()
    }
}

impl<const F: usize> Model for Logistic<F> {
    type Error = LogisticError;
    type Plan = SignalOrder<F>;

    fn load(&mut self, bytes: &[u8]) -> Result<(), LogisticError> {
        self.load_with(bytes, Limits::DEFAULT)
    }

    fn feature_count(&self) -> usize {
        self.weights.len()
    }

    /// `bias + Σ wᵢ·xᵢ` over the first `feature_count` values (missing ones
    /// count as 0), summed in table order. O(F), 16 independent
    /// accumulators, so the compiler vectorises; no allocation, no panic.
    #[inline]
    fn raw(&self, features: &[f32]) -> f64 {
        // Pair weight i with value i: cut both to the shorter length first,
        // so the chunked loop and its remainders line up (a table may have
        // more features than the model reads).
        let len = self.weights.len().min(features.len());
        let (Some(weights), Some(values)) = (self.weights.get(..len), features.get(..len)) else {
            return f64::from(self.bias);
        };
        f64::from(self.bias + dot(weights, values))
    }

    /// The signal order, if the features the model reads are computed by
    /// extractors `0..feature_count` in some order (the file may list them
    /// in any order); otherwise the empty plan. O(F), no allocation.
    fn plan(&self, extractors: &[u16], plan: &mut SignalOrder<F>) {
        plan.clear();
        if !plan.arrange(extractors.get(..self.weights.len()).unwrap_or(&[]), &self.weights) {
            plan.clear();
        }
    }

    /// The same sum as [`raw`](Model::raw), but in signal order when `plan`
    /// has one and the file's order differs from the binary's: a gather of
    /// the row (`4·F` bytes of stack), then the same dot product. The result
    /// can differ from `raw` by rounding, never more.
    #[inline]
    fn raw_planned(&self, plan: &SignalOrder<F>, features: &[f32]) -> f64 {
        let mut row = [0.0_f32; F];
        match (plan.identity, row.get_mut(..plan.table.len())) {
            (false, Some(row)) if !row.is_empty() && features.len() >= row.len() => {
                for (x, &i) in row.iter_mut().zip(&plan.table) {
                    *x = features.get(usize::from(i)).copied().unwrap_or(f32::NAN);
                }
                f64::from(self.bias + dot(&plan.weights, row))
            }
            _ => self.raw(features),
        }
    }

    /// No pass over the inputs: a non-finite input `x` the model reads
    /// makes `w·x` NaN or infinite for every weight (`0·∞` is NaN), and so
    /// the sum, which then cannot be finite. So a finite result is exactly
    /// `raw_planned` of the resolved row; a non-finite one is `None`, and
    /// the caller resolves the row and calls
    /// [`raw_planned`](Model::raw_planned) (which also reports a genuine
    /// overflow as non-finite).
    #[inline]
    fn raw_unresolved(&self, plan: &SignalOrder<F>, features: &[f32]) -> Option<f64> {
        let raw = self.raw_planned(plan, features);
        raw.is_finite().then_some(raw)
    }

    /// With a plan, the signals are read in place, whatever the file's
    /// order: the dot product of the plan's weights and the first
    /// `feature_count` signals, no copy and no gather. `None` without a
    /// plan, for a short slice, or if the result is not finite (as in
    /// [`raw_unresolved`](Model::raw_unresolved)).
    #[inline]
    fn raw_signals(&self, plan: &SignalOrder<F>, signals: &[f32]) -> Option<f64> {
        if plan.weights.is_empty() {
            return None;
        }
        let raw = f64::from(self.bias + dot(&plan.weights, signals.get(..plan.weights.len())?));
        raw.is_finite().then_some(raw)
    }
}

/// The [`Model::Plan`] of a [`Logistic`] model: the order of the binary's
/// signals, when the features the model reads are computed by extractors
/// `0..feature_count` in some order, and the weights in that order. Then
/// the signals lane reads the host's signals in place whatever the file's
/// order, and every lane sums in signal order, so they agree bit for bit.
///
/// A plan belongs to the model that made it and to the bindings it was made
/// for: make it again when either changes ([`Engine`](crate::Engine) and
/// [`SharedEngine`](crate::shared::SharedEngine) do).
///
/// Memory: `6·F + 8` bytes for an even `F` (1,208 at `F = 200`).
#[derive(Clone)]
pub struct SignalOrder<const F: usize> {
    /// `table[p]`: the table position of the feature that signal `p` feeds.
    table: heapless::Vec<u16, F, u16>,
    /// `weights[p]`: that feature's weight.
    weights: heapless::Vec<f32, F, u16>,
    /// `table[p] == p` for every `p`: signal order is table order.
    identity: bool,
}

impl<const F: usize> SignalOrder<F> {
    /// The empty plan.
    pub const fn new() -> Self {
        Self { table: heapless::Vec::new(), weights: heapless::Vec::new(), identity: false }
    }

    /// Whether the plan lets the model read the signals in place.
    pub fn is_in_place(&self) -> bool {
        !self.weights.is_empty()
    }

    /// Whether the plan sums in another order than the table's.
    pub fn is_reordered(&self) -> bool {
        self.is_in_place() && !self.identity
    }

    fn clear(&mut self) {
        self.table.clear();
        self.weights.clear();
        self.identity = false;
    }

    /// Feature `i` (of `extractors.len()`) is computed by extractor
    /// `extractors[i]`: signal `extractors[i]` feeds table position `i`.
    /// `false` unless `extractors` is a permutation of `0..len`.
    fn arrange(&mut self, extractors: &[u16], weights: &[f32]) -> bool {
        // `u16::MAX` marks a free slot: positions are below F ≤ u16::MAX.
        const FREE: u16 = u16::MAX;
        if extractors.is_empty() || self.table.resize(extractors.len(), FREE).is_err() {
            return false;
        }
        for (i, &e) in extractors.iter().enumerate() {
            match (self.table.get_mut(usize::from(e)), u16::try_from(i)) {
                (Some(slot), Ok(i)) if *slot == FREE => *slot = i,
                // Out of range or taken twice: not a permutation.
                _ => return false,
            }
        }
        for &i in &self.table {
            match weights.get(usize::from(i)) {
                Some(&w) if self.weights.push(w).is_ok() => {}
                _ => return false,
            }
        }
        self.identity = self.table.iter().enumerate().all(|(p, &i)| usize::from(i) == p);
        true
    }
}

impl<const F: usize> Default for SignalOrder<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const F: usize> fmt::Debug for SignalOrder<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalOrder")
            .field("in_place", &self.is_in_place())
            .field("reordered", &self.is_reordered())
            .finish()
    }
}

/// `Σ wᵢ·xᵢ` over equal-length slices with 16 independent lanes (four SSE
/// registers), so each add chain is len/16 long and the loop runs at load
/// throughput rather than add latency; the rest 4 lanes at a time, then at
/// most 3 scalars.
#[inline]
fn dot(weights: &[f32], values: &[f32]) -> f32 {
    let mut wide = [0.0_f32; LANES];
    let mut w16 = weights.chunks_exact(LANES);
    let mut x16 = values.chunks_exact(LANES);
    for (w, x) in (&mut w16).zip(&mut x16) {
        for ((a, w), x) in wide.iter_mut().zip(w).zip(x) {
            *a += w * x;
        }
    }
    let mut narrow = [0.0_f32; 4];
    let mut w4 = w16.remainder().chunks_exact(4);
    let mut x4 = x16.remainder().chunks_exact(4);
    for (w, x) in (&mut w4).zip(&mut x4) {
        for ((a, w), x) in narrow.iter_mut().zip(w).zip(x) {
            *a += w * x;
        }
    }
    let tail: f32 = w4.remainder().iter().zip(x4.remainder()).map(|(w, x)| w * x).sum();
    reduce(wide, narrow) + tail
}

/// The lanes of [`dot`] summed as a tree (depth 4, not a 20-long chain).
/// Kept out of line on purpose: inlined, LLVM shapes the loops of `dot`
/// after this tree and builds them from 2-lane operations, at half the
/// speed.
#[inline(never)]
fn reduce(wide: [f32; LANES], narrow: [f32; 4]) -> f32 {
    let [a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3] = wide;
    let [n0, n1, n2, n3] = narrow;
    let v0 = n0 + ((a0 + b0) + (c0 + d0));
    let v1 = n1 + ((a1 + b1) + (c1 + d1));
    let v2 = n2 + ((a2 + b2) + (c2 + d2));
    let v3 = n3 + ((a3 + b3) + (c3 + d3));
    (v0 + v2) + (v1 + v3)
}

/// Accumulator lanes of [`Logistic`]'s dot product.
const LANES: usize = 16;

/// Why a logistic model file was rejected.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LogisticError {
    /// The input is too large, nests too deep, or is not JSON of the
    /// expected shape: the JSON layer's [`json::Error`], with the weight
    /// being read. Size is checked before reading.
    Json {
        /// What the JSON layer found, with its byte offset.
        error: json::Error,
        /// The weight being parsed, if any.
        weight: Option<usize>,
    },
    /// `bias` or `weights` is missing.
    MissingField {
        /// The field's key.
        field: &'static str,
    },
    /// `bias` or `weights` appears twice.
    DuplicateField {
        /// The field's key.
        field: &'static str,
    },
    /// The file has `found` weights; the model holds `capacity`.
    TooManyWeights {
        /// `F`.
        capacity: usize,
        /// The true number of weights.
        found: usize,
    },
    /// A weight (or, for `None`, the bias) is not a finite `f32`.
    NonFinite {
        /// The weight's index.
        weight: Option<usize>,
    },
    /// The weights list is empty.
    NoWeights,
    /// Every weight is zero: the model would score every row as its bias.
    AllWeightsZero,
}

impl fmt::Display for LogisticError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json { error, weight: Some(i) } => write!(f, "logistic model: {error} in weight {i}"),
            Self::Json { error, weight: None } => write!(f, "logistic model: {error}"),
            Self::MissingField { field } => write!(f, "the model has no `{field}`"),
            Self::DuplicateField { field } => write!(f, "the model has `{field}` twice"),
            Self::TooManyWeights { capacity, found } => write!(f, "{found} weights for capacity {capacity}"),
            Self::NonFinite { weight: Some(i) } => write!(f, "weight {i} is not a finite f32"),
            Self::NonFinite { weight: None } => f.write_str("the bias is not a finite f32"),
            Self::NoWeights => f.write_str("the weights list is empty"),
            Self::AllWeightsZero => f.write_str("every weight is zero: the model would score every row as its bias"),
        }
    }
}

/// `Display` includes the inner [`json::Error`]'s message, so `source` is
/// `None` (the message or the source, not both).
impl core::error::Error for LogisticError {}

/// The keys a logistic model file has.
const KEYS: [KnownKey; 2] = [KnownKey::new(b"bias"), KnownKey::new(b"weights")];

/// Where the parse is, for errors.
struct Position {
    /// The weight being read, inside the `weights` list.
    weight: Option<usize>,
}

impl Position {
    /// A JSON layer result with its error placed at the current weight.
    #[inline(always)]
    fn error<T>(&self, result: Result<T, json::Error>) -> Result<T, LogisticError> {
        result.map_err(|error| LogisticError::Json { error, weight: self.weight })
    }
}

impl<const F: usize> Logistic<F> {
    /// The top-level object, weights pushed while they fit: the bias, the
    /// true number of weights, and the first non-finite weight.
    #[allow(clippy::type_complexity)] // three plain results, named in the doc
    fn parse(
        &mut self,
        s: &mut Scanner<'_>,
        at: &mut Position,
    ) -> Result<(Option<f32>, Option<usize>, Option<usize>), LogisticError> {
        at.error(s.open(true))?;
        let (mut bias, mut found, mut non_finite) = (None, None, None);
        let mut first = true;
        while let Some(key) = at.error(s.key(&mut first, &KEYS))? {
            match key {
                Key::Known(0) if bias.is_some() => return Err(LogisticError::DuplicateField { field: "bias" }),
                Key::Known(0) => {
                    at.error(s.colon())?;
                    bias = Some(at.error(read::f32(s))?);
                }
                Key::Known(_) if found.is_some() => return Err(LogisticError::DuplicateField { field: "weights" }),
                Key::Known(_) => {
                    at.error(s.colon())?;
                    at.error(s.open(false))?;
                    let mut count = 0_usize;
                    let mut first = true;
                    loop {
                        at.weight = Some(count);
                        if !at.error(s.element(&mut first))? {
                            break;
                        }
                        let weight = at.error(read::f32(s))?;
                        if !weight.is_finite() && non_finite.is_none() {
                            non_finite = Some(count);
                        }
                        // Past capacity, keep parsing to report the true count.
                        let _ = self.weights.push(weight);
                        count = count.saturating_add(1);
                    }
                    at.weight = None;
                    found = Some(count);
                }
                Key::Other(_) => {
                    at.error(s.colon())?;
                    at.error(s.skip_value())?;
                }
            }
        }
        Ok((bias, found, non_finite))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::JsonErrorKind;

    fn load<const F: usize>(json: &str) -> Result<Logistic<F>, LogisticError> {
        let mut m = Logistic::<F>::new();
        m.load(json.as_bytes()).map(|()| m)
    }

    fn plan_for<const F: usize>(m: &Logistic<F>, extractors: &[u16]) -> SignalOrder<F> {
        let mut plan = SignalOrder::new();
        m.plan(extractors, &mut plan);
        plan
    }

    #[test]
    fn a_plan_exists_when_the_model_reads_the_first_extractors_in_any_order() {
        let m = load::<8>(r#"{"bias":0,"weights":[1,2,3,4]}"#).unwrap();
        // (bindings, None for no plan or Some(whether it reorders))
        for (extractors, expected) in [
            (&[0, 1, 2, 3][..], Some(false)),
            (&[0, 1, 2, 3, 6, 4][..], Some(false)), // a table longer than the model
            (&[2, 0, 3, 1][..], Some(true)),
            (&[3, 2, 1, 0, 4][..], Some(true)),
            (&[0, 1, 2, 4][..], None), // not the first four extractors
            (&[0, 1, 1, 2][..], None), // not a permutation
            (&[0, 1, 2][..], None),    // shorter than the model
            (&[][..], None),
        ] {
            let plan = plan_for(&m, extractors);
            assert_eq!(plan.is_in_place(), expected.is_some(), "{extractors:?}");
            assert_eq!(plan.is_reordered(), expected == Some(true), "{extractors:?}");
        }
        // Making a plan replaces what it held, also when there is none.
        let mut plan = plan_for(&m, &[2, 0, 3, 1]);
        m.plan(&[0, 1, 5, 3], &mut plan);
        assert!(!plan.is_in_place());
        assert_eq!(m.raw_signals(&plan, &[1.0; 8]), None);
        assert_eq!(m.raw_planned(&plan, &[1.0, 0.0, 0.0, 0.0]), 1.0);
    }

    #[test]
    fn every_planned_lane_sums_in_signal_order_and_agrees_with_raw_within_rounding() {
        for n in 1..=40_usize {
            // (Offset from 0 so that no model is all zeros, which load refuses.)
            let weights: Vec<String> = (0..n).map(|i| format!("{:?}", (i as f32 * 0.37 + 0.1).sin())).collect();
            let m = load::<64>(&format!(r#"{{"bias":0.5,"weights":[{}]}}"#, weights.join(","))).unwrap();
            // The identity, the reverse and a stride through 0..n, in a
            // table two features longer than the model.
            let stride = (1..n).rev().find(|s| gcd(*s, n) == 1).unwrap_or(1);
            for order in [(0..n).collect::<Vec<_>>(), (0..n).rev().collect(), (0..n).map(|k| k * stride % n).collect()]
            {
                let extractors: Vec<u16> = order.iter().map(|&e| e as u16).chain([n as u16 + 1, n as u16]).collect();
                let plan = plan_for(&m, &extractors);
                assert!(plan.is_in_place());
                assert_eq!(plan.is_reordered(), order.iter().enumerate().any(|(k, &e)| k != e));
                // Feature k of the table is signal extractors[k].
                let signals: Vec<f32> = (0..n + 2).map(|e| (e as f32 * 1.7).cos() * 10.0).collect();
                let row: Vec<f32> = extractors.iter().map(|&e| signals[usize::from(e)]).collect();
                let planned = m.raw_planned(&plan, &row);
                assert_eq!(m.raw_signals(&plan, &signals).map(f64::to_bits), Some(planned.to_bits()), "n = {n}");
                assert_eq!(m.raw_unresolved(&plan, &row).map(f64::to_bits), Some(planned.to_bits()));
                let raw = m.raw(&row);
                if plan.is_reordered() {
                    assert!((planned - raw).abs() <= 1e-5 * (1.0 + raw.abs()), "n = {n}: {planned} vs {raw}");
                } else {
                    assert_eq!(planned.to_bits(), raw.to_bits());
                }
                // A non-finite signal the model reads, or a short slice:
                // the caller resolves the row.
                let mut bad = signals.clone();
                bad[n - 1] = f32::NAN;
                assert_eq!(m.raw_signals(&plan, &bad), None);
                assert_eq!(m.raw_signals(&plan, &signals[..n - 1]), None);
                // One the model does not read changes nothing.
                bad[n - 1] = signals[n - 1];
                bad[n] = f32::INFINITY;
                assert_eq!(m.raw_signals(&plan, &bad), Some(planned));
            }
        }
    }

    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 { a } else { gcd(b, a % b) }
    }

    #[test]
    fn plans_take_six_bytes_per_feature_or_one_byte() {
        assert_eq!(size_of::<SignalOrder<200>>(), 1208);
        assert_eq!(size_of::<Option<crate::model::InPlace>>(), 1);
        assert_eq!(size_of::<SignalOrder<1024>>(), 6152);
    }

    #[test]
    fn a_table_longer_than_the_model_pairs_weight_i_with_feature_i() {
        // Every model length against every longer row: the chunked loop and
        // its remainders must line up whatever the two lengths are.
        for n in 1..=40 {
            let weights: Vec<String> = (0..n).map(|i| format!("{}", (i % 7) as f32 - 3.0)).collect();
            let m = load::<64>(&format!(r#"{{"bias":0.5,"weights":[{}]}}"#, weights.join(","))).unwrap();
            let expected: f32 = 0.5 + (0..n).map(|i| ((i % 7) as f32 - 3.0) * (i as f32 + 1.0)).sum::<f32>();
            for extra in 0..=20 {
                let x: Vec<f32> = (0..n + extra).map(|i| i as f32 + 1.0).collect();
                assert!((m.raw(&x) - f64::from(expected)).abs() < 1e-3, "n = {n}, extra = {extra}");
            }
        }
    }

    #[test]
    fn raw_is_bias_plus_dot_product_for_every_length() {
        for n in 0..=20 {
            let weights: Vec<String> = (0..n).map(|i| format!("{}", i as f32 * 0.5 - 1.0)).collect();
            let m = load::<32>(&format!(r#"{{"bias":0.25,"weights":[{}]}}"#, weights.join(",")));
            if n == 0 {
                assert_eq!(m.unwrap_err(), LogisticError::NoWeights);
                continue;
            }
            let m = m.unwrap();
            let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let expected: f32 = 0.25 + (0..n).map(|i| (i as f32 * 0.5 - 1.0) * i as f32).sum::<f32>();
            assert!((m.raw(&x) - f64::from(expected)).abs() < 1e-3, "n = {n}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(
            load::<2>(r#"{"bias":0,"weights":[1,2,3]}"#),
            Err(LogisticError::TooManyWeights { capacity: 2, found: 3 })
        );
        assert_eq!(load::<4>(r#"{"bias":0,"weights":[1,1e999]}"#), Err(LogisticError::NonFinite { weight: Some(1) }));
        assert_eq!(load::<4>(r#"{"bias":1e999,"weights":[1]}"#), Err(LogisticError::NonFinite { weight: None }));
        assert_eq!(load::<4>(r#"{"weights":[1]}"#), Err(LogisticError::MissingField { field: "bias" }));
        assert_eq!(
            load::<4>(r#"{"bias":1,"bias":2,"weights":[1]}"#),
            Err(LogisticError::DuplicateField { field: "bias" })
        );
        assert_eq!(
            load::<4>(r#"{"bias":1,"weights":[1,"x"]}"#),
            Err(LogisticError::Json { error: json::Error::syntax(JsonErrorKind::InvalidNumber, 23), weight: Some(1) })
        );
        assert_eq!(
            load::<4>(r#"{"bias":1,"weights":[1"#),
            Err(LogisticError::Json {
                error: json::Error::syntax(JsonErrorKind::EofWhileParsingList, 22),
                weight: Some(1)
            })
        );
        assert_eq!(
            LogisticError::Json { error: json::Error::syntax(JsonErrorKind::EofWhileParsingList, 22), weight: Some(1) }
                .to_string(),
            "logistic model: malformed JSON at byte 22: EOF while parsing a list in weight 1"
        );
    }

    #[test]
    fn unknown_fields_are_strict_json_and_nesting_is_bounded_where_it_crosses() {
        // serde-json-core skipped a bare word up to the next comma; the
        // scanner rejects it where it starts.
        assert_eq!(
            load::<4>(r#"{"meta":abc,"bias":1,"weights":[2]}"#),
            Err(LogisticError::Json { error: json::Error::syntax(JsonErrorKind::ExpectedSomeValue, 8), weight: None })
        );
        let deep = format!(r#"{{"meta":{}{},"bias":1,"weights":[2]}}"#, "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            load::<4>(&deep),
            Err(LogisticError::Json { error: json::Error::TooDeep { limit: 16, offset: 8 + 15 }, weight: None })
        );
        assert_eq!(
            LogisticError::Json { error: json::Error::TooDeep { limit: 16, offset: 23 }, weight: None }.to_string(),
            "logistic model: nesting deeper than 16 levels at byte 23"
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let m = load::<4>(r#"{"meta":{"trained":"2025-11-18","note":"a \"b\""},"bias":1,"weights":[2]}"#).unwrap();
        assert_eq!(m.raw(&[3.0]), 7.0);
    }
}
