#!/usr/bin/env python3
"""Writes tests/corpus/models/*.json: small hostile variants of a real
CatBoost export (tests/fixtures/catboost/depth1_rmse_bias.json, model_info
dropped, first two trees kept) and of a logistic model. Each file changes
one thing; tests/hostile_models.rs asserts the exact error of each.

    python3 scripts/hostile_models.py
"""
import copy
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "tests/corpus/models"
out.mkdir(parents=True, exist_ok=True)
real = json.loads((root / "tests/fixtures/catboost/depth1_rmse_bias.json").read_text())
real.pop("model_info")
real["oblivious_trees"] = real["oblivious_trees"][:2]
dump = lambda d: json.dumps(d, separators=(",", ":"))
base = dump(real)
(out / "catboost_base.json").write_text(base)


def variant(name, edit):
    d = copy.deepcopy(real)
    edit(d)
    (out / f"catboost_{name}.json").write_text(dump(d))


def raw(name, old, new):
    """A textual edit of the base, for what json.dumps cannot write."""
    assert base.count(old) >= 1, old
    (out / f"catboost_{name}.json").write_text(base.replace(old, new, 1))


ff = lambda d, i=1: d["features_info"]["float_features"][i]
tree = lambda d, i=0: d["oblivious_trees"][i]
split = lambda d: tree(d)["splits"][0]
B1 = "[-0.17662125825881958]"
LEAF0 = "0.6868194874296797"
SPLIT0 = '"border":0.5207264423370361'

# Non-finite numbers. JSON has no NaN/Infinity tokens; 1e999 overflows.
raw("border_nan", B1, "[NaN]")
raw("border_infinity", B1, "[Infinity]")
raw("border_1e999", B1, "[1e999]")
raw("border_f32_overflow", B1, "[1e39]")
raw("split_border_1e999", SPLIT0, '"border":1e999')
raw("leaf_1e999", LEAF0, "1e999")
raw("leaf_minus_1e999", LEAF0, "-1e999")
raw("leaf_nan", LEAF0, "NaN")
raw("leaf_null", LEAF0, "null")
raw("scale_1e999", '"scale_and_bias":[1,', '"scale_and_bias":[1e999,')
raw("bias_1e999", '"scale_and_bias":[1,[9.78106689453125]]', '"scale_and_bias":[1,[1e999]]')
raw("bias_nan", '"scale_and_bias":[1,[9.78106689453125]]', '"scale_and_bias":[1,[NaN]]')

# Wrong types, one field at a time.
variant("type_flat_feature_index_string", lambda d: ff(d).update(flat_feature_index="1"))
variant("type_feature_index_negative", lambda d: ff(d).update(feature_index=-1))
variant("type_nan_value_treatment_number", lambda d: ff(d).update(nan_value_treatment=3))
variant("type_borders_string", lambda d: ff(d).update(borders="x"))
variant("type_borders_bool", lambda d: ff(d).update(borders=[True]))
variant("type_float_features_object", lambda d: d["features_info"].update(float_features={}))
variant("type_features_info_list", lambda d: d.update(features_info=[]))
variant("type_oblivious_trees_object", lambda d: d.update(oblivious_trees={}))
variant("type_leaf_values_string", lambda d: tree(d).update(leaf_values="x"))
variant("type_splits_object", lambda d: tree(d).update(splits={}))
variant("type_float_feature_index_fraction", lambda d: split(d).update(float_feature_index=0.5))
variant("type_border_string", lambda d: split(d).update(border="x"))
variant("type_split_type_number", lambda d: split(d).update(split_type=1))
variant("type_scale_and_bias_string", lambda d: d.update(scale_and_bias="x"))
variant("type_scale_and_bias_flat", lambda d: d.update(scale_and_bias=[1, 0]))
(out / "catboost_type_root_list.json").write_text("[" + base + "]")

