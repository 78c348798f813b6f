// The noisy-OR triage model of issue 7 (item 7): a plate of patients, K diseases, M symptoms.
// Shared by the missing-data tests and bench/noisy-or-missing.
export const TRIAGE = `model triage {
  size N
  size K
  size M
  hyper leak: real(0,1) = 0.01
  hyper rho: real(0,1)[K]
  hyper W: real(0,)[K, M]
  plate i in N {
    plate k in K {
      d[i, k] ~ Bernoulli(rho[k])
    }
    plate j in M {
      s[i, j] ~ Bernoulli(1 - (1 - leak) * exp(-dot(W[:, j], d[i])))
    }
  }
}`;
