#!/usr/bin/env bash
# The fleet crate (examples/fleet, its own workspace): staged rollout of
# feature files over etcd. Installs etcd-server (the tests and the demo start
# their own members on loopback) and protobuf-compiler (etcd-client's build
# needs protoc), then: format, clippy -D warnings, the tests (every fault of
# issue 15 against real etcd), and the demo, bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../examples/fleet"

step() { printf '\n==> fleet: %s\n' "$*"; }

step "etcd-server and protobuf-compiler"
if ! command -v etcd >/dev/null || ! command -v protoc >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server protobuf-compiler
fi
etcd --version | sed -n 1p   # not head: it closes the pipe early, and pipefail turns the SIGPIPE into exit 141
protoc --version

step "format"
cargo fmt --all --check

step "clippy (all targets, -D warnings)"
cargo clippy --locked --all-targets -- -D warnings

step "tests (etcd and fleet-proxy on loopback ports 23100-23249)"
cargo test --locked

step "docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps

step "demo: the 2025-11-18 sequence on 8 nodes (ports 24170-24175), bounded at 5 min"
# The debug build the tests already made: a release build of etcd-client's
# tree would double this script's time. It fails if a bad file passes the
# canary or a request fails; its timings are a debug build's (the README's
# come from \`cargo run --release --bin fleet-demo\`).
cargo build --locked --bin fleet-demo
# SIGTERM at the bound: the demo stops its etcd members before it exits.
timeout 300 "${CARGO_TARGET_DIR:-target}/debug/fleet-demo" --measure 100
