#!/usr/bin/env python3
"""Times XGBoost's own `Booster.inplace_predict` on the benchmark model and data; prints JSON to stdout.

Invoked by bench/score.ts (one process per model); usable alone:

    /usr/bin/python3 bench/xgb_inplace.py --model bench/models/xgb-1000x8.json \
        --data bench/models/data.f32 --cols 50 --batches 1,16,256,4096,100000 --threads 1,2

The timing loop mirrors bench/lib/timing.ts exactly:
  - batches run in ascending order per thread setting; each cell gets the lowest seconds per row of
    the cells before it as a hint;
  - the batch of size b is a contiguous slice of the data; successive calls cycle through up to
    256 different slices (different rows, so batch 1 does not keep re-scoring one cached row);
  - row cap: if the hint says one call would exceed `max_call` seconds, calls score only
    max_call / (seconds per row) rows and the cell is marked capped;
  - warm-up: call until `warm` seconds have passed (at least 2 calls, or 1 call that alone takes
    `warm`); skipped when the hint says one call already takes `warm`;
  - repetitions: `reps` of them, each running enough calls to take ~target/reps seconds (at least one
    call); when that would exceed `max_cell` seconds, the number of repetitions drops (never below
    `min_reps`);
  - the cell reports the median over repetitions of rows/s (and every repetition's value);
  - each repetition also records process CPU time (time.process_time: all threads, like Node's
    process.cpuUsage): rows per CPU second, comparable between single-thread engines.
Latency: per-call times of single-row calls (cycling through rows) for ~`latency_seconds`, median and p99.
"""
import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np
import xgboost as xgb

MAX_SLICES = 256


