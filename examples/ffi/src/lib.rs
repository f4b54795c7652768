//! A C ABI for feature-table: the same validated loader and scorer, callable
//! from C firmware, from LuaJIT's FFI and from a Cortex-M C program.
//!
//! The caller allocates an opaque engine (`FtEngine`) of at least
//! [`FT_ENGINE_LOGISTIC_SIZE`] or [`FT_ENGINE_CATBOOST_SIZE`] bytes, aligned
//! to [`FT_ENGINE_ALIGN`], zeroed (a `static`, `calloc` or `memset`), and
//! passes it to [`ft_engine_init`] with the names of the signals it
//! computes, in the order it will pass them to [`ft_score`]. After that the
//! engine must stay where it is: it points into itself, and a moved engine
//! is refused with [`FtStatus::FT_ERR_MOVED`].
//!
//! Every function checks its pointers (null, alignment), lengths (zero,
//! over the documented limits) and the engine's state (initialised, not
//! moved) and returns an [`FtStatus`]. The crate's lints deny every
//! panicking construct, and with the `panic-proof` feature a reachable panic
//! is a link error: `.ci/ffi.sh` links the Cortex-M firmware that way,
//! calling every function, [`ft_last_error`]'s formatting of the core's
//! errors included. A rejected file or model changes nothing:
//! the last good pair keeps serving. [`ft_last_error`] formats why into a
//! caller buffer, without allocating.
//!
//! Not thread-safe: one engine, one thread at a time (or a lock).
#![no_std]
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::indexing_slicing,
    clippy::undocumented_unsafe_blocks
)]

use core::ffi::{c_char, c_int};
use core::fmt::{self, Write as _};
use core::mem::MaybeUninit;
use core::mem::{align_of, size_of};
use core::ptr::addr_of_mut;

use feature_table::{
    CatBoost, Engine, Extractor, FeatureName, Logistic, MAX_NAME_LEN, Model, ModelRejected, Policy, ReloadError,
    Unscored,
};

/// Capacity of both engine kinds: feature-table entries and signals.
pub const FT_MAX_FEATURES: usize = 200;
/// Longest signal or feature name, in bytes (without the NUL).
pub const FT_MAX_NAME_LEN: usize = 32;
/// Longest feature file or model file accepted, in bytes.
pub const FT_MAX_FILE_LEN: usize = 1 << 20;
/// Engine kind: logistic regression over up to 200 features.
pub const FT_KIND_LOGISTIC: u32 = 1;
/// Engine kind: CatBoost oblivious trees, at most 16 trees of depth 6 over 64
/// columns (the shape of the QEMU example's model).
pub const FT_KIND_CATBOOST: u32 = 2;
/// Bytes an engine of kind [`FT_KIND_LOGISTIC`] needs (at least; checked at
/// compile time for every target this crate builds for).
pub const FT_ENGINE_LOGISTIC_SIZE: usize = 32768;
/// Bytes an engine of kind [`FT_KIND_CATBOOST`] needs (at least; checked at
/// compile time).
pub const FT_ENGINE_CATBOOST_SIZE: usize = 49152;
/// Alignment an engine buffer needs, in bytes.
pub const FT_ENGINE_ALIGN: usize = 16;

/// The logistic engine's model.
type LogisticModel = Logistic<FT_MAX_FEATURES>;
/// The CatBoost engine's model: 16 trees, depth 6, 64 columns, 16·2⁶ leaves.
type CatBoostModel = CatBoost<16, 6, 64, { 16 << 6 }>;

const _: () = {
    assert!(FT_MAX_NAME_LEN == MAX_NAME_LEN);
    assert!(FT_MAX_FILE_LEN == Policy::DEFAULT.limits.max_bytes as usize);
    assert!(FT_MAX_FEATURES <= u16::MAX as usize);
    assert!(size_of::<Slot<LogisticModel>>() <= FT_ENGINE_LOGISTIC_SIZE);
    assert!(size_of::<Slot<CatBoostModel>>() <= FT_ENGINE_CATBOOST_SIZE);
    assert!(align_of::<Slot<LogisticModel>>() <= FT_ENGINE_ALIGN);
    assert!(align_of::<Slot<CatBoostModel>>() <= FT_ENGINE_ALIGN);
};

