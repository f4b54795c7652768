#!/usr/bin/env bash
# Cargo runner for examples/qemu-cortex-m: runs the ELF on QEMU's lm3s6965evb
# (Cortex-M3, 256 KiB flash, 64 KiB RAM) and decodes the defmt frames the
# firmware writes to semihosting stdout with `defmt-print`.
#
#   .ci/qemu.sh path/to/elf
#
# Exits with QEMU's status, which is the firmware's semihosting exit status
# (0 only if every check held). QEMU_TIMEOUT (seconds, default 60) bounds a
# firmware that hangs.
set -euo pipefail

elf=$1
if ! command -v defmt-print >/dev/null; then
    echo "qemu.sh: defmt-print not found; install it with: cargo install defmt-print --locked" >&2
    exit 127
fi
timeout "${QEMU_TIMEOUT:-60}" qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic \
    -semihosting-config enable=on,target=native -kernel "$elf" |
    defmt-print -e "$elf"
