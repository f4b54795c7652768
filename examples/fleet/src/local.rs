//! etcd on loopback for tests and the demo: one member or a 3-member
//! cluster, each on its own ports and data directory, every member killed
//! when the [`LocalEtcd`] is dropped (also on a failing test or an early
//! return).

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Member {
    name: String,
    client: u16,
    peer: u16,
    child: Option<Child>,
}

/// Why a local etcd did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum LocalEtcdError {
    /// Spawning `etcd` or preparing its directory failed.
    Spawn {
        /// The member.
        member: String,
        /// The error.
        error: std::io::Error,
    },
    /// The cluster did not answer a read in time.
    NotReady {
        /// How long it was given.
        waited: Duration,
        /// Where the members' logs are.
        logs: PathBuf,
    },
}

impl fmt::Display for LocalEtcdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spawn { member, error } => write!(f, "etcd member {member}: {error} (apt-get install etcd-server)"),
            Self::NotReady { waited, logs } => {
                write!(f, "etcd did not answer within {waited:?}; member logs in {}", logs.display())
            }
        }
    }
}

impl std::error::Error for LocalEtcdError {}

/// etcd members on 127.0.0.1, killed on drop.
pub struct LocalEtcd {
    members: Vec<Member>,
    dir: PathBuf,
    token: String,
}

impl fmt::Debug for LocalEtcd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEtcd").field("endpoints", &self.endpoints()).field("dir", &self.dir).finish()
    }
}

impl LocalEtcd {
    /// Starts `size` members with client and peer ports
    /// `base, base+1, base+2, ...` and data under `dir`, and waits until
    /// they answer (20 s bound).
    pub async fn start(dir: &Path, base: u16, size: u16) -> Result<Self, LocalEtcdError> {
        let members = (0..size)
            .map(|i| Member {
                name: format!("m{i}"),
                client: base.saturating_add(2 * i),
                peer: base.saturating_add(2 * i + 1),
                child: None,
            })
            .collect();
        let mut etcd = Self { members, dir: dir.to_owned(), token: format!("ft-{base}") };
        for i in 0..etcd.members.len() {
            etcd.spawn(i, "new")?;
        }
        etcd.wait_ready().await?;
        Ok(etcd)
    }

    fn spawn(&mut self, i: usize, state: &str) -> Result<(), LocalEtcdError> {
        let cluster: Vec<String> =
            self.members.iter().map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer)).collect();
        let Some(member) = self.members.get_mut(i) else { return Ok(()) };
        let err = |error| LocalEtcdError::Spawn { member: member.name.clone(), error };
        let log = File::create(self.dir.join(format!("{}.log", member.name))).map_err(err)?;
        let client_url = format!("http://127.0.0.1:{}", member.client);
        let peer_url = format!("http://127.0.0.1:{}", member.peer);
        let child = Command::new("etcd")
            .args(["--name", &member.name, "--data-dir"])
            .arg(self.dir.join(&member.name))
            .args(["--listen-client-urls", &client_url, "--advertise-client-urls", &client_url])
            .args(["--listen-peer-urls", &peer_url, "--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &cluster.join(","), "--initial-cluster-state", state])
            .args(["--initial-cluster-token", &self.token, "--logger", "zap", "--log-level", "warn"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|error| LocalEtcdError::Spawn { member: member.name.clone(), error })?;
        member.child = Some(child);
        Ok(())
    }

    /// Client endpoints of every member, running or not.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| format!("http://127.0.0.1:{}", m.client)).collect()
    }

    /// SIGKILLs member `i` (no-op if it is not running).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.members.get_mut(i).and_then(|m| m.child.take()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGKILLs every member.
    pub fn kill_all(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }

    /// Restarts every killed member on its data directory and waits until
    /// the cluster answers.
    pub async fn restart_all(&mut self) -> Result<(), LocalEtcdError> {
        for i in 0..self.members.len() {
            if self.members.get(i).is_some_and(|m| m.child.is_none()) {
                self.spawn(i, "existing")?;
            }
        }
        self.wait_ready().await
    }

    /// Waits (20 s bound) until a read through any member succeeds.
    pub async fn wait_ready(&self) -> Result<(), LocalEtcdError> {
        let waited = Duration::from_secs(20);
        let deadline = Instant::now() + waited;
        loop {
            for endpoint in self.endpoints() {
                let options = etcd_client::ConnectOptions::new()
                    .with_timeout(Duration::from_secs(1))
                    .with_connect_timeout(Duration::from_secs(1))
                    .with_require_leader(true);
                if let Ok(mut client) = etcd_client::Client::connect([endpoint], Some(options)).await
                    && client.get("ready?", None).await.is_ok()
                {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(LocalEtcdError::NotReady { waited, logs: self.dir.clone() });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for LocalEtcd {
    fn drop(&mut self) {
        self.kill_all();
    }
}
