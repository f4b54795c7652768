#!/usr/bin/env bash
# The cost-growth table (issue 16, item 4): our single-row raw() against
# CatBoost's own single-thread batch predict, on 18 models (64 / 200 / 1024
# features x 100 / 300 / 1000 trees x depth 6 and 8), with where our memory
# goes. Prints a markdown table, the CPU model at the top.
#
#   pip install catboost numpy && bash scripts/bench_growth.sh [NAME...]
#
# NAME (e.g. f64_t100_d6) limits the table to those models.
#
# 1. Trains the models into FT_GROWTH_DIR (default target/growth) with
#    scripts/train_growth.py if any is missing.
# 2. Per model, back to back: CatBoost's batch predict (thread_count=1,
#    RawFormulaVal) on the model's 200 rows tiled to about
#    FT_GROWTH_BATCH_ELEMENTS (default 4,000,000) values, best of
#    FT_GROWTH_BATCH_REPEATS (default 5), process CPU time per row; then
#    `cargo bench --bench catboost_growth` on that model (thread CPU time,
#    see the bench's documentation for FT_GROWTH_RUNS and FT_GROWTH_RUN_MS).
#
# Low settings for a quick check (the figures then mean nothing):
#   FT_GROWTH_RUNS=2 FT_GROWTH_RUN_MS=5 FT_GROWTH_BATCH_ELEMENTS=200000 \
#     FT_GROWTH_BATCH_REPEATS=2 bash scripts/bench_growth.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export FT_GROWTH_DIR=${FT_GROWTH_DIR:-target/growth}
elements=${FT_GROWTH_BATCH_ELEMENTS:-4000000}
repeats=${FT_GROWTH_BATCH_REPEATS:-5}
started=$SECONDS

python3 -c "import catboost, numpy" 2>/dev/null ||
  { echo "bench_growth: needs python3 with catboost and numpy (pip install catboost numpy)" >&2; exit 1; }

names=("$@")
if [ ${#names[@]} = 0 ]; then
  for f in 64 200 1024; do for t in 100 300 1000; do for d in 6 8; do names+=("f${f}_t${t}_d${d}"); done; done; done
fi

missing=0
for name in "${names[@]}"; do
  f=${name#f}; f=${f%%_*}
  for file in "$name.json" "$name.expected" "rows_f$f.csv"; do [ -f "$FT_GROWTH_DIR/$file" ] || missing=1; done
done
if [ "$missing" = 1 ]; then
  echo "training the models into $FT_GROWTH_DIR" >&2
  python3 scripts/train_growth.py "$FT_GROWTH_DIR" >&2
fi

cargo bench --bench catboost_growth --no-run -q 2>&1 | grep -v "^ *Executable" >&2 || true

export FT_GROWTH_BATCH="$FT_GROWTH_DIR/batch.tsv"
: >"$FT_GROWTH_BATCH"

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | sed -n 1p)
flags=$(sed -n 's/^flags[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | sed -n 1p)
has() { case " $flags " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
echo "CPU: $cpu, $(nproc) cores (avx2: $(has avx2), avx512f: $(has avx512f), avx512bw: $(has avx512bw), avx512vbmi: $(has avx512vbmi))"
echo "catboost $(python3 -c 'import catboost; print(catboost.__version__)'); CatBoost batch: ~$elements values per predict, best of $repeats, process CPU time"

header=()
failed=()
for name in "${names[@]}"; do
  f=${name#f}; f=${f%%_*}
  # CatBoost's batch predict on the same rows, tiled.
  python3 - "$FT_GROWTH_DIR/$name.json" "$FT_GROWTH_DIR/rows_f$f.csv" "$elements" "$repeats" "$name" \
    >>"$FT_GROWTH_BATCH" <<'PY'
import sys, time
import catboost
import numpy as np

path, csv, elements, repeats, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
model = catboost.CatBoost()
model.load_model(path, format="json")
rows = np.loadtxt(csv, delimiter=",", dtype=np.float32, ndmin=2)
x = np.tile(rows, (max(1, elements // rows.size), 1))
pool = catboost.Pool(x)
model.predict(pool, prediction_type="RawFormulaVal", thread_count=1)  # warm-up
cpu = float("inf")
for _ in range(repeats):
    start = time.process_time_ns()
    model.predict(pool, prediction_type="RawFormulaVal", thread_count=1)
    cpu = min(cpu, time.process_time_ns() - start)
print(f"{name}\t{cpu / len(x):.1f}")
PY
  # A model whose scores differ from CatBoost's fails its row; the others
  # still run, and the script fails at the end.
  cargo bench -q --bench catboost_growth -- "${header[@]}" "$name" || failed+=("$name")
  header=(--no-header)
done
echo
echo "(measured in $((SECONDS - started)) s)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench_growth: FAILED for ${failed[*]} (see the errors above)" >&2
  exit 1
fi
