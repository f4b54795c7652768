//! The node's local copy of its last accepted pair, so a restart with etcd
//! unreachable serves it at once.
//!
//! One file: a text header (magic, sequence number, both lengths, an FNV-1a
//! 64 checksum of the sequence number and the bytes that follow), a blank
//! line, the feature file, the model. [`write()`] replaces it atomically (temp file, fsync, rename,
//! fsync of the directory): a reader sees the old file or the new one. A
//! torn or corrupt file is a [`CacheError`], and the node then starts
//! unscored and says so ([`NodeStatus::cache`](crate::status::NodeStatus)).
//!
//! Next to it, a second file keeps the global kill switch as the node last
//! saw it ([`write_kill`], same atomic write), so a node restarted while
//! etcd is down does not forget that scoring was switched off.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

const MAGIC: &str = "feature-table-fleet cache v1";
const KILL_MAGIC: &str = "feature-table-fleet kill v1";

/// A pair read back from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    /// The publish sequence number it was accepted as.
    pub seq: u64,
    /// The feature file.
    pub features: Vec<u8>,
    /// The model.
    pub model: Vec<u8>,
}

/// Why the cache file was not used.
#[derive(Debug)]
#[non_exhaustive]
pub enum CacheError {
    /// No cache file (a node's first start).
    Missing,
    /// Reading or writing failed.
    Io(io::Error),
    /// The header is not the expected one.
    Header {
        /// The header line that did not parse (1-based), or the first
        /// missing one.
        line: usize,
    },
    /// Fewer (or more) bytes follow the header than it announces: a torn write.
    Length {
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The bytes are not the ones written.
    Checksum {
        /// The header's checksum.
        expected: u64,
        /// The checksum of the bytes present.
        found: u64,
    },
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => write!(f, "no cache file"),
            Self::Io(e) => write!(f, "cache file: {e}"),
            Self::Header { line } => write!(f, "cache file header line {line} is invalid"),
            Self::Length { expected, found } => {
                write!(f, "cache file torn: header announces {expected} bytes, {found} present")
            }
            Self::Checksum { expected, found } => {
                write!(f, "cache file corrupt: checksum {found:016x}, header says {expected:016x}")
            }
        }
    }
}

impl std::error::Error for CacheError {}

/// FNV-1a, 64 bits: detects torn and flipped bytes (not an adversary).
fn fnv1a64(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Writes `cached` to `path` atomically: `path.tmp`, fsync, rename over
/// `path`, fsync of the directory.
pub fn write(path: &Path, cached: &Cached) -> io::Result<()> {
    let header = format!(
        "{MAGIC}\nseq {}\nfeatures {}\nmodel {}\nfnv1a64 {:016x}\n\n",
        cached.seq,
        cached.features.len(),
        cached.model.len(),
        fnv1a64(&[&cached.seq.to_le_bytes(), &cached.features, &cached.model])
    );
    write_atomic(path, &path.with_extension("tmp"), &[header.as_bytes(), &cached.features, &cached.model])
}

/// `parts` into `tmp`, fsync, rename over `path`, fsync of the directory: a
/// reader sees the old file or the new one, also after a crash.
fn write_atomic(path: &Path, tmp: &Path, parts: &[&[u8]]) -> io::Result<()> {
    {
        let mut file = File::create(tmp)?;
        for part in parts {
            file.write_all(part)?;
        }
        file.sync_all()?;
    }
    fs::rename(tmp, path)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()
}

/// Where the kill switch is kept next to the pair cache at `pair_path`
/// (`edge-17.pair` → `edge-17.kill`).
pub fn kill_path(pair_path: &Path) -> std::path::PathBuf {
    pair_path.with_extension("kill")
}

/// Writes the kill switch's state (`true`: on, scoring disabled) to `path`
/// atomically, as [`write()`] does.
pub fn write_kill(path: &Path, on: bool) -> io::Result<()> {
    let text = format!("{KILL_MAGIC}\n{}\n", if on { "on" } else { "off" });
    write_atomic(path, &path.with_extension("kill.tmp"), &[text.as_bytes()])
}

/// Reads the kill switch's state written by [`write_kill`]: `Ok(true)` on.
/// Anything but the two exact files it writes is a [`CacheError::Header`].
pub fn read_kill(path: &Path) -> Result<bool, CacheError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(CacheError::Missing),
        Err(e) => return Err(CacheError::Io(e)),
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| CacheError::Header { line: 1 })?;
    let mut lines = text.split_inclusive('\n');
    if lines.next() != Some(&format!("{KILL_MAGIC}\n")) {
        return Err(CacheError::Header { line: 1 });
    }
    let state = match lines.next() {
        Some("on\n") => true,
        Some("off\n") => false,
        _ => return Err(CacheError::Header { line: 2 }),
    };
    match lines.next() {
        None => Ok(state),
        Some(_) => Err(CacheError::Header { line: 3 }),
    }
}

/// Reads and checks the cache at `path`.
pub fn read(path: &Path) -> Result<Cached, CacheError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(CacheError::Missing),
        Err(e) => return Err(CacheError::Io(e)),
    };
    parse(&bytes)
}

/// Checks cache bytes (what [`read`] does after reading).
pub fn parse(bytes: &[u8]) -> Result<Cached, CacheError> {
    let end = bytes.windows(2).position(|w| w == b"\n\n").ok_or(CacheError::Header { line: 1 })?;
    let header = std::str::from_utf8(bytes.get(..end).ok_or(CacheError::Header { line: 1 })?)
        .map_err(|_| CacheError::Header { line: 1 })?;
    let body = bytes.get(end + 2..).ok_or(CacheError::Header { line: 6 })?;
    let mut lines = header.lines();
    if lines.next() != Some(MAGIC) {
        return Err(CacheError::Header { line: 1 });
    }
    let mut field = |line: usize, name: &str, radix: u32| -> Result<u64, CacheError> {
        lines
            .next()
            .and_then(|l| l.strip_prefix(name))
            .and_then(|l| l.strip_prefix(' '))
            .and_then(|v| u64::from_str_radix(v, radix).ok())
            .ok_or(CacheError::Header { line })
    };
    let seq = field(2, "seq", 10)?;
    let features_len = usize::try_from(field(3, "features", 10)?).map_err(|_| CacheError::Header { line: 3 })?;
    let model_len = usize::try_from(field(4, "model", 10)?).map_err(|_| CacheError::Header { line: 4 })?;
    let expected_sum = field(5, "fnv1a64", 16)?;
    let expected = features_len.checked_add(model_len).ok_or(CacheError::Header { line: 4 })?;
    if body.len() != expected {
        return Err(CacheError::Length { expected, found: body.len() });
    }
    let (features, model) =
        body.split_at_checked(features_len).ok_or(CacheError::Length { expected, found: body.len() })?;
    let found = fnv1a64(&[&seq.to_le_bytes(), features, model]);
    if found != expected_sum {
        return Err(CacheError::Checksum { expected: expected_sum, found });
    }
    Ok(Cached { seq, features: features.to_vec(), model: model.to_vec() })
}
