//! The reverse-proxy service shared by `examples/proxy.rs`, `examples/replay.rs
//! --under-load` and `tests/replay_under_load.rs` (included with `#[path]`, so
//! the library itself stays `no_std` and free of hyper/tokio).
//!
//! Per request: extract features from the request head, score with a
//! [`SharedEngine`], add `x-bot-score` to the upstream request, forward.
//! `/metrics` serves the counters (Prometheus text, via `prometheus-client`),
//! `/status` the crate's JSON report.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use feature_table::model::logistic::{Logistic, LogisticError};
use feature_table::report::{self, ReportError, Status, ToRejection};
use feature_table::shared::{PairRejected, SharedEngine};
use feature_table::{Extractor, Policy, Unscored};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Serialize;
use tokio::net::TcpListener;

/// The proxy's preallocated feature capacity (the incident's limit).
pub const CAPACITY: usize = 200;

/// What the extractors read: hyper's request head. It is an owned type, so
/// the extractor list can be a `static`; reading it allocates nothing.
pub type RequestView = Parts;

/// The engine the proxy shares between its worker threads.
pub type Engine = SharedEngine<RequestView, Logistic<CAPACITY>, CAPACITY>;

fn header(r: &RequestView, name: header::HeaderName) -> Option<&[u8]> {
    r.headers.get(name).map(HeaderValue::as_bytes)
}

fn user_agent(r: &RequestView) -> &[u8] {
    header(r, header::USER_AGENT).unwrap_or_default()
}

