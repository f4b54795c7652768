#!/usr/bin/env bash
# arm64: fleets run aarch64 servers too. Cross-build the library and the tests
# that pin its arithmetic (CatBoost parity with CatBoost's own predictions, the
# engine's lanes agreeing bit for bit, zero allocation) and run them under
# qemu-aarch64 (user-mode emulation). Correctness only: no timing under QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user >/dev/null
fi
rustup target add aarch64-unknown-linux-gnu

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
cargo test --release --target aarch64-unknown-linux-gnu \
  --lib --test catboost_parity --test catboost_paths --test engine_catboost --test signals --test alloc
