//! Test rig: etcd members on loopback started and killed by the test (a
//! guard kills them on drop, also when the test fails), fleet nodes in
//! process, and the repository's fixture files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use feature_table_fleet::agent::{Agent, AgentConfig};
use feature_table_fleet::node::{self, NodeEngine};
use feature_table_fleet::publish::{PublishOptions, Publisher};

pub const PREFIX: &str = "/ft-test";

struct Member {
    name: String,
    client: u16,
    peer: u16,
    child: Option<Child>,
}

/// One etcd member or a 3-member cluster, each on its own loopback ports
/// and data directory. Dropping it kills every member.
pub struct Etcd {
    members: Vec<Member>,
    dir: tempfile::TempDir,
    token: String,
}

impl Etcd {
    /// `size` members on ports `base..base+2*size` (give each test its own base).
    pub fn start(base: u16, size: u16) -> Self {
        let _ = env_logger::builder().is_test(true).try_init();
        let members = (0..size)
            .map(|i| Member { name: format!("m{i}"), client: base + 2 * i, peer: base + 2 * i + 1, child: None })
            .collect();
        let mut etcd = Self { members, dir: tempfile::tempdir().unwrap(), token: format!("ft-{base}") };
        for i in 0..etcd.members.len() {
            etcd.spawn(i, "new");
        }
        etcd.wait_ready();
        etcd
    }

    fn spawn(&mut self, i: usize, state: &str) {
        let cluster: Vec<String> =
            self.members.iter().map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer)).collect();
        let m = &self.members[i];
        let data = self.dir.path().join(&m.name);
        let log = std::fs::File::create(self.dir.path().join(format!("{}.log", m.name))).unwrap();
        let client_url = format!("http://127.0.0.1:{}", m.client);
        let peer_url = format!("http://127.0.0.1:{}", m.peer);
        let child = Command::new("etcd")
            .args(["--name", &m.name, "--data-dir"])
            .arg(&data)
            .args(["--listen-client-urls", &client_url, "--advertise-client-urls", &client_url])
            .args(["--listen-peer-urls", &peer_url, "--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &cluster.join(","), "--initial-cluster-state", state])
            .args(["--initial-cluster-token", &self.token, "--logger", "zap", "--log-level", "warn"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("etcd (apt-get install etcd-server)");
        self.members[i].child = Some(child);
    }

    /// Client endpoints of every member, running or not.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| format!("http://127.0.0.1:{}", m.client)).collect()
    }

    /// SIGKILLs member `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGKILLs every member.
    pub fn kill_all(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }

    /// Restarts member `i` on its data directory.
    pub fn restart(&mut self, i: usize) {
        self.spawn(i, "existing");
    }

    /// Restarts every killed member and waits for the cluster to answer.
    pub fn restart_all(&mut self) {
        for i in 0..self.members.len() {
            if self.members[i].child.is_none() {
                self.restart(i);
            }
        }
        self.wait_ready();
    }

    /// Waits (20 s bound) until a linearizable read succeeds.
    pub fn wait_ready(&self) {
        let endpoints = self.endpoints();
        let deadline = Instant::now() + Duration::from_secs(20);
        let dir = self.dir.path().to_owned();
        // Its own runtime on its own thread: callers may be inside one.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                loop {
                    let ok = async {
                        let opts = etcd_client::ConnectOptions::new().with_timeout(Duration::from_secs(1));
                        let mut c = etcd_client::Client::connect(&endpoints, Some(opts)).await.ok()?;
                        c.get("ready?", None).await.ok()
                    }
                    .await;
                    if ok.is_some() {
                        return;
                    }
                    assert!(Instant::now() < deadline, "etcd did not come up within 20 s; logs in {dir:?}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        })
        .join()
        .unwrap();
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.kill_all();
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
