//! `feature-table validate`: checks a feature file the way a proxy's reloader
//! would, before it ships. `feature-table score`: evaluates a CatBoost JSON
//! export on CSV rows, for parity checks against CatBoost itself.
//!
//! ```text
//! feature-table validate FILE [--capacity N] [--previous FILE] [--max-growth RATIO]
//! feature-table score --model MODEL.json --input ROWS.csv
//! ```
//!
//! Exit status: 0 accepted / scored, 1 rejected or unreadable, 2 usage error.
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

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use feature_table::model::catboost::{self, CatBoost};
use feature_table::{Policy, Ratio, Reloader};

const USAGE: &str = "\
Usage: feature-table validate FILE [--capacity N] [--previous FILE] [--max-growth RATIO]
       feature-table score --model MODEL.json --input ROWS.csv

Checks a bot-management feature file as a proxy's reloader would: size, nesting,
JSON shape, names, defaults, duplicates and capacity; with --previous, also that
FILE may replace the file serving now (newer version, bounded growth).

Options:
  --capacity N         table capacity: 64, 128, 200, 256, 512, 1024 or 4096 (default 200)
  --previous FILE      the file serving now; it must itself be valid
  --max-growth RATIO   with --previous: FILE may have at most RATIO times, and at least
                       1/RATIO times, the entries of the previous file (default 1.5)
  -h, --help           print this help

score prints CatBoost's RawFormulaVal for every row of ROWS.csv, one per line, with
enough digits to round-trip an f64. MODEL.json is CatBoost's own JSON export
(save_model(path, format=\"json\")), up to 1024 trees of depth 8 on 256 features.
A row is comma-separated numbers in column order (`nan` allowed); a bad row is an
error naming its line.

Exit status: 0 accepted or scored, 1 rejected or unreadable, 2 usage error.
";

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

        /// Runs `job` with a `Reloader<N>` for `N = job.capacity`, or `None`
        /// for an unsupported capacity.
        fn dispatch(job: &Job) -> Option<u8> {
            match job.capacity {
                $($n => Some(validate::<$n>(job)),)+
                _ => None,
            }
        }
    };
}

capacities!(64, 128, 200, 256, 512, 1024, 4096);

/// A parsed `validate` command.
#[derive(Debug)]
struct Job {
    file: PathBuf,
    capacity: usize,
    previous: Option<PathBuf>,
    policy: Policy,
}

/// A parsed `score` command.
#[derive(Debug)]
struct ScoreJob {
    model: PathBuf,
    input: PathBuf,
}

enum Command {
    Help,
    Validate(Job),
    Score(ScoreJob),
}

