//! `feature-table validate`: checks feature files the way a proxy's reloader
//! would, before they ship. `feature-table diff`: what changes between the
//! file serving and the one about to ship, and whether the reloader would
//! take it. `feature-table score`: evaluates a CatBoost JSON export on CSV
//! rows, for parity checks against CatBoost itself.
//!
//! ```text
//! feature-table validate FILE... [--capacity N] [--previous FILE] [--max-growth RATIO] [--format text|json]
//! feature-table diff OLD NEW [--capacity N] [--max-growth RATIO] [--format text|json]
//! feature-table score --model MODEL.json --input ROWS.csv
//! ```
//!
//! Exit status: 0 accepted / may replace / scored, 1 rejected, may not
//! replace or unreadable, 2 usage error (`--help` and `--version` exit 0).
//!
//! `--format json` prints the crate's [`report`](feature_table::report) types,
//! one JSON object per line.
//!
//! Tables are sized at compile time, so `--capacity` picks one of a fixed set
//! of instantiations ([`CAPACITIES`]); any other value is a usage error rather
//! than a silent round-up. The work runs on a thread with a large stack and
//! the reloader is boxed, so even the largest table cannot overflow the stack.
//!
//! Main may not panic either: no `unwrap`, no indexing, and output errors
//! (a closed pipe) are ignored instead of panicking as `println!` would.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use feature_table::model::catboost::{self, CatBoost};
use feature_table::report::{self, Outcome, Rejection, ReportError, ToRejection};
use feature_table::{IngestError, Policy, Ratio, ReloadError, Reloader};
use serde::{Deserialize, Serialize};

const EXIT_STATUS: &str = "\
Exit status:
  0  every FILE accepted (validate), NEW may replace OLD (diff), or scored (score)
  1  a file rejected or unreadable, or NEW may not replace OLD
  2  usage error";

/// Checks bot-management feature files as a proxy's reloader would.
#[derive(Debug, Parser)]
#[command(name = "feature-table", version, about, after_help = EXIT_STATUS)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks feature files as a proxy's reloader would.
    ///
    /// Checks each FILE on its own: size, nesting, JSON shape, names,
    /// defaults, duplicates and capacity; with --previous, also that FILE may
    /// replace the file serving now (newer version, bounded growth).
    #[command(after_help = EXIT_STATUS)]
    Validate(ValidateArgs),
    /// What changes from OLD to NEW, and whether NEW may replace OLD.
    ///
    /// Compares NEW with OLD (the file serving now): features added, removed,
    /// duplicated (with counts, even though the reloader rejects such a
    /// file) and with changed defaults, the version and entry-count change,
    /// and whether NEW may replace OLD under the reloader's policy (valid,
    /// newer version, bounded growth).
    #[command(after_help = EXIT_STATUS)]
    Diff(DiffArgs),
    /// Evaluates a CatBoost JSON export on CSV rows.
    ///
    /// Prints CatBoost's RawFormulaVal for every row of ROWS.csv, one per
    /// line, with enough digits to round-trip an f64. MODEL.json is
    /// CatBoost's own JSON export (save_model(path, format="json")), up to
    /// 1024 trees of depth 8 on 256 features. A row is comma-separated numbers
    /// in column order (`nan` allowed); a bad row is an error naming its line.
    #[command(after_help = EXIT_STATUS)]
    Score(ScoreArgs),
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One line per file for a person: OK on stdout, REJECTED on stderr.
    Text,
    /// One JSON object per line on stdout (the crate's report types).
    Json,
}

/// The options `validate` and `diff` share.
#[derive(Debug, Args)]
struct PolicyArgs {
    /// Table capacity: 64, 128, 200, 256, 512, 1024 or 4096.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = parse_capacity)]
    capacity: usize,
    /// A new file may have at most RATIO times, and at least 1/RATIO times,
    /// the entries of the file it replaces [default: 1.5].
    #[arg(long, value_name = "RATIO", value_parser = parse_ratio)]
    max_growth: Option<Ratio>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

impl PolicyArgs {
    fn policy(&self) -> Policy {
        let mut policy = Policy::DEFAULT;
        if self.max_growth.is_some() {
            policy.max_growth = self.max_growth;
        }
        policy
    }
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// The feature files to check, each on its own.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The file serving now; it must itself be valid.
    #[arg(long, value_name = "FILE")]
    previous: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Args)]
struct DiffArgs {
    /// The file serving now; it must itself be valid.
    old: PathBuf,
    /// The file about to replace it.
    new: PathBuf,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Args)]
