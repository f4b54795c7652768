#!/usr/bin/env bash
# CI for the C ABI (examples/ffi, issue 17):
#   1. the header is what cbindgen writes from src/lib.rs now;
#   2. fmt and clippy of the crate;
#   3. the Rust engine's own results for the incident (the `expected` bin);
#   4. the C test (system cc) linked to the staticlib, plain and with
#      -fsanitize=address,undefined: statuses and scores against the Rust
#      engine's, hostile calls;
#   5. the LuaJIT FFI script on the cdylib;
#   6. the C firmware on QEMU's lm3s6965evb (Cortex-M3), twice: with every
#      function, and the panic-proof build (links only if no panic is
#      reachable from what it calls: every function but ft_last_error).
# Installs what it needs. Run from anywhere: bash .ci/ffi.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ffi="$root/examples/ffi"
cd "$ffi"
step() { printf '\n=== %s (%ds)\n' "$1" "$SECONDS"; }

step "install"
need=()
command -v cc >/dev/null || need+=(gcc libc6-dev)
command -v luajit >/dev/null || need+=(luajit)
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi libnewlib-arm-none-eabi)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
if ((${#need[@]})); then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
fi
rustup target add thumbv7m-none-eabi
rustup component add rustfmt clippy
export PATH="$HOME/.cargo/bin:$PATH"
command -v cbindgen >/dev/null || cargo install cbindgen --locked

step "header up to date"
./gen-header.sh --check

step "fmt and clippy"
cargo fmt --check
cargo clippy --all-targets --all-features -- -D warnings
cargo clippy --release --target thumbv7m-none-eabi --features panic-proof -- -D warnings

out="$ffi/target/ci"
mkdir -p "$out"

step "the Rust engine's results"
cargo run --quiet --features host-tools --bin expected -- "$root/tests/fixtures" "$out"

step "C test, system cc"
cargo build --release
cflags=(-std=c11 -Wall -Wextra -Werror -I include -I "$out")
cc "${cflags[@]}" -O2 tests/replay.c target/release/libfeature_table_ffi.a -o "$out/replay"
"$out/replay" "$root/tests/fixtures" "$out/model-logistic.json"

step "C test, -fsanitize=address,undefined"
cc "${cflags[@]}" -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
    tests/replay.c target/release/libfeature_table_ffi.a -o "$out/replay-san"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$out/replay-san" "$root/tests/fixtures" "$out/model-logistic.json"

step "LuaJIT FFI on the cdylib"
luajit lua/replay.lua target/release/libfeature_table_ffi.so include/feature_table.h "$root/tests/fixtures" "$out"

step "Cortex-M3 C firmware on QEMU"
testdata="$root/examples/qemu-cortex-m/testdata"
# CatBoost's values, the ones the Rust firmware checks, as a C header.
sed -e 's|^///|//|' \
    -e 's|^const \([A-Z_]*\): \[f64; \([0-9]*\)\] = \[|static const double \1[\2] = {|' \
    -e 's|^\];|};|' \
    -e 's|^const \([A-Z_]*\): f64 =|static const double \1 =|' \
    "$testdata/expected.rs" >"$out/expected-catboost.h"
grep -q 'static const double EXPECTED_RAW\[32\] = {' "$out/expected-catboost.h"
grep -q 'static const double EXPECTED_RAW_SWITCHED =' "$out/expected-catboost.h"
arm_flags=(-std=c11 -Os -g -mcpu=cortex-m3 -mthumb -Wall -Wextra -Werror -ffunction-sections -fdata-sections
    "-DTESTDATA=\"$testdata\"" -I include -I cortex-m -I "$out"
    -nostdlib -nostartfiles -T cortex-m/link.ld -Wl,--gc-sections -Wl,-z,noexecstack)
run_qemu() {
    timeout 120 qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic \
        -semihosting-config enable=on,target=native -kernel "$1"
}
# staticlib only: a cdylib makes no sense without an OS.
CARGO_TARGET_DIR=target/plain cargo rustc --release --target thumbv7m-none-eabi --lib --crate-type staticlib
arm-none-eabi-gcc "${arm_flags[@]}" cortex-m/main.c cortex-m/startup.c \
    target/plain/thumbv7m-none-eabi/release/libfeature_table_ffi.a -lgcc -o "$out/firmware.elf"
arm-none-eabi-size "$out/firmware.elf"
run_qemu "$out/firmware.elf"

step "Cortex-M3 panic-proof firmware (links only if no panic is reachable)"
cargo rustc --release --target thumbv7m-none-eabi --features panic-proof --lib --crate-type staticlib
arm-none-eabi-gcc -DPANIC_PROOF "${arm_flags[@]}" cortex-m/main.c cortex-m/startup.c \
    target/thumbv7m-none-eabi/release/libfeature_table_ffi.a -lgcc -o "$out/firmware-proof.elf"
run_qemu "$out/firmware-proof.elf" | tail -1

step "done"
