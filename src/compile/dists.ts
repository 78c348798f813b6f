// The distribution factory the plan uses (one indirection, so the compiler has one import).
export {
  HostMassCache,
  logProbObserved,
  makeDistribution,
  truncate,
} from '../distributions/index.js';
