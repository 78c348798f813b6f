"""Vectorised numpy forward-backward (scaled recursions) over all sequences at once, the peer of
bench/hmm (peers.md, workload 7 `hmm_fb`).

Serve:    python3 numpy_fb.py DATA.json --serve
          prints {"ready": true, ...}, then answers each stdin line (any JSON object) with one JSON
          line {"seconds", "log_evidence", "first", "last"}; run.ts interleaves it with Plato.
One-shot: python3 numpy_fb.py DATA.json [--repeats R]  (prints the median seconds)
"""
import argparse
import json
import sys
import time

import numpy as np


def forward_backward(init, A, mu, sigma, y):
    M, T = y.shape
    K = len(init)
    loge = -0.5 * ((y[:, :, None] - mu[None, None, :]) / sigma) ** 2 - np.log(sigma * np.sqrt(2 * np.pi))
    m = loge.max(axis=2, keepdims=True)
    e = np.exp(loge - m)
    alpha = np.empty((T, M, K))
    c = np.empty((T, M))
    a = init[None, :] * e[:, 0]
    c[0] = a.sum(1)
    alpha[0] = a / c[0][:, None]
    for t in range(1, T):
        a = (alpha[t - 1] @ A) * e[:, t]
        c[t] = a.sum(1)
        alpha[t] = a / c[t][:, None]
    beta = np.ones((M, K))
    gamma = np.empty((T, M, K))
    gamma[T - 1] = alpha[T - 1]
    for t in range(T - 1, 0, -1):
        beta = ((e[:, t] * beta) / c[t][:, None]) @ A.T
        gamma[t - 1] = alpha[t - 1] * beta
    return gamma, np.log(c).sum() + m.sum()


def run_once(init, A, mu, sigma, y):
    t0 = time.perf_counter()
    gamma, logz = forward_backward(init, A, mu, sigma, y)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "log_evidence": float(logz),
            "first": gamma[0, 0].tolist(), "last": gamma[-1, -1].tolist()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("--serve", action="store_true")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args()
    d = json.load(open(args.data))
    init = np.array(d["init"]); A = np.array(d["A"]); mu = np.array(d["mu"])
    y = np.array(d["y"], dtype=np.float64)
    sigma = float(d["sigma"])
    meta = {"system": "numpy", "version": np.__version__, "python": sys.version.split()[0]}
    for _ in range(args.warmup):
        run_once(init, A, mu, sigma, y)
    if args.serve:
        print(json.dumps({"ready": True, **meta}), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(json.dumps({**run_once(init, A, mu, sigma, y), **meta}), flush=True)
        return
    runs = [run_once(init, A, mu, sigma, y) for _ in range(args.repeats)]
    secs = sorted(r["seconds"] for r in runs)
    print(json.dumps({"seconds": secs[len(secs) // 2], "log_evidence": runs[-1]["log_evidence"], **meta}))


if __name__ == "__main__":
    main()