fn main() -> ExitCode {
    let command = match parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            out(format_args!("{}", USAGE.trim_end()));
            return ExitCode::SUCCESS;
        }
        Ok(command) => command,
        Err(message) => {
            err(format_args!("error: {message}\n\n{}", USAGE.trim_end()));
            return ExitCode::from(USAGE_ERROR);
        }
    };
    let worker = std::thread::Builder::new().stack_size(STACK_BYTES).spawn(move || match &command {
        Command::Validate(job) => dispatch(job),
        Command::Score(job) => Some(score(job)),
        Command::Help => Some(0),
    });
    match worker.map(|handle| handle.join()) {
        Ok(Ok(Some(code))) => ExitCode::from(code),
        // `parse` only lets supported capacities through.
        Ok(Ok(None)) => ExitCode::from(USAGE_ERROR),
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

/// Validates `job.file` (after `job.previous`, if any) with a `Reloader<N>`,
/// prints the verdict and returns the exit status.
fn validate<const N: usize>(job: &Job) -> u8 {
    let file = job.file.display();
    let mut reloader = Box::new(Reloader::<N>::new(job.policy));

    let mut replaces = String::new();
    if let Some(previous_path) = &job.previous {
        let previous = previous_path.display();
        let Some(bytes) = read(previous_path) else { return REJECTED };
        match reloader.offer(&bytes) {
            Ok(accepted) => {
                replaces = format!(", replaces version {} ({} features)", accepted.version, accepted.len);
            }
            Err(e) => {
                err(format_args!("ERROR previous file {previous} is invalid: {e}"));
                return REJECTED;
            }
        }
    }

    let Some(bytes) = read(&job.file) else { return REJECTED };
    match reloader.offer(&bytes) {
        Ok(accepted) => {
            let used = accepted.len.saturating_mul(100) / N;
            out(format_args!(
                "OK {file}: version {}, {} features, capacity {N} ({used}% used){replaces}",
                accepted.version, accepted.len
            ));
            if let Some(warning) = reloader.warning() {
                err(format_args!("WARNING {file}: {warning} (more than {}%)", reloader.policy().headroom_percent));
            }
            0
        }
        Err(e) => {
            err(format_args!("REJECTED {file}: {e}"));
            REJECTED
        }
    }
}

/// Prints the model's raw value for every row of `job.input`.
fn score(job: &ScoreJob) -> u8 {
    let Some(model_bytes) = read(&job.model) else { return REJECTED };
    let Some(input) = read(&job.input) else { return REJECTED };
    let mut model = Box::new(CliModel::new());
    if let Err(e) = catboost::ingest(&model_bytes, &mut model, catboost::DEFAULT_LIMITS) {
        err(format_args!("REJECTED {}: {e}", job.model.display()));
        return REJECTED;
    }
    let Ok(input) = std::str::from_utf8(&input) else {
        err(format_args!("ERROR {}: not UTF-8 text", job.input.display()));
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
                        job.input.display(),
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
                job.input.display(),
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

/// Reads a whole file, reporting failure on stderr.
fn read(path: &std::path::Path) -> Option<Vec<u8>> {
    std::fs::read(path).map_err(|e| err(format_args!("ERROR {}: cannot read: {e}", path.display()))).ok()
}

/// Parses the arguments after the program name.
fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut args = args.into_iter();
    match args.next().as_ref().and_then(|a| a.to_str()) {
        Some("validate") => {}
        Some("score") => return parse_score(args),
        Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some(other) => return Err(format!("unknown command `{other}`")),
        None => return Err("missing command".to_string()),
    }

    let mut file = None;
    let mut capacity = None;
    let mut previous = None;
    let mut max_growth = None;
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            set_once(&mut file, PathBuf::from(arg), "FILE")?;
            continue;
        };
        // `--flag value` or `--flag=value`.
        let (flag, inline) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(OsString::from(value))),
            _ => (text, None),
        };
        let mut value = |flag: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{flag} needs a value"));
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--capacity" => {
                let v = value(flag)?;
                let n = v
                    .to_str()
                    .and_then(|s| s.parse::<usize>().ok())
                    .ok_or(format!("--capacity: `{}` is not a number", v.to_string_lossy()))?;
                if !CAPACITIES.contains(&n) {
                    return Err(format!("--capacity {n} is not supported; use one of {}", list(CAPACITIES)));
                }
                set_once(&mut capacity, n, flag)?;
            }
            "--previous" => set_once(&mut previous, PathBuf::from(value(flag)?), flag)?,
            "--max-growth" => {
                let v = value(flag)?;
                let ratio = v
                    .to_str()
                    .and_then(|s| s.parse::<f32>().ok())
                    .and_then(Ratio::new)
                    .ok_or(format!("--max-growth: `{}` is not a ratio >= 1", v.to_string_lossy()))?;
                set_once(&mut max_growth, ratio, flag)?;
            }
            _ if flag.starts_with('-') && flag != "-" => return Err(format!("unknown option `{flag}`")),
            _ => set_once(&mut file, PathBuf::from(arg), "FILE")?,
        }
    }

    let file = file.ok_or("missing FILE")?;
    let mut policy = Policy::DEFAULT;
    if max_growth.is_some() {
        policy.max_growth = max_growth;
    }
    Ok(Command::Validate(Job { file, capacity: capacity.unwrap_or(200), previous, policy }))
}

/// Parses the arguments after `score`.
fn parse_score(args: impl Iterator<Item = OsString>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let (mut model, mut input) = (None, None);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        let (flag, inline) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(OsString::from(value))),
            _ => (text.to_string(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--model" => set_once(&mut model, PathBuf::from(value()?), "--model")?,
            "--input" => set_once(&mut input, PathBuf::from(value()?), "--input")?,
            other => return Err(format!("score: unexpected argument `{other}`")),
        }
    }
    let model = model.ok_or("score needs --model MODEL.json")?;
    let input = input.ok_or("score needs --input ROWS.csv")?;
    Ok(Command::Score(ScoreJob { model, input }))
}

/// Stores `value` in `slot`, refusing a second one.
fn set_once<T>(slot: &mut Option<T>, value: T, what: &str) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("{what} given twice"));
    }
    *slot = Some(value);
    Ok(())
}

/// `a, b, c` from a list of numbers.
fn list(items: &[usize]) -> String {
    items.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
}

/// One line on stdout; a closed stdout is not worth a panic.
fn out(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// One line on stderr; a closed stderr is not worth a panic.
fn err(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
