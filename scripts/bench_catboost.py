#!/usr/bin/env python3
"""CatBoost's own batch throughput on the benchmark model, to compare with
`cargo bench --bench catboost` (our single-row raw()) on the same machine.

Loads tests/fixtures/catboost/bench_100x6.json (100 trees, depth 6, 60 features),
builds ROWS float32 rows (2% NaN, like the training data) and times

    model.predict(pool, prediction_type="RawFormulaVal", thread_count=T)

for T = 1 and T = -1 (all cores), best of REPEATS, and prints ns/row of wall time
and of process CPU time (all threads; meaningful when other processes share the
cores, and what `cargo bench --bench catboost`'s cpu group compares with). The
Pool is built once outside the timing: this is CatBoost's best case, pure batch
apply.

    pip install catboost numpy && python3 scripts/bench_catboost.py [ROWS] [REPEATS]
"""

import os
import pathlib
import sys
import time

import catboost
import numpy as np

MODEL = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "catboost" / "bench_100x6.json"


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    model = catboost.CatBoost()
    model.load_model(str(MODEL), format="json")
    features = len(model.feature_names_)
    rng = np.random.default_rng(12345)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    x[rng.random(x.shape) < 0.02] = np.nan
    pool = catboost.Pool(x)
    print(f"catboost {catboost.__version__}, {model.tree_count_} trees, {features} features, "
          f"{rows} rows, best of {repeats}, {os.cpu_count()} cpus")
    for threads in (1, -1):
        model.predict(pool, prediction_type="RawFormulaVal", thread_count=threads)  # warm-up
        wall = cpu = float("inf")
        for _ in range(repeats):
            start, start_cpu = time.perf_counter_ns(), time.process_time_ns()
            model.predict(pool, prediction_type="RawFormulaVal", thread_count=threads)
            cpu = min(cpu, time.process_time_ns() - start_cpu)
            wall = min(wall, time.perf_counter_ns() - start)
        print(f"thread_count={threads:>2}: {wall / rows:7.1f} ns/row wall, {cpu / rows:7.1f} ns/row cpu")


if __name__ == "__main__":
    main()
