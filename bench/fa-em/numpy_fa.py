#!/usr/bin/python3
"""Peers for bench/fa-em: maximum-likelihood factor analysis, /work/shared/peers.md §4 (`fa_em`).

numpy   Peer B: hand-written vectorised EM (PRML §12.2.4; Ghahramani & Hinton 1996), exactly
        `iters` iterations from W_init, psi_init with xbar the sample mean and Xc = x - xbar:
            G = inv(I_K + W^T diag(1/psi) W); Ez = Xc diag(1/psi) W G; Szz = N G + Ez^T Ez
            XEz = Xc^T Ez; W = XEz Szz^-1; psi = mean_n(Xc^2) - rowsum(W * XEz) / N
        Timed: centring + the iterations (no log-likelihood inside the loop).
numpy-stats  Peer B': the same EM on the sufficient statistics S = Xc^T Xc / N (computed once,
        inside the timer): identical iterates, per-iteration cost independent of N.
sklearn Peer A: FactorAnalysis(n_components=K, svd_method='lapack', random_state=0) with its
        defaults (tol 1e-2, max_iter 1000). Timed: fit; per iteration = wall / n_iter_.
Quality (both): the average log-likelihood mean_n log N(x_n | xbar, W W^T + diag psi).

Serve:    python3 numpy_fa.py --data fa-20k.json --serve
          prints {"ready": true, ...}, then answers each stdin line {"system": "numpy"|"sklearn"}
          with one JSON line {"seconds", "iterations", "avg_loglik", ...}.
One-shot: python3 numpy_fa.py --data fa-20k.json  (prints one run of each)
"""
import argparse
import json
import sys
import time

import numpy as np


def load(path):
    with open(path) as f:
        d = json.load(f)
    return d, np.asarray(d["x"], dtype=np.float64)


def avg_loglik(X, W, psi):
    N, P = X.shape
    xc = X - X.mean(0)
    C = W @ W.T + np.diag(psi)
    _, logdet = np.linalg.slogdet(C)
    S = xc.T @ xc / N
    return float(-0.5 * (P * np.log(2 * np.pi) + logdet + np.trace(np.linalg.solve(C, S))))


def numpy_em(X, W0, psi0, iters):
    t0 = time.perf_counter()
    N = X.shape[0]
    K = W0.shape[1]
    xbar = X.mean(0)
    Xc = X - xbar
    var = np.mean(Xc**2, axis=0)
    W = W0.copy()
    psi = psi0.copy()
    for _ in range(iters):
        G = np.linalg.inv(np.eye(K) + W.T @ (W / psi[:, None]))
        Ez = (Xc / psi) @ W @ G
        Szz = N * G + Ez.T @ Ez
        XEz = Xc.T @ Ez
        W = XEz @ np.linalg.inv(Szz)
        psi = var - np.sum(W * XEz, axis=1) / N
    seconds = time.perf_counter() - t0
    return seconds, W, psi


def numpy_em_stats(X, W0, psi0, iters):
    t0 = time.perf_counter()
    N = X.shape[0]
    K = W0.shape[1]
    Xc = X - X.mean(0)
    S = Xc.T @ Xc / N
    var = np.diag(S)
    W = W0.copy()
    psi = psi0.copy()
    for _ in range(iters):
        G = np.linalg.inv(np.eye(K) + W.T @ (W / psi[:, None]))
        B = G @ (W.T / psi)          # E[z_n] = B xc_n
        SB = S @ B.T                 # sum_n xc_n E[z_n]^T / N
        Ezz = G + B @ SB             # sum_n E[z_n z_n^T] / N
        W = SB @ np.linalg.inv(Ezz)
        psi = var - np.sum(W * SB, axis=1)
    seconds = time.perf_counter() - t0
    return seconds, W, psi


def run(system, d, X, iters):
    if system in ("numpy", "numpy-stats"):
        W0 = np.asarray(d["W_init"], dtype=np.float64)
        psi0 = np.asarray(d["psi_init"], dtype=np.float64)
        em = numpy_em if system == "numpy" else numpy_em_stats
        seconds, W, psi = em(X, W0, psi0, iters)
        return {"system": system, "seconds": seconds, "iterations": iters,
                "avg_loglik": avg_loglik(X, W, psi)}
    if system == "sklearn":
        from sklearn.decomposition import FactorAnalysis
        fa = FactorAnalysis(n_components=d["K"], svd_method="lapack", random_state=0)
        t0 = time.perf_counter()
        fa.fit(X)
        seconds = time.perf_counter() - t0
        return {"system": "sklearn", "seconds": seconds, "iterations": int(fa.n_iter_),
                "avg_loglik": avg_loglik(X, fa.components_.T, fa.noise_variance_),
                "score": float(fa.score(X))}
    raise ValueError(f"unknown system {system}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--iters", type=int, default=100)
    p.add_argument("--serve", action="store_true")
    args = p.parse_args()
    d, X = load(args.data)
    import sklearn
    meta = {"numpy": np.__version__, "sklearn": sklearn.__version__,
            "python": sys.version.split()[0]}
    if args.serve:
        print(json.dumps({"ready": True, **meta}), flush=True)
        for line in sys.stdin:
            if line.strip():
                req = json.loads(line)
                print(json.dumps({**run(req["system"], d, X, args.iters), **meta}), flush=True)
        return
    for system in ("numpy", "numpy-stats", "sklearn"):
        print(json.dumps({**run(system, d, X, args.iters), **meta}))


if __name__ == "__main__":
    main()
