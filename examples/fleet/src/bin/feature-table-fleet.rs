//! `feature-table-fleet`: publish a feature file to the fleet stage by stage,
//! print the fleet's status, flip the kill switch.
//!
//! Exit status: 0 done, 1 error (nothing changed unless it says so), 2 the
//! rollout halted and rolled back.

#[path = "../../../proxy/service.rs"]
mod service;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use feature_table_fleet::node;
use feature_table_fleet::publish::{PublishOptions, Publisher, Rules, parse_stages};

#[derive(Parser)]
#[command(version, about = "Staged rollout of feature-table files over etcd")]
struct Cli {
    /// etcd endpoints, comma-separated.
    #[arg(long, default_value = "http://127.0.0.1:2379", value_delimiter = ',', global = true)]
    endpoints: Vec<String>,
    /// The fleet's key prefix.
    #[arg(long, default_value = "/feature-table", global = true)]
    prefix: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate FILE with the node's rules, then roll it out stage by stage.
    Publish {
        /// The feature file.
        file: PathBuf,
        /// The model; default: the last good publish's model.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Stages in order, comma-separated; `a+b` moves cohorts together
        /// (`canary+wave-1+all` pushes to every node at once).
        #[arg(long, default_value = "canary,wave-1,all")]
        waves: String,
        /// Seconds a stage may take before the rollout halts.
        #[arg(long, default_value_t = 30.0)]
        deadline: f64,
        /// Seconds a stage must stay healthy before the next one moves.
        #[arg(long, default_value_t = 0.0)]
        bake: f64,
        /// Halt when a node serving the file leaves more unscored requests
        /// per thousand than this.
        #[arg(long, default_value_t = 10)]
        max_unscored_permille: u32,
        /// Skip the local check (drills only: the canary becomes the check).
        #[arg(long)]
        no_local_check: bool,
        /// Which nodes' rules the local check applies: `signals` (the
        /// fleet node's 120 signal features) or `proxy` (fleet-proxy, the
        /// hyper proxy's request-head features).
        #[arg(long, value_enum, default_value_t = NodeKind::Signals)]
        rules: NodeKind,
    },
    /// Print the rollout state, targets, kill switch and every live node.
    Status,
    /// Flip the global kill switch.
    Kill {
        /// `on` stops scoring on every node; `off` resumes it.
        state: Switch,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum NodeKind {
    Signals,
    Proxy,
}

/// The local check of a fleet of `fleet-proxy` nodes: their extractors.
fn proxy_rules(serving: Option<(&[u8], &[u8])>, features: &[u8], model: &[u8]) -> Result<(), String> {
    node::check_with(service::EXTRACTORS, serving, features, model).map(drop).map_err(|e| e.to_string())
}

#[derive(Clone, Copy, ValueEnum)]
enum Switch {
    On,
    Off,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("feature-table-fleet: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let publisher = Publisher::connect(&cli.endpoints, &cli.prefix).await?;
    match cli.command {
        Command::Status => print!("{}", publisher.status().await?),
        Command::Kill { state } => {
            publisher.kill(matches!(state, Switch::On)).await?;
            println!("kill switch {}", if matches!(state, Switch::On) { "on" } else { "off" });
        }
        Command::Publish { file, model, waves, deadline, bake, max_unscored_permille, no_local_check, rules } => {
            let features = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let model = match model {
                Some(path) => std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?,
                None => {
                    let status = publisher.status().await?;
                    let good = status
                        .rollout
                        .and_then(|r| {
                            if r.phase == feature_table_fleet::publish::Phase::Done { Some(r.seq) } else { r.last_good }
                        })
                        .ok_or("no --model and no good publish to take the model from")?;
                    publisher.files(good).await?.ok_or("the last good publish has no files")?.1
                }
            };
            let options = PublishOptions {
                stages: parse_stages(&waves),
                stage_deadline: Duration::try_from_secs_f64(deadline)?,
                bake: Duration::try_from_secs_f64(bake)?,
                max_unscored_permille,
                local_check: !no_local_check,
                rules: match rules {
                    NodeKind::Signals => node::signal_rules as Rules,
                    NodeKind::Proxy => proxy_rules,
                },
                ..PublishOptions::new()
            };
            let outcome = publisher.publish(&features, &model, &options).await?;
            if let Some(seq) = outcome.recovered {
                println!("seq {seq}: its publisher was gone; its cohorts were pointed back to the last good");
            }
            println!("published {} as seq {}", file.display(), outcome.seq);
            for stage in &outcome.stages {
                let after = stage.all_serving_after.map_or("-".to_owned(), |d| format!("{} ms", d.as_millis()));
                println!(
                    "  stage {:<20} {} live nodes, all serving after {after}",
                    stage.cohorts.join("+"),
                    stage.nodes
                );
            }
            if let Some(reason) = outcome.halted {
                let back =
                    outcome.rolled_back_to.map_or("no target (no good publish yet)".to_owned(), |s| format!("seq {s}"));
                println!("HALTED: {reason}; moved cohorts point back to {back}");
                return Ok(ExitCode::from(2));
            }
            println!("done: every stage healthy, seq {} is the fleet's last good", outcome.seq);
        }
    }
    Ok(ExitCode::SUCCESS)
}