struct ScoreArgs {
    /// CatBoost's JSON export.
    #[arg(long, value_name = "MODEL.json")]
    model: PathBuf,
    /// Comma-separated rows of feature values.
    #[arg(long, value_name = "ROWS.csv")]
    input: PathBuf,
}

/// The largest model `score` loads: 1024 trees of depth 8 on 256 features
/// (about 2 MiB, boxed).
type CliModel = CatBoost<1024, 8, 256, { 1024 << 8 }>;

/// Exit status of a rejected or unreadable file.
const REJECTED: u8 = 1;
/// Exit status of a usage error.
const USAGE_ERROR: u8 = 2;
/// Stack for the validation thread: two tables of the largest capacity are
/// ~350 KB, and debug builds may copy them.
const STACK_BYTES: usize = 16 << 20;

/// Instantiates the validator for each supported capacity and lists them.
macro_rules! capacities {
    ($($n:literal),+) => {
        /// The capacities `--capacity` accepts.
        const CAPACITIES: &[usize] = &[$($n),+];

        /// Runs `command` with tables of its capacity.
        fn dispatch(command: &Command) -> u8 {
            match command {
                Command::Validate(args) => match args.policy.capacity {
                    $($n => validate::<$n>(args),)+
                    _ => USAGE_ERROR,
                },
                Command::Diff(args) => match args.policy.capacity {
                    $($n => diff::<$n>(args),)+
                    _ => USAGE_ERROR,
                },
                Command::Score(args) => score(args),
            }
        }
    };
}

capacities!(64, 128, 200, 256, 512, 1024, 4096);

fn parse_capacity(text: &str) -> Result<usize, String> {
    let n = text.parse::<usize>().map_err(|_| format!("`{text}` is not a number"))?;
    if !CAPACITIES.contains(&n) {
        let list: Vec<String> = CAPACITIES.iter().map(usize::to_string).collect();
        return Err(format!("{n} is not supported; use one of {}", list.join(", ")));
    }
    Ok(n)
}

fn parse_ratio(text: &str) -> Result<Ratio, String> {
    text.parse::<f32>().ok().and_then(Ratio::new).ok_or(format!("`{text}` is not a ratio >= 1"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are "errors" that print to stdout.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE_ERROR } else { 0 });
        }
    };
    let worker = std::thread::Builder::new().stack_size(STACK_BYTES).spawn(move || dispatch(&cli.command));
    match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(_)) => {
            err(format_args!("error: the validator failed unexpectedly"));
            ExitCode::from(REJECTED)
        }
        Err(e) => {
            err(format_args!("error: cannot start the validator: {e}"));
            ExitCode::from(REJECTED)
        }
    }
}

/// One line of `validate --format json`: a file and what became of it.
#[derive(Serialize)]
struct FileReport<'a> {
    file: &'a str,
    /// `file` for a FILE argument, `previous` for --previous.
    role: &'static str,
    capacity: usize,
    /// With --previous: the version FILE was checked against.
    replaces: Option<u64>,
    #[serde(flatten)]
    outcome: Outcome<'a>,
}

/// Validates each FILE (after `--previous`, if any) with a `Reloader<N>`,
/// prints the verdicts and returns the exit status.
fn validate<const N: usize>(args: &ValidateArgs) -> u8 {
    let format = args.policy.format;
    let policy = args.policy.policy();
    let previous = match &args.previous {
        None => None,
        Some(path) => {
            let file = path.display().to_string();
            let Some(bytes) = read(path, format, |rejection| {
                json_line(&FileReport {
                    file: &file,
                    role: "previous",
                    capacity: N,
                    replaces: None,
                    outcome: Outcome::Rejected { rejection },
                })
            }) else {
                return REJECTED;
            };
            Some((file, bytes))
        }
    };

    let mut status = 0;
    for path in &args.files {
        let mut reloader = Box::new(Reloader::<N>::new(policy));
        let mut replaces = None;
        if let Some((previous, bytes)) = &previous {
            match reloader.offer(bytes) {
                Ok(accepted) => replaces = Some((accepted.version, accepted.len)),
                Err(e) => {
                    match format {
                        Format::Text => err(format_args!("ERROR previous file {previous} is invalid: {e}")),
                        Format::Json => json_line(&FileReport {
                            file: previous,
                            role: "previous",
                            capacity: N,
                            replaces: None,
                            outcome: Outcome::Rejected { rejection: e.rejection() },
                        }),
                    }
                    return REJECTED;
                }
            }
        }
        let file = path.display().to_string();
        let report = |outcome: Outcome<'_>| {
            json_line(&FileReport {
                file: &file,
                role: "file",
                capacity: N,
                replaces: replaces.map(|(version, _)| version),
                outcome,
            });
        };
        let Some(bytes) = read(path, format, |rejection| report(Outcome::Rejected { rejection })) else {
            status = REJECTED;
            continue;
        };
        let result = reloader.offer(&bytes);
        let warning = reloader.warning();
        match format {
            Format::Json => report(Outcome::new(&result, warning)),
            Format::Text => match &result {
                Ok(accepted) => {
                    let used = accepted.len.saturating_mul(100) / N;
                    let replaces = replaces.map_or(String::new(), |(version, len)| {
                        format!(", replaces version {version} ({len} features)")
                    });
                    out(format_args!(
                        "OK {file}: version {}, {} features, capacity {N} ({used}% used){replaces}",
                        accepted.version, accepted.len
                    ));
                    if let Some(warning) = warning {
                        err(format_args!(
                            "WARNING {file}: {warning} (more than {}%)",
                            reloader.policy().headroom_percent
                        ));
                    }
                }
                Err(e) => err(format_args!("REJECTED {file}: {e}")),
            },
        }
        if result.is_err() {
            status = REJECTED;
        }
    }
    status
}

