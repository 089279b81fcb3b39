#!/usr/bin/env python3
"""Generates the scoring-benchmark models and data for `npm run bench:score`, reproducibly.

    /usr/bin/python3 bench/make_models.py [--quick] [--out DIR]

Writes into bench/models/ (or bench/models/quick/ with --quick; both git-ignored):

  data.f32                  bench matrix: rows x 50 float32, little endian, row major, ~1% NaN
  xgb-1000x8.json           role "deep": 1000 trees, max_depth 8 (depthwise, hist)  [--quick: xgb-100x8.json]
  xgb-500x6.json            role "latency": 500 trees, max_depth 6 (depthwise, hist) [--quick: xgb-50x6.json]
  expected-<model>.f32      XGBoost's own margins (float32) for the first CHECK_ROWS rows of data.f32,
                            from Booster.predict(DMatrix, output_margin=True) on the model re-read from JSON
  manifest.json             what was generated, with sha256 of every file and of this script

Deterministic: fixed numpy seeds (default_rng), XGBoost seed fixed, nthread=1. Running it twice
gives byte-identical files (checked by `--verify`, which regenerates into a temp dir and compares).
The bench (bench/score.ts) regenerates when manifest.json is missing or was written by a
different version of this script.
"""
import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time

import numpy as np
import xgboost as xgb

NUM_FEATURES = 50
NAN_FRACTION = 0.01
SEED_TRAIN = 2501
SEED_BENCH = 2502
XGB_SEED = 7

FULL = {
    "train_rows": 20000,
    "bench_rows": 100000,
    "check_rows": 2000,
    "models": [
        {"name": "xgb-1000x8", "role": "deep", "trees": 1000, "depth": 8, "eta": 0.05},
        {"name": "xgb-500x6", "role": "latency", "trees": 500, "depth": 6, "eta": 0.08},
    ],
}
QUICK = {
    "train_rows": 3000,
    "bench_rows": 8192,
    "check_rows": 500,
    "models": [
        {"name": "xgb-100x8", "role": "deep", "trees": 100, "depth": 8, "eta": 0.2},
        {"name": "xgb-50x6", "role": "latency", "trees": 50, "depth": 6, "eta": 0.2},
    ],
}


def features(rng, rows):
    """rows x 50 float32: a mix of distributions, like real tabular data; ~1% NaN (not in the last 5 columns)."""
    x = np.empty((rows, NUM_FEATURES), dtype=np.float64)
    for j in range(NUM_FEATURES):
        kind = j % 5
        if kind == 0:
            x[:, j] = rng.normal(0.0, 1.0, rows)
        elif kind == 1:
            x[:, j] = rng.uniform(-2.0, 2.0, rows)
        elif kind == 2:
            x[:, j] = rng.exponential(1.0, rows)
        elif kind == 3:
            x[:, j] = np.round(rng.normal(0.0, 8.0, rows))  # integer valued: many ties
        else:
            x[:, j] = rng.normal(0.0, 1.0, rows) * rng.normal(1.0, 0.5, rows)
    x = x.astype(np.float32)
    mask = rng.random((rows, NUM_FEATURES)) < NAN_FRACTION
    mask[:, NUM_FEATURES - 5:] = False
    x[mask] = np.nan
    return x


def label(rng, x):
    """A nonlinear signal with interactions, so the trees grow to full depth; plus noise."""
    z = np.nan_to_num(x.astype(np.float64), nan=0.0)
    y = (
        np.sin(2.0 * z[:, 0])
        + z[:, 1] * z[:, 2]
        + 0.5 * np.abs(z[:, 3]) / 8.0
        + np.where(z[:, 4] > 0.3, z[:, 5], -z[:, 6])
        + 0.3 * np.cos(z[:, 7] * z[:, 8])
        + 0.2 * np.tanh(z[:, 9] - z[:, 10])
        + 0.1 * (z[:, 11:31] ** 2).sum(axis=1) / 20.0
        + 0.05 * z[:, 31:50].sum(axis=1)
        + np.where(np.isnan(x[:, 12]), 1.0, 0.0)
    )
    return (y + rng.normal(0.0, 0.3, len(y))).astype(np.float32)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def script_sha():
    return sha256(os.path.abspath(__file__))


