//! The `fleet-proxy` binary as a real process: the core's hyper proxy fed by
//! the fleet agent, against etcd started by the test on loopback (ports
//! 23200-23219) and an upstream in the test that echoes the score it got.

mod common;

#[path = "../../proxy/service.rs"]
mod service;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Etcd, options, publisher};
use feature_table_fleet::node;
use feature_table_fleet::publish::{HaltReason, PublishOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECS: fn(u64) -> Duration = Duration::from_secs;

/// A `fleet-proxy` process, SIGKILLed on drop (also when the test fails).
struct ProxyProcess {
    child: Child,
    port: u16,
}

impl ProxyProcess {
    /// Starts node `name` in `cohort` and waits until it accepts connections.
    async fn start(etcd: &[String], upstream: u16, port: u16, dir: &Path, name: &str, cohort: &str) -> Self {
        // One log per start (kept in the test's directory while it runs).
        static STARTS: AtomicU64 = AtomicU64::new(0);
        let log = std::fs::File::create(dir.join(format!("{name}-{}.log", STARTS.fetch_add(1, Ordering::Relaxed))));
        let child = Command::new(env!("CARGO_BIN_EXE_fleet-proxy"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--upstream", &format!("127.0.0.1:{upstream}")])
            .args(["--etcd", &etcd.join(","), "--prefix", common::PREFIX, "--node", name, "--cohort", cohort])
            .arg("--cache")
            .arg(dir.join("cache"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log.map_or(Stdio::null(), Stdio::from))
            .spawn()
            .unwrap();
        let deadline = Instant::now() + SECS(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "fleet-proxy never listened on {port}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { child, port }
    }

    /// SIGKILL, as a crash.
    fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 GET; its status code and body.
async fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.5\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let code = response.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Ok((code, body))
}

/// What the upstream saw in `x-bot-score` for one request through the proxy.
async fn verdict(port: u16) -> String {
    let (code, body) = get(port, "/some/page?q=1").await.unwrap();
    assert_eq!(code, 200, "{body}");
    body
}

async fn status(port: u16) -> serde_json::Value {
    let (code, body) = get(port, "/status").await.unwrap();
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn is_score(body: &str) -> bool {
    body.parse::<u8>().is_ok_and(|s| (1..=99).contains(&s))
}

/// The local check of a fleet of proxies: their extractors, the fleet's rules.
fn proxy_rules(serving: Option<(&[u8], &[u8])>, features: &[u8], model: &[u8]) -> Result<(), String> {
    node::check_with(service::EXTRACTORS, serving, features, model).map(drop).map_err(|e| e.to_string())
}

fn checked(waves: &str) -> PublishOptions {
    PublishOptions { rules: proxy_rules, ..options(waves) }
}

/// Without the local check the canary proxy is the check.
fn drill(waves: &str) -> PublishOptions {
    PublishOptions { local_check: false, ..options(waves) }
}

/// Runs `feature-table-fleet` against `etcd`; its exit code and output.
fn cli(etcd: &Etcd, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_feature-table-fleet"))
        .args(["--endpoints", &etcd.endpoints().join(","), "--prefix", common::PREFIX])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hyper_proxy_fed_by_the_agent_scores_with_the_published_file_keeps_it_against_a_bad_one_follows_the_kill_switch_and_restarts_from_its_cache()
 {
    let mut etcd = Etcd::start(23200, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_port = upstream.local_addr().unwrap().port();
    tokio::spawn(service::serve_upstream(upstream, std::future::pending()));
    let port = 23210;
    let proxy = ProxyProcess::start(&etcd.endpoints(), upstream_port, port, dir.path(), "p1", "canary").await;
    assert_eq!(verdict(port).await, "unscored; reason=no_valid_table", "nothing published yet");

    // A good file: requests through the proxy are scored with it.
    let publisher = publisher(&etcd).await;
    let good = publisher.publish(&service::feature_file(7, 1, 0), service::MODEL, &checked("canary")).await.unwrap();
    assert_eq!(good.halted, None, "{good:?}");
    assert!(is_score(&verdict(port).await));
    let s = status(port).await;
    assert_eq!(s["fleet"]["serving"], good.seq);
    assert_eq!(s["table"]["version"], 7, "{s}");
    assert_eq!(s["table"]["entries"], service::EXTRACTORS.len(), "{s}");
    assert_eq!(s["fleet"]["etcd_connected"], true);

    // The CLI with the proxies' rules refuses the doubled file locally;
    // with the signal nodes' rules it refuses even the good one (other names).
    let doubled_file = dir.path().join("doubled.json");
    let model_file = dir.path().join("model.json");
    std::fs::write(&doubled_file, service::feature_file(8, 2, 0)).unwrap();
    std::fs::write(&model_file, service::MODEL).unwrap();
    let publish = |rules: &'static str, file: &Path| {
        let args = ["publish", file.to_str().unwrap(), "--model", model_file.to_str().unwrap(), "--waves", "canary"];
        cli(&etcd, &[&args[..], &["--rules", rules]].concat())
    };
    let (code, text) = publish("proxy", &doubled_file);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("refused locally") && text.contains("duplicate name `hdr_count`"), "{text}");
    let good_file = dir.path().join("good.json");
    std::fs::write(&good_file, service::feature_file(7, 1, 0)).unwrap();
    let (code, text) = publish("signals", &good_file);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("refused locally") && text.contains("`ua_len`"), "{text}");
    assert_eq!(publisher.status().await.unwrap().rollout.unwrap().seq, good.seq, "nothing was published");

    // The doubled file, under load: rejected, the good one keeps serving, no
    // request fails or goes unscored.
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let load = {
        let (stop, sent, failed) = (Arc::clone(&stop), Arc::clone(&sent), Arc::clone(&failed));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let ok = matches!(get(port, "/x").await, Ok((200, body)) if is_score(&body));
                sent.fetch_add(1, Ordering::Relaxed);
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    let doubled = publisher.publish(&service::feature_file(8, 2, 0), service::MODEL, &drill("canary")).await.unwrap();
    match &doubled.halted {
        Some(HaltReason::Rejected { node, error }) => {
            assert_eq!(node, "p1");
            assert!(error.contains("duplicate name `hdr_count`"), "{error}");
        }
        other => panic!("expected p1's rejection, got {other:?}"),
    }
    assert_eq!(doubled.rolled_back_to, Some(good.seq));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    let (sent, failed) = (sent.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert!(sent > 0);
    assert_eq!(failed, 0, "{failed} of {sent} requests failed or went unscored during the bad publish");
    let s = status(port).await;
    assert_eq!(s["fleet"]["serving"], good.seq, "{s}");
    assert_eq!(s["fleet"]["rejected"], doubled.seq, "{s}");
    assert_eq!(s["table"]["version"], 7, "{s}");
    assert_eq!(s["fleet"]["last_rejection"]["kind"], "DuplicateName", "{s}");
    assert_eq!(s["fleet"]["last_rejection"]["counts"]["second"], service::EXTRACTORS.len(), "{s}");
    assert_eq!(s["features"]["last_error"]["kind"], "DuplicateName", "the core's report has it too: {s}");
    assert_eq!(s["features"]["rejected"], 1, "{s}");
    // /metrics: the core proxy's and the agent's, in one exposition.
    let (code, metrics) = get(port, "/metrics").await.unwrap();
    assert_eq!(code, 200, "{metrics}");
    for line in [
        format!("feature_table_fleet_serving_seq {}\n", good.seq),
        format!("feature_table_fleet_target_seq {}\n", good.seq),
        format!("feature_table_fleet_rejected_seq {}\n", doubled.seq),
        "feature_table_fleet_etcd_connected 1\n".to_owned(),
        "feature_table_active_version 7\n".to_owned(),
    ] {
        assert!(metrics.contains(&line), "no {line:?} in:\n{metrics}");
    }
    assert_eq!(metrics.matches("# EOF").count(), 1, "{metrics}");

    // The kill switch.
    publisher.kill(true).await.unwrap();
    let deadline = Instant::now() + SECS(5);
    while verdict(port).await != "unscored; reason=disabled" {
        assert!(Instant::now() < deadline, "kill on never reached the proxy");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status(port).await["enabled"], false);
    publisher.kill(false).await.unwrap();
    let deadline = Instant::now() + SECS(5);
    while !is_score(&verdict(port).await) {
        assert!(Instant::now() < deadline, "kill off never reached the proxy");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Restarted with etcd down: the cached pair serves from the first request.
    proxy.crash();
    etcd.kill_all();
    let restarted = ProxyProcess::start(&etcd.endpoints(), upstream_port, port, dir.path(), "p1", "canary").await;
    assert!(is_score(&verdict(restarted.port).await), "the first request after the restart is scored");
    let s = status(port).await;
    assert_eq!(s["fleet"]["serving"], good.seq, "{s}");
    assert_eq!(s["fleet"]["cache"], format!("loaded seq {}", good.seq), "{s}");
    assert_eq!(s["fleet"]["etcd_connected"], false, "{s}");
    let (_, metrics) = get(port, "/metrics").await.unwrap();
    assert!(metrics.contains("feature_table_fleet_etcd_connected 0\n"), "{metrics}");
    assert!(!metrics.contains("feature_table_fleet_target_seq"), "no target seen since the restart: {metrics}");
    assert_eq!(s["fleet"]["kill_switch"], "off (local cache, until etcd answers)", "{s}");
    assert_eq!(s["table"]["version"], 7, "{s}");
}
