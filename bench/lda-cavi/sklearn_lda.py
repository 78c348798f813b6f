#!/usr/bin/python3
"""Peers for bench/lda-cavi: LDA by batch variational Bayes, /work/shared/peers.md §1 (`lda_cavi`).

sklearn  LatentDirichletAllocation(n_components=K, learning_method='batch', max_iter=iters,
         doc_topic_prior=alpha, topic_word_prior=eta, evaluate_every=-1, random_state=0)
         on the D x V count matrix. Timed: fit; per iteration = wall / iters.
gensim   (if importable) LdaModel(update_every=0: batch VB, one M-step per pass, passes=5,
         iterations=50, chunksize=2000, alpha=[alpha]*K, eta, random_state=0, dtype=float64).
         Timed: the constructor; per iteration = wall / passes.
Quality: training perplexity exp(-ELBO / tokens) as sklearn's `perplexity(X)` computes it: a
fresh E-step (gamma started at ones, inner loop to 1e-3) under the final lambda, then the full
ELBO with phi optimised out (peers.md §1). `score_lambda` does the same for a lambda sent by
the caller (Plato's q(beta)), so both systems are scored by one formula; the ELBO Plato itself
reports (its own q(theta), q(z), q(beta)) is a lower bound of that one.

Serve:    python3 sklearn_lda.py --data corpus.json --iters 20 --serve
          prints {"ready": true, ...}, then answers each stdin line
          {"system": "sklearn"|"gensim"} or {"system": "score", "lambda": [[V floats] x K]}
          with one JSON line.
"""
import argparse
import json
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.special import psi


def load(path):
    with open(path) as f:
        d = json.load(f)
    V = d["V"]
    rows, cols = [], []
    for i, doc in enumerate(d["docs"]):
        rows.extend([i] * len(doc))
        cols.extend(doc)
    X = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(d["docs"]), V))
    X.sum_duplicates()
    return d, X


def sklearn_lda(K, alpha, eta, iters):
    from sklearn.decomposition import LatentDirichletAllocation
    return LatentDirichletAllocation(n_components=K, learning_method="batch", max_iter=iters,
                                     doc_topic_prior=alpha, topic_word_prior=eta,
                                     evaluate_every=-1, random_state=0)


def perplexity(X, lam, K, alpha, eta):
    """sklearn's perplexity(X) for topic-word parameters lam [K, V] (peers.md §1)."""
    lda = sklearn_lda(K, alpha, eta, 1)
    lda._init_latent_vars(X.shape[1])  # the priors and counters fit() sets
    lda.components_ = np.asarray(lam, dtype=np.float64)
    lda.exp_dirichlet_component_ = np.exp(
        psi(lda.components_) - psi(np.sum(lda.components_, 1))[:, np.newaxis])
    lda.n_features_in_ = X.shape[1]
    return float(lda.perplexity(X))


def top_words(lam, vocab, n=10):
    return [[vocab[i] for i in np.argsort(-row)[:n]] for row in np.asarray(lam)]


def run(req, d, X, args):
    K, alpha, eta = args.K, args.alpha, args.eta
    system = req["system"]
    if system == "sklearn":
        lda = sklearn_lda(K, alpha, eta, args.iters)
        t0 = time.perf_counter()
        lda.fit(X)
        seconds = time.perf_counter() - t0
        return {"system": system, "seconds": seconds, "iterations": args.iters,
                "perplexity": float(lda.perplexity(X)),
                "top": top_words(lda.components_, d["vocab"])}
    if system == "gensim":
        from gensim.models import LdaModel
        corpus = [list(zip(r.indices.tolist(), r.data.astype(int).tolist())) for r in X]
        id2word = dict(enumerate(d["vocab"]))
        t0 = time.perf_counter()
        m = LdaModel(corpus=corpus, id2word=id2word, num_topics=K, alpha=[alpha] * K, eta=eta,
                     passes=args.passes, update_every=0, chunksize=2000, iterations=50,
                     gamma_threshold=0.001, decay=0.5, offset=1.0, eval_every=None,
                     random_state=0, dtype=np.float64)
        seconds = time.perf_counter() - t0
        bound = m.log_perplexity(corpus)
        return {"system": system, "seconds": seconds, "iterations": args.passes,
                "perplexity": float(np.exp(-bound)),
                "top": top_words(m.get_topics(), d["vocab"])}
    if system == "score":
        return {"system": system,
                "perplexity": perplexity(X, req["lambda"], K, alpha, eta)}
    raise ValueError(f"unknown system {system}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--passes", type=int, default=5)
    p.add_argument("--K", type=int, default=20)
    p.add_argument("--alpha", type=float, default=0.1)
    p.add_argument("--eta", type=float, default=0.01)
    p.add_argument("--serve", action="store_true")
    args = p.parse_args()
    d, X = load(args.data)
    import sklearn
    meta = {"numpy": np.__version__, "sklearn": sklearn.__version__,
            "python": sys.version.split()[0]}
    try:
        import gensim
        meta["gensim"] = gensim.__version__
    except ImportError:
        meta["gensim"] = None
    if args.serve:
        print(json.dumps({"ready": True, **meta}), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(json.dumps({**run(json.loads(line), d, X, args), **meta}), flush=True)
        return
    for system in ("sklearn",) + (("gensim",) if meta["gensim"] else ()):
        print(json.dumps({**run({"system": system}, d, X, args), **meta}))


if __name__ == "__main__":
    main()
