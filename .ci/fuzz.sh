#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), starting from the
# committed seeds, and fails on any crash, panic or timeout.
#
#   bash .ci/fuzz.sh [SECONDS]
#
# Needs the nightly toolchain (cargo-fuzz builds with -Zsanitizer flags);
# cargo-fuzz itself is installed from crates.io if missing. Targets build
# without a sanitizer (-s none): the library forbids unsafe code, and
# AddressSanitizer would rebuild std (minutes) and run ~10x slower.
# New corpus entries go to fuzz/corpus/<target> (git-ignored), crashes to
# fuzz/artifacts/<target>; the committed seeds are only read.
set -euo pipefail

seconds="${1:-60}"
cd "$(dirname "$0")/.."

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: the nightly toolchain is required (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cargo +nightly fuzz build -O -s none

for target in ingest reloader model engine; do
    extra=()
    case "$target" in
        # The hostile corpus and the real files are ingest seeds too.
        ingest) extra=(tests/corpus/real tests/corpus/incident tests/corpus/hostile) ;;
        # Keep sequences short enough to run fast.
        reloader) extra=() ;;
        # The real CatBoost exports are model seeds too (fuzz/seeds/model
        # holds them without model_info, and truncated).
        model) extra=(tests/fixtures/catboost tests/corpus/models) ;;
        engine) extra=() ;;
    esac
    max_len=()
    case "$target" in
        reloader | engine) max_len=(-max_len=4096) ;;
        model) max_len=(-max_len=8192) ;;
    esac
    mkdir -p "fuzz/corpus/$target"
    echo "== fuzz target $target for ${seconds}s"
    cargo +nightly fuzz run -O -s none "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" "${extra[@]}" -- \
        -dict=fuzz/json.dict "${max_len[@]}" -max_total_time="$seconds" -timeout=10 -print_final_stats=1
done
