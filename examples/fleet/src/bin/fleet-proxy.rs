//! `fleet-proxy`: the core's hyper reverse proxy (`examples/proxy/service.rs`,
//! included unchanged) with its `SharedEngine` fed by the fleet [`Agent`]
//! instead of a file watcher.
//!
//! ```text
//! fleet-proxy --listen 127.0.0.1:8080 --upstream 127.0.0.1:8081 \
//!     --etcd http://127.0.0.1:2379 --prefix /feature-table \
//!     --node edge-17 --cohort canary --cache /var/lib/feature-table
//! curl -s 127.0.0.1:8080/status    # the core's report + the agent's state
//! curl -s 127.0.0.1:8080/metrics   # Prometheus text (prometheus-client), with the agent's gauges
//! ```
//!
//! At start it serves the pair cached in `--cache` (etcd may be down), then
//! follows its cohort's target in etcd: every published pair goes through
//! the engine's validation, a rejected one leaves the last good serving.
//! The files a fleet of these proxies is sent name the proxy's extractors
//! (`hdr_count`, `ua_len`, ... in `examples/proxy/service.rs`). SIGINT or
//! SIGTERM stops it and revokes its lease, so its status leaves etcd at once.

#[path = "../../../proxy/service.rs"]
mod service;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use feature_table::report::{Rejection, Status, ToRejection};
use feature_table_fleet::agent::{Agent, AgentConfig, AgentView};
use feature_table_fleet::node;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::metrics::gauge::Gauge;
use serde::Serialize;
use service::{Engine, Proxy, Scorer};

/// The hyper proxy example, its feature files and model from the fleet's etcd.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on, for example `0.0.0.0:8080` or `[::1]:8080`.
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// The upstream to forward to.
    #[arg(long, value_name = "ADDR")]
    upstream: SocketAddr,
    /// etcd client endpoints (repeat the flag, or separate with commas).
    #[arg(long = "etcd", value_name = "URL", value_delimiter = ',', required = true)]
    etcd: Vec<String>,
    /// The fleet's key prefix.
    #[arg(long, default_value = "/feature-table")]
    prefix: String,
    /// This node's name, unique in the fleet.
    #[arg(long)]
    node: String,
    /// This node's cohort (`canary`, `wave-1`, `all`, ...).
    #[arg(long, default_value = "all")]
    cohort: String,
    /// Directory of the node's local cache (`<node>.pair`: the last
    /// accepted pair, served at start even when etcd is down).
    #[arg(long, value_name = "DIR")]
    cache: PathBuf,
    /// Answer 503 to a request that cannot be scored, instead of forwarding
    /// it unscored.
    #[arg(long)]
    fail_closed: bool,
}

/// `/status`: the core's report of the engine, the request counters, and
/// what the fleet agent knows.
#[derive(Serialize)]
struct FleetProxyStatus<'a> {
    #[serde(flatten)]
    status: Status<'a>,
    requests: Requests,
    fleet: FleetState<'a>,
}

#[derive(Serialize)]
struct Requests {
    scored: u64,
    unscored: u64,
}

/// The agent's side of `/status`.
#[derive(Serialize)]
struct FleetState<'a> {
    node: &'a str,
    cohort: &'a str,
    /// Publish sequence number serving.
    serving: Option<u64>,
    /// The cohort's target, last seen.
    target: Option<u64>,
    /// The publish last rejected.
    rejected: Option<u64>,
    etcd_connected: bool,
    /// What happened to the local cache at start.
    cache: String,
    /// The kill switch and where its state comes from (etcd, or the local
    /// cache while etcd has not answered).
    kill_switch: String,
    /// The last rejection, typed (`kind`, counts, message).
    last_rejection: Option<Rejection<'a>>,
}

/// Everything a request handler needs.
struct Node {
    proxy: Arc<Proxy>,
    engine: Arc<Engine>,
    agent: AgentView,
    node: String,
    cohort: String,
}

type Body = BoxBody<Bytes, hyper::Error>;

