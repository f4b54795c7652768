//! The fleet's faults, each against etcd started by the test on loopback
//! (ports 23100-23249, one range per test).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Etcd, Node, eventually, eventually_status, fixture, fixture_v, model, options, publisher, sized};
use feature_table::Unscored;
use feature_table_fleet::publish::{HaltReason, Phase, PublishError};

const SECS: fn(u64) -> Duration = Duration::from_secs;

/// Runs the `feature-table-fleet` CLI against `etcd`; its stdout (it must succeed).
fn cli(etcd: &Etcd, args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_feature-table-fleet"))
        .args(["--endpoints", &etcd.endpoints().join(","), "--prefix", common::PREFIX])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_file_reaches_every_cohort_stage_by_stage() {
    let etcd = Etcd::start(23100, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let nodes: Vec<Node> = [("c1", "canary"), ("w1", "wave-1"), ("a1", "all"), ("a2", "all")]
        .iter()
        .map(|(n, c)| Node::start(&etcd.endpoints(), dir.path(), n, c))
        .collect();
    let publisher = publisher(&etcd).await;
    let outcome = publisher.publish(&fixture("good-60.json"), &model(), &options("canary,wave-1,all")).await.unwrap();
    assert_eq!(outcome.halted, None);
    assert_eq!(outcome.stages.iter().map(|s| s.nodes).collect::<Vec<_>>(), [1, 1, 2]);
    for node in &nodes {
        assert_eq!(node.serving(), Some(outcome.seq), "{}", node.name);
        assert!(node.score().is_ok());
    }
    let status = publisher.status().await.unwrap();
    assert_eq!(status.rollout.unwrap().phase, Phase::Done);
    assert_eq!(status.nodes.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_stops_at_the_canary_and_its_cohort_points_back_to_the_last_good() {
    let etcd = Etcd::start(23110, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let canary = Node::start(&etcd.endpoints(), dir.path(), "c1", "canary");
    let rest: Vec<Node> =
        ["w1", "w2"].iter().map(|n| Node::start(&etcd.endpoints(), dir.path(), n, "wave-1")).collect();
    let publisher = publisher(&etcd).await;
    let good = publisher.publish(&fixture("good-60.json"), &model(), &options("canary,wave-1")).await.unwrap();

    // The local check refuses what a node would reject, and writes nothing.
    let doubled = fixture_v("doubled-120.json", 8);
    let refused = publisher.publish(&doubled, &model(), &options("canary,wave-1")).await.unwrap_err();
    assert!(matches!(&refused, PublishError::LocalCheck { reason } if reason.contains("duplicate")), "{refused}");
    assert_eq!(publisher.status().await.unwrap().rollout.unwrap().seq, good.seq);

    // Without it (a drill), the canary is the check.
    let drill = feature_table_fleet::publish::PublishOptions { local_check: false, ..options("canary,wave-1") };
    let outcome = publisher.publish(&doubled, &model(), &drill).await.unwrap();
    match &outcome.halted {
        Some(HaltReason::Rejected { node, error }) => {
            assert_eq!(node, "c1");
            assert!(error.contains("duplicate name"), "{error}");
        }
        other => panic!("expected the canary's rejection, got {other:?}"),
    }
    assert_eq!(outcome.rolled_back_to, Some(good.seq));
    assert_eq!(outcome.stages.len(), 1, "wave-1 never moved");
    assert_eq!(canary.serving(), Some(good.seq));
    assert_eq!(canary.agent().rejected(), Some(outcome.seq));
    for node in &rest {
        assert_eq!(node.serving(), Some(good.seq));
        assert_eq!(node.agent().rejected(), None, "{} never received the bad file", node.name);
        assert_eq!(node.engine.stats().reloads_rejected, 0);
    }
    let status = publisher.status().await.unwrap();
    assert_eq!(status.targets, vec![("canary".to_owned(), good.seq), ("wave-1".to_owned(), good.seq)]);
    assert_eq!(status.rollout.unwrap().phase, Phase::Halted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_completes_when_one_etcd_member_is_killed_mid_rollout() {
    let mut etcd = Etcd::start(23120, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let nodes: Vec<Node> = [("c1", "canary"), ("w1", "wave-1"), ("a1", "all")]
        .iter()
        .map(|(n, c)| Node::start(&etcd.endpoints(), dir.path(), n, c))
        .collect();
    let publisher = publisher(&etcd).await;
    let first = publisher.publish(&fixture("good-60.json"), &model(), &options("canary,wave-1,all")).await.unwrap();
    assert_eq!(first.halted, None);

    let baked = feature_table_fleet::publish::PublishOptions { bake: SECS(1), ..options("canary,wave-1,all") };
    let rollout = {
        let publisher = publisher.clone();
        tokio::spawn(async move { publisher.publish(&fixture_v("good-60.json", 8), &model(), &baked).await })
    };
    let canary = &nodes[0];
    eventually(SECS(15), "canary serves the second file", || canary.serving() == Some(first.seq + 1)).await;
    etcd.kill(0); // the member every client lists first
    let outcome = rollout.await.unwrap().unwrap();
    assert_eq!(outcome.halted, None, "{outcome:?}");
    for node in &nodes {
        let what = format!("{} serves the second file ({:?})", node.name, node.agent());
        eventually(SECS(10), &what, || node.serving() == Some(outcome.seq)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_all_of_etcd_down_nodes_serve_a_restarted_node_serves_its_cache_and_the_fleet_converges_when_etcd_returns()
{
    let mut etcd = Etcd::start(23130, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let mut nodes: Vec<Node> =
        ["a1", "a2"].iter().map(|n| Node::start(&etcd.endpoints(), dir.path(), n, "all")).collect();
    let publisher = publisher(&etcd).await;
    let first = publisher.publish(&fixture("good-60.json"), &model(), &options("all")).await.unwrap();
    assert_eq!(first.halted, None);

    etcd.kill_all();
    eventually(SECS(15), "both agents notice etcd is gone", || nodes.iter().all(|n| !n.agent().connected())).await;
    assert!(nodes.iter().all(|n| n.score().is_ok()), "nodes keep scoring with etcd down");

    // A node restarted while etcd is down serves its persisted pair at once.
    nodes[1].crash();
    let restarted = Node::start(&etcd.endpoints(), dir.path(), "a2", "all");
    assert_eq!(restarted.serving(), Some(first.seq));
    assert_eq!(restarted.agent().cache(), format!("loaded seq {}", first.seq));
    assert!(restarted.score().is_ok());
    nodes[1] = restarted;

    etcd.restart_all().await.unwrap();
    let second = publisher.publish(&fixture_v("good-60.json", 8), &model(), &options("all")).await.unwrap();
    assert_eq!(second.halted, None, "{second:?}");
    for node in &nodes {
        assert_eq!(node.serving(), Some(second.seq), "{} converged without a restart", node.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_rollout_expires_with_its_lease_and_the_stage_completes_without_it() {
    let etcd = Etcd::start(23140, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let canary = Node::start(&etcd.endpoints(), dir.path(), "c1", "canary");
    let w1 = Node::start(&etcd.endpoints(), dir.path(), "w1", "wave-1");
    let mut w2 = Node::start(&etcd.endpoints(), dir.path(), "w2", "wave-1");
    let publisher = publisher(&etcd).await;
    let first = publisher.publish(&fixture("good-60.json"), &model(), &options("canary,wave-1")).await.unwrap();
    assert_eq!(first.halted, None);

    let baked = feature_table_fleet::publish::PublishOptions { bake: SECS(1), ..options("canary,wave-1") };
    let rollout = {
        let publisher = publisher.clone();
        tokio::spawn(async move { publisher.publish(&fixture_v("good-60.json", 8), &model(), &baked).await })
    };
    eventually(SECS(15), "canary serves the second file", || canary.serving() == Some(first.seq + 1)).await;
    w2.crash();
    let outcome = rollout.await.unwrap().unwrap();
    assert_eq!(outcome.halted, None, "{outcome:?}");
    assert_eq!(outcome.stages[1].nodes, 1, "w2's status expired with its lease");
    assert_eq!(w1.serving(), Some(outcome.seq));
    let status = publisher.status().await.unwrap();
    assert!(status.nodes.iter().all(|n| n.node != "w2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_killed_mid_rollout_leaves_a_consistent_state_that_the_next_publish_rolls_back() {
    let etcd = Etcd::start(23150, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let canary = Node::start(&etcd.endpoints(), dir.path(), "c1", "canary");
    let wave = Node::start(&etcd.endpoints(), dir.path(), "w1", "wave-1");
    let publisher = publisher(&etcd).await;
    let first = publisher.publish(&fixture("good-60.json"), &model(), &options("canary,wave-1")).await.unwrap();

    // The CLI, baking 60 s on the canary, SIGKILLed there.
    let file = dir.path().join("v8.json");
    std::fs::write(&file, fixture_v("good-60.json", 8)).unwrap();
    let mut killed = std::process::Command::new(env!("CARGO_BIN_EXE_feature-table-fleet"))
        .args(["--endpoints", &etcd.endpoints().join(","), "--prefix", common::PREFIX, "publish"])
        .arg(&file)
        .args(["--waves", "canary,wave-1", "--bake", "60"])
        .spawn()
        .unwrap();
    let second = first.seq + 1;
    eventually(SECS(20), "canary serves the CLI's file", || canary.serving() == Some(second)).await;
    killed.kill().unwrap();
    killed.wait().unwrap();

    // Consistent at once: files and targets of one transaction, nothing half-written.
    let status = publisher.status().await.unwrap();
    assert_eq!(status.targets, vec![("canary".to_owned(), second), ("wave-1".to_owned(), first.seq)]);
    assert!(publisher.files(second).await.unwrap().is_some());
    assert_eq!(status.rollout.as_ref().unwrap().phase, Phase::Running);
    // The lock expires with the dead publisher's lease (3 s); `status` says so.
    let deadline = std::time::Instant::now() + SECS(10);
    loop {
        if !publisher.status().await.unwrap().locked {
            let printed = cli(&etcd, &["status"]);
            assert!(printed.contains(&format!("rollout: seq {second} abandoned")), "{printed}");
            assert!(printed.contains(&format!("targets: canary={second} wave-1={}", first.seq)), "{printed}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the dead publisher's lock never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let third = publisher.publish(&fixture_v("good-60.json", 9), &model(), &options("canary,wave-1")).await.unwrap();
    assert_eq!(third.recovered, Some(second));
    assert_eq!(third.halted, None);
    assert_eq!((canary.serving(), wave.serving()), (Some(third.seq), Some(third.seq)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_publishers_cannot_interleave() {
    let etcd = Etcd::start(23160, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let canary = Node::start(&etcd.endpoints(), dir.path(), "c1", "canary");
    let publisher = publisher(&etcd).await;
    let baked = feature_table_fleet::publish::PublishOptions { bake: SECS(2), ..options("canary") };
    let first = {
        let publisher = publisher.clone();
        tokio::spawn(async move { publisher.publish(&fixture("good-60.json"), &model(), &baked).await })
    };
    eventually(SECS(10), "the first rollout reaches the canary", || canary.serving() == Some(1)).await;
    let other = common::publisher(&etcd).await;
    let refused = other.publish(&fixture_v("good-60.json", 8), &model(), &options("canary")).await;
    assert!(matches!(refused, Err(PublishError::Busy { seq: 1 })), "{refused:?}");
    assert_eq!(first.await.unwrap().unwrap().halted, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_or_corrupt_cache_is_rejected_the_node_starts_unscored_and_then_takes_the_target() {
    let etcd = Etcd::start(23170, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let publisher = publisher(&etcd).await;
    let mut first = Node::start(&etcd.endpoints(), dir.path(), "a1", "all");
    let published = publisher.publish(&fixture("good-60.json"), &model(), &options("all")).await.unwrap();
    eventually(SECS(5), "the cache is written", || first.cache.exists()).await;
    first.crash();
    let cache = std::fs::read(&first.cache).unwrap();

    for (damage, expected) in [("torn", "cache file torn"), ("flipped", "cache file corrupt")] {
        let mut bytes = cache.clone();
        match damage {
            "torn" => bytes.truncate(bytes.len() - 10),
            _ => *bytes.last_mut().unwrap() ^= 0x20,
        }
        std::fs::write(&first.cache, &bytes).unwrap();
        // Start with etcd unreachable so the first state is the cache's alone.
        let offline = Node::start(&["http://127.0.0.1:1".to_owned()], dir.path(), "a1", "all");
        assert!(offline.agent().cache().starts_with(&format!("rejected: {expected}")), "{}", offline.agent().cache());
        assert_eq!(offline.serving(), None);
        assert_eq!(offline.score(), Err(Unscored::NoValidTable), "starts unscored");
        drop(offline);
    }

    let node = Node::start(&etcd.endpoints(), dir.path(), "a1", "all");
    assert!(node.agent().cache().starts_with("rejected: cache file corrupt"));
    eventually(SECS(10), "the node takes the target from etcd", || node.serving() == Some(published.seq)).await;
    assert!(node.score().is_ok());
    eventually_status(&publisher, SECS(5), "its status says what happened to the cache", |status| {
        status.nodes.iter().any(|n| n.node == "a1" && n.cache.starts_with("rejected: cache file corrupt"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_reaches_every_node_and_off_restores_scoring() {
    let etcd = Etcd::start(23180, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let nodes: Vec<Node> = [("c1", "canary"), ("w1", "wave-1"), ("a1", "all"), ("a2", "all")]
        .iter()
        .map(|(n, c)| Node::start(&etcd.endpoints(), dir.path(), n, c))
        .collect();
    let publisher = publisher(&etcd).await;
    publisher.publish(&fixture("good-60.json"), &model(), &options("canary,wave-1,all")).await.unwrap();
    assert_eq!(cli(&etcd, &["kill", "on"]), "kill switch on\n");
    for node in &nodes {
        eventually(SECS(5), "scoring is disabled", || node.score() == Err(Unscored::Disabled)).await;
    }
    eventually_status(&publisher, SECS(5), "the switch and every node's status report it", |status| {
        status.kill && status.nodes.len() == nodes.len() && status.nodes.iter().all(|n| !n.enabled)
    })
    .await;
    assert!(cli(&etcd, &["status"]).contains("kill switch: ON"));
    publisher.kill(false).await.unwrap();
    for node in &nodes {
        eventually(SECS(5), "scoring is back", || node.score().is_ok()).await;
    }
}

/// A node that only writes a status: it claims whatever `serving` returns
/// for the cohort's current target, with `unscored_permille`.
async fn fake_node(
    etcd: &Etcd,
    name: &str,
    cohort: &str,
    unscored_permille: u32,
    serving: fn(Option<u64>) -> Option<u64>,
) -> tokio::task::JoinHandle<()> {
    let mut client = etcd_client::Client::connect(etcd.endpoints(), None).await.unwrap();
    let keys = feature_table_fleet::Keys::new(common::PREFIX);
    let (name, cohort) = (name.to_owned(), cohort.to_owned());
    tokio::spawn(async move {
        let lease = client.lease_grant(2, None).await.unwrap().id();
        let (mut keeper, _stream) = client.lease_keep_alive(lease).await.unwrap();
        loop {
            let target = client.get(keys.target(&cohort), None).await.unwrap();
            let target = target.kvs().first().and_then(|kv| feature_table_fleet::parse_seq(kv.value()));
            // Encoded in a block: the report borrows (not Send across an await).
            let bytes = {
                let stats = feature_table::shared::SharedStats::default();
                let status = feature_table_fleet::status::NodeStatus {
                    node: &name,
                    cohort: &cohort,
                    serving: serving(target),
                    target,
                    rejected: None,
                    cache: "none",
                    enabled: true,
                    scored: 0,
                    unscored: 0,
                    unscored_permille,
                    reloads: feature_table_fleet::status::NodeStatus::reloads(&stats, None),
                };
                let mut buf = [0u8; feature_table_fleet::status::STATUS_CAPACITY];
                status.encode(&mut buf).unwrap().to_vec()
            };
            let options = etcd_client::PutOptions::new().with_lease(lease);
            client.put(keys.status(&name), bytes, Some(options)).await.unwrap();
            keeper.keep_alive().await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_whose_node_leaves_too_many_requests_unscored_halts_and_rolls_back() {
    let etcd = Etcd::start(23190, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let canary = Node::start(&etcd.endpoints(), dir.path(), "c1", "canary");
    let publisher = publisher(&etcd).await;
    let short = feature_table_fleet::publish::PublishOptions { stage_deadline: SECS(2), ..options("canary,wave-1") };
    let good = publisher.publish(&fixture("good-60.json"), &model(), &short).await;
    // No wave-1 node yet: that stage has no live node and must not pass.
    assert!(matches!(good.as_ref().unwrap().halted, Some(HaltReason::TooFewNodes { live: 0, needed: 1 })), "{good:?}");

    let sick = fake_node(&etcd, "w1", "wave-1", 500, |target| target).await;
    let outcome = publisher.publish(&fixture_v("good-60.json", 8), &model(), &options("canary,wave-1")).await.unwrap();
    assert_eq!(outcome.halted, Some(HaltReason::Unscored { node: "w1".into(), permille: 500 }));
    sick.abort();
    assert_eq!(outcome.rolled_back_to, None, "no publish has completed yet");
    let status = publisher.status().await.unwrap();
    assert!(status.targets.is_empty(), "halted cohorts without a good publish have no target: {status}");
    assert!(canary.serving().is_some(), "the canary keeps serving what it accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_with_a_node_that_never_reports_the_version_halts_at_the_deadline_naming_it() {
    let etcd = Etcd::start(23196, 1).await;
    let publisher = publisher(&etcd).await;
    let stuck = fake_node(&etcd, "w1", "wave-1", 0, |_| Some(0)).await;
    let short = feature_table_fleet::publish::PublishOptions { stage_deadline: SECS(1), ..options("wave-1") };
    let outcome = publisher.publish(&fixture("good-60.json"), &model(), &short).await.unwrap();
    stuck.abort();
    assert_eq!(outcome.halted, Some(HaltReason::Deadline { missing: vec!["w1".into()] }));
    assert_eq!(publisher.status().await.unwrap().rollout.unwrap().phase, Phase::Halted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_while_etcd_is_down_remembers_the_kill_switch_and_says_where_it_comes_from() {
    let mut etcd = Etcd::start(23198, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&etcd.endpoints(), dir.path(), "a1", "all");
    let publisher = publisher(&etcd).await;
    let published = publisher.publish(&fixture("good-60.json"), &model(), &options("all")).await.unwrap();
    assert_eq!(published.halted, None);
    publisher.kill(true).await.unwrap();
    eventually(SECS(5), "kill on reaches the node", || node.score() == Err(Unscored::Disabled)).await;
    eventually(SECS(5), "the node persists it", || {
        feature_table_fleet::cache::read_kill(&feature_table_fleet::cache::kill_path(&node.cache)).is_ok_and(|on| on)
    })
    .await;
    assert_eq!(node.agent().kill_switch(), "on (etcd)");

    node.crash();
    etcd.kill_all();
    let restarted = Node::start(&etcd.endpoints(), dir.path(), "a1", "all");
    assert_eq!(restarted.serving(), Some(published.seq), "the pair is back");
    assert_eq!(restarted.score(), Err(Unscored::Disabled), "and still not scored: the switch was on");
    assert_eq!(restarted.agent().kill_switch(), "on (local cache, until etcd answers)");

    // etcd back, switch off: the node follows etcd and persists that too.
    etcd.restart_all().await.unwrap();
    publisher.kill(false).await.unwrap();
    eventually(SECS(10), "kill off reaches the node", || restarted.score().is_ok()).await;
    assert_eq!(restarted.agent().kill_switch(), "off (etcd)");
    let mut restarted = restarted;
    eventually(SECS(5), "the node persists off", || {
        feature_table_fleet::cache::read_kill(&feature_table_fleet::cache::kill_path(&restarted.cache))
            .is_ok_and(|on| !on)
    })
    .await;
    restarted.crash();
    etcd.kill_all();
    let again = Node::start(&etcd.endpoints(), dir.path(), "a1", "all");
    assert!(again.score().is_ok(), "scoring again after a restart with etcd down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_resumed_from_a_compacted_revision_falls_back_to_a_fresh_read_and_applies_each_update_once() {
    let mut etcd = Etcd::start(23220, 3).await;
    let dir = tempfile::tempdir().unwrap();
    // The node talks to member 0 only: while it is down the node misses
    // every event, and resumes there.
    let node = Node::start(&etcd.endpoints()[..1], dir.path(), "a1", "all");
    let publisher = publisher(&etcd).await;
    let first = publisher.publish(&fixture("good-60.json"), &model(), &options("all")).await.unwrap();
    assert_eq!(first.halted, None);
    assert_eq!(node.engine.stats().reloads_accepted, 1);

    etcd.kill(0);
    eventually(SECS(10), "the node loses its session", || !node.agent().connected()).await;
    // Through the other members: a new target, then the kill switch, then a
    // compaction past both (and past everything the node has seen).
    let mut client = etcd_client::Client::connect(&etcd.endpoints()[1..], None).await.unwrap();
    let keys = feature_table_fleet::Keys::new(common::PREFIX);
    let second = first.seq + 1;
    // Member 0 may have been the leader: wait for the election to settle.
    let deadline = std::time::Instant::now() + SECS(15);
    while client.put(keys.features(second), fixture_v("good-60.json", 8), None).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "no leader among the other members");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.put(keys.features(second), fixture_v("good-60.json", 8), None).await.unwrap();
    client.put(keys.model(second), model(), None).await.unwrap();
    client.put(keys.target("all"), second.to_string(), None).await.unwrap();
    let revision = client.put(keys.kill(), "on", None).await.unwrap().header().unwrap().revision();
    client.compact(revision, Some(etcd_client::CompactionOptions::new().with_physical())).await.unwrap();
    let compacted = client.watch(keys.target("all"), Some(etcd_client::WatchOptions::new().with_start_revision(2)));
    let mut stream = compacted.await.unwrap();
    // The proof that resuming from the node's revision hits the compaction:
    // after "created", etcd cancels such a watch naming the compact revision.
    let mut response = stream.message().await.unwrap().unwrap();
    if response.created() && !response.canceled() {
        response = tokio::time::timeout(SECS(5), stream.message()).await.unwrap().unwrap().unwrap();
    }
    assert!(response.canceled() && response.compact_revision() > 0, "the old revision is compacted: {response:?}");

    etcd.restart_all().await.unwrap();
    eventually(SECS(15), "the node converges on the new target", || node.serving() == Some(second)).await;
    eventually(SECS(5), "and on the kill switch", || node.score() == Err(feature_table::Unscored::Disabled)).await;
    eventually(SECS(5), "the node's session is back", || node.agent().connected()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stats = node.engine.stats();
    assert_eq!(stats.reloads_accepted, 2, "the first pair once, the second once: {stats:?}");
    assert_eq!(stats.reloads_rejected, 0, "{stats:?}");
}

/// A halt points the canary back across the largest change the growth
/// guard allows (90 -> 60 entries): the guard is symmetric and the local
/// check keeps every new file within it of the last good, so a rollback
/// target is never refused by a node that accepted the rolled-back file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_across_the_largest_size_change_the_guard_allows_is_accepted_and_a_larger_one_is_never_published() {
    let etcd = Etcd::start(23230, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let canary = Node::start(&etcd.endpoints(), dir.path(), "c1", "canary");
    let publisher = publisher(&etcd).await;
    let good = publisher.publish(&sized(60, 1), &model(), &options("canary")).await.unwrap();
    assert_eq!(good.halted, None);

    // 1.5x: the canary takes it; wave-1 has no live node, so the rollout
    // halts and the canary is pointed back to 60 entries.
    let short = feature_table_fleet::publish::PublishOptions { stage_deadline: SECS(1), ..options("canary,wave-1") };
    let grown = publisher.publish(&sized(90, 2), &model(), &short).await.unwrap();
    assert!(grown.stages[0].all_serving_after.is_some(), "the canary served the 90-entry file");
    assert!(matches!(grown.halted, Some(HaltReason::TooFewNodes { live: 0, needed: 1 })), "{grown:?}");
    assert_eq!(grown.rolled_back_to, Some(good.seq));
    eventually(SECS(5), "the canary is back on the last good", || canary.serving() == Some(good.seq)).await;
    let stats = canary.engine.stats();
    assert_eq!((stats.reloads_accepted, stats.reloads_rejected), (3, 0), "60, 90, back to 60: {stats:?}");
    assert_eq!(stats.active_version, Some(1));
    assert_eq!(canary.agent().rejected(), None);

    // One entry beyond the guard is refused before anything is written.
    let refused = publisher.publish(&sized(91, 3), &model(), &options("canary")).await.unwrap_err();
    assert!(matches!(&refused, PublishError::LocalCheck { reason } if reason.contains("91")), "{refused}");
    assert_eq!(publisher.files(grown.seq + 1).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_kill_switch_file_is_rejected_and_the_node_says_it_scores_until_etcd_answers() {
    let dir = tempfile::tempdir().unwrap();
    let pair = dir.path().join("a1.cache");
    let cached = feature_table_fleet::cache::Cached { seq: 4, features: fixture("good-60.json"), model: model() };
    feature_table_fleet::cache::write(&pair, &cached).unwrap();
    std::fs::write(feature_table_fleet::cache::kill_path(&pair), "feature-table-fleet kill v1\nmaybe\n").unwrap();
    // etcd unreachable: the first state is the local files' alone.
    let node = Node::start(&["http://127.0.0.1:1".to_owned()], dir.path(), "a1", "all");
    assert_eq!(node.serving(), Some(4));
    assert!(node.score().is_ok());
    assert_eq!(
        node.agent().kill_switch(),
        "off (local cache rejected: cache file header line 2 is invalid; until etcd answers)"
    );
}

/// A node down while the fleet went 60 -> 90 -> 120 entries returns on its
/// cached 60: the direct step is 2x, past the guard, so it catches up by
/// way of the 90-entry publish it missed. The guard still holds between
/// neighbours: a file 2x smaller than the last good is refused even so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_down_while_the_fleet_grew_past_the_guard_catches_up_by_way_of_the_publishes_it_missed() {
    let etcd = Etcd::start(23240, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let mut late = Node::start(&etcd.endpoints(), dir.path(), "a1", "all");
    let up = Node::start(&etcd.endpoints(), dir.path(), "a2", "all");
    let publisher = publisher(&etcd).await;
    let first = publisher.publish(&sized(60, 1), &model(), &options("all")).await.unwrap();
    assert_eq!((first.halted, late.serving()), (None, Some(first.seq)));

    late.crash();
    eventually_status(&publisher, SECS(10), "a1's status expires", |s| s.nodes.len() == 1).await;
    let mut last = first.seq;
    for (entries, version) in [(90, 2), (120, 3)] {
        let outcome = publisher.publish(&sized(entries, version), &model(), &options("all")).await.unwrap();
        assert_eq!(outcome.halted, None, "{entries} entries: {outcome:?}");
        assert_eq!(up.serving(), Some(outcome.seq));
        last = outcome.seq;
    }

    let late = Node::start(&etcd.endpoints(), dir.path(), "a1", "all");
    assert_eq!(late.agent().cache(), format!("loaded seq {}", first.seq));
    eventually(SECS(10), "a1 catches up", || late.serving() == Some(last)).await;
    assert_eq!(late.agent().rejected(), None);
    let stats = late.engine.stats();
    assert_eq!(
        (stats.reloads_accepted, stats.reloads_rejected, stats.active_version),
        (2, 1, Some(3)),
        "the cache, the direct step refused, 120 by way of 90: {stats:?}"
    );
    assert_eq!(feature_table_fleet::cache::read(&late.cache).unwrap().seq, last, "persisted");
    assert!(late.score().is_ok());

    // 120 -> 60 is 2x the other way; its base is the 120-entry publish, so
    // there is no way around the guard.
    let drill = feature_table_fleet::publish::PublishOptions { local_check: false, ..options("all") };
    let shrunk = publisher.publish(&sized(60, 4), &model(), &drill).await.unwrap();
    assert!(matches!(&shrunk.halted, Some(HaltReason::Rejected { error, .. }) if error.contains("60")), "{shrunk:?}");
    assert_eq!(shrunk.rolled_back_to, Some(last));
    for node in [&late, &up] {
        assert_eq!(node.serving(), Some(last), "{}", node.name);
    }
}

/// Publishes `seq` by hand (`entries` of `good-120.json`, base `base`) and
/// points cohort `all` at it, as no publisher would.
async fn forge(client: &mut etcd_client::Client, seq: u64, entries: usize, base: Option<u64>) {
    forge_files(client, seq, entries, base).await;
    let keys = feature_table_fleet::Keys::new(common::PREFIX);
    client.put(keys.target("all"), seq.to_string(), None).await.unwrap();
}

/// [`forge`] without moving the target.
async fn forge_files(client: &mut etcd_client::Client, seq: u64, entries: usize, base: Option<u64>) {
    let keys = feature_table_fleet::Keys::new(common::PREFIX);
    client.put(keys.features(seq), sized(entries, seq), None).await.unwrap();
    client.put(keys.model(seq), model(), None).await.unwrap();
    if let Some(base) = base {
        client.put(keys.base(seq), base.to_string(), None).await.unwrap();
    }
}

/// Base links that do not lead from the target back to the serving
/// publish, written straight into etcd: the node refuses each target and
/// keeps serving, whatever the links say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_whose_base_links_do_not_lead_back_to_the_serving_publish_is_refused() {
    let etcd = Etcd::start(23244, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&etcd.endpoints(), dir.path(), "a1", "all");
    let mut client = etcd_client::Client::connect(etcd.endpoints(), None).await.unwrap();
    forge(&mut client, 1, 60, None).await;
    eventually(SECS(10), "a1 serves seq 1", || node.serving() == Some(1)).await;
    let before = node.engine.current().unwrap();

    // Every target has 120 entries, 2x the serving 60. Its base:
    forge_files(&mut client, 0, 120, None).await;
    let cases = [
        (2, None, "none"),
        (3, Some(6), "not an earlier publish"),
        (5, Some(4), "a publish with no files"),
        (8, Some(0), "older than the serving seq 1, and 60 -> 120 going back to it"),
        (9, Some(1), "the serving publish itself: 60 -> 120 is still 2x"),
    ];
    for (seq, base, what) in cases {
        forge(&mut client, seq, 120, base).await;
        eventually(SECS(10), &format!("seq {seq} refused, base {what}"), || node.agent().rejected() == Some(seq)).await;
        assert_eq!(node.serving(), Some(1), "base {what}");
    }
    assert!(Arc::ptr_eq(&before, &node.engine.current().unwrap()), "nothing was published");
    let stats = node.engine.stats();
    assert_eq!(
        (stats.reloads_accepted, stats.reloads_rejected),
        (1, 6),
        "each target refused once, seq 8 once more by way of seq 0: {stats:?}"
    );
    assert!(node.score().is_ok());
}

/// A node serving a publish the fleet rolled back (seq 2, 120 entries) and
/// then moved on from (seq 3 and 4, both on the last good seq 1): the links
/// from its target pass its own seq by, so it goes back to the older last
/// good first, 120 -> 80 -> 80 -> 60, each step within the guard, where
/// 120 -> 60 directly is 2x.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_serving_a_rolled_back_publish_catches_up_by_way_of_the_older_last_good() {
    let etcd = Etcd::start(23246, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&etcd.endpoints(), dir.path(), "a1", "all");
    let mut client = etcd_client::Client::connect(etcd.endpoints(), None).await.unwrap();
    forge(&mut client, 1, 80, None).await;
    eventually(SECS(10), "a1 serves seq 1", || node.serving() == Some(1)).await;
    forge(&mut client, 2, 120, Some(1)).await;
    eventually(SECS(10), "a1 serves seq 2", || node.serving() == Some(2)).await;
    forge_files(&mut client, 3, 80, Some(1)).await;
    forge(&mut client, 4, 60, Some(3)).await;
    eventually(SECS(10), "a1 serves seq 4", || node.serving() == Some(4)).await;
    assert_eq!(node.agent().rejected(), None);
    let stats = node.engine.stats();
    assert_eq!(
        (stats.reloads_accepted, stats.reloads_rejected, stats.active_version),
        (3, 1, Some(4)),
        "1, 2, the direct step to 4 refused, 4 by way of 1 and 3: {stats:?}"
    );
}