/// What every function returns. `FT_OK` is 0; every other value says what
/// was wrong, and nothing changed.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum FtStatus {
    /// Done.
    FT_OK = 0,
    /// A required pointer argument is null.
    FT_ERR_NULL = 1,
    /// The engine pointer is not aligned to `FT_ENGINE_ALIGN`, or the
    /// signals pointer is not aligned for `float`.
    FT_ERR_MISALIGNED = 2,
    /// The engine buffer is smaller than its kind needs.
    FT_ERR_TOO_SMALL = 3,
    /// The engine was never initialised, or its last `ft_engine_init` failed.
    FT_ERR_NOT_INITIALIZED = 4,
    /// The engine was copied or moved after `ft_engine_init`.
    FT_ERR_MOVED = 5,
    /// An argument is out of its domain: unknown kind, zero length, a name
    /// that is not a valid feature name, a signal count that differs from
    /// the one given to `ft_engine_init`. See `ft_last_error` when the
    /// engine is usable.
    FT_ERR_BAD_ARGUMENT = 6,
    /// A length is over its documented limit (`FT_MAX_*`).
    FT_ERR_TOO_LONG = 7,
    /// The feature file was rejected; the last good table keeps serving.
    FT_ERR_FEATURES_REJECTED = 8,
    /// The model was rejected; the last good model keeps serving.
    FT_ERR_MODEL_REJECTED = 9,
    /// Not scored: no feature file accepted yet.
    FT_ERR_NO_TABLE = 10,
    /// Not scored: no model accepted yet.
    FT_ERR_NO_MODEL = 11,
    /// Not scored: the global kill switch is off.
    FT_ERR_DISABLED = 12,
    /// Not scored: the model produced a NaN or an infinity.
    FT_ERR_NON_FINITE = 13,
    /// The active table has no feature of that name.
    FT_ERR_UNKNOWN_FEATURE = 14,
    /// The message did not fit: the buffer holds its start, NUL-terminated.
    FT_ERR_TRUNCATED = 15,
}

/// The opaque engine. Allocate `FT_ENGINE_*_SIZE` bytes aligned to
/// `FT_ENGINE_ALIGN` and cast; never read or write it yourself.
pub struct FtEngine {
    _opaque: [u8; 0],
}

/// A score.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FtScore {
    /// The model's raw value (a logit for classifiers).
    pub raw: f64,
    /// The bot score, 1 (bot) to 99 (human).
    pub bot_score: u8,
}

/// An accepted feature file.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FtAccepted {
    /// The version now active.
    pub version: u64,
    /// Features now active.
    pub len: u32,
}

/// Reload statistics and switch state.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FtStats {
    /// Version of the active feature file (0 if none: see `has_table`).
    pub active_version: u64,
    /// 1 if a feature file is active.
    pub has_table: u32,
    /// Features in the active table.
    pub table_len: u32,
    /// Feature files accepted (saturating).
    pub features_accepted: u32,
    /// Feature files rejected (saturating).
    pub features_rejected: u32,
    /// Feature-file rejections since the last acceptance.
    pub features_consecutive_rejections: u32,
    /// Models accepted (saturating).
    pub models_accepted: u32,
    /// Models rejected (saturating).
    pub models_rejected: u32,
    /// Model rejections since the last acceptance.
    pub models_consecutive_rejections: u32,
    /// 1 if a model is active.
    pub has_model: u32,
    /// 1 if the global kill switch is on (scoring enabled).
    pub enabled: u32,
}

/// "Initialised" marker in the header; anything else is not an engine.
const MAGIC: u64 = 0x4654_454e_4749_4e45; // "FTENGINE"

/// The start of every engine, whatever its kind.
#[repr(C)]
struct Header {
    magic: u64,
    kind: u32,
    signals: u32,
    /// The engine's own address at init: it points into itself.
    this: usize,
}