/// Shannon entropy of the bytes, in bits per byte, with a stack histogram.
fn entropy(bytes: &[u8]) -> f32 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0_u16; 256];
    for &b in bytes {
        counts[usize::from(b)] = counts[usize::from(b)].saturating_add(1);
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

/// The features this proxy can compute. A feature file may name only these.
pub static EXTRACTORS: &[Extractor<RequestView>] = &[
    Extractor::new("hdr_count", |r| r.headers.len() as f32),
    Extractor::new("ua_len", |r| user_agent(r).len() as f32),
    Extractor::new("ua_present", |r| b(r.headers.contains_key(header::USER_AGENT))),
    Extractor::new("ua_entropy", |r| entropy(user_agent(r))),
    Extractor::new("ua_tool", |r| {
        let ua = user_agent(r);
        b(["curl", "python", "wget", "bot", "go-http"].iter().any(|t| contains_ignore_case(ua, t.as_bytes())))
    }),
    Extractor::new("path_depth", |r| r.uri.path().split('/').filter(|s| !s.is_empty()).count() as f32),
    Extractor::new("query_len", |r| r.uri.query().map_or(0, str::len) as f32),
    Extractor::new("accept_lang_present", |r| b(r.headers.contains_key(header::ACCEPT_LANGUAGE))),
    Extractor::new("accept_present", |r| b(r.headers.contains_key(header::ACCEPT))),
    Extractor::new("cookie_count", |r| {
        r.headers.get_all(header::COOKIE).iter().map(|v| v.as_bytes().split(|&c| c == b';').count()).sum::<usize>()
            as f32
    }),
    Extractor::new("method_safe", |r| b(r.method == hyper::Method::GET || r.method == hyper::Method::HEAD)),
];

/// A feature file naming every extractor in order (what `examples/data/`
/// holds), each row `copies` times, cycling through the names until the file
/// has at least `min_entries` entries.
pub fn feature_file(version: u64, copies: usize, min_entries: usize) -> Vec<u8> {
    let count = min_entries.max(EXTRACTORS.len() * copies);
    let entries: Vec<String> =
        EXTRACTORS.iter().cycle().take(count).map(|e| format!(r#"{{"name":"{}","default":0.0}}"#, e.name())).collect();
    format!(r#"{{"version":{version},"features":[{}]}}"#, entries.join(",")).into_bytes()
}

/// The model in `examples/data/model.json`.
pub const MODEL: &[u8] = include_bytes!("../data/model.json");

/// The incident's loader, reduced to its shape: whatever file arrived is
/// stored unchecked, and every request appends its features into a
/// preallocated 200-slot list with `.unwrap()` on the append.
pub struct UnwrapLoader {
    names: RwLock<Arc<Vec<String>>>,
    weights: Vec<f32>,
}

impl UnwrapLoader {
    /// A loader with the model's weights.
    pub fn new(weights: Vec<f32>) -> Self {
        Self { names: RwLock::new(Arc::new(Vec::new())), weights }
    }

    /// "Reload": parse and store, no validation.
    pub fn load(&self, bytes: &[u8]) {
        let file: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let names = file["features"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string());
        *self.names.write().unwrap() = Arc::new(names.collect());
    }

    /// Scores a request the incident's way; panics on a file over 200
    /// entries.
    pub fn score(&self, r: &RequestView) -> u8 {
        let names = Arc::clone(&self.names.read().unwrap());
        let mut features: heapless::Vec<f32, CAPACITY> = heapless::Vec::new();
        for name in names.iter() {
            let value = EXTRACTORS.iter().find(|e| e.name() == name).map_or(0.0, |e| e.compute(r));
            features.push(value).unwrap(); // the line that took the fleet down
        }
        let raw: f32 = features.iter().zip(&self.weights).map(|(x, w)| x * w).sum();
        (99.0 - 98.0 / (1.0 + (-raw).exp())).round() as u8
    }
}

/// How the proxy scores.
pub enum Scorer {
    /// feature-table's [`SharedEngine`].
    FeatureTable(Arc<Engine>),
    /// The incident's loader, its panics caught per request and counted.
    Unwrap(Arc<UnwrapLoader>),
}

/// The proxy: a scorer, an upstream and a client.
pub struct Proxy {
    pub scorer: Scorer,
    pub upstream: SocketAddr,
    pub fail_closed: bool,
    pub client: Client<HttpConnector, Incoming>,
    /// Requests whose scoring panicked (unwrap loader only).
    pub panics: AtomicU64,
    /// The last rejected reload, for `/status`.
    pub last_error: Mutex<Option<PairRejected<LogisticError>>>,
}

type Body = BoxBody<Bytes, hyper::Error>;

fn full(status: StatusCode, text: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(text.into()).map_err(|never| match never {}).boxed());
    *response.status_mut() = status;
    response
}

fn unscored_header(reason: Unscored) -> HeaderValue {
    HeaderValue::from_static(match reason {
        Unscored::Disabled => "unscored; reason=disabled",
        Unscored::NoValidTable => "unscored; reason=no_valid_table",
        Unscored::NoValidModel => "unscored; reason=no_valid_model",
        Unscored::NonFiniteOutput => "unscored; reason=non_finite_output",
        _ => "unscored; reason=other",
    })
}

impl Proxy {
    /// A proxy to `upstream`.
    pub fn new(scorer: Scorer, upstream: SocketAddr, fail_closed: bool) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Self { scorer, upstream, fail_closed, client, panics: AtomicU64::new(0), last_error: Mutex::new(None) }
    }

    /// Handles one request: `/metrics`, or score and forward.
    pub async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        match request.uri().path() {
            "/metrics" => return Ok(full(StatusCode::OK, self.metrics())),
            "/status" => {
                let mut response = full(StatusCode::OK, self.status());
                response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                return Ok(response);
            }
            _ => {}
        }
        let (mut parts, body) = request.into_parts();
        let value = match &self.scorer {
            Scorer::FeatureTable(engine) => match engine.score(&parts) {
                Ok(score) => HeaderValue::from(u16::from(score.bot_score.get())),
                Err(reason) if self.fail_closed => {
                    return Ok(full(StatusCode::SERVICE_UNAVAILABLE, format!("unscored: {reason}\n")));
                }
                Err(reason) => unscored_header(reason),
            },
            Scorer::Unwrap(loader) => match panic::catch_unwind(AssertUnwindSafe(|| loader.score(&parts))) {
                Ok(score) => HeaderValue::from(u16::from(score)),
                Err(_) => {
                    // In the incident this was a dead worker thread.
                    self.panics.fetch_add(1, Ordering::Relaxed);
                    return Ok(full(StatusCode::INTERNAL_SERVER_ERROR, "scoring panicked\n"));
                }
            },
        };
        parts.headers.insert("x-bot-score", value);
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        parts.uri =
            match Uri::builder().scheme("http").authority(self.upstream.to_string()).path_and_query(path).build() {
                Ok(uri) => uri,
                Err(_) => return Ok(full(StatusCode::BAD_REQUEST, "bad request target\n")),
            };
        match self.client.request(Request::from_parts(parts, body)).await {
            Ok(response) => Ok(response.map(BodyExt::boxed)),
            Err(error) => Ok(full(StatusCode::BAD_GATEWAY, format!("upstream: {error}\n"))),
        }
    }

    /// Records the outcome of a reload, for `/status`.
    pub fn record_reload<T>(&self, result: &Result<T, PairRejected<LogisticError>>) {
        if let (Err(error), Ok(mut last)) = (result, self.last_error.lock()) {
            *last = Some(error.clone());
        }
    }

    /// The counters in the Prometheus text format, through a registry that
    /// `prometheus-client` fills from a snapshot of the engine's counters
    /// (it appends `_total` to counter names and the period to help texts).
    pub fn metrics(&self) -> String {
        self.metrics_with(|_| {})
    }

    /// [`metrics`](Self::metrics) with more metrics from the host, which
    /// `extra` registers in the same registry (one exposition, one `# EOF`).
    pub fn metrics_with(&self, extra: impl FnOnce(&mut Registry)) -> String {
        let mut registry = Registry::with_prefix("feature_table");
        let counter = |value: u64| {
            let counter = Counter::<u64>::default();
            counter.inc_by(value);
            counter
        };
        let gauge = |value: u64| {
            let gauge = Gauge::<i64>::default();
            gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
            gauge
        };
        if let Scorer::FeatureTable(engine) = &self.scorer {
            let s = engine.stats();
            registry.register("requests_scored", "Requests given a bot score", counter(s.scored));
            let unscored = Family::<Vec<(&'static str, &'static str)>, Counter>::default();
            for (reason, value) in [
                ("disabled", s.unscored_disabled),
                ("no_valid_table", s.unscored_no_valid_table),
                ("no_valid_model", s.unscored_no_valid_model),
                ("non_finite_output", s.unscored_non_finite),
            ] {
                unscored.get_or_create(&vec![("reason", reason)]).inc_by(value);
            }
            registry.register(
                "requests_unscored",
                "Requests forwarded (or refused, fail-closed) without a score",
                unscored,
            );
            let reloads = Family::<Vec<(&'static str, &'static str)>, Counter>::default();
            reloads.get_or_create(&vec![("outcome", "accepted")]).inc_by(s.reloads_accepted);
            reloads.get_or_create(&vec![("outcome", "rejected")]).inc_by(s.reloads_rejected);
            registry.register("reloads", "Feature-file and model reloads", reloads);
            registry.register(
                "reload_consecutive_rejections",
                "Rejections since the last accepted reload",
                gauge(s.consecutive_rejections),
            );
            if let Some(version) = s.active_version {
                registry.register("active_version", "Version of the feature file serving", gauge(version));
            }
            registry.register("enabled", "1 unless the kill switch is off", gauge(engine.is_enabled().into()));
        }
        registry.register(
            "scoring_panics",
            "Requests whose scoring panicked (the unwrap loader)",
            counter(self.panics.load(Ordering::Relaxed)),
        );
        extra(&mut registry);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &registry);
        out
    }

    /// The engine's state as JSON, the crate's report: kill switch, the
    /// table serving, reload counters and the last rejection, and the
    /// request counters.
    pub fn status(&self) -> String {
        let Scorer::FeatureTable(engine) = &self.scorer else {
            return "{}\n".to_string();
        };
        let stats = engine.stats();
        let pair = engine.current();
        let last_error = self.last_error.lock().ok().and_then(|last| last.clone());
        let status = ProxyStatus {
            status: Status::shared(
                engine.is_enabled(),
                &stats,
                pair.as_deref(),
                last_error.as_ref().map(ToRejection::rejection),
                &POLICY,
            ),
            requests: Requests { scored: stats.scored, unscored: stats.unscored() },
        };
        let mut buf = vec![0; 4096];
        loop {
            match report::to_slice(&status, &mut buf) {
                Ok(len) => {
                    buf.truncate(len);
                    buf.push(b'\n');
                    return String::from_utf8(buf).unwrap_or_default();
                }
                Err(ReportError::BufferTooSmall { capacity }) if capacity < 1 << 24 => buf.resize(capacity * 2, 0),
                Err(_) => return "{}\n".to_string(),
            }
        }
    }
}