/// One entry of a feature file, as the lenient read of `diff` sees it.
#[derive(Deserialize)]
struct Entry<'a> {
    name: &'a str,
    default: Option<f32>,
}

/// A feature file, as the lenient read of `diff` sees it: every entry, even
/// when names repeat or exceed the capacity.
#[derive(Deserialize)]
struct Lenient<'a> {
    version: u64,
    #[serde(borrow)]
    features: Vec<Entry<'a>>,
}

impl Lenient<'_> {
    /// A name's effective default (ingest reads an absent default as 0).
    fn defaults(&self) -> HashMap<&str, f32> {
        let mut map = HashMap::new();
        for entry in &self.features {
            map.entry(entry.name).or_insert(entry.default.unwrap_or(0.0));
        }
        map
    }
}

/// Reads a file's entries even when ingest rejects it for what they contain
/// (duplicates, capacity, a bad name or default). `ingest` has already
/// checked the bytes as strict JSON within the nesting limit for any other
/// error, so files it rejects for their syntax, size or shape are not read
/// again (and the second parser never sees hostile nesting).
fn lenient<'a>(bytes: &'a [u8], ingest_error: Option<&ReloadError>) -> Option<Lenient<'a>> {
    match ingest_error {
        None
        | Some(ReloadError::VersionNotNewer { .. } | ReloadError::GrowthExceeded { .. })
        | Some(ReloadError::UnknownFeature { .. } | ReloadError::ModelMismatch { .. })
        | Some(ReloadError::Ingest(
            IngestError::CapacityExceeded { .. }
            | IngestError::DuplicateName { .. }
            | IngestError::InvalidName { .. }
            | IngestError::NonFiniteDefault { .. }
            | IngestError::EmptyFeatureList,
        )) => serde_json_core::from_slice::<Lenient<'_>>(bytes).ok().map(|(file, _)| file),
        Some(_) => None,
    }
}

/// One file of a diff.
#[derive(Serialize)]
struct Side<'a> {
    file: &'a str,
    version: Option<u64>,
    entries: Option<usize>,
}

#[derive(Serialize)]
struct Duplicate<'a> {
    name: &'a str,
    count: usize,
}

#[derive(Serialize)]
struct DefaultChange<'a> {
    name: &'a str,
    old: f32,
    new: f32,
}

/// What changed from OLD to NEW, by name.
#[derive(Default)]
struct Changes<'a> {
    added: Vec<&'a str>,
    removed: Vec<&'a str>,
    duplicated: Vec<Duplicate<'a>>,
    defaults_changed: Vec<DefaultChange<'a>>,
}