/// Why the last call on this engine failed.
enum LastError<E> {
    None,
    Features(ReloadError),
    Model(ModelRejected<E>),
    SignalCount { given: usize, expected: u32 },
    FileLength { what: &'static str, len: usize },
    FeatureName,
    UnknownFeature,
    Unscored(Unscored),
}

impl<E: fmt::Display> fmt::Display for LastError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => Ok(()),
            Self::Features(e) => write!(f, "feature file rejected: {e}"),
            Self::Model(e) => write!(f, "model rejected: {e}"),
            Self::SignalCount { given, expected } => {
                write!(f, "{given} signals passed, the engine was initialised with {expected}")
            }
            Self::FileLength { what, len } => {
                write!(f, "{what} of {len} bytes: must be 1 to {FT_MAX_FILE_LEN} bytes")
            }
            Self::FeatureName => {
                write!(f, "feature name is not valid UTF-8 of at most {FT_MAX_NAME_LEN} bytes")
            }
            Self::UnknownFeature => write!(f, "the active table has no feature of that name"),
            Self::Unscored(u) => write!(f, "not scored: {u}"),
        }
    }
}

/// An engine of one kind, as laid out in the caller's buffer.
#[repr(C)]
struct Slot<M: Model + 'static> {
    header: Header,
    /// The signal names, copied at init; the extractors point here.
    names: [[u8; FT_MAX_NAME_LEN]; FT_MAX_FEATURES],
    /// One extractor per signal; the engine points here.
    extractors: [Extractor<[f32]>; FT_MAX_FEATURES],
    engine: Engine<[f32], M, FT_MAX_FEATURES>,
    last_error: LastError<M::Error>,
}

/// The signals lane never calls an extractor; this is what it would read.
fn not_computed(_: &[f32]) -> f32 {
    f32::NAN
}

/// A model kind: its empty value and its number.
trait Kind: Model + Sized + 'static {
    const KIND: u32;
    /// The empty model as a constant: copied from flash into place, never
    /// built on the stack.
    const EMPTY: Self;
    /// An empty engine of this kind with no extractors yet (see
    /// [`write_empty_engine`]).
    const EMPTY_ENGINE: Engine<[f32], Self, FT_MAX_FEATURES> =
        Engine::new(&[], Policy::DEFAULT, Self::EMPTY, Self::EMPTY);
}

impl Kind for LogisticModel {
    const KIND: u32 = FT_KIND_LOGISTIC;
    const EMPTY: Self = Self::new();
}

impl Kind for CatBoostModel {
    const KIND: u32 = FT_KIND_CATBOOST;
    const EMPTY: Self = Self::new();
}

/// Bytes an engine of `kind` needs (0 for an unknown kind).
const fn needed(kind: u32) -> usize {
    match kind {
        FT_KIND_LOGISTIC => size_of::<Slot<LogisticModel>>(),
        FT_KIND_CATBOOST => size_of::<Slot<CatBoostModel>>(),
        _ => 0,
    }
}

/// Reads a NUL-terminated name of at most `FT_MAX_NAME_LEN` bytes into
/// `out`, returning its length; `None` if it is longer, not UTF-8 or not a
/// valid feature name.
///
/// # Safety
/// `name` is non-null and points to a NUL-terminated string.
unsafe fn read_name(name: *const c_char, out: &mut [u8; FT_MAX_NAME_LEN]) -> Option<usize> {
    for (i, slot) in out.iter_mut().enumerate() {
        // SAFETY: bytes 0..i were not NUL, so byte i is still inside the
        // caller's NUL-terminated string.
        let byte = unsafe { name.add(i).cast::<u8>().read() };
        if byte == 0 {
            let text = core::str::from_utf8(out.get(..i)?).ok()?;
            return FeatureName::new(text).ok().map(|_| i);
        }
        *slot = byte;
    }
    // SAFETY: as above: the FT_MAX_NAME_LEN bytes before were not NUL.
    if unsafe { name.add(FT_MAX_NAME_LEN).cast::<u8>().read() } != 0 {
        return None;
    }
    let text = core::str::from_utf8(out).ok()?;
    FeatureName::new(text).ok().map(|_| FT_MAX_NAME_LEN)
}

