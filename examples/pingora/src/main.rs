//! A pingora reverse proxy that scores every request with feature-table and
//! tells the upstream in an `x-bot-score` header.
//!
//! ```text
//! cd examples/pingora && cargo build --release
//! ./target/release/feature-table-pingora --listen 127.0.0.1:18281 --upstream 127.0.0.1:18282 \
//!     --features ../data/features.json --model ../data/model.json
//! ```
//!
//! `request_filter` scores the request head once (one lock-free load of the
//! published table and model, no allocation) and keeps the verdict in the
//! per-request context; `upstream_request_filter` writes it into the upstream
//! request as `x-bot-score: <1..=99>` or `x-bot-score: unscored; reason=<reason>`,
//! replacing any value the client sent. The request is forwarded either way
//! (fail-open).
//!
//! The feature file is watched and reloaded when it changes (write a new file
//! and rename it into place). A file that fails validation — the doubled file
//! of the 2025-11-18 incident is rejected as `duplicate name` — is logged once
//! and the last good table keeps serving.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use feature_table::model::logistic::Logistic;
use feature_table::shared::{SharedEngine, Watcher};
use feature_table::{Extractor, Policy, Unscored, Verdict};
use pingora::http::RequestHeader;
use pingora::prelude::{HttpPeer, ProxyHttp, Result, Server, Session, http_proxy_service};

/// The proxy's preallocated feature capacity (the incident's limit).
const CAPACITY: usize = 200;

/// The engine the proxy shares between its worker threads.
type Engine = SharedEngine<RequestHeader, Logistic<CAPACITY>, CAPACITY>;

fn header<'r>(r: &'r RequestHeader, name: &str) -> Option<&'r [u8]> {
    r.headers.get(name).map(|v| v.as_bytes())
}

fn user_agent(r: &RequestHeader) -> &[u8] {
    header(r, "user-agent").unwrap_or_default()
}

/// Shannon entropy of the bytes, in bits per byte, with a stack histogram.
fn entropy(bytes: &[u8]) -> f32 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0_u16; 256];
    for &b in bytes {
        if let Some(count) = counts.get_mut(usize::from(b)) {
            *count = count.saturating_add(1);
        }
    }
    let n = bytes.len() as f32;
    counts.iter().filter(|&&c| c > 0).map(|&c| -(f32::from(c) / n) * (f32::from(c) / n).log2()).sum()
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

fn b(v: bool) -> f32 {
    if v { 1.0 } else { 0.0 }
}

/// The features this proxy computes from pingora's request head. A feature
/// file may name only these; the names are those of the hyper example, so
/// `examples/data/features.json` and `model.json` serve both.
static EXTRACTORS: &[Extractor<RequestHeader>] = &[
    Extractor::new("hdr_count", |r| r.headers.len() as f32),
    Extractor::new("ua_len", |r| user_agent(r).len() as f32),
    Extractor::new("ua_present", |r| b(r.headers.contains_key("user-agent"))),
    Extractor::new("ua_entropy", |r| entropy(user_agent(r))),
    Extractor::new("ua_tool", |r| {
        let ua = user_agent(r);
        b(["curl", "python", "wget", "bot", "go-http"].iter().any(|t| contains_ignore_case(ua, t.as_bytes())))
    }),
    Extractor::new("path_depth", |r| r.uri.path().split('/').filter(|s| !s.is_empty()).count() as f32),
    Extractor::new("query_len", |r| r.uri.query().map_or(0, str::len) as f32),
    Extractor::new("accept_lang_present", |r| b(r.headers.contains_key("accept-language"))),
    Extractor::new("accept_present", |r| b(r.headers.contains_key("accept"))),
    Extractor::new("cookie_count", |r| {
        r.headers.get_all("cookie").iter().map(|v| v.as_bytes().split(|&c| c == b';').count()).sum::<usize>() as f32
    }),
    Extractor::new("method_safe", |r| b(r.method == "GET" || r.method == "HEAD")),
];

/// The `x-bot-score` value of a request that could not be scored.
fn unscored_value(reason: Unscored) -> &'static str {
    match reason {
        Unscored::Disabled => "unscored; reason=disabled",
        Unscored::NoValidTable => "unscored; reason=no_valid_table",
        Unscored::NoValidModel => "unscored; reason=no_valid_model",
        Unscored::NonFiniteOutput => "unscored; reason=non_finite_output",
        _ => "unscored; reason=other",
    }
}

