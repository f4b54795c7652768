#!/usr/bin/env bash
# Regenerates include/feature_table.h from src/lib.rs with cbindgen
# (`cargo install cbindgen --locked`). With --check, fails if the checked-in
# header differs from what cbindgen writes now.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [[ ${1:-} == --check ]]; then
    fresh=$(mktemp)
    trap 'rm -f "$fresh"' EXIT
    cbindgen --quiet --config cbindgen.toml --crate feature-table-ffi --output "$fresh"
    if ! diff -u include/feature_table.h "$fresh"; then
        echo "include/feature_table.h is out of date: run examples/ffi/gen-header.sh" >&2
        exit 1
    fi
    echo "include/feature_table.h is up to date"
else
    cbindgen --quiet --config cbindgen.toml --crate feature-table-ffi --output include/feature_table.h
fi