/// Bytes an engine of `kind` needs: `FT_ENGINE_LOGISTIC_SIZE` or less for
/// `FT_KIND_LOGISTIC`, `FT_ENGINE_CATBOOST_SIZE` or less for
/// `FT_KIND_CATBOOST`, 0 for an unknown kind. The exact value depends on the
/// target (pointer width); the header's constants hold for every target.
#[unsafe(no_mangle)]
pub extern "C" fn ft_engine_size(kind: u32) -> usize {
    needed(kind)
}

/// Initialises the engine at `engine` (`size` bytes, aligned to
/// `FT_ENGINE_ALIGN`) as kind `kind` (`FT_KIND_LOGISTIC` or
/// `FT_KIND_CATBOOST`), for `count` signals (1 to `FT_MAX_FEATURES`) named
/// `names[0..count]` (NUL-terminated, at most `FT_MAX_NAME_LEN` bytes, valid
/// feature names; copied, so they need not outlive the call).
///
/// The engine starts with no table and no model, both switches on. An
/// initialised engine may be initialised again (it starts over). If the
/// buffer is null, misaligned or too small nothing is written; if a name is
/// invalid, the engine is marked uninitialised (`FT_ERR_NOT_INITIALIZED`
/// afterwards) and `FT_ERR_BAD_ARGUMENT` returned.
///
/// # Safety
/// `engine` is null or points to `size` writable bytes; `names` is null or
/// points to `count` pointers, each null or to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ft_engine_init(
    engine: *mut FtEngine,
    size: usize,
    kind: u32,
    names: *const *const c_char,
    count: usize,
) -> FtStatus {
    if engine.is_null() || names.is_null() {
        return FtStatus::FT_ERR_NULL;
    }
    if !(engine as usize).is_multiple_of(FT_ENGINE_ALIGN) {
        return FtStatus::FT_ERR_MISALIGNED;
    }
    let need = needed(kind);
    if need == 0 {
        return FtStatus::FT_ERR_BAD_ARGUMENT;
    }
    if size < need {
        return FtStatus::FT_ERR_TOO_SMALL;
    }
    // SAFETY: `engine` is non-null, aligned for a Header (align 8 ≤ 16) and
    // has at least `need` ≥ size_of::<Header>() writable bytes.
    unsafe { addr_of_mut!((*engine.cast::<Header>()).magic).write(0) };
    if count == 0 {
        return FtStatus::FT_ERR_BAD_ARGUMENT;
    }
    if count > FT_MAX_FEATURES {
        return FtStatus::FT_ERR_TOO_LONG;
    }
    // SAFETY: checked above: `names` has `count` pointers, the buffer is
    // aligned and large enough for this kind's slot.
    unsafe {
        match kind {
            FT_KIND_LOGISTIC => init::<LogisticModel>(engine.cast(), names, count),
            _ => init::<CatBoostModel>(engine.cast(), names, count),
        }
    }
}