impl<'a> Changes<'a> {
    fn between(old: &Lenient<'a>, new: &Lenient<'a>) -> Self {
        let (old_defaults, new_defaults) = (old.defaults(), new.defaults());
        let mut changes = Changes::default();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for entry in &new.features {
            *counts.entry(entry.name).or_insert(0) += 1;
        }
        let mut seen = std::collections::HashSet::new();
        for entry in &new.features {
            if !seen.insert(entry.name) {
                continue;
            }
            let count = counts.get(entry.name).copied().unwrap_or(1);
            if count > 1 {
                changes.duplicated.push(Duplicate { name: entry.name, count });
            }
            match (old_defaults.get(entry.name), new_defaults.get(entry.name)) {
                (None, _) => changes.added.push(entry.name),
                (Some(&old), Some(&new)) if old.to_bits() != new.to_bits() => {
                    changes.defaults_changed.push(DefaultChange { name: entry.name, old, new });
                }
                _ => {}
            }
        }
        let mut seen = std::collections::HashSet::new();
        for entry in &old.features {
            if seen.insert(entry.name) && !new_defaults.contains_key(entry.name) {
                changes.removed.push(entry.name);
            }
        }
        changes
    }
}

/// `diff --format json`: one object.
#[derive(Serialize)]
struct DiffReport<'a> {
    old: Side<'a>,
    new: Side<'a>,
    /// Names in NEW but not in OLD, in NEW's order; `null` when NEW cannot
    /// be read at all.
    added: Option<&'a [&'a str]>,
    /// Names in OLD but not in NEW, in OLD's order.
    removed: Option<&'a [&'a str]>,
    /// Names NEW has more than once, with how many times.
    duplicated: Option<&'a [Duplicate<'a>]>,
    /// Names in both whose default differs.
    defaults_changed: Option<&'a [DefaultChange<'a>]>,
    /// Whether the reloader, serving OLD, would accept NEW.
    may_replace: bool,
    /// What the reloader, serving OLD, does with NEW.
    verdict: Outcome<'a>,
}

/// Compares NEW with OLD and says whether NEW may replace it.
fn diff<const N: usize>(args: &DiffArgs) -> u8 {
    let format = args.policy.format;
    let (old_file, new_file) = (args.old.display().to_string(), args.new.display().to_string());
    let unreadable = |file: &str, rejection: Rejection<'_>| {
        json_line(&FileReport {
            file,
            role: "file",
            capacity: N,
            replaces: None,
            outcome: Outcome::Rejected { rejection },
        })
    };
    let Some(old_bytes) = read(&args.old, format, |r| unreadable(&old_file, r)) else { return REJECTED };
    let Some(new_bytes) = read(&args.new, format, |r| unreadable(&new_file, r)) else { return REJECTED };

    let mut reloader = Box::new(Reloader::<N>::new(args.policy.policy()));
    let old_accepted = match reloader.offer(&old_bytes) {
        Ok(accepted) => accepted,
        Err(e) => {
            match format {
                Format::Text => err(format_args!("ERROR old file {old_file} is invalid: {e}")),
                Format::Json => json_line(&FileReport {
                    file: &old_file,
                    role: "old",
                    capacity: N,
                    replaces: None,
                    outcome: Outcome::Rejected { rejection: e.rejection() },
                }),
            }
            return REJECTED;
        }
    };
    let result = reloader.offer(&new_bytes);
    let warning = reloader.warning();
    let (old, new) = (lenient(&old_bytes, None), lenient(&new_bytes, result.as_ref().err()));
    let changes = match (&old, &new) {
        (Some(old), Some(new)) => Some(Changes::between(old, new)),
        _ => None,
    };
    let may_replace = result.is_ok();
    let old_side = Side { file: &old_file, version: Some(old_accepted.version), entries: Some(old_accepted.len) };
    let new_side = Side {
        file: &new_file,
        version: new.as_ref().map(|n| n.version),
        entries: new.as_ref().map(|n| n.features.len()),
    };

    match format {
        Format::Json => json_line(&DiffReport {
            old: old_side,
            new: new_side,
            added: changes.as_ref().map(|c| c.added.as_slice()),
            removed: changes.as_ref().map(|c| c.removed.as_slice()),
            duplicated: changes.as_ref().map(|c| c.duplicated.as_slice()),
            defaults_changed: changes.as_ref().map(|c| c.defaults_changed.as_slice()),
            may_replace,
            verdict: Outcome::new(&result, warning),
        }),
        Format::Text => {
            let version = |v: Option<u64>| v.map_or("?".to_string(), |v| v.to_string());
            let entries = |v: Option<usize>| v.map_or("?".to_string(), |v| v.to_string());
            out(format_args!("version: {} -> {}", version(old_side.version), version(new_side.version)));
            let delta = match (old_side.entries, new_side.entries) {
                (Some(a), Some(b)) if b >= a => format!(" (+{})", b - a),
                (Some(a), Some(b)) => format!(" (-{})", a - b),
                _ => String::new(),
            };
            out(format_args!("entries: {} -> {}{delta}", entries(old_side.entries), entries(new_side.entries)));
            match &changes {
                None => out(format_args!("names: NEW cannot be read (see below)")),
                Some(c) => {
                    list("added", c.added.iter().map(|n| (*n).to_string()));
                    list("removed", c.removed.iter().map(|n| (*n).to_string()));
                    list("duplicated", c.duplicated.iter().map(|d| format!("{} x{}", d.name, d.count)));
                    list(
                        "defaults changed",
                        c.defaults_changed.iter().map(|d| format!("{} {} -> {}", d.name, d.old, d.new)),
                    );
                }
            }
            match &result {
                Ok(_) => out(format_args!("MAY REPLACE: {new_file} may replace {old_file}")),
                Err(e) => out(format_args!("MAY NOT REPLACE: {new_file} may not replace {old_file}: {e}")),
            }
        }
    }
    if may_replace { 0 } else { REJECTED }
}

