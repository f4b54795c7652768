#!/usr/bin/env python3
"""Trains the small CatBoost model the QEMU example embeds, and the values it must score.

    pip install catboost numpy && python3 testdata/train_model.py   # from examples/qemu-cortex-m/

Writes:

- model-16x6.json   CatBoost's JSON export (16 trees, depth 6, at most 15 borders per
                    feature) over the 60 features of good-60.json, re-serialized compactly
                    without `model_info` and `leaf_weights` (the loader skips both
                    unread; every number keeps its value: repr(float) round-trips).
                    Fits CatBoost<16, 6, 64, 1024> (9,192 bytes).
- expected.rs       CatBoost's own RawFormulaVal for the firmware's 32 synthetic
                    requests, and for request 0 with bot_feature_003 switched off
                    (it then reads its default, 0.375). Included by src/main.rs.

The requests are `request(k)[i] = ((7·i + 13·k) mod 32) / 8 − 2`, multiples of 1/8, so
the firmware computes the same f32 row bit for bit. Training rows come from the same
grid; the label leans on bot_feature_003 so switching it off moves the score.

Deterministic: fixed seed, thread_count=1. Written against catboost 1.2.10.
"""
import json
import pathlib

import catboost
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
FEATURES = 60
REQUESTS = 32
SWITCHED = 3
SWITCHED_DEFAULT = (SWITCHED % 16) / 8  # gen.py: default of bot_feature_i is (i mod 16)/8


def request(k):
    return np.array([((7 * i + 13 * k) % 32) / 8 - 2 for i in range(FEATURES)], dtype=np.float32)


rng = np.random.default_rng(20251118)
x = (rng.integers(0, 32, size=(4000, FEATURES)) / 8 - 2).astype(np.float32)
logit = 3.0 * (x[:, 3] > 0.5) - 1.5 + 0.8 * x[:, 10] - 0.6 * x[:, 20] + 0.4 * x[:, 10] * x[:, 41]
y = (rng.random(4000) < 1 / (1 + np.exp(-logit))).astype(int)

model = catboost.CatBoostClassifier(
    iterations=16, depth=6, border_count=15, learning_rate=0.3, random_seed=7, thread_count=1, verbose=False,
    allow_writing_files=False,
)
model.fit(x, y)

path = HERE / "model-16x6.json"
model.save_model(str(path), format="json")
doc = json.loads(path.read_text())
doc.pop("model_info", None)
for tree in doc["oblivious_trees"]:
    tree.pop("leaf_weights", None)
path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")

rows = np.stack([request(k) for k in range(REQUESTS)])
switched = rows[0].copy()
switched[SWITCHED] = SWITCHED_DEFAULT
raw = model.predict(rows, prediction_type="RawFormulaVal", thread_count=1)
raw_switched = model.predict(switched[None, :], prediction_type="RawFormulaVal", thread_count=1)[0]
assert raw_switched != raw[0], "switching bot_feature_003 off must change request 0's score"

with open(HERE / "expected.rs", "w") as f:
    f.write("// Written by testdata/train_model.py: CatBoost's RawFormulaVal. Do not edit.\n")
    f.write(f"/// RawFormulaVal of request k, k in 0..{REQUESTS}.\n")
    f.write(f"const EXPECTED_RAW: [f64; {REQUESTS}] = [\n")
    for value in raw:
        f.write(f"    {float(value)!r},\n")
    f.write("];\n")
    f.write(f"/// RawFormulaVal of request 0 with bot_feature_{SWITCHED:03} at its default.\n")
    f.write(f"const EXPECTED_RAW_SWITCHED: f64 = {float(raw_switched)!r};\n")
print(f"{path.name}: {path.stat().st_size} bytes, {len(doc['oblivious_trees'])} trees; raw[0] = {float(raw[0])!r}")