/// `/status`: the crate's [`Status`] report and the request counters.
#[derive(Serialize)]
struct ProxyStatus<'a> {
    #[serde(flatten)]
    status: Status<'a>,
    requests: Requests,
}

/// Requests seen since start.
#[derive(Serialize)]
struct Requests {
    scored: u64,
    unscored: u64,
}

/// Serves `proxy` on `listener` until `shutdown` resolves.
pub async fn serve(listener: TcpListener, proxy: Arc<Proxy>, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        // Small request/response pairs: without this, Nagle plus delayed ACK
        // adds ~40 ms per exchange.
        let _ = stream.set_nodelay(true);
        let proxy = Arc::clone(&proxy);
        tokio::spawn(async move {
            let service = service_fn(move |request| Arc::clone(&proxy).handle(request));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// An upstream that answers every request with 200 and the score it got.
pub async fn serve_upstream(listener: TcpListener, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        // Small request/response pairs: without this, Nagle plus delayed ACK
        // adds ~40 ms per exchange.
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|request: Request<Incoming>| async move {
                let score = request.headers().get("x-bot-score").map(|v| v.as_bytes().to_vec()).unwrap_or_default();
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(score))))
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// The policy the proxy runs with.
pub const POLICY: Policy = Policy::DEFAULT;
