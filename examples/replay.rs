//! Replays the 2025-11-18 feature-file sequence against an `Engine`, next
//! to a loader written the way the incident's was (`.unwrap()` on the result
//! of appending into a preallocated 200-slot list).
//!
//! ```text
//! cargo run --release --example replay
//! cargo run --release --features std --example replay -- --under-load
//! ```
//!
//! `--under-load` runs the same sequence against a live proxy on 127.0.0.1
//! (about 20 s): 16 clients, the feature file swapped every 100 ms, then the
//! same churn through the unwrap loader, and prints failed requests side by
//! side with p50/p99 latency with and without reload churn.
//!
//! The generator re-ran every five minutes; depending on which database node
//! answered, it produced a good file or one with every row twice. One later
//! file had grown past the 200-feature limit. The timeline shows, per file,
//! what feature-table did and what the unwrap loader would have done.

use std::fmt::Write as _;
use std::panic;

use feature_table::model::logistic::Logistic;
use feature_table::{Engine, Extractor, Policy, ReloadError};

#[cfg(feature = "std")]
#[path = "proxy/service.rs"]
mod service;

#[cfg(feature = "std")]
#[path = "proxy/load.rs"]
mod load;

/// `--under-load`: the sequence against a live proxy, about 20 s.
#[cfg(feature = "std")]
fn under_load() {
    let config = load::LoadConfig {
        clients: 16,
        phase: std::time::Duration::from_millis(6500),
        max_requests_per_client: 1_000_000,
        swap_every: std::time::Duration::from_millis(100),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let report = runtime.block_on(load::run(config));
    print!("{}", load::render(&report, &config));
}

#[cfg(not(feature = "std"))]
fn under_load() {
    eprintln!(
        "replay: --under-load needs the std feature: cargo run --release --features std --example replay -- --under-load"
    );
    std::process::exit(2);
}

/// The proxy's preallocated limit on 2025-11-18.
const CAPACITY: usize = 200;

/// Requests scored between two feature files.
const REQUESTS_PER_STEP: usize = 10_000;

/// A request as the proxy sees it, reduced to the raw signals its
/// extractors read.
struct Request {
    signals: [f32; 64],
}

macro_rules! extractors {
    ($($name:literal => $i:literal),* $(,)?) => {
        &[$(Extractor::new($name, |r: &Request| r.signals[$i])),*]
    };
}

/// The features this binary can compute (the first 64 names the generator
/// uses).
static EXTRACTORS: &[Extractor<Request>] = extractors!(
    "ua_entropy.0" => 0,
    "ua_len.0" => 1,
    "hdr_count.0" => 2,
    "hdr_order_hash.0" => 3,
    "accept_lang_len.0" => 4,
    "path_depth.0" => 5,
    "query_len.0" => 6,
    "tls_ja4_rank.0" => 7,
    "h2_settings_hash.0" => 8,
    "cookie_count.0" => 9,
    "ip_rep_score.0" => 10,
    "asn_rank.0" => 11,
    "ua_entropy.1" => 12,
    "ua_len.1" => 13,
    "hdr_count.1" => 14,
    "hdr_order_hash.1" => 15,
    "accept_lang_len.1" => 16,
    "path_depth.1" => 17,
    "query_len.1" => 18,
    "tls_ja4_rank.1" => 19,
    "h2_settings_hash.1" => 20,
    "cookie_count.1" => 21,
    "ip_rep_score.1" => 22,
    "asn_rank.1" => 23,
    "ua_entropy.2" => 24,
    "ua_len.2" => 25,
    "hdr_count.2" => 26,
    "hdr_order_hash.2" => 27,
    "accept_lang_len.2" => 28,
    "path_depth.2" => 29,
    "query_len.2" => 30,
    "tls_ja4_rank.2" => 31,
    "h2_settings_hash.2" => 32,
    "cookie_count.2" => 33,
    "ip_rep_score.2" => 34,
    "asn_rank.2" => 35,
    "ua_entropy.3" => 36,
    "ua_len.3" => 37,
    "hdr_count.3" => 38,
    "hdr_order_hash.3" => 39,
    "accept_lang_len.3" => 40,
    "path_depth.3" => 41,
    "query_len.3" => 42,
    "tls_ja4_rank.3" => 43,
    "h2_settings_hash.3" => 44,
    "cookie_count.3" => 45,
    "ip_rep_score.3" => 46,
    "asn_rank.3" => 47,
    "ua_entropy.4" => 48,
    "ua_len.4" => 49,
    "hdr_count.4" => 50,
    "hdr_order_hash.4" => 51,
    "accept_lang_len.4" => 52,
    "path_depth.4" => 53,
    "query_len.4" => 54,
    "tls_ja4_rank.4" => 55,
    "h2_settings_hash.4" => 56,
    "cookie_count.4" => 57,
    "ip_rep_score.4" => 58,
    "asn_rank.4" => 59,
    "ua_entropy.5" => 60,
    "ua_len.5" => 61,
    "hdr_count.5" => 62,
    "hdr_order_hash.5" => 63
);

/// A logistic model over the first 60 features.
fn model_file() -> String {
    let weights: Vec<String> = (0..60).map(|i| format!("{:.3}", ((i * 29) % 17) as f32 / 40.0 - 0.2)).collect();
    format!(r#"{{"bias":-0.4,"weights":[{}]}}"#, weights.join(","))
}

fn request(i: usize) -> Request {
    let mut signals = [0.0; 64];
    for (k, s) in signals.iter_mut().enumerate() {
        *s = ((i * 31 + k * 7) % 23) as f32 / 23.0;
    }
    Request { signals }
}

/// Realistic feature names: about 60 were in use.
fn feature_names(count: usize) -> Vec<String> {
    const STEMS: [&str; 12] = [
        "ua_entropy",
        "ua_len",
        "hdr_count",
        "hdr_order_hash",
        "accept_lang_len",
        "path_depth",
        "query_len",
        "tls_ja4_rank",
        "h2_settings_hash",
        "cookie_count",
        "ip_rep_score",
        "asn_rank",
    ];
    (0..count).map(|i| format!("{}.{}", STEMS[i % STEMS.len()], i / STEMS.len())).collect()
}

/// A feature file as the generator wrote it, with producer metadata that
/// the loader must ignore. `copies` = 2 is the duplicated query result.
fn feature_file(version: u64, names: &[String], copies: usize) -> Vec<u8> {
    let mut entries = Vec::new();
    for _ in 0..copies {
        for (i, name) in names.iter().enumerate() {
            entries.push(format!(
                r#"{{"name":"{name}","default":{:.2},"source":{{"table":"r0.features","note":"col \"{i}\""}}}}"#,
                (i % 7) as f32 / 10.0
            ));
        }
    }
    format!(r#"{{"version":{version},"generated_by":"bot-features-query","features":[{}]}}"#, entries.join(","))
        .into_bytes()
}

/// The incident's loader, reduced to its shape: a preallocated list of 200
/// features, filled entry by entry, with the append result `unwrap()`ed. It
/// has no duplicate check and no error path: a bad file is either served or
/// a panic.
mod unwrap_loader {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Entry<'a> {
        #[serde(borrow)]
        pub name: &'a str,
    }

    #[derive(Deserialize)]
    struct File<'a> {
        #[serde(borrow)]
        features: Vec<Entry<'a>>,
    }

    pub fn load(bytes: &[u8]) -> usize {
        let file: File<'_> = serde_json::from_slice(bytes).unwrap();
        let mut features: heapless::Vec<&str, { super::CAPACITY }> = heapless::Vec::new();
        for entry in file.features {
            features.push(entry.name).unwrap(); // the line that took the fleet down
        }
        features.len()
    }
}

/// What the unwrap loader does with `bytes`, observed by running it.
fn unwrap_loader_outcome(bytes: &[u8], unique: usize) -> String {
    match panic::catch_unwind(|| unwrap_loader::load(bytes)) {
        Err(_) => "PANIC: unwrap() on a full list; worker thread dies".to_string(),
        Ok(n) if n > unique => format!("serves {n} features, {} of them twice", n - unique),
        Ok(n) => format!("serves {n} features"),
    }
}

fn reason(error: &ReloadError) -> String {
    error.to_string()
}

/// Scores `REQUESTS_PER_STEP` requests; returns (scored, unscored).
fn score_stream(engine: &Engine<Request, Logistic<CAPACITY>, CAPACITY>, requests: &[Request]) -> (usize, usize) {
    let scored = requests.iter().filter(|r| engine.score(r).is_ok()).count();
    (scored, requests.len() - scored)
}

struct Step {
    time: &'static str,
    unique: usize,
    copies: usize,
}

fn main() {
    // Quiet the unwrap loader's panics: the timeline reports them.
    panic::set_hook(Box::new(|_| {}));
    if std::env::args().any(|a| a == "--under-load") {
        under_load();
        return;
    }

    let steps = [
        Step { time: "11:05", unique: 60, copies: 1 },
        Step { time: "11:10", unique: 60, copies: 2 },
        Step { time: "11:15", unique: 60, copies: 1 },
        Step { time: "11:20", unique: 60, copies: 2 },
        Step { time: "11:25", unique: 60, copies: 2 },
        Step { time: "11:30", unique: 60, copies: 1 },
        Step { time: "11:35", unique: 120, copies: 2 },
        Step { time: "11:40", unique: 60, copies: 2 },
        Step { time: "11:45", unique: 62, copies: 1 },
    ];

    let mut engine = Box::new(Engine::<Request, Logistic<CAPACITY>, CAPACITY>::new(
        EXTRACTORS,
        Policy::DEFAULT,
        Logistic::new(),
        Logistic::new(),
    ));
    engine.offer_model(model_file().as_bytes()).unwrap();
    let requests: Vec<Request> = (0..REQUESTS_PER_STEP).map(request).collect();
    let (mut scored, mut unscored, mut failed_unwrap) = (0, 0, 0);
    let mut panics = 0;
    let mut wrong = 0;
    let mut out = String::new();
    writeln!(out, "2025-11-18 replay: feature files offered to an Engine with capacity {CAPACITY} (policy: growth within 1.5x, newer versions only), {REQUESTS_PER_STEP} requests scored after each").unwrap();
    writeln!(out).unwrap();
    writeln!(
        out,
        "{:<6} {:>4} {:>7}  {:<62} {:>6}  unwrap loader",
        "time", "ver", "entries", "feature-table", "active"
    )
    .unwrap();
    writeln!(out, "{}", "-".repeat(130)).unwrap();

    for (i, step) in steps.iter().enumerate() {
        let version = 1000 + i as u64;
        let names = feature_names(step.unique);
        let bytes = feature_file(version, &names, step.copies);
        let entries = step.unique * step.copies;

        let verdict = match engine.offer_features(&bytes) {
            Ok(accepted) => format!("accepted: {} features", accepted.len),
            Err(error) => format!("REJECTED: {}", reason(&error)),
        };
        let active = engine.features().last_good().map_or("none".to_string(), |t| t.version().to_string());
        let (ok, not) = score_stream(&engine, &requests);
        scored += ok;
        unscored += not;
        let naive = unwrap_loader_outcome(&bytes, step.unique);
        if naive.starts_with("PANIC") {
            panics += 1;
            // The worker is gone: every request until the next good file fails.
            failed_unwrap += REQUESTS_PER_STEP;
        } else if step.copies > 1 {
            wrong += 1;
        }
        writeln!(out, "{:<6} {:>4} {:>7}  {:<62} {:>6}  {}", step.time, version, entries, verdict, active, naive)
            .unwrap();
    }

    let stats = engine.features().stats();
    writeln!(out).unwrap();
    writeln!(out, "summary").unwrap();
    writeln!(
        out,
        "  feature-table: {} accepted, {} rejected, 0 panics; last known good version {} serving {} features",
        stats.accepted,
        stats.rejected,
        stats.active_version.map_or("none".to_string(), |v| v.to_string()),
        engine.features().last_good().map_or(0, |t| t.len()),
    )
    .unwrap();
    if let Some(error) = &stats.last_error {
        writeln!(out, "  last rejection (reported once, not per request): {error}").unwrap();
    }
    writeln!(out, "  unwrap loader: {panics} panic(s) that kill every worker thread, {wrong} file(s) served with duplicated features").unwrap();
    writeln!(out).unwrap();
    writeln!(out, "requests ({REQUESTS_PER_STEP} after each file, {} in all)", scored + unscored).unwrap();
    writeln!(out, "  feature-table: {scored} scored, {unscored} unscored, 0 failed").unwrap();
    writeln!(out, "  unwrap loader: {failed_unwrap} failed (its worker panicked)").unwrap();
    print!("{out}");
}
