#!/usr/bin/python3
"""Peer for bench/gmm-em: scikit-learn's GaussianMixture on the gmm-100k data (peers.md §2, `gmm_em`).

GaussianMixture(n_components=K, covariance_type='full', init_params='kmeans', random_state=0)
(reg_covar=1e-6 on every covariance diagonal; k-means init = KMeans(K, n_init=1) labels -> one
M-step), run two ways:
  fixed      max_iter=20, tol=0: exactly 20 EM iterations (the per-iteration cost);
  converged  max_iter=100, tol=1e-6 (k-means init finds the clusters: a few iterations).
Timed: `fit`. The k-means initialisation is timed on its own (the private code path fit runs,
`_initialize_parameters`, best of 3) and per_iter_s = (wall - init_s) / n_iter_.
Quality: gm.score(x) = mean_n log sum_k w_k N(x_n | mu_k, Sigma_k) at the final parameters.

Serve:    python3 sklearn_gmm.py --data gmm-100k.json --serve
          prints {"ready": true, ...}, then answers each stdin line {"run": "fixed"|"converged"}
          with one JSON line; run.ts interleaves it with Plato.
One-shot: python3 sklearn_gmm.py --data gmm-100k.json [--repeats 3]
"""
import argparse
import json
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state

RUNS = {"fixed": {"max_iter": 20, "tol": 0.0}, "converged": {"max_iter": 100, "tol": 1e-6}}


def model(K, run):
    return GaussianMixture(n_components=K, covariance_type="full", init_params="kmeans",
                           random_state=0, **RUNS[run])


def init_seconds(X, K, run):
    best = float("inf")
    for _ in range(3):
        gm = model(K, run)
        t0 = time.perf_counter()
        gm._initialize_parameters(X, check_random_state(0))
        best = min(best, time.perf_counter() - t0)
    return best


def run_once(X, K, run):
    init_s = init_seconds(X, K, run)
    gm = model(K, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        gm.fit(X)
        wall = time.perf_counter() - t0
    iters = int(gm.n_iter_)
    return {
        "run": run,
        "seconds": wall,
        "init_s": init_s,
        "iterations": iters,
        "per_iter_s": (wall - init_s) / iters,
        "converged": bool(gm.converged_),
        "avg_loglik": float(gm.score(X)),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--serve", action="store_true")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    with open(args.data) as f:
        d = json.load(f)
    X = np.asarray(d["x"], dtype=np.float64)
    K = int(d["K"])
    meta = {"system": "sklearn", "version": sklearn.__version__, "numpy": np.__version__,
            "python": sys.version.split()[0]}
    run_once(X, K, "converged")  # warm-up: imports, BLAS threads, caches
    if args.serve:
        print(json.dumps({"ready": True, **meta}), flush=True)
        for line in sys.stdin:
            if line.strip():
                req = json.loads(line)
                print(json.dumps({**run_once(X, K, req.get("run", "fixed")), **meta}), flush=True)
        return
    for run in RUNS:
        outs = [run_once(X, K, run) for _ in range(args.repeats)]
        per = sorted(o["per_iter_s"] for o in outs)
        print(json.dumps({"run": run, "median_per_iter_s": per[len(per) // 2], "last": outs[-1], **meta}))


if __name__ == "__main__":
    main()
