#!/usr/bin/env bash
# The proxy part of CI that `cargo test` does not cover: the no_std build
# stays free of the std-only dependencies, and a smoke test of the hyper proxy
# example as a real process. (Its unit tests, doctests and the replay under
# load run in .ci/run's `cargo test --all-features`.) Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "the library core still builds without std and without the new dependencies"
cargo build --lib --no-default-features --target thumbv7m-none-eabi
if cargo tree --no-default-features -e normal --prefix none | grep -Eq '^(arc-swap|log) '; then
  echo "arc-swap/log leaked into the no_std build" >&2
  exit 1
fi

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
