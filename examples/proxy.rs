//! A reverse proxy that scores every request with feature-table and tells the
//! upstream in an `x-bot-score` header.
//!
//! ```text
//! cargo run --release --features std --example proxy -- \
//!     --listen 127.0.0.1:8080 --upstream 127.0.0.1:8081 \
//!     --features examples/data/features.json --model examples/data/model.json [--fail-closed]
//! curl -s 127.0.0.1:8080/metrics   # Prometheus text (prometheus-client)
//! curl -s 127.0.0.1:8080/status    # the crate's JSON report
//! ```
//!
//! The feature file is watched and reloaded when it changes (write a new
//! file and rename it into place); a file that fails validation is logged
//! once and the last good one keeps serving. With `--fail-closed`, a request
//! that cannot be scored gets 503 instead of being forwarded unscored. Flags
//! are parsed by `clap` (`--help`); logs go through `env_logger` (`RUST_LOG`,
//! `info` by default). It listens wherever `--listen` says.

#[path = "proxy/service.rs"]
mod service;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use feature_table::shared::{PairRejected, Watcher};
use service::{Engine, Proxy, Scorer};

/// A reverse proxy that scores every request with feature-table.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on, for example 0.0.0.0:8080 or [::1]:8080.
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// The upstream to forward to.
    #[arg(long, value_name = "ADDR")]
    upstream: SocketAddr,
    /// The feature file, watched and reloaded when it changes.
    #[arg(long, value_name = "FILE")]
    features: PathBuf,
    /// The logistic model file.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Answer 503 to a request that cannot be scored, instead of forwarding
    /// it unscored.
    #[arg(long)]
    fail_closed: bool,
    /// How often to check the feature file for changes, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    watch_interval_ms: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = Args::parse();
    let read = |path: &PathBuf| std::fs::read(path).map_err(|e| log::error!("{}: {e}", path.display()));
    let (Ok(features), Ok(model)) = (read(&args.features), read(&args.model)) else {
        return ExitCode::from(2);
    };

    let engine = Arc::new(Engine::new(service::EXTRACTORS, service::POLICY));
    let proxy = Arc::new(Proxy::new(Scorer::FeatureTable(Arc::clone(&engine)), args.upstream, args.fail_closed));
    // A bad pair at start is reported; requests are then unscored (or 503
    // with --fail-closed) until a good pair arrives.
    let result = engine.reload(&features, &model);
    if let Err(error) = &result {
        log::warn!("starting without a scoring pair: {error}");
    }
    proxy.record_reload(&result);
    // The engine logs each reload's outcome; the proxy keeps the last
    // rejection for /status.
    let watched = Arc::clone(&proxy);
    let interval = Duration::from_millis(args.watch_interval_ms);
    let _watcher = match Watcher::spawn(&args.features, interval, move |bytes| {
        watched.record_reload(&engine.reload_features(bytes).map_err(PairRejected::Features));
    }) {
        Ok(watcher) => watcher,
        Err(e) => {
            log::error!("cannot watch {}: {e}", args.features.display());
            return ExitCode::from(2);
        }
    };

    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            log::error!("cannot listen on {}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    log::info!("{} -> {} ({})", args.listen, args.upstream, if args.fail_closed { "fail-closed" } else { "fail-open" });
    service::serve(listener, proxy, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    ExitCode::SUCCESS
}
