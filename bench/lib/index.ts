// Shared helpers for every side-by-side benchmark in bench/<workload>/run.ts.
export { COMMON_OPTIONS, PYTHON_OPTION, peerOptions, SHARED_DATA } from './args.js';
export {
  describeMachine,
  type MachineInfo,
  machineLine,
  OtherLoad,
  waitForQuiet,
  waitIfAsked,
} from './machine.js';
export { type Json, PeerServer, runJson } from './peer.js';
export {
  BENCH_DIR,
  markdownTable,
  RESULTS_DIR,
  ratio,
  secs,
  si,
  textTable,
  writeResults,
} from './report.js';
export {
  type Contender,
  type ContenderResult,
  interleave,
  type Measurement,
  median,
  timeIt,
} from './timing.js';
