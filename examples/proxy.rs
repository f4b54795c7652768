//! A reverse proxy that scores every request with feature-table and tells the
//! upstream in an `x-bot-score` header.
//!
//! ```text
//! cargo run --release --features std --example proxy -- \
//!     --listen 127.0.0.1:8080 --upstream 127.0.0.1:8081 \
//!     --features examples/data/features.json --model examples/data/model.json [--fail-closed]
//! curl -s 127.0.0.1:8080/metrics
//! ```
//!
//! The feature file is watched and reloaded when it changes (write a new
//! file and rename it into place); a file that fails validation is logged
//! once and the last good one keeps serving. With `--fail-closed`, a request
//! that cannot be scored gets 503 instead of being forwarded unscored.

#[path = "proxy/service.rs"]
mod service;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use feature_table::shared::Watcher;
use service::{Engine, Proxy, Scorer};

struct Args {
    listen: SocketAddr,
    upstream: SocketAddr,
    features: String,
    model: String,
    fail_closed: bool,
}

fn usage(problem: &str) -> ! {
    eprintln!("proxy: {problem}");
    eprintln!(
        "usage: proxy --listen ADDR --upstream ADDR --features FILE --model FILE [--fail-closed]  (loopback addresses only)"
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
    let (mut listen, mut upstream, mut features, mut model, mut fail_closed) = (None, None, None, None, false);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--listen" => listen = Some(loopback("--listen", args.next())),
            "--upstream" => upstream = Some(loopback("--upstream", args.next())),
            "--features" => features = args.next(),
            "--model" => model = args.next(),
            "--fail-closed" => fail_closed = true,
            other => usage(&format!("unknown argument {other}")),
        }
    }
    Args {
        listen: listen.unwrap_or_else(|| usage("--listen is required")),
        upstream: upstream.unwrap_or_else(|| usage("--upstream is required")),
        features: features.unwrap_or_else(|| usage("--features is required")),
        model: model.unwrap_or_else(|| usage("--model is required")),
        fail_closed,
    }
}

/// Prints `log` records to stderr (one line per reload outcome).
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        eprintln!("[{}] {}", record.level(), record.args());
    }
    fn flush(&self) {}
}

#[tokio::main]
async fn main() {
    let _ = log::set_logger(&StderrLog).map(|()| log::set_max_level(log::LevelFilter::Info));
    let args = parse_args();
    let read = |path: &str| std::fs::read(path).unwrap_or_else(|e| usage(&format!("{path}: {e}")));

    let engine = Arc::new(Engine::new(service::EXTRACTORS, service::POLICY));
    // A bad model at start is reported; requests are then unscored (or 503
    // with --fail-closed) until a good pair arrives.
    if let Err(error) = engine.reload(&read(&args.features), &read(&args.model)) {
        eprintln!("proxy: starting without a scoring pair: {error}");
    }
    let _watcher = Watcher::features(Arc::clone(&engine), &args.features, Duration::from_secs(1))
        .unwrap_or_else(|e| usage(&format!("cannot start the watcher: {e}")));

    let listener = tokio::net::TcpListener::bind(args.listen).await.unwrap_or_else(|e| usage(&format!("{e}")));
    eprintln!(
        "proxy: {} -> {} ({})",
        args.listen,
        args.upstream,
        if args.fail_closed { "fail-closed" } else { "fail-open" }
    );
    let proxy = Arc::new(Proxy::new(Scorer::FeatureTable(engine), args.upstream, args.fail_closed));
    service::serve(listener, proxy, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
}