def slices_for(x, batch):
    n = min(x.shape[0] // batch, MAX_SLICES)
    return [x[k * batch:(k + 1) * batch] for k in range(n)]


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def quantile(v, q):
    """Nearest-rank quantile (same definition as bench/lib/stats.ts)."""
    s = sorted(v)
    k = max(0, min(len(s) - 1, math.ceil(q * len(s)) - 1))
    return s[k]


def measure(call, x, batch, cfg, per_row_hint):
    """One cell; the same algorithm as measureCell in bench/lib/timing.ts."""
    clock = time.perf_counter
    start = clock()
    rows = batch
    capped = False
    if per_row_hint is not None and per_row_hint * batch > cfg.max_call:
        rows = max(1, int(cfg.max_call // per_row_hint))
        capped = rows < batch
        if not capped:
            rows = batch
    views = slices_for(x, rows)
    ns = len(views)
    state = {"i": 0}

    def run(calls):
        i = state["i"]
        c = time.process_time()
        t = clock()
        for _ in range(calls):
            call(views[i % ns])
            i += 1
        dt = clock() - t
        state["i"] = i
        return dt, time.process_time() - c

    warmup_calls = 0
    if per_row_hint is not None and per_row_hint * rows >= cfg.warm:
        per_call = per_row_hint * rows
    else:
        elapsed = 0.0
        while True:
            dt = run(1)[0]
            elapsed += dt
            warmup_calls += 1
            if elapsed >= cfg.warm and warmup_calls >= 2:
                break
            if warmup_calls == 1 and dt >= cfg.warm:
                break
        per_call = elapsed / warmup_calls
    per_call = max(per_call, 1e-9)

    calls_per_rep = max(1, int(cfg.target / cfg.reps / per_call + 0.5))  # Math.round
    n_reps = cfg.reps
    if calls_per_rep * per_call * n_reps > cfg.max_cell:
        n_reps = max(cfg.min_reps, min(cfg.reps, int(cfg.max_cell // (calls_per_rep * per_call))))
    values = []
    cpu_values = []
    for _ in range(n_reps):
        dt, cpu = run(calls_per_rep)
        values.append(calls_per_rep * rows / dt)
        cpu_values.append(calls_per_rep * rows / max(cpu, 1e-6))
    med = median(values)
    return {
        "batch": batch,
        "rows": rows,
        "capped": capped,
        "rowsPerSec": med,
        "reps": values,
        "cpuRowsPerSec": median(cpu_values),
        "cpuReps": cpu_values,
        "spread": (max(values) - min(values)) / med if len(values) > 1 else 0.0,
        "callsPerRep": calls_per_rep,
        "warmupCalls": warmup_calls,
        "seconds": clock() - start,
    }


def latency(call, x, seconds, max_calls):
    clock = time.perf_counter_ns
    rows = [x[i:i + 1] for i in range(min(x.shape[0], 4096))]
    n = len(rows)
    for i in range(min(200, max_calls)):  # warm-up
        call(rows[i % n])
    times = []
    end = time.perf_counter() + seconds
    i = 0
    while i < max_calls and (i % 256 != 0 or time.perf_counter() < end):
        t = clock()
        call(rows[i % n])
        times.append(clock() - t)
        i += 1
    us = [t / 1000.0 for t in times]
    pairs = []
    for _ in range(20001):
        a = clock()
        pairs.append(clock() - a)
    return {
        "calls": len(us),
        "medianUs": quantile(us, 0.5),
        "p99Us": quantile(us, 0.99),
        "meanUs": sum(us) / len(us),
        "timerOverheadUs": quantile(pairs, 0.5) / 1000.0,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="float32 little-endian row-major matrix")
    ap.add_argument("--cols", type=int, required=True)
    ap.add_argument("--batches", default="1,16,256,4096,100000")
    ap.add_argument("--threads", default="1," + str(os.cpu_count() or 1))
    ap.add_argument("--target", type=float, default=0.6, help="seconds per cell (all repetitions)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--min-reps", type=int, default=3)
    ap.add_argument("--warm", type=float, default=0.1)
    ap.add_argument("--max-cell", type=float, default=15.0, help="cap on the repetitions of one cell, seconds")
    ap.add_argument("--max-call", type=float, default=60.0, help="longest single call, seconds (larger batches are capped)")
    ap.add_argument("--latency-seconds", type=float, default=0.0, help="0: no latency run")
    ap.add_argument("--latency-max-calls", type=int, default=200000)
    ap.add_argument("--check-rows", type=int, default=0, help="also return margins of the first N rows")
    args = ap.parse_args()

    x = np.fromfile(args.data, dtype="<f4")
    if x.size % args.cols:
        sys.exit(f"{args.data}: {x.size} values is not a multiple of {args.cols} columns")
    x = x.reshape(-1, args.cols)
    booster = xgb.Booster(model_file=args.model)
    out = {
        "xgboostVersion": xgb.__version__,
        "numpyVersion": np.__version__,
        "python": platform.python_version(),
        "executable": sys.executable,
        "cpuCount": os.cpu_count(),
        "model": args.model,
        "cells": [],
    }

    def predict(a):
        return booster.inplace_predict(a, missing=np.nan)

    if args.check_rows:
        booster.set_param({"nthread": 1})
        m = booster.inplace_predict(x[:args.check_rows], predict_type="margin", missing=np.nan)
        out["checkMargins"] = [float(v) for v in np.asarray(m, dtype=np.float32).ravel()]

    threads = [int(t) for t in args.threads.split(",") if t]
    batches = [int(b) for b in args.batches.split(",") if b]
    for nt in threads:
        booster.set_param({"nthread": nt})
        hint = None
        for b in sorted(batches):
            if b > x.shape[0]:
                continue
            r = measure(predict, x, b, args, hint)
            r["threads"] = nt
            hint = min(hint if hint is not None else math.inf, 1.0 / r["rowsPerSec"])
            out["cells"].append(r)
            print(f"  xgboost nthread={nt} batch={b}: {r['rowsPerSec']:.4g} rows/s", file=sys.stderr, flush=True)
    if args.latency_seconds > 0:
        booster.set_param({"nthread": 1})
        out["latency"] = latency(predict, x, args.latency_seconds, args.latency_max_calls)
        out["latency"]["threads"] = 1
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
