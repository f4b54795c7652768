#!/usr/bin/env bash
# The proxy part of CI that `cargo test` does not cover: each feature set's
# dependency tree holds only what it needs, and a smoke test of the hyper
# proxy example as a real process (/metrics, /status, a rejected reload).
# (Its unit tests, doctests and the replay under load run in .ci/run's
# `cargo test --all-features`.) Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# `deps FEATURES...`: the normal (non-dev, non-build) dependencies of the
# library with those cargo flags, one crate name per line.
deps() { cargo tree "$@" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u; }
# `must_not FLAGS -- CRATES...`: fails if any of CRATES is in the tree.
must_not() {
  local flags=() crates=()
  while [[ $1 != -- ]]; do flags+=("$1"); shift; done; shift
  crates=("$@")
  local tree; tree=$(deps "${flags[@]}")
  for crate in "${crates[@]}"; do
    if grep -qx "$crate" <<<"$tree"; then
      echo "$crate is in the tree of: cargo tree ${flags[*]} -e normal" >&2
      exit 1
    fi
  done
  echo "cargo tree ${flags[*]} -e normal: none of ${crates[*]}"
}

step "the library core still builds without std and without the std-only dependencies"
cargo build --lib --no-default-features --target thumbv7m-none-eabi
# serde_derive stays: the report types derive Serialize, and a proc macro
# runs at build time only (nothing of it is linked into the firmware).
must_not --no-default-features -- arc-swap log libm clap serde_json env_logger prometheus-client
deps --no-default-features | grep -x serde_derive >/dev/null || { echo "serde_derive expected (derive)" >&2; exit 1; }
must_not --features std -- libm clap serde_json
must_not --features cli -- libm serde_json

step "proxy smoke: scores, forwards, /metrics, /status, a rejected reload"
cargo build --release --features std --example proxy
work=$(mktemp -d)
cp examples/data/features.json "$work/features.json"
python3 -m http.server 18181 --bind 127.0.0.1 >/dev/null 2>&1 &
upstream=$!
./target/release/examples/proxy --listen 127.0.0.1:18180 --upstream 127.0.0.1:18181 \
  --features "$work/features.json" --model examples/data/model.json --watch-interval-ms 50 \
  2>"$work/proxy.log" &
proxy=$!
trap 'kill $proxy $upstream 2>/dev/null || true; rm -rf "$work"' EXIT
for port in 18181 18180; do
  for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$port/" && break; sleep 0.1; done
done
metrics=$(curl -sf 127.0.0.1:18180/metrics)
grep -q '^feature_table_active_version 1$' <<<"$metrics"
grep -Eq '^feature_table_requests_scored_total [1-9]' <<<"$metrics"
curl -sf 127.0.0.1:18180/status | python3 -m json.tool >"$work/status.json"
python3 - "$work/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["enabled"] is True and s["table"]["version"] == 1, s
assert s["features"]["last_error"] is None and s["requests"]["scored"] >= 1, s
PY

# The incident's doubled file: rejected, version 1 keeps serving, /status says why.
python3 - "$work/features.json" <<'PY'
import json, os, sys
path = sys.argv[1]
f = json.load(open(path))
f["version"] += 1
f["features"] = f["features"] * 2
open(path + ".tmp", "w").write(json.dumps(f))
os.replace(path + ".tmp", path)
PY
for _ in $(seq 100); do
  curl -sf 127.0.0.1:18180/status | python3 -m json.tool >"$work/status.json"
  grep -q '"rejected": 1' "$work/status.json" && break
  sleep 0.1
done
python3 - "$work/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
e = s["features"]["last_error"]
assert e["kind"] == "DuplicateName" and e["counts"]["first"] == 0, s
assert s["table"]["version"] == 1 and s["features"]["rejected"] == 1, s
PY
curl -s -o /dev/null 127.0.0.1:18180/
grep -Eq '^feature_table_reloads_total\{outcome="rejected"\} 1$' <<<"$(curl -sf 127.0.0.1:18180/metrics)"
grep -q 'rejected' "$work/proxy.log" || { cat "$work/proxy.log" >&2; exit 1; }
echo "proxy smoke: ok"