/// # Safety
/// `slot` is aligned and has `size_of::<Slot<M>>()` writable bytes, its
/// header's magic is 0; `names` points to `count` ≤ FT_MAX_FEATURES
/// pointers, each null or to a NUL-terminated string.
unsafe fn init<M: Kind>(slot: *mut Slot<M>, names: *const *const c_char, count: usize) -> FtStatus {
    // SAFETY: `slot` is valid for writes (caller); the names array is plain
    // bytes, so zeroing it makes it a valid value.
    let stored = unsafe {
        let stored = addr_of_mut!((*slot).names);
        stored.write_bytes(0, 1);
        &mut *stored
    };
    let mut lens = [0_u8; FT_MAX_FEATURES];
    for (i, (out, len)) in stored.iter_mut().zip(lens.iter_mut()).take(count).enumerate() {
        // SAFETY: i < count: inside the caller's array of pointers.
        let name = unsafe { names.add(i).read() };
        if name.is_null() {
            return FtStatus::FT_ERR_NULL;
        }
        // SAFETY: non-null and NUL-terminated (caller).
        match unsafe { read_name(name, out) } {
            Some(n) => *len = n as u8,
            None => return FtStatus::FT_ERR_BAD_ARGUMENT,
        }
    }
    // SAFETY: `names` is initialised now and is never written again while
    // the engine lives; the engine does not move (checked on every call), so
    // the `'static` borrows handed to the extractors stay valid for as long
    // as the engine is used through this API.
    let stored: &'static [[u8; FT_MAX_NAME_LEN]; FT_MAX_FEATURES] = unsafe { &*addr_of_mut!((*slot).names) };
    // SAFETY: `slot` is valid for writes; Extractor values are written one
    // by one into the array's slots.
    let extractors = unsafe {
        let base = addr_of_mut!((*slot).extractors).cast::<Extractor<[f32]>>();
        for (i, (name, &len)) in stored.iter().zip(lens.iter()).enumerate() {
            let text = name.get(..usize::from(len)).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("");
            base.add(i).write(Extractor::new(text, not_computed));
        }
        core::slice::from_raw_parts(base.cast_const(), count)
    };
    // SAFETY: `slot` is valid for writes; the extractors stay in place and
    // unwritten for the engine's life (see above).
    unsafe {
        write_empty_engine::<M>(&mut *addr_of_mut!((*slot).engine).cast::<MaybeUninit<_>>(), extractors);
        addr_of_mut!((*slot).last_error).write(LastError::None);
        addr_of_mut!((*slot).header).write(Header {
            magic: MAGIC,
            kind: M::KIND,
            signals: count as u32,
            this: slot as usize,
        });
    }
    FtStatus::FT_OK
}

/// Writes a new engine to `dst`: the kind's constant empty engine, copied
/// straight from flash into place, then the extractors named. Built with
/// `Engine::new` here instead, the engine's two models were made on the stack
/// and copied (a 20 KiB frame for the CatBoost kind, more than the 64 KiB
/// board has left next to the engine; the QEMU firmware's stack check caught
/// it).
#[inline(never)]
fn write_empty_engine<M: Kind>(
    dst: &mut MaybeUninit<Engine<[f32], M, FT_MAX_FEATURES>>,
    extractors: &'static [Extractor<[f32]>],
) {
    // A fresh engine has accepted no file, so naming its extractors succeeds.
    let _fresh = dst.write(M::EMPTY_ENGINE).set_extractors(extractors);
}

