#!/usr/bin/env python3
"""XGBoost trainer for `grove train`: the library calls, and nothing else.

grove fits and applies the feature pipeline in TypeScript and hands this script the transformed
matrices; the script trains with XGBoost and records the library's own predictions, so the
bundle's expected outputs are XGBoost's, not grove's.

Usage: train_xgboost.py WORKDIR
  WORKDIR/params.json   {"params": {...xgboost params...}, "num_boost_round": N,
                         "train_rows": n, "predict_rows": m, "cols": k, "feature_names": [...]}
  WORKDIR/x_train.f64   n x k little-endian float64, row-major (NaN = missing)
  WORKDIR/y_train.f64   n float64
  WORKDIR/x_predict.f64 m x k rows to predict (training, hold-out and test rows)
Writes:
  WORKDIR/model.json        Booster.save_model (JSON)
  WORKDIR/predict.f64       m float64 (the float32 predictions of Booster.predict)
  WORKDIR/versions.json     {"python": ..., "xgboost": ..., "numpy": ...}
"""
import json
import platform
import sys
from pathlib import Path

import numpy as np
import xgboost as xgb


def main(workdir: str) -> None:
    w = Path(workdir)
    spec = json.loads((w / "params.json").read_text())
    n, m, k = spec["train_rows"], spec["predict_rows"], spec["cols"]
    x_train = np.fromfile(w / "x_train.f64", dtype="<f8").reshape(n, k)
    y_train = np.fromfile(w / "y_train.f64", dtype="<f8")
    x_predict = np.fromfile(w / "x_predict.f64", dtype="<f8").reshape(m, k)
    names = spec["feature_names"]

    dtrain = xgb.DMatrix(x_train, label=y_train, feature_names=names, missing=np.nan, nthread=1)
    booster = xgb.train(spec["params"], dtrain, num_boost_round=spec["num_boost_round"])
    booster.save_model(str(w / "model.json"))

    # Predict with a booster re-read from the file, exactly as it will be served.
    served = xgb.Booster(model_file=str(w / "model.json"))
    served.set_param({"nthread": 1})
    pred = served.predict(xgb.DMatrix(x_predict, feature_names=names, missing=np.nan, nthread=1))
    pred.astype("<f8").tofile(w / "predict.f64")
    (w / "versions.json").write_text(json.dumps({
        "python": platform.python_version(),
        "xgboost": xgb.__version__,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: train_xgboost.py WORKDIR")
    main(sys.argv[1])
