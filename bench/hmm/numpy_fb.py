"""Vectorised numpy forward-backward (scaled recursions) over all sequences at once, the peer of
bench/hmm (peers.md, workload 7 `hmm_fb`). Prints JSON: the median seconds of R runs and the
float64 log evidence. Usage: python3 numpy_fb.py DATA.json [R]"""
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


def main():
    d = json.load(open(sys.argv[1]))
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    init = np.array(d["init"]); A = np.array(d["A"]); mu = np.array(d["mu"])
    y = np.array(d["y"], dtype=np.float64)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        gamma, logz = forward_backward(init, A, mu, float(d["sigma"]), y)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"seconds": float(np.median(times)), "log_evidence": float(logz),
                      "first": gamma[0, 0].tolist(), "last": gamma[-1, -1].tolist()}))


main()
