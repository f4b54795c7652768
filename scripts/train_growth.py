#!/usr/bin/env python3
"""Trains the 18 CatBoost models of the cost-growth table (issue 16, item 4).

    pip install catboost numpy && python3 scripts/train_growth.py OUTDIR [NAME...]

For every FEATURES in 64, 200, 1024, TREES in 100, 300, 1000 and DEPTH in 6, 8
it writes into OUTDIR (e.g. target/growth; generated, never committed):

- f{FEATURES}_t{TREES}_d{DEPTH}.json  the model, `save_model(path, format="json")`;
- rows_f{FEATURES}.csv                ROWS (200) input rows for the models with
                                      FEATURES columns, comma-separated f32 text
                                      (`nan` for missing values);
- f{FEATURES}_t{TREES}_d{DEPTH}.expected  CatBoost's RawFormulaVal for each of
                                      those rows, repr(float), which the bench
                                      checks ours against before timing;

and prints the time training took. NAME arguments (e.g. f200_t300_d8) train
only those models (the rows files are always written). `benches/catboost_growth.rs` scores the rows
one at a time with each model; `scripts/bench_growth.sh` times CatBoost's batch
predict on the same rows and prints the table.

The models are what the table needs, not good classifiers: Logloss on a
synthetic target, float features only, default border_count (254), a fixed
number of iterations (no early stopping, so exactly TREES trees) on SAMPLES
(3000) rows, thread_count=-1 to keep training short. Data and training use
fixed seeds (random_seed=0); with thread_count=-1 the trees may still differ
between machines with different core counts, which changes no size in the
table by more than CatBoost's own border choice does. Written against
catboost 1.2.10.
"""

import pathlib
import sys
import time

import catboost
import numpy as np

FEATURES = (64, 200, 1024)
TREES = (100, 300, 1000)
DEPTHS = (6, 8)
SAMPLES = 3000
ROWS = 200


def data(seed, rows, features):
    """Float32 rows (2% NaN, some integer-valued columns) and a target that
    depends on many features, so that the trees use many of them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    # Every eighth column integer-valued: borders land on ties, as in real files.
    x[:, ::8] = np.round(x[:, ::8] * 2)
    w = rng.normal(size=features)
    signal = x @ w + 0.5 * np.sin(3 * x[:, 0]) * x[:, 1] + rng.normal(size=rows)
    x[rng.random(x.shape) < 0.02] = np.nan
    return x, (signal > 0).astype(int)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: train_growth.py OUTDIR [NAME...]")
    out = pathlib.Path(sys.argv[1])
    only = set(sys.argv[2:])
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for features in FEATURES:
        x, y = data(features, SAMPLES, features)
        with open(out / f"rows_f{features}.csv", "w") as f:
            for row in x[:ROWS]:
                # str(np.float32) is the shortest text that parses back to the same f32.
                f.write(",".join("nan" if np.isnan(v) else str(np.float32(v)) for v in row) + "\n")
        for trees in TREES:
            for depth in DEPTHS:
                name = f"f{features}_t{trees}_d{depth}"
                if only and name not in only:
                    continue
                t = time.perf_counter()
                m = catboost.CatBoostClassifier(
                    iterations=trees,
                    depth=depth,
                    loss_function="Logloss",
                    random_seed=0,
                    thread_count=-1,
                    verbose=False,
                    allow_writing_files=False,
                )
                m.fit(x, y)
                if m.tree_count_ != trees:
                    sys.exit(f"{name}: {m.tree_count_} trees, expected {trees}")
                path = out / f"{name}.json"
                m.save_model(str(path), format="json")
                expected = m.predict(x[:ROWS], prediction_type="RawFormulaVal", thread_count=1)
                with open(out / f"{name}.expected", "w") as f:
                    f.writelines(f"{float(v)!r}\n" for v in expected)
                print(f"{name}: {path.stat().st_size} bytes, trained in {time.perf_counter() - t:.1f} s", flush=True)
    print(f"catboost {catboost.__version__}: models in {out}, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