/// The checked engine, one arm per kind.
enum Checked<'a> {
    Logistic(&'a mut Slot<LogisticModel>),
    CatBoost(&'a mut Slot<CatBoostModel>),
}

/// Checks `engine` (null, alignment, initialised, not moved).
///
/// # Safety
/// `engine` is null or points to a buffer that was zeroed or passed to
/// `ft_engine_init`, and no other reference to it is live.
unsafe fn check<'a>(engine: *mut FtEngine) -> Result<Checked<'a>, FtStatus> {
    if engine.is_null() {
        return Err(FtStatus::FT_ERR_NULL);
    }
    if !(engine as usize).is_multiple_of(FT_ENGINE_ALIGN) {
        return Err(FtStatus::FT_ERR_MISALIGNED);
    }
    // SAFETY: non-null and aligned; the caller's buffer is at least a header
    // long (any engine size is) and initialised (zeroed or by init).
    let header = unsafe { &*engine.cast::<Header>() };
    if header.magic != MAGIC {
        return Err(FtStatus::FT_ERR_NOT_INITIALIZED);
    }
    if header.this != engine as usize {
        return Err(FtStatus::FT_ERR_MOVED);
    }
    // SAFETY: magic and address say `ft_engine_init` built a slot of this
    // kind here; the caller has no other live reference to it.
    unsafe {
        match header.kind {
            FT_KIND_LOGISTIC => Ok(Checked::Logistic(&mut *engine.cast())),
            FT_KIND_CATBOOST => Ok(Checked::CatBoost(&mut *engine.cast())),
            _ => Err(FtStatus::FT_ERR_NOT_INITIALIZED),
        }
    }
}

/// Runs `$body` with `$slot` bound to the checked engine, whatever its kind.
macro_rules! with_engine {
    ($engine:expr, |$slot:ident| $body:expr) => {
        // SAFETY: the exported function's contract is `check`'s.
        match unsafe { check($engine) } {
            Err(status) => status,
            Ok(Checked::Logistic($slot)) => $body,
            Ok(Checked::CatBoost($slot)) => $body,
        }
    };
}

/// Borrows `len` bytes at `bytes` as a file, or says why not.
///
/// # Safety
/// `bytes` is null or points to `len` readable bytes.
unsafe fn file<'a>(bytes: *const u8, len: usize) -> Result<&'a [u8], FtStatus> {
    if bytes.is_null() {
        return Err(FtStatus::FT_ERR_NULL);
    }
    if len == 0 {
        return Err(FtStatus::FT_ERR_BAD_ARGUMENT);
    }
    if len > FT_MAX_FILE_LEN {
        return Err(FtStatus::FT_ERR_TOO_LONG);
    }
    // SAFETY: non-null, `len` readable bytes (caller), len ≤ 1 MiB < isize::MAX.
    Ok(unsafe { core::slice::from_raw_parts(bytes, len) })
}

/// Records `error` as the engine's last error and returns `status`.
fn fail<E>(last: &mut LastError<E>, error: LastError<E>, status: FtStatus) -> FtStatus {
    *last = error;
    status
}

/// Offers a feature file (`len` bytes at `bytes`, 1 to `FT_MAX_FILE_LEN`).
/// On success the new table serves and, if `accepted` is not null, its
/// version and length are written there. On `FT_ERR_FEATURES_REJECTED`
/// nothing changed; `ft_last_error` says why.
///
/// # Safety
/// `engine` as for `ft_engine_init`'s result (or zeroed); `bytes` is null or
/// points to `len` readable bytes; `accepted` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ft_offer_features(
    engine: *mut FtEngine,
    bytes: *const u8,
    len: usize,
    accepted: *mut FtAccepted,
) -> FtStatus {
    with_engine!(engine, |slot| {
        // SAFETY: the caller's contract for `bytes` and `len`.
        let bytes = match unsafe { file(bytes, len) } {
            Ok(b) => b,
            Err(status) => {
                return fail(&mut slot.last_error, LastError::FileLength { what: "feature file", len }, status);
            }
        };
        match slot.engine.offer_features(bytes) {
            Ok(a) => {
                slot.last_error = LastError::None;
                if !accepted.is_null() {
                    let out = FtAccepted { version: a.version, len: u32::try_from(a.len).unwrap_or(u32::MAX) };
                    // SAFETY: non-null and writable (caller); written
                    // unaligned so any FtAccepted-sized buffer will do.
                    unsafe { accepted.write_unaligned(out) };
                }
                FtStatus::FT_OK
            }
            Err(e) => fail(&mut slot.last_error, LastError::Features(e), FtStatus::FT_ERR_FEATURES_REJECTED),
        }
    })
}

/// Offers a model file (`len` bytes at `bytes`, 1 to `FT_MAX_FILE_LEN`):
/// logistic JSON (`{"bias": .., "weights": [..]}`) for a logistic engine,
/// CatBoost's JSON export for a CatBoost engine. On
/// `FT_ERR_MODEL_REJECTED` nothing changed.
///
/// # Safety
/// As `ft_offer_features`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ft_offer_model(engine: *mut FtEngine, bytes: *const u8, len: usize) -> FtStatus {
    with_engine!(engine, |slot| {
        // SAFETY: the caller's contract for `bytes` and `len`.
        let bytes = match unsafe { file(bytes, len) } {
            Ok(b) => b,
            Err(status) => return fail(&mut slot.last_error, LastError::FileLength { what: "model", len }, status),
        };
        match slot.engine.offer_model(bytes) {
            Ok(()) => {
                slot.last_error = LastError::None;
                FtStatus::FT_OK
            }
            Err(e) => fail(&mut slot.last_error, LastError::Model(e), FtStatus::FT_ERR_MODEL_REJECTED),
        }
    })
}