/// The proxy: a shared scoring engine and one loopback upstream.
struct BotScoreProxy {
    engine: Arc<Engine>,
    upstream: SocketAddr,
}

/// Per request: the verdict computed in `request_filter`.
struct Ctx {
    verdict: Verdict,
}

#[async_trait]
impl ProxyHttp for BotScoreProxy {
    type CTX = Ctx;

    fn new_ctx(&self) -> Ctx {
        // Overwritten by `request_filter`, which runs before the upstream
        // request is built.
        Ctx { verdict: Err(Unscored::NoValidTable) }
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> Result<bool> {
        ctx.verdict = self.engine.score(session.req_header());
        Ok(false) // not answered here: go on to the upstream
    }

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut Ctx) -> Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(self.upstream, false, String::new())))
    }

    async fn upstream_request_filter(
        &self,
        _session: &mut Session,
        upstream_request: &mut RequestHeader,
        ctx: &mut Ctx,
    ) -> Result<()> {
        match ctx.verdict {
            Ok(score) => upstream_request.insert_header("x-bot-score", score.bot_score.get().to_string()),
            Err(reason) => upstream_request.insert_header("x-bot-score", unscored_value(reason)),
        }
    }
}

struct Args {
    listen: SocketAddr,
    upstream: SocketAddr,
    features: String,
    model: String,
}

fn usage(problem: &str) -> ! {
    eprintln!("feature-table-pingora: {problem}");
    eprintln!(
        "usage: feature-table-pingora --listen ADDR --upstream ADDR --features FILE --model FILE  (loopback addresses only)"
    );
    std::process::exit(2)
}

fn loopback(flag: &str, value: Option<String>) -> SocketAddr {
    let Some(value) = value else { usage(&format!("{flag} needs a value")) };
    match value.parse::<SocketAddr>() {
        Ok(addr) if addr.ip().is_loopback() => addr,
        Ok(_) => usage(&format!("{flag} {value}: only loopback addresses")),
        Err(e) => usage(&format!("{flag} {value}: {e}")),
    }
}

fn parse_args() -> Args {
    let (mut listen, mut upstream, mut features, mut model) = (None, None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--listen" => listen = Some(loopback("--listen", args.next())),
            "--upstream" => upstream = Some(loopback("--upstream", args.next())),
            "--features" => features = args.next(),
            "--model" => model = args.next(),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    Args {
        listen: listen.unwrap_or_else(|| usage("--listen is required")),
        upstream: upstream.unwrap_or_else(|| usage("--upstream is required")),
        features: features.unwrap_or_else(|| usage("--features is required")),
        model: model.unwrap_or_else(|| usage("--model is required")),
    }
}

/// Prints `log` records to stderr: feature-table's reload outcomes (info and
/// up), pingora's warnings and errors.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn || metadata.target().starts_with("feature_table")
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("[{}] {}", record.level(), record.args());
        }
    }
    fn flush(&self) {}
}

fn main() {
    let _ = log::set_logger(&StderrLog).map(|()| log::set_max_level(log::LevelFilter::Info));
    let args = parse_args();
    let read = |path: &str| std::fs::read(path).unwrap_or_else(|e| usage(&format!("{path}: {e}")));

    let engine = Arc::new(Engine::new(EXTRACTORS, Policy::DEFAULT));
    // A bad pair at start is reported; requests then go upstream marked
    // unscored until a good feature file arrives.
    if let Err(error) = engine.reload(&read(&args.features), &read(&args.model)) {
        eprintln!("feature-table-pingora: starting without a scoring pair: {error}");
    }
    // Kept alive for the life of the process (`run_forever` never returns).
    let _watcher = Watcher::features(Arc::clone(&engine), &args.features, Duration::from_secs(1))
        .unwrap_or_else(|e| usage(&format!("cannot start the watcher: {e}")));

    let mut server = Server::new(None).unwrap_or_else(|e| usage(&format!("cannot create the server: {e}")));
    server.bootstrap();
    let mut proxy = http_proxy_service(&server.configuration, BotScoreProxy { engine, upstream: args.upstream });
    proxy.add_tcp(&args.listen.to_string());
    server.add_service(proxy);
    eprintln!("feature-table-pingora: {} -> {} (fail-open)", args.listen, args.upstream);
    server.run_forever()
}
