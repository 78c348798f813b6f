// Discrete-chain models the Baum–Welch tests share.

/** An HMM with Categorical emissions (a "dice" chain): init, A and the table B learned. */
export const DICE_HMM = `model dice {
  size S
  size V
  size T
  param init: simplex[S]
  param A: simplex[S, S]
  param B: simplex[S, V]
  plate t in T {
    z[t] ~ Categorical(t == 0 ? init : A[z[t - 1]])
    y[t] ~ Categorical(B[z[t]])
  }
}`;