/// Scores one request from its signals: `count` floats at `signals`, in the
/// order of the names given to `ft_engine_init` (`count` must equal that
/// number). A NaN or infinite signal means "not computed": the feature reads
/// its default. On `FT_OK` the score is written to `*out`; otherwise `*out`
/// is untouched and the status says why there is no score
/// (`FT_ERR_NO_TABLE`, `FT_ERR_NO_MODEL`, `FT_ERR_DISABLED`, ...). The
/// engine is not `const` here: a failure is recorded for `ft_last_error`.
///
/// # Safety
/// `signals` is null or points to `count` readable floats; `out` is null or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ft_score(
    engine: *mut FtEngine,
    signals: *const f32,
    count: usize,
    out: *mut FtScore,
) -> FtStatus {
    with_engine!(engine, |slot| {
        if signals.is_null() || out.is_null() {
            return FtStatus::FT_ERR_NULL;
        }
        if !(signals as usize).is_multiple_of(align_of::<f32>()) {
            return FtStatus::FT_ERR_MISALIGNED;
        }
        if count != slot.header.signals as usize {
            let error = LastError::SignalCount { given: count, expected: slot.header.signals };
            return fail(&mut slot.last_error, error, FtStatus::FT_ERR_BAD_ARGUMENT);
        }
        // SAFETY: non-null, aligned, `count` ≤ FT_MAX_FEATURES readable
        // floats (caller).
        let signals = unsafe { core::slice::from_raw_parts(signals, count) };
        match slot.engine.score_signals(signals) {
            Ok(score) => {
                // SAFETY: non-null and writable (caller).
                unsafe { out.write_unaligned(FtScore { raw: score.raw, bot_score: score.bot_score.get() }) };
                FtStatus::FT_OK
            }
            Err(u) => {
                let status = match u {
                    Unscored::Disabled => FtStatus::FT_ERR_DISABLED,
                    Unscored::NoValidTable => FtStatus::FT_ERR_NO_TABLE,
                    Unscored::NoValidModel => FtStatus::FT_ERR_NO_MODEL,
                    _ => FtStatus::FT_ERR_NON_FINITE,
                };
                fail(&mut slot.last_error, LastError::Unscored(u), status)
            }
        }
    })
}

/// The global kill switch: `enabled` 0 makes every `ft_score` return
/// `FT_ERR_DISABLED` (never a number); non-zero turns scoring back on.
///
/// # Safety
/// As `ft_offer_features`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ft_set_enabled(engine: *mut FtEngine, enabled: c_int) -> FtStatus {
    with_engine!(engine, |slot| {
        slot.engine.set_enabled(enabled != 0);
        FtStatus::FT_OK
    })
}

/// Switches the feature `name` (NUL-terminated) off (`enabled` 0: it reads
/// its default) or on. `FT_ERR_UNKNOWN_FEATURE` if the active table has no
/// such feature, `FT_ERR_NO_TABLE` if there is no table yet. The switch
/// carries over to later files that keep the name.
///
/// # Safety
/// `name` is null or points to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ft_set_feature_enabled(
    engine: *mut FtEngine,
    name: *const c_char,
    enabled: c_int,
) -> FtStatus {
    with_engine!(engine, |slot| {
        if name.is_null() {
            return FtStatus::FT_ERR_NULL;
        }
        let mut buf = [0_u8; FT_MAX_NAME_LEN];
        // SAFETY: non-null, NUL-terminated (caller).
        let Some(len) = (unsafe { read_name(name, &mut buf) }) else {
            return fail(&mut slot.last_error, LastError::FeatureName, FtStatus::FT_ERR_BAD_ARGUMENT);
        };
        let text = buf.get(..len).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("");
        match slot.engine.set_feature_enabled(text, enabled != 0) {
            Ok(true) => FtStatus::FT_OK,
            Ok(false) => fail(&mut slot.last_error, LastError::UnknownFeature, FtStatus::FT_ERR_UNKNOWN_FEATURE),
            Err(u) => fail(&mut slot.last_error, LastError::Unscored(u), FtStatus::FT_ERR_NO_TABLE),
        }
    })
}

