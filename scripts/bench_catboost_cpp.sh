#!/usr/bin/env bash
# CatBoost's own standalone C++ evaluator as a peer for `cargo bench --bench
# catboost`: the benchmark model exported with save_model(format="cpp"),
# compiled with g++ -O3 -march=native, called one row at a time on the
# fixture's 200 rows, as our single-row raw() is. Prints the CPU model, ns/row
# of this thread's CPU time (best of REPEATS), and checks every value against
# CatBoost's own predictions in the fixture (within 1e-6).
#
#   pip install catboost && bash scripts/bench_catboost_cpp.sh [PASSES] [REPEATS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fixtures="$root/tests/fixtures/catboost"
passes="${1:-2000}"
repeats="${2:-7}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$fixtures/bench_100x6.json" "$work/model.cpp" <<'PY'
import sys, catboost
m = catboost.CatBoost()
m.load_model(sys.argv[1], format="json")
m.save_model(sys.argv[2], format="cpp")
PY

cat > "$work/main.cpp" <<'CPP'
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include "model.cpp"

static double thread_ns() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static std::vector<std::vector<float>> read_rows(const char* path) {
    std::vector<std::vector<float>> rows;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<float> row;
        std::stringstream cells(line);
        std::string cell;
        while (std::getline(cells, cell, ',')) row.push_back(std::strtof(cell.c_str(), nullptr));
        rows.push_back(row);
    }
    return rows;
}

int main(int argc, char** argv) {
    auto rows = read_rows(argv[1]);
    std::ifstream expected_in(argv[2]);
    std::vector<double> expected;
    for (double v; expected_in >> v;) expected.push_back(v);
    int passes = std::atoi(argv[3]), repeats = std::atoi(argv[4]);
    if (rows.empty() || rows.size() != expected.size()) {
        std::fprintf(stderr, "%zu rows, %zu expected values\n", rows.size(), expected.size());
        return 1;
    }
    for (size_t i = 0; i < rows.size(); ++i) {
        double got = ApplyCatboostModel(rows[i]);
        if (std::fabs(got - expected[i]) > 1e-6) {
            std::fprintf(stderr, "row %zu: %.17g, CatBoost says %.17g\n", i, got, expected[i]);
            return 1;
        }
    }
    double best = 1e300, sink = 0;
    for (int r = 0; r < repeats; ++r) {
        double start = thread_ns();
        for (int p = 0; p < passes; ++p)
            for (const auto& row : rows) sink += ApplyCatboostModel(row);
        double per_row = (thread_ns() - start) / (double(passes) * rows.size());
        if (per_row < best) best = per_row;
    }
    std::printf("catboost C++ export (g++ -O3 -march=native), one row per call: %.1f ns/row (CPU time, best of %d x %d passes over %zu rows; checksum %.6f)\n",
                best, repeats, passes, rows.size(), sink);
    return 0;
}
CPP

python3 - "$fixtures" "$work/expected.txt" <<'PY'
import json, pathlib, sys
d = pathlib.Path(sys.argv[1])
src = d / "bench_100x6.expected"
if not src.exists():
    import catboost, numpy as np
    m = catboost.CatBoost(); m.load_model(str(d / "bench_100x6.json"), format="json")
    x = np.loadtxt(d / "bench_100x6.csv", delimiter=",", dtype=np.float32, ndmin=2)
    vals = m.predict(x, prediction_type="RawFormulaVal")
else:
    vals = [float(v) for v in src.read_text().split()]
pathlib.Path(sys.argv[2]).write_text("\n".join(repr(float(v)) for v in vals) + "\n")
PY

g++ -O3 -march=native -std=c++17 -o "$work/bench" "$work/main.cpp"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
"$work/bench" "$fixtures/bench_100x6.csv" "$work/expected.txt" "$passes" "$repeats"
