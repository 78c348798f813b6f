// Small-matrix linear algebra: batched float32 tensors (batched.ts) and float64 JavaScript for
// the closed-form P x P systems (dense64.ts).
export {
  cholesky,
  choleskyInverse,
  choleskyLogDet,
  choleskySolve,
  diagPart,
  isPositiveDefinite,
  matVec,
  type TriangularSolveOptions,
  triangularSolve,
} from './batched.js';
export {
  Cholesky64,
  cholesky64,
  choleskyBlocks,
  inverse64,
  inverseBlocks,
  inverseSPD64,
  logDetBlocks,
  logDetSPD64,
  lowerInverseBlocks,
  type Mat64,
  matMul64,
  NotPositiveDefiniteError,
  SingularMatrixError,
  solve64,
  solveBlocks,
  solveSPD64,
  symmetrizeBlocks,
} from './dense64.js';
