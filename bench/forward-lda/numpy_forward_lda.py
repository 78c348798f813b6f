#!/usr/bin/python3
"""Peer for bench/forward-lda: one ancestral draw of LDA, hand-vectorised numpy.

The process described in /work/shared/peers.md (Workload 1, "numpy (hand-vectorized)"):
  beta  = rng.dirichlet(eta * 1_V, size=K)
  theta = rng.dirichlet(alpha * 1_K, size=D)
  z     by inverse CDF, vectorised over (D, N, K)
  w     by np.searchsorted on each topic's cumulative sum, tokens grouped by topic.
The timed region is the whole draw. Checks are computed after the clock stops.

One-shot:  python3 numpy_forward_lda.py [--D 2000] [--seed 0] [--warmup 1] [--repeats 1]
           prints one JSON object {seconds, tokens, checks, ...} (seconds: the last repeat;
           all repeats in seconds_all).
Serve:     python3 numpy_forward_lda.py --serve [sizes]
           reads one JSON object per stdin line ({"seed": s}), draws once, prints one JSON
           line per request; used by run.ts to interleave with Plato in a warm process.
"""
import argparse
import json
import math
import sys
import time

import numpy as np


def draw(rng, K, V, D, N, alpha, eta):
    beta = rng.dirichlet(np.full(V, eta), size=K)  # K x V
    theta = rng.dirichlet(np.full(K, alpha), size=D)  # D x K
    # z: inverse CDF, u compared against each document's cumulative theta over (D, N, K)
    cum_theta = np.cumsum(theta, axis=1)
    u = rng.random((D, N)) * cum_theta[:, -1:]
    z = (u[:, :, None] >= cum_theta[:, None, :]).sum(axis=2)
    np.minimum(z, K - 1, out=z)  # guards u landing on the float top of the cumsum
    # w: tokens grouped by topic, one searchsorted per topic's cumulative beta
    zf = z.ravel()
    order = np.argsort(zf, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(zf, minlength=K))))
    cum_beta = np.cumsum(beta, axis=1)
    u2 = rng.random(D * N)
    w = np.empty(D * N, dtype=np.int64)
    for k in range(K):
        idx = order[bounds[k] : bounds[k + 1]]
        w[idx] = np.searchsorted(cum_beta[k], u2[idx] * cum_beta[k, -1], side="right")
    np.minimum(w, V - 1, out=w)
    return beta, theta, z, w.reshape(D, N)


def checks(z, w, K, V):
    D, N = z.shape
    zs = np.sort(z, axis=1)
    topics_per_doc = 1 + (np.diff(zs, axis=1) != 0).sum(axis=1)
    # mean over topics of distinct words = distinct (topic, word) pairs / K
    pairs = np.unique(z.ravel().astype(np.int64) * V + w.ravel())
    return {
        "meanWordId": float(w.mean()),
        "distinctTopicsPerDoc": float(topics_per_doc.mean()),
        "distinctWordsPerTopic": float(pairs.size / K),
        "minWordId": int(w.min()),
        "maxWordId": int(w.max()),
        "maxTopic": int(z.max()),
    }


def analytic(K, V, N, alpha):
    """Exact expectations: E[w] = (V-1)/2 by symmetry; a document misses topic k with
    probability E[(1-theta_k)^N], theta_k ~ Beta(alpha, (K-1) alpha)."""
    a, b = alpha, (K - 1) * alpha
    miss = math.exp(math.lgamma(a + b) + math.lgamma(b + N) - math.lgamma(b) - math.lgamma(a + b + N))
    return {"meanWordId": (V - 1) / 2, "distinctTopicsPerDoc": K * (1 - miss)}


def reference(args, m):
    """Mean and sd of each check statistic over m independent draws (seeds 10**6 + i)."""
    stats = [run_once(args, 10**6 + i)[1] for i in range(m)]
    out = {}
    for key in ("meanWordId", "distinctTopicsPerDoc", "distinctWordsPerTopic"):
        xs = np.array([s[key] for s in stats])
        out[key] = {"mean": float(xs.mean()), "sd": float(xs.std(ddof=1)), "m": m}
    return out


def run_once(args, seed):
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    beta, theta, z, w = draw(rng, args.K, args.V, args.D, args.N, args.alpha, args.eta)
    seconds = time.perf_counter() - t0
    return seconds, checks(z, w, args.K, args.V)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--K", type=int, default=20)
    p.add_argument("--V", type=int, default=5000)
    p.add_argument("--D", type=int, default=2000)
    p.add_argument("--N", type=int, default=100)
    p.add_argument("--alpha", type=float, default=0.1)
    p.add_argument("--eta", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--serve", action="store_true")
    p.add_argument("--reference", type=int, default=0, metavar="M",
                   help="print mean and sd of the checks over M draws instead of timing")
    args = p.parse_args()
    meta = {"system": "numpy", "version": np.__version__, "python": sys.version.split()[0]}
    tokens = args.D * args.N

    if args.reference > 0:
        ref = reference(args, args.reference)
        print(json.dumps({"reference": ref, "analytic": analytic(args.K, args.V, args.N, args.alpha), **meta}))
        return
    for i in range(args.warmup):
        run_once(args, args.seed + 1000 + i)
    if args.serve:
        print(json.dumps({"ready": True, **meta}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            seconds, chk = run_once(args, int(req.get("seed", args.seed)))
            print(json.dumps({"seconds": seconds, "tokens": tokens, "checks": chk, **meta}), flush=True)
        return
    all_s = []
    for i in range(args.repeats):
        seconds, chk = run_once(args, args.seed + i)
        all_s.append(seconds)
    print(json.dumps({"seconds": all_s[-1], "seconds_all": all_s, "tokens": tokens, "checks": chk, **meta}))


if __name__ == "__main__":
    main()
