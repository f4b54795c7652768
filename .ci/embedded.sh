#!/usr/bin/env bash
# The microcontroller part of CI:
#   1. the library builds with no default features for four bare-metal targets
#      (and with defmt for thumbv7m);
#   2. the QEMU Cortex-M3 example runs the 2025-11-18 sequence, scoring 32
#      requests with an embedded CatBoost model, and exits 0; so do the two
#      footprint firmwares;
#   3. the link-time no-panic proof (feature-file ingest and reload, model
#      loading, lookups, switches and scoring) links;
#   4. the footprint (flash and RAM) is printed.
# Installs what it needs (qemu-system-arm, rustup targets, llvm-tools,
# defmt-print) when missing. Run from anywhere: bash .ci/embedded.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
targets=(thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf riscv32imac-unknown-none-elf)
step() { printf '\n=== %s (%ds)\n' "$1" "$SECONDS"; }

step "install"
if ! command -v qemu-system-arm >/dev/null; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y qemu-system-arm
fi
rustup target add "${targets[@]}"
rustup component add llvm-tools
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v defmt-print >/dev/null; then
    cargo install defmt-print --locked
fi
llvm_bin="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"

step "library builds for bare-metal targets"
for target in "${targets[@]}"; do
    echo "--- $target"
    cargo build --release --no-default-features --target "$target"
done
echo "--- thumbv7m-none-eabi with defmt"
cargo build --release --no-default-features --features defmt --target thumbv7m-none-eabi

step "QEMU Cortex-M3 example"
(
    cd examples/qemu-cortex-m
    export QEMU_TIMEOUT=120
    cargo run --release --bin qemu-cortex-m
    cargo run --release --bin footprint
    echo "footprint firmware: ingest and score held"
    cargo run --release --bin footprint-model
    echo "footprint-model firmware: ingest, model load and score held"
    cargo build --profile size --bin footprint
)

step "link-time no-panic proof"
(cd examples/no-panic-check && cargo build --release)
echo "no-panic-check linked: no panic is reachable from the serving path"

step "footprint"
(
    cd examples/qemu-cortex-m
    size_of() { "$llvm_bin/llvm-size" "$1" | awk 'NR == 2 {print $1, $2, $3}'; }
    for elf in release/footprint size/footprint release/footprint-model release/qemu-cortex-m; do
        # Berkeley format: text = .vector_table + .text + .rodata (flash),
        # data + bss = RAM (data also occupies flash).
        read -r text data bss < <(size_of "target/thumbv7m-none-eabi/$elf")
        printf '%-24s flash %6d B (text+rodata+vectors %d, data %d)   RAM %6d B (data %d, bss %d)\n' \
            "$elf" $((text + data)) "$text" "$data" $((data + bss)) "$data" "$bss"
    done
    good=$(wc -c <testdata/good-60.json)
    model=$(wc -c <testdata/model-16x6.json)
    echo "embedded test files (in flash above): good-60 $good B, model-16x6 $model B," \
        "doubled-120 $(wc -c <testdata/doubled-120.json) B, overcap-240 $(wc -c <testdata/overcap-240.json) B"
    for elf in release/footprint size/footprint; do
        read -r text data _ < <(size_of "target/thumbv7m-none-eabi/$elf")
        echo "ingest + score ($elf), without the test file: $((text + data - good)) B flash (goal: < 32768)"
    done
    # The goal is a fixed size, not a timing: a change that links more code
    # into the firmware fails here (one did: table code in a compact model).
    read -r text data _ < <(size_of target/thumbv7m-none-eabi/release/footprint)
    if (( text + data - good >= 32768 )); then
        echo "FAIL: ingest + score needs $((text + data - good)) B of flash, over the 32 KiB goal" >&2
        exit 1
    fi
    read -r text data _ < <(size_of target/thumbv7m-none-eabi/release/footprint-model)
    echo "ingest + model load + score (release/footprint-model), without the test files:" \
        "$((text + data - good - model)) B flash"
    echo "largest symbols of release/footprint:"
    "$llvm_bin/llvm-nm" --size-sort -S -C -t d target/thumbv7m-none-eabi/release/footprint |
        awk '$3 !~ /^[bB]$/' | tail -8
)
echo "size_of: see the first line of the QEMU run above (Engine<200>, Reloader<200>, CatBoost<16, 6, 64, 1024>)"

step "done"