/// `label (count): a, b, c` or `label: none`.
fn list(label: &str, items: impl ExactSizeIterator<Item = String>) {
    let count = items.len();
    if count == 0 {
        out(format_args!("{label}: none"));
    } else {
        out(format_args!("{label} ({count}): {}", items.collect::<Vec<_>>().join(", ")));
    }
}

/// Prints the model's raw value for every row of `args.input`.
fn score(args: &ScoreArgs) -> u8 {
    let Some(model_bytes) = read(&args.model, Format::Text, |_| {}) else { return REJECTED };
    let Some(input) = read(&args.input, Format::Text, |_| {}) else { return REJECTED };
    let mut model = Box::new(CliModel::new());
    if let Err(e) = catboost::ingest(&model_bytes, &mut model, catboost::DEFAULT_LIMITS) {
        err(format_args!("REJECTED {}: {e}", args.model.display()));
        return REJECTED;
    }
    let Ok(input) = std::str::from_utf8(&input) else {
        err(format_args!("ERROR {}: not UTF-8 text", args.input.display()));
        return REJECTED;
    };
    let mut row = Vec::with_capacity(model.feature_count());
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    for (number, line) in input.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        row.clear();
        for (column, field) in line.split(',').enumerate() {
            match field.trim().parse::<f32>() {
                Ok(value) => row.push(value),
                Err(_) => {
                    err(format_args!(
                        "ERROR {}:{}: column {column} is `{}`, not a number",
                        args.input.display(),
                        number + 1,
                        field.trim()
                    ));
                    return REJECTED;
                }
            }
        }
        if row.len() < model.feature_count() {
            err(format_args!(
                "ERROR {}:{}: {} columns, the model reads {}",
                args.input.display(),
                number + 1,
                row.len(),
                model.feature_count()
            ));
            return REJECTED;
        }
        // `{:?}` prints the shortest digits that round-trip the f64.
        let _ = writeln!(stdout, "{:?}", model.raw(&row));
    }
    let _ = stdout.flush();
    0
}

/// Reads a whole file. On failure reports it: on stderr in text, through
/// `json` (given the rejection, kind `Unreadable`) in JSON.
fn read(path: &Path, format: Format, json: impl FnOnce(Rejection<'_>)) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            let message = format!("cannot read: {e}");
            match format {
                Format::Text => err(format_args!("ERROR {}: {message}", path.display())),
                Format::Json => json(Rejection::new("Unreadable", &message)),
            }
            None
        }
    }
}

/// Writes `value` as one line of JSON on stdout, through the crate's report
/// writer into a buffer that grows until it fits.
fn json_line<T: Serialize>(value: &T) {
    let mut buf = vec![0u8; 4096];
    loop {
        match report::to_slice(value, &mut buf) {
            Ok(len) => {
                let mut line = buf.get(..len).unwrap_or_default().to_vec();
                line.push(b'\n');
                let _ = std::io::stdout().write_all(&line);
                return;
            }
            Err(ReportError::BufferTooSmall { capacity }) if capacity < 1 << 30 => {
                buf.resize(capacity.saturating_mul(2), 0);
            }
            Err(e) => {
                err(format_args!("error: {e}"));
                return;
            }
        }
    }
}

/// One line on stdout; a closed stdout is not worth a panic.
fn out(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// One line on stderr; a closed stderr is not worth a panic.
fn err(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_clap_definition_is_consistent() {
        // clap checks its own definition only in debug builds, by panicking at
        // parse time; this finds such a fault before a user does.
        super::Cli::command().debug_assert();
    }
}
