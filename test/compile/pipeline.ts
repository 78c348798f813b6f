// Source + data → BoundModel through the real frontend, graph builder and binder.
import { bind } from '../../src/graph/bind.js';
import type { BoundModel, DataInput } from '../../src/graph/bound.js';
import { buildGraph } from '../../src/graph/build.js';
import { PlatoError } from '../../src/lang/diagnostics.js';
import { frontend } from '../../src/lang/index.js';

export function boundModel(source: string, data: DataInput, filename = 'test.plato'): BoundModel {
  const front = frontend(source, filename);
  if (!front.program || front.diagnostics.some((d) => d.severity === 'error')) {
    throw new PlatoError(front.diagnostics, source, filename);
  }
  const built = buildGraph(front.program, source, filename);
  if (!built.graph) throw new PlatoError(built.diagnostics, source, filename);
  return bind(built.graph, data);
}

/** The reference models of DESIGN.md §2, verbatim. */
export const MODELS = {
  coin: `model coin {
  size N
  hyper a: real(0,) = 1
  hyper b: real(0,) = 1
  theta ~ Beta(a, b)
  plate i in N {
    y[i] ~ Bernoulli(theta)
  }
}`,
  blr: `model blr {
  size N
  size P
  hyper sigma: real(0,) = 1
  hyper tau: real(0,) = 3.1623
  data X: real[N, P]
  beta ~ Normal(zeros(P), tau)
  plate i in N {
    y[i] ~ Normal(dot(X[i], beta), sigma)
  }
}`,
  gmm: `model gmm {
  size N
  size D
  size K = 3
  param pi: simplex[K] = rep(1.0 / K, K)
  param mu: real[K, D]
  param Sigma: real[K, D, D] = eye(D)
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i] ~ MvNormal(mu[z[i]], Sigma[z[i]])
  }
}`,
  lda: `model lda {
  size K = 20
  size V
  size D
  size N[D]
  hyper alpha: real(0,) = 0.1
  hyper eta: real(0,) = 0.01
  plate k in K {
    beta[k] ~ Dirichlet(rep(eta, V))
  }
  plate d in D {
    theta[d] ~ Dirichlet(rep(alpha, K))
    plate n in N[d] {
      z[d, n] ~ Categorical(theta[d])
      w[d, n] ~ Categorical(beta[z[d, n]])
    }
  }
}`,
  noisyOr: `model noisy_or {
  size K                                  // diseases
  size M                                  // symptoms
  hyper leak: real(0,1) = 0.01
  param rho: real(0,1)[K] = rep(0.05, K)
  param W: real(0,)[K, M] = 1.0
  plate k in K {
    d[k] ~ Bernoulli(rho[k])
  }
  plate j in M {
    s[j] ~ Bernoulli(1 - (1 - leak) * exp(-dot(W[:, j], d)))
  }
}`,
} as const;
