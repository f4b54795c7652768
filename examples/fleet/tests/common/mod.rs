//! Test rig: etcd members on loopback started and killed by the test (a
//! guard kills them on drop, also when the test fails), fleet nodes in
//! process, and the repository's fixture files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use feature_table_fleet::agent::{Agent, AgentConfig};
use feature_table_fleet::local::LocalEtcd;
use feature_table_fleet::node::{self, NodeEngine};
use feature_table_fleet::publish::{FleetStatus, PublishOptions, Publisher};

pub const PREFIX: &str = "/ft-test";

/// A local etcd and its directory (the guard kills every member on drop).
pub struct Etcd {
    inner: LocalEtcd,
    _dir: tempfile::TempDir,
}

impl Etcd {
    /// `size` members on ports `base..base+2*size` (each test its own base).
    pub async fn start(base: u16, size: u16) -> Self {
        let _ = env_logger::builder().is_test(true).try_init();
        let dir = tempfile::tempdir().unwrap();
        let inner = LocalEtcd::start(dir.path(), base, size).await.unwrap();
        Self { inner, _dir: dir }
    }
}

impl std::ops::Deref for Etcd {
    type Target = LocalEtcd;
    fn deref(&self) -> &LocalEtcd {
        &self.inner
    }
}

impl std::ops::DerefMut for Etcd {
    fn deref_mut(&mut self) -> &mut LocalEtcd {
        &mut self.inner
    }
}

/// A fixture of the core repository.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)).unwrap()
}

/// A fixture with its `version` replaced.
pub fn fixture_v(name: &str, version: u64) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&fixture(name)).unwrap();
    v["version"] = version.into();
    serde_json::to_vec(&v).unwrap()
}

/// A logistic model reading the first 60 features (fits every good fixture).
pub fn model() -> Vec<u8> {
    let weights: Vec<String> = (0..60).map(|i| format!("{:.2}", ((i % 7) as f32 - 3.0) / 10.0)).collect();
    format!(r#"{{"bias": 0.5, "weights": [{}]}}"#, weights.join(", ")).into_bytes()
}

/// A node in this process: its engine and its agent.
pub struct Node {
    pub name: String,
    pub engine: Arc<NodeEngine>,
    pub agent: Option<Agent>,
    pub cache: PathBuf,
}

pub fn config(etcd_endpoints: Vec<String>, name: &str, cohort: &str, cache: PathBuf) -> AgentConfig {
    AgentConfig {
        lease_ttl_secs: 2,
        status_interval: Duration::from_millis(200),
        ..AgentConfig::new(etcd_endpoints, PREFIX, name, cohort, cache)
    }
}

impl Node {
    /// Starts a node whose cache lives in `dir`.
    pub fn start(endpoints: &[String], dir: &Path, name: &str, cohort: &str) -> Self {
        let cache = dir.join(format!("{name}.cache"));
        let engine = Arc::new(node::engine());
        let agent = Agent::start(config(endpoints.to_vec(), name, cohort, cache.clone()), Arc::clone(&engine));
        Self { name: name.to_owned(), engine, agent: Some(agent), cache }
    }

    pub fn agent(&self) -> &Agent {
        self.agent.as_ref().unwrap()
    }

    pub fn serving(&self) -> Option<u64> {
        self.agent().serving()
    }

    /// One request's verdict on this node.
    pub fn score(&self) -> feature_table::Verdict {
        self.engine.score_signals(&[0.5; 120])
    }

    /// Kills the agent as a crash would: no lease revoke.
    pub fn crash(&mut self) {
        drop(self.agent.take());
    }
}

/// Polls `check` every 20 ms until it holds; panics with `what` after `limit`.
pub async fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads the fleet's status until `check` holds for it, and returns it;
/// fails with the last status after `limit`.
pub async fn eventually_status(
    publisher: &Publisher,
    limit: Duration,
    what: &str,
    mut check: impl FnMut(&FleetStatus) -> bool,
) -> FleetStatus {
    let deadline = Instant::now() + limit;
    loop {
        let status = publisher.status().await.unwrap();
        if check(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}; last status:\n{status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn publisher(etcd: &Etcd) -> Publisher {
    Publisher::connect(&etcd.endpoints(), PREFIX).await.unwrap()
}

/// Stage options for tests: a 15 s deadline per stage.
pub fn options(waves: &str) -> PublishOptions {
    PublishOptions {
        stages: feature_table_fleet::publish::parse_stages(waves),
        stage_deadline: Duration::from_secs(15),
        ..PublishOptions::new()
    }
}

/// The first `entries` features of `good-120.json` (60..=120 fit [`model`]),
/// as version `version`.
pub fn sized(entries: usize, version: u64) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&fixture("good-120.json")).unwrap();
    v["features"].as_array_mut().unwrap().truncate(entries);
    v["version"] = version.into();
    serde_json::to_vec(&v).unwrap()
}
