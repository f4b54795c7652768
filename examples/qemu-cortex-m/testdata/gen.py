#!/usr/bin/env python3
"""Writes the three feature files the QEMU example embeds.

    python3 testdata/gen.py      # from examples/qemu-cortex-m/

- good-60.json         version 100, 60 unique features: the file that must be accepted.
- doubled-120.json     version 101, the same 60 features listed twice (the 2025-11-18
                       shape): 120 entries, under capacity 200, first duplicate at
                       entries 0 and 60 -> DuplicateName.
- overcap-240.json     version 102, 240 unique features for capacity 200 ->
                       CapacityExceeded { capacity: 200, found: 240 }.

Output is deterministic; re-running it must leave `git status` clean.
"""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent


def features(count):
    # Defaults are multiples of 1/8, so they print and parse exactly.
    return [{"name": f"bot_feature_{i:03}", "default": (i % 16) / 8} for i in range(count)]


def write(name, version, entries):
    text = json.dumps({"version": version, "features": entries}, separators=(",", ":"))
    (HERE / name).write_text(text + "\n")


good = features(60)
write("good-60.json", 100, good)
write("doubled-120.json", 101, good + good)
write("overcap-240.json", 102, features(240))
