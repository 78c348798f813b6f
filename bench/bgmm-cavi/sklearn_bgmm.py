#!/usr/bin/python3
"""Peer for bench/bgmm-cavi: variational Bayesian GMM, /work/shared/peers.md §3 (`bgmm_cavi`),
with diagonal covariances (the model Plato's cavi supports).

sklearn  BayesianGaussianMixture(n_components=K, covariance_type='diag',
         weight_concentration_prior_type='dirichlet_distribution', max_iter=iters, tol=0,
         random_state=0), all else default (init_params='kmeans', reg_covar=1e-6; priors:
         weight concentration 1/K, mean prior = column means, mean precision 1,
         degrees of freedom D, covariance prior = column variances (ddof=1)).
         Timed: fit; the k-means initialisation + first M-step timed alone (best of 3, the same
         private path `_initialize_parameters`), per iteration = (wall - init) / iterations.
Quality: the plug-in average log-likelihood mean_n log sum_k w_k N(x_n | m_k, diag v_k) at the
posterior means (weights, means, variances 1 / E[precision]); `plugin` scores Plato's the same way.

Serve:    python3 sklearn_bgmm.py --data gmm-100k.json --iters 20 --serve
          prints {"ready": true, "hyper": {...}}, then answers each stdin line
          {"system": "sklearn"} or {"system": "plugin", "weights", "means", "variances"}.
"""
import argparse
import json
import sys
import time

import numpy as np
from scipy.special import logsumexp


def plugin_loglik(X, w, m, v):
    w, m, v = (np.asarray(a, dtype=np.float64) for a in (w, m, v))
    lp = (-0.5 * (np.log(2 * np.pi * v).sum(1)[None, :]
                  + (((X[:, None, :] - m[None]) ** 2) / v[None]).sum(2)) + np.log(w)[None, :])
    return float(logsumexp(lp, axis=1).mean())


def model(K, iters):
    from sklearn.mixture import BayesianGaussianMixture
    return BayesianGaussianMixture(n_components=K, covariance_type="diag",
                                   weight_concentration_prior_type="dirichlet_distribution",
                                   max_iter=iters, tol=0, random_state=0)


def init_seconds(X, K):
    from sklearn.utils import check_random_state
    best = float("inf")
    for _ in range(3):
        g = model(K, 1)
        g._check_parameters(X)
        t0 = time.perf_counter()
        g._initialize_parameters(X, check_random_state(0))
        best = min(best, time.perf_counter() - t0)
    return best


def run(req, X, args, init_s):
    if req["system"] == "sklearn":
        g = model(args.K, args.iters)
        t0 = time.perf_counter()
        g.fit(X)
        seconds = time.perf_counter() - t0
        return {"system": "sklearn", "seconds": seconds, "iterations": int(g.n_iter_),
                "init_seconds": init_s,
                "avg_loglik": plugin_loglik(X, g.weights_, g.means_, g.covariances_),
                "lower_bound_constants_dropped": float(g.lower_bound_)}
    if req["system"] == "plugin":
        return {"system": "plugin",
                "avg_loglik": plugin_loglik(X, req["weights"], req["means"], req["variances"])}
    raise ValueError(f"unknown system {req['system']}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--serve", action="store_true")
    args = p.parse_args()
    with open(args.data) as f:
        d = json.load(f)
    X = np.asarray(d["x"], dtype=np.float64)
    args.K = int(d["K"])
    import sklearn
    var = np.var(X, axis=0, ddof=1)
    meta = {"numpy": np.__version__, "sklearn": sklearn.__version__,
            "python": sys.version.split()[0]}
    hyper = {"m0": X.mean(0).tolist(), "var": var.tolist()}
    init_s = init_seconds(X, args.K)
    if args.serve:
        print(json.dumps({"ready": True, "hyper": hyper, **meta}), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(json.dumps({**run(json.loads(line), X, args, init_s), **meta}), flush=True)
        return
    print(json.dumps({**run({"system": "sklearn"}, X, args, init_s), **meta}))


if __name__ == "__main__":
    main()