/// Writes the reload statistics and switch state to `*out`.
///
/// # Safety
/// `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ft_stats(engine: *const FtEngine, out: *mut FtStats) -> FtStatus {
    with_engine!(engine.cast_mut(), |slot| {
        if out.is_null() {
            return FtStatus::FT_ERR_NULL;
        }
        let features = slot.engine.features();
        let f = features.stats();
        let m = slot.engine.model_stats();
        let table = features.last_good();
        let stats = FtStats {
            active_version: f.active_version.unwrap_or(0),
            has_table: u32::from(table.is_some()),
            table_len: table.map_or(0, |t| u32::try_from(t.len()).unwrap_or(u32::MAX)),
            features_accepted: f.accepted,
            features_rejected: f.rejected,
            features_consecutive_rejections: f.consecutive_rejections,
            models_accepted: m.accepted,
            models_rejected: m.rejected,
            models_consecutive_rejections: m.consecutive_rejections,
            has_model: u32::from(slot.engine.model().is_some()),
            enabled: u32::from(features.is_enabled()),
        };
        // SAFETY: non-null and writable (caller).
        unsafe { out.write_unaligned(stats) };
        FtStatus::FT_OK
    })
}

/// Counts what is written and keeps what fits, leaving room for the NUL.
struct Truncating<'a> {
    buf: &'a mut [u8],
    kept: usize,
    needed: usize,
}

impl fmt::Write for Truncating<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.needed = self.needed.saturating_add(s.len());
        let room = self.buf.len().saturating_sub(1).saturating_sub(self.kept);
        let take = s.len().min(room);
        // Byte by byte: `copy_from_slice` keeps a length-mismatch panic the
        // optimizer cannot remove (the `panic-proof` link found it).
        let rest = self.buf.get_mut(self.kept..).unwrap_or_default();
        for (to, from) in rest.iter_mut().zip(s.as_bytes()).take(take) {
            *to = *from;
        }
        self.kept = self.kept.saturating_add(take);
        Ok(())
    }
}

/// Formats why the last failed call on this engine failed into `buf`
/// (`capacity` bytes, NUL-terminated; an empty string if the last call
/// succeeded). Writes the full message length (without the NUL) to
/// `*needed` if `needed` is not null. Returns `FT_ERR_TRUNCATED` if the
/// message did not fit (the buffer then holds its start), `FT_OK`
/// otherwise. `buf` may be null only with `capacity` 0. No allocation.
///
/// # Safety
/// `buf` is null or points to `capacity` writable bytes; `needed` is null
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ft_last_error(
    engine: *const FtEngine,
    buf: *mut c_char,
    capacity: usize,
    needed: *mut usize,
) -> FtStatus {
    with_engine!(engine.cast_mut(), |slot| {
        if buf.is_null() && capacity != 0 {
            return FtStatus::FT_ERR_NULL;
        }
        if capacity > isize::MAX as usize {
            return FtStatus::FT_ERR_TOO_LONG;
        }
        let out: &mut [u8] = if buf.is_null() {
            &mut []
        } else {
            // SAFETY: non-null, `capacity` ≤ isize::MAX writable bytes (caller).
            unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), capacity) }
        };
        let mut writer = Truncating { buf: out, kept: 0, needed: 0 };
        let _ = write!(writer, "{}", slot.last_error);
        let (kept, total) = (writer.kept, writer.needed);
        if let Some(nul) = writer.buf.get_mut(kept) {
            *nul = 0;
        }
        if !needed.is_null() {
            // SAFETY: non-null and writable (caller).
            unsafe { needed.write_unaligned(total) };
        }
        if total < capacity || total == 0 { FtStatus::FT_OK } else { FtStatus::FT_ERR_TRUNCATED }
    })
}

#[cfg(all(not(test), not(feature = "host-tools"), feature = "panic-proof"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe extern "C" {
        /// Defined nowhere: linking fails if a panic is reachable.
        fn __feature_table_ffi_panic_reachable() -> !;
    }
    // SAFETY: never runs: the build does not link if this is reachable.
    unsafe { __feature_table_ffi_panic_reachable() }
}

// `host-tools` links std (through serde_json, for the `expected` program),
// whose panic handler then serves.
#[cfg(all(not(test), not(feature = "host-tools"), not(feature = "panic-proof")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // No panic is reachable (see the `panic-proof` feature); if one were,
    // stopping here is all a `no_std` library can do.
    loop {
        core::hint::spin_loop();
    }
}
