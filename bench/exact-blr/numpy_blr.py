#!/usr/bin/python3
"""Peer for bench/exact-blr: the float64 closed form of Bayesian linear regression in numpy.

The computation of /work/shared/peers.md §6 (`blr_exact`): w ~ N(0, v I_P), y | X, w ~ N(X w, s^2 I)
  A = X^T X / s^2 + I / v,  L = chol(A),  m = A^-1 X^T y / s^2 (two triangular solves),
  S = A^-1 via L^-1,  log Z = P/2 ln(1/v) + N/2 ln(1/s^2) - E(m) - ln|L| - N/2 ln(2 pi)   (PRML 3.86)
  E(m) = ||y - X m||^2 / (2 s^2) + ||m||^2 / (2 v).
Timed: from X (float64, converted once from the stored float32) and y in memory to (m, S, log Z).

Serve:    python3 numpy_blr.py --data blr-100k.json --serve
          prints {"ready": true, ...}, then answers each stdin line (any JSON object) with one JSON
          line {"seconds", "mean", "cov_diag", "log_evidence"}; run.ts interleaves it with Plato.
One-shot: python3 numpy_blr.py --data blr-100k.json [--repeats 20]  (prints best and median)
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def load(path):
    with open(path) as f:
        d = json.load(f)
    x_path = os.path.join(os.path.dirname(path), d["x_file"])
    X = np.fromfile(x_path, dtype="<f4").reshape(d["N"], d["P"]).astype(np.float64)
    return d, X, np.asarray(d["y"], dtype=np.float64)


def closed_form(X, y, sigma, prior_var):
    N, P = X.shape
    A = X.T @ X / sigma**2 + np.eye(P) / prior_var
    L = np.linalg.cholesky(A)
    b = X.T @ y / sigma**2
    m = np.linalg.solve(L.T, np.linalg.solve(L, b))
    Linv = np.linalg.inv(L)
    S = Linv.T @ Linv
    r = y - X @ m
    E = r @ r / (2 * sigma**2) + m @ m / (2 * prior_var)
    log_z = (P / 2 * np.log(1 / prior_var) + N / 2 * np.log(1 / sigma**2) - E
             - np.sum(np.log(np.diag(L))) - N / 2 * np.log(2 * np.pi))
    return m, S, float(log_z)


def run_once(d, X, y):
    t0 = time.perf_counter()
    m, S, log_z = closed_form(X, y, d["sigma"], d["prior_variance"])
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "mean": m.tolist(), "cov_diag": np.diag(S).tolist(), "log_evidence": log_z}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--serve", action="store_true")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=20)
    args = p.parse_args()
    d, X, y = load(args.data)
    meta = {"system": "numpy", "version": np.__version__, "python": sys.version.split()[0]}
    for _ in range(args.warmup):
        run_once(d, X, y)
    if args.serve:
        print(json.dumps({"ready": True, **meta}), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(json.dumps({**run_once(d, X, y), **meta}), flush=True)
        return
    runs = [run_once(d, X, y) for _ in range(args.repeats)]
    secs = sorted(r["seconds"] for r in runs)
    print(json.dumps({"best": secs[0], "median": secs[len(secs) // 2], "log_evidence": runs[-1]["log_evidence"], **meta}))


if __name__ == "__main__":
    main()