def generate(out, cfg, quick, log):
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    rng_train = np.random.default_rng(SEED_TRAIN)
    xtrain = features(rng_train, cfg["train_rows"])
    ytrain = label(rng_train, xtrain)
    rng_bench = np.random.default_rng(SEED_BENCH)
    xbench = features(rng_bench, cfg["bench_rows"])
    data_path = os.path.join(out, "data.f32")
    np.ascontiguousarray(xbench, dtype="<f4").tofile(data_path)
    check_rows = cfg["check_rows"]
    dtrain = xgb.DMatrix(xtrain, label=ytrain, missing=np.nan, nthread=1)
    dcheck = xgb.DMatrix(xbench[:check_rows], missing=np.nan, nthread=1)

    models = []
    for m in cfg["models"]:
        params = {
            "nthread": 1,
            "seed": XGB_SEED,
            "tree_method": "hist",
            "grow_policy": "depthwise",
            "objective": "reg:squarederror",
            "max_depth": m["depth"],
            "eta": m["eta"],
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "min_child_weight": 1,
            "max_bin": 64,  # training speed only (256 bins: 2.6x slower); scoring cost is the same
            "base_score": 0.5,
        }
        t = time.time()
        bst = xgb.train(params, dtrain, num_boost_round=m["trees"])
        path = os.path.join(out, m["name"] + ".json")
        bst.save_model(path)
        # Expected margins from the model as re-read from the file, exactly what grove reads.
        reread = xgb.Booster(model_file=path)
        reread.set_param({"nthread": 1})
        margins = reread.predict(dcheck, output_margin=True).astype("<f4")
        inplace = reread.inplace_predict(xbench[:check_rows], predict_type="margin", missing=np.nan)
        if not np.array_equal(margins, np.asarray(inplace, dtype="<f4")):
            raise SystemExit("XGBoost predict and inplace_predict disagree on " + m["name"])
        exp_path = os.path.join(out, "expected-" + m["name"] + ".f32")
        margins.tofile(exp_path)
        dump = reread.get_dump(dump_format="json")
        nodes = 0
        max_depth_seen = 0
        for tree in dump:
            stack = [(json.loads(tree), 0)]
            while stack:
                node, d = stack.pop()
                nodes += 1
                max_depth_seen = max(max_depth_seen, d)
                for c in node.get("children", []):
                    stack.append((c, d + 1))
        models.append(
            {
                "name": m["name"],
                "role": m["role"],
                "file": m["name"] + ".json",
                "trees": len(dump),
                "maxDepth": m["depth"],
                "deepestLeaf": max_depth_seen,
                "nodes": nodes,
                "params": params,
                "rounds": m["trees"],
                "expected": os.path.basename(exp_path),
                "sha256": sha256(path),
                "expectedSha256": sha256(exp_path),
            }
        )
        log(f"  {m['name']}: {len(dump)} trees, {nodes} nodes, deepest leaf {max_depth_seen}, "
            f"trained in {time.time() - t:.1f}s")

    manifest = {
        "generator": "bench/make_models.py",
        "generatorSha256": script_sha(),
        "quick": quick,
        "xgboostVersion": xgb.__version__,
        "numpyVersion": np.__version__,
        "python": platform.python_version(),
        "numFeatures": NUM_FEATURES,
        "trainRows": cfg["train_rows"],
        "checkRows": check_rows,
        "data": {
            "file": "data.f32",
            "rows": cfg["bench_rows"],
            "cols": NUM_FEATURES,
            "dtype": "float32-le",
            "nanFraction": NAN_FRACTION,
            "seed": SEED_BENCH,
            "sha256": sha256(data_path),
        },
        "models": models,
    }
    # manifest.json last: its presence means the set is complete.
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    log(f"  generated in {time.time() - t0:.1f}s -> {out}")
    return manifest


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny models and data (smoke tests)")
    ap.add_argument("--out", help="output directory (default bench/models or bench/models/quick)")
    ap.add_argument("--verify", action="store_true",
                    help="generate twice into temp dirs and check the files are byte-identical")
    args = ap.parse_args()
    cfg = QUICK if args.quick else FULL
    out = args.out or os.path.join(here, "models", "quick" if args.quick else "")
    out = os.path.normpath(out)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if args.verify:
        a, b = tempfile.mkdtemp(), tempfile.mkdtemp()
        try:
            ma = generate(a, cfg, args.quick, log)
            mb = generate(b, cfg, args.quick, log)
            same = json.dumps(ma, sort_keys=True) == json.dumps(mb, sort_keys=True)
            print(json.dumps({"deterministic": same}))
            sys.exit(0 if same else 1)
        finally:
            shutil.rmtree(a, ignore_errors=True)
            shutil.rmtree(b, ignore_errors=True)

    log(f"make_models: XGBoost {xgb.__version__}, {'quick' if args.quick else 'full'} set")
    generate(out, cfg, args.quick, log)


if __name__ == "__main__":
    main()
