#!/usr/bin/env bash
# CI for the shared handle, the proxy example and the replay under load.
# Assumes the toolchain from .ci/run (rustfmt, clippy). Loopback only; every
# load loop is bounded in time and count.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "clippy: shared module, proxy example, test, bench"
cargo clippy --all-targets --all-features -- -D warnings

step "unit tests and doctests of the shared handle"
cargo test --features std --lib shared
cargo test --features std --doc shared

step "replay under load (about 3 s, 16 clients on 127.0.0.1)"
cargo test --features std --test replay_under_load -- --nocapture

step "the library core still builds without std and without the new dependencies"
cargo build --lib --no-default-features --target thumbv7m-none-eabi
if cargo tree --no-default-features -e normal --prefix none | grep -Eq '^(arc-swap|log) '; then
  echo "arc-swap/log leaked into the no_std build" >&2
  exit 1
fi

step "benches compile"
cargo bench --no-run --features std --bench shared_handle

step "proxy smoke: scores, forwards, /metrics"
cargo build --release --features std --example proxy
python3 -m http.server 18181 --bind 127.0.0.1 >/dev/null 2>&1 &
upstream=$!
./target/release/examples/proxy --listen 127.0.0.1:18180 --upstream 127.0.0.1:18181 \
  --features examples/data/features.json --model examples/data/model.json 2>/tmp/proxy-smoke.log &
proxy=$!
trap 'kill $proxy $upstream 2>/dev/null || true' EXIT
for port in 18181 18180; do
  for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$port/" && break; sleep 0.1; done
done
metrics=$(curl -sf 127.0.0.1:18180/metrics)
grep -q '^feature_table_active_version 1$' <<<"$metrics"
grep -Eq '^feature_table_requests_scored_total [1-9]' <<<"$metrics"
echo "proxy smoke: ok"
