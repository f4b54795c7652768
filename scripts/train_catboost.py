#!/usr/bin/env python3
"""Trains the small, deterministic CatBoost models behind tests/catboost_parity.rs.

For each parity model NAME it writes, under tests/fixtures/catboost/:

- NAME.json      the model, as `model.save_model(path, format="json")` writes it
                 (large ones re-serialized compactly by Python's json module, which
                 keeps every number's value: repr(float) round-trips);
- NAME.csv       input rows, comma-separated, f32-representable values, `nan` allowed;
- NAME.expected  CatBoost's RawFormulaVal for each row, repr(float) (17 significant digits).

It also writes real exports the loader must reject (categorical features, MultiClass,
Depthwise trees) as reject_*.json.

CI does not run this (it has no Python); it uses the committed fixtures. Regenerate with:

    pip install catboost numpy && python3 scripts/train_catboost.py

Determinism: fixed seeds, thread_count=1. Written against catboost 1.2.10.
"""

import json
import pathlib

import catboost
import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "catboost"


def data(seed, rows, features, nan_share=0.0):
    """Float32 rows with a target that depends on several features."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    # Integer-valued and constant-ish columns too, so borders land on ties.
    if features > 3:
        x[:, 3] = np.round(x[:, 3] * 2).astype(np.float32)
    w = rng.normal(size=features)
    signal = x @ w + 0.5 * np.sin(3 * x[:, 0]) * x[:, 1 % features]
    if nan_share > 0:
        mask = rng.random(x.shape) < nan_share
        x[mask] = np.nan
    return x, signal.astype(np.float64)


def write_fixture(name, model, x, compact):
    path = OUT / f"{name}.json"
    model.save_model(str(path), format="json")
    if compact:
        with open(path) as f:
            doc = json.load(f)
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
    expected = model.predict(x, prediction_type="RawFormulaVal", thread_count=1)
    with open(OUT / f"{name}.csv", "w") as f:
        for row in x:
            # str(np.float32) is the shortest text that parses back to the same f32.
            f.write(",".join("nan" if np.isnan(v) else str(np.float32(v)) for v in row) + "\n")
    with open(OUT / f"{name}.expected", "w") as f:
        for value in expected:
            f.write(f"{float(value)!r}\n")
    print(f"{name}: {model.tree_count_} trees, depth {model.get_param('depth')}, {len(x)} rows")


def common(**kw):
    return dict(random_seed=0, thread_count=1, verbose=False, allow_writing_files=False, **kw)


def wide():
    """A model over 256 columns (320), splitting on columns past 256: values
    rounded to 2 decimals keep the CSV small."""
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=(600, 320)), 2).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    signal = np.nan_to_num(x[:, 5] + 2 * x[:, 260] - 1.5 * x[:, 300] + x[:, 319] * x[:, 270])
    m = catboost.CatBoostClassifier(iterations=30, depth=6, nan_mode="Max", **common())
    m.fit(x, (signal > 0).astype(int))
    write_fixture("wide_320", m, x[:100], compact=True)


def main():
    OUT.mkdir(parents=True, exist_ok=True)

    # Depth 1, RMSE, boost_from_average: a non-zero bias.
    x, s = data(1, 200, 5)
    m = catboost.CatBoostRegressor(iterations=12, depth=1, boost_from_average=True, **common())
    m.fit(x, s + 10.0)
    assert m.get_scale_and_bias()[1] != 0
    write_fixture("depth1_rmse_bias", m, x, compact=False)

    # Depth 6, Logloss, nan_mode Min (NaN below every border), NaNs in inputs.
    x, s = data(2, 200, 8, nan_share=0.15)
    m = catboost.CatBoostClassifier(iterations=20, depth=6, nan_mode="Min", **common())
    m.fit(x, (np.nan_to_num(s) > 0).astype(int))
    write_fixture("depth6_logloss_nan_min", m, x, compact=False)

    # Depth 6, Logloss, nan_mode Max (NaN above every border), NaNs in inputs.
    x, s = data(3, 200, 8, nan_share=0.15)
    m = catboost.CatBoostClassifier(iterations=20, depth=6, nan_mode="Max", **common())
    m.fit(x, (s > 0).astype(int))
    write_fixture("depth6_logloss_nan_max", m, x, compact=True)

    # Depth 8, RMSE, nan_mode Max, NaNs; scale != 1 (set after training, as a
    # calibrated model would be) and the bias from boost_from_average.
    x, s = data(4, 200, 10, nan_share=0.1)
    m = catboost.CatBoostRegressor(iterations=8, depth=8, nan_mode="Max", boost_from_average=True, **common())
    m.fit(x, s)
    scale, bias = m.get_scale_and_bias()
    m.set_scale_and_bias(0.75, bias)
    write_fixture("depth8_rmse_nan_max", m, x, compact=True)

    # The benchmark model: 100 trees, depth 6, 60 features.
    x, s = data(5, 2000, 60, nan_share=0.02)
    m = catboost.CatBoostClassifier(iterations=100, depth=6, **common())
    m.fit(x, (s > 0).astype(int))
    write_fixture("bench_100x6", m, x[:200], compact=True)

    wide()

    # Real exports the loader must reject.
    x, s = data(6, 200, 4)
    y = (s > 0).astype(int)
    m = catboost.CatBoostClassifier(iterations=2, depth=2, loss_function="MultiClass", **common())
    m.fit(x, y + (x[:, 1] > 0))
    m.save_model(str(OUT / "reject_multiclass.json"), format="json")

    m = catboost.CatBoostClassifier(iterations=2, depth=2, grow_policy="Depthwise", **common())
    m.fit(x, y)
    m.save_model(str(OUT / "reject_depthwise.json"), format="json")

    cat = [["a", "b", "c"][i % 3] for i in range(len(x))]
    pool = catboost.Pool([list(map(float, r)) + [c] for r, c in zip(x, cat)], y, cat_features=[4])
    m = catboost.CatBoostClassifier(iterations=2, depth=2, **common())
    m.fit(pool)
    m.save_model(str(OUT / "reject_categorical.json"), format="json")


if __name__ == "__main__":
    main()