# Values the evaluator cannot compute exactly.
variant("nan_value_treatment_unknown", lambda d: ff(d).update(nan_value_treatment="AsMaybe"))
variant("split_type_online_ctr", lambda d: split(d).update(split_type="OnlineCtr"))
variant("split_undefined_float_feature", lambda d: split(d).update(float_feature_index=9))
variant("leaf_count_mismatch", lambda d: tree(d, 1)["leaf_values"].append(0.5))

# Missing and duplicate keys.
variant("missing_oblivious_trees", lambda d: d.pop("oblivious_trees"))
variant("missing_leaf_values", lambda d: tree(d).pop("leaf_values"))
variant("missing_splits", lambda d: tree(d, 1).pop("splits"))
variant("missing_flat_feature_index", lambda d: ff(d).pop("flat_feature_index"))
raw("duplicate_scale_and_bias", '"scale_and_bias":', '"scale_and_bias":[1,[0]],"scale_and_bias":')
raw("duplicate_oblivious_trees", '"oblivious_trees":', '"oblivious_trees":[],"oblivious_trees":')
raw("duplicate_features_info", '"features_info":', '"features_info":{},"features_info":')
raw("duplicate_float_features", '"float_features":', '"float_features":[],"float_features":')
raw("duplicate_borders", '"borders":' + B1, '"borders":[],"borders":' + B1)
raw("duplicate_leaf_values", '"leaf_values":', '"leaf_values":[],"leaf_values":')
raw("duplicate_border", SPLIT0, SPLIT0 + "," + SPLIT0)
# The second key spelt with an escape: still the same key (RFC 8259).
raw("duplicate_leaf_values_escaped", '"leaf_values":', '"leaf_values":[],"leaf_v\\u0061lues":')
raw("duplicate_oblivious_trees_escaped", '"oblivious_trees":', '"oblivious_trees":[],"oblivious\\u005ftrees":')

# Models that cannot tell one row from another.
variant("no_trees", lambda d: d.update(oblivious_trees=[]))
def constant(d):
    for t in d["oblivious_trees"]:
        t["leaf_values"] = [t["leaf_values"][0]] * len(t["leaf_values"])
variant("constant_trees", constant)
variant("zero_scale", lambda d: d["scale_and_bias"].__setitem__(0, 0))

# Over the capacities of CatBoost<16, 8, 16, 512> (tests/hostile_models.rs).
variant("over_trees_17", lambda d: d.update(oblivious_trees=[copy.deepcopy(tree(d)) for _ in range(17)]))
def deep(d, depth):
    t = tree(d)
    t["splits"] = [copy.deepcopy(t["splits"][0]) for _ in range(depth)]
    t["leaf_values"] = [0.125] * (1 << depth)
variant("over_depth_9", lambda d: deep(d, 9))
variant("over_leaves_768", lambda d: d.update(oblivious_trees=[
    {"leaf_values": [0.0] * 256, "splits": [copy.deepcopy(split(d))] * 8} for _ in range(3)]))
variant("over_flat_feature_index_16", lambda d: ff(d, 4).update(flat_feature_index=16))
variant("over_feature_index_300", lambda d: ff(d, 4).update(feature_index=300))

# Logistic models (Logistic<16>).
for name, text in {
    "weight_1e999": '{"bias":0,"weights":[1,1e999]}',
    "weight_nan": '{"bias":0,"weights":[1,NaN]}',
    "weight_null": '{"bias":0,"weights":[1,null]}',
    "bias_1e999": '{"bias":-1e999,"weights":[1]}',
    "bias_string": '{"bias":"0","weights":[1]}',
    "weights_object": '{"bias":0,"weights":{"a":1}}',
    "duplicate_weights": '{"bias":0,"weights":[1],"weights":[2]}',
    "missing_bias": '{"weights":[1,2]}',
    "duplicate_weights_escaped": '{"bias":0,"weights":[1],"\\u0077eights":[2]}',
    "no_weights": '{"bias":0,"weights":[]}',
    "all_weights_zero": '{"bias":0.5,"weights":[0,-0.0,0e5]}',
    "over_weights_17": '{"bias":0,"weights":[' + ",".join(["0.5"] * 17) + "]}",
}.items():
    (out / f"logistic_{name}.json").write_text(text)
