#!/usr/bin/env bash
# The pingora example (examples/pingora, its own workspace) as a real process:
# builds it in release, puts it between curl and an upstream that echoes the
# `x-bot-score` header it received, and checks that
#   (a) a request is scored (1..=99) and forwarded (200);
#   (b) the incident's doubled feature file, renamed into place, is rejected
#       by the reload ("duplicate name" in the proxy's log) and requests keep
#       getting 200 with a numeric score from the last good table.
# Needs cmake (pingora's build); installs it with apt-get if missing. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

LISTEN=127.0.0.1:18281
UPSTREAM_PORT=18282

step() { printf '\n==> %s\n' "$*"; }
fail() {
  echo "pingora smoke: FAIL: $*" >&2
  echo "--- proxy log ---" >&2
  cat "$work/proxy.log" >&2 || true
  exit 1
}

step "cmake (pingora's build needs it)"
if ! command -v cmake >/dev/null; then
  apt-get update -qq && apt-get install -y -qq cmake
fi
cmake --version | sed -n 1p   # not head (SIGPIPE under pipefail)

step "build examples/pingora (release)"
start=$SECONDS
(cd examples/pingora && cargo build --release --locked)
echo "build: $((SECONDS - start)) s"
bin=examples/pingora/target/release/feature-table-pingora

work=$(mktemp -d)
upstream= proxy=
cleanup() {
  # The proxy gets SIGINT, pingora's fast shutdown (SIGTERM would wait out its
  # grace period); the upstream SIGTERM (background jobs ignore SIGINT).
  [ -n "$proxy" ] && kill -INT "$proxy" 2>/dev/null
  [ -n "$upstream" ] && kill -TERM "$upstream" 2>/dev/null
  for _ in $(seq 50); do # 5 s bound, then SIGKILL
    alive=
    for pid in $upstream $proxy; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -n "$alive" ] || break
    sleep 0.1
  done
  for pid in $upstream $proxy; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The feature file the proxy watches: a copy, so the repository's stays untouched.
cp examples/data/features.json "$work/features.json"

step "upstream on 127.0.0.1:$UPSTREAM_PORT: answers 200 with the x-bot-score it received"
cat >"$work/echo.py" <<'EOF'
import http.server, sys

class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("x-bot-score=%s" % self.headers.get("x-bot-score", "<missing>")).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
EOF
python3 "$work/echo.py" "$UPSTREAM_PORT" &
upstream=$!

step "proxy on $LISTEN"
"$bin" --listen "$LISTEN" --upstream "127.0.0.1:$UPSTREAM_PORT" \
  --features "$work/features.json" --model examples/data/model.json 2>"$work/proxy.log" &
proxy=$!

# Both up within 10 s each.
for url in "127.0.0.1:$UPSTREAM_PORT/" "$LISTEN/"; do
  up=
  for _ in $(seq 100); do
    if curl -s -o /dev/null "$url"; then up=1; break; fi
    sleep 0.1
  done
  [ -n "$up" ] || fail "$url did not come up within 10 s"
done

# GET through the proxy; prints the score the upstream saw, fails unless 200 and 1..=99.
scored_request() {
  local out status body score
  out=$(curl -s --max-time 5 -A 'curl/8.0' -w '\n%{http_code}' "http://$LISTEN/a/b?q=1") || fail "curl through the proxy failed"
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  [ "$status" = 200 ] || fail "status $status, body: $body"
  score=${body#x-bot-score=}
  [[ "$score" =~ ^[0-9]+$ ]] && ((score >= 1 && score <= 99)) || fail "upstream saw x-bot-score '$score'"
  echo "$score"
}

step "(a) a request is scored and forwarded"
score=$(scored_request)
echo "200, upstream saw x-bot-score: $score"

step "(b) the doubled feature file (every entry twice, version 2) is rejected; the last good one keeps serving"
python3 - "$work/features.json" "$work/doubled.json" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))
f["version"] += 1
f["features"] = f["features"] * 2
json.dump(f, open(sys.argv[2], "w"))
EOF
mv "$work/doubled.json" "$work/features.json"
rejected=
for _ in $(seq 100); do # the watcher polls every second; 10 s bound
  if grep -q 'rejected.*duplicate name' "$work/proxy.log"; then rejected=1; break; fi
  sleep 0.1
done
[ -n "$rejected" ] || fail "no rejection logged within 10 s"
grep 'rejected' "$work/proxy.log"
for i in 1 2 3; do
  score=$(scored_request)
  echo "request $i after the rejected reload: 200, upstream saw x-bot-score: $score"
done
kill -0 "$proxy" || fail "the proxy exited"

echo "pingora smoke: ok"