impl Node {
    fn status(&self) -> Vec<u8> {
        let stats = self.engine.stats();
        let pair = self.engine.current();
        let last = self.agent.last_error();
        let rejection = last.as_ref().map(ToRejection::rejection);
        let report = FleetProxyStatus {
            status: Status::shared(self.engine.is_enabled(), &stats, pair.as_deref(), rejection, &node::policy()),
            requests: Requests { scored: stats.scored, unscored: stats.unscored() },
            fleet: FleetState {
                node: &self.node,
                cohort: &self.cohort,
                serving: self.agent.serving(),
                target: self.agent.target(),
                rejected: self.agent.rejected(),
                etcd_connected: self.agent.connected(),
                cache: self.agent.cache(),
                kill_switch: self.agent.kill_switch(),
                last_rejection: rejection,
            },
        };
        let mut json = serde_json::to_vec(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}").into_bytes());
        json.push(b'\n');
        json
    }

    /// `/metrics`: the core proxy's metrics and the agent's, under
    /// `feature_table_fleet_`: the publish serving, the target and the last
    /// rejected (each only once known), and whether etcd answers.
    fn metrics(&self) -> String {
        self.proxy.metrics_with(|registry| {
            let fleet = registry.sub_registry_with_prefix("fleet");
            let gauge = |value: u64| {
                let gauge = Gauge::<i64>::default();
                gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
                gauge
            };
            for (name, help, seq) in [
                ("serving_seq", "Publish sequence number serving", self.agent.serving()),
                ("target_seq", "The cohort's target, last seen", self.agent.target()),
                ("rejected_seq", "The publish last rejected", self.agent.rejected()),
            ] {
                if let Some(seq) = seq {
                    fleet.register(name, help, gauge(seq));
                }
            }
            fleet.register(
                "etcd_connected",
                "1 while the agent's etcd session is up",
                gauge(self.agent.connected().into()),
            );
        })
    }

    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        let (body, content_type) = match request.uri().path() {
            "/status" => (self.status(), "application/json"),
            "/metrics" => (self.metrics().into_bytes(), "application/openmetrics-text; version=1.0.0; charset=utf-8"),
            _ => return Arc::clone(&self.proxy).handle(request).await,
        };
        let mut response = Response::new(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed());
        *response.status_mut() = StatusCode::OK;
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Ok(response)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = Args::parse();
    if let Err(e) = std::fs::create_dir_all(&args.cache) {
        log::error!("cache directory {}: {e}", args.cache.display());
        return ExitCode::from(2);
    }
    // The fleet's policy: a rollback may point back at an older `version`.
    let engine = Arc::new(Engine::new(service::EXTRACTORS, node::policy()));
    let config = AgentConfig::new(
        args.etcd.clone(),
        &args.prefix,
        &args.node,
        &args.cohort,
        args.cache.join(format!("{}.pair", args.node)),
    );
    // Serves the cached pair before this returns; then follows etcd.
    let agent = Agent::start(config, Arc::clone(&engine));
    let proxy = Arc::new(Proxy::new(Scorer::FeatureTable(Arc::clone(&engine)), args.upstream, args.fail_closed));
    let node = Arc::new(Node { proxy, engine, agent: agent.view(), node: args.node, cohort: args.cohort });

    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            log::error!("cannot listen on {}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    log::info!(
        "{} -> {} ({}), node {} in cohort {}, serving seq {:?} from the cache ({})",
        args.listen,
        args.upstream,
        if args.fail_closed { "fail-closed" } else { "fail-open" },
        node.node,
        node.cohort,
        agent.serving(),
        agent.cache()
    );
    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    };
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        // Small request/response pairs: without this, Nagle plus delayed ACK
        // adds a delay per exchange (as in the core's proxy).
        let _ = stream.set_nodelay(true);
        let node = Arc::clone(&node);
        tokio::spawn(async move {
            let service = service_fn(move |request| Arc::clone(&node).handle(request));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
    log::info!("stopping: revoking the lease");
    agent.stop().await;
    ExitCode::SUCCESS
}
