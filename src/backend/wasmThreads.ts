// Multithreaded tfjs-wasm in Node: XNNPACK on emscripten pthreads, which are worker_threads.
//
// tfjs-backend-wasm 4.22 ships the threaded SIMD build but switches it off in Node
// (flag WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE, tensorflow/tfjs issue 3830): its
// start-up is written for browsers and fails in Node in three places, each worked around here
// for the length of the backend's initialisation only (every patch is undone in `finally`):
//  1. The pthread worker script is handed to `new Worker` as a blob: URL, which Node's
//     worker_threads cannot start. The factory assigns `globalThis.Worker` itself, so for the
//     init we make that global an accessor whose getter returns PthreadWorker below; it starts
//     the real worker from the script's text (`eval: true`) — no file is written.
//  2. Each worker is told to importScripts `mainScriptUrlOrBlob`, a Blob holding the main
//     thread's factory as `fn.toString()`. In the Node bundle that text is ES5-transpiled and
//     calls module-level helpers (`__values`, `__read`) the worker does not have. PthreadWorker
//     gives the worker the path of the package's own untranspiled copy of the same emscripten
//     glue instead (wasm-out/tfjs-backend-wasm-threaded-simd.js, built with the same .wasm).
//  3. backend.cc caps the thread count at emscripten_num_logical_cores() / 2 (it assumes two
//     hyperthreads per core), which is os.cpus().length in Node: on a 2-core machine, 1. While the
//     module starts, os.cpus() reports 2 × the wanted count so that the cap is the count asked for.
// Emscripten starts a pool of 8 workers and waits for each to load the module: ~20 ms of CPU per
// Node worker. PthreadWorker starts a real thread only for the last `threads − 1` workers of the
// pool (the ones pthreadpool_create takes: emscripten pops unused workers from the end) and
// answers "loaded" for the others at once; one that is ever given a thread anyway starts then.
// The real workers are awaited before emscripten hears "loaded", so a worker that fails to start
// rejects this init (and the caller falls back to the one-thread SIMD build) instead of
// throwing from an event handler or leaving the main thread waiting on a futex forever.
// After the init the pthreads are unref'd: they idle between ops and must not keep Node alive.
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');
type Listener = (value: unknown) => void;

/** The parts of emscripten's pthread bookkeeping read here (the module object's PThread). */
interface EmscriptenPThread {
  runningWorkers: { unref(): void }[];
}

/** How long the threaded start may take before we give up and use one thread. */
const INIT_TIMEOUT_MS = 30_000;

/** The message emscripten's main thread sends a new worker, and the one that starts a pthread. */
interface WorkerCommand {
  cmd?: string;
  urlOrBlob?: unknown;
}

/** The worker script text and the untranspiled glue, from the installed tfjs-backend-wasm. */
export function workerSources(): { code: string; mainScript: string } {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const mainScript = join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const mod = require(join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents?: unknown;
  };
  const text = mod.wasmWorkerContents;
  // the worker protocol this file relies on: it imports the glue from a string path
  if (
    typeof text !== 'string' ||
    !text.includes('importScripts(e.data.urlOrBlob)') ||
    !text.includes('WasmBackendModuleThreadedSimd(Module)')
  )
    throw new Error('tfjs-backend-wasm: unexpected pthread worker script');
  // the text holds "\n" escapes inside string literals that its template literal turned into
  // newlines; tfjs undoes it the same way before making its Blob (backend_wasm.ts)
  return { code: text.replace(/\n/g, '\\n'), mainScript: require.resolve(mainScript) };
}

/** Shared by the pool of one init: who was loaded, and the outcome of the real starts. */
class PoolControl {
  readonly loaded: PthreadWorker[] = [];
  readonly started: Worker[] = [];
  private settling = false;
  failure: ((e: Error) => void) | undefined;

  constructor(
    readonly code: string,
    readonly mainScript: string,
    readonly eager: number,
  ) {}

  /** Emscripten sends "load" to every pool worker in one loop; act once it has finished. */
  noteLoad(w: PthreadWorker): void {
    this.loaded.push(w);
    if (this.settling) return;
    this.settling = true;
    setImmediate(() => void this.settle());
  }

  private async settle(): Promise<void> {
    const batch = this.loaded.splice(0);
    this.settling = false;
    try {
      await Promise.all(batch.slice(Math.max(0, batch.length - this.eager)).map((w) => w.start()));
    } catch (e) {
      this.failure?.(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    for (const w of batch) w.onmessage?.({ data: { cmd: 'loaded' } });
  }
}

/**
 * The subset of a Worker that emscripten's PThread uses, starting the real worker_threads Worker
 * only when needed. Emscripten sets `onmessage`/`onerror` and expando fields on it.
 */
class PthreadWorker {
  onmessage: ((e: { data: unknown }) => void) | undefined;
  onerror: Listener | undefined;
  private real: Worker | undefined;
  private ready: Promise<void> | undefined;
  private loadMsg: WorkerCommand | undefined;
  private readonly listeners: [string, Listener][] = [];
  private refd = true;

  constructor(
    url: unknown,
    private readonly pool: PoolControl,
  ) {
    // the blob: URL tfjs made for the worker script; Node keeps its Blob until revoked
    if (typeof url === 'string' && url.startsWith('blob:')) URL.revokeObjectURL(url);
  }

  on(event: string, fn: Listener): this {
    this.listeners.push([event, fn]);
    return this;
  }

  postMessage(msg: WorkerCommand, transfer?: Parameters<Worker['postMessage']>[1]): void {
    if (this.real === undefined && msg?.cmd === 'load') {
      this.loadMsg = { ...msg, urlOrBlob: this.pool.mainScript };
      this.pool.noteLoad(this);
      return;
    }
    if (this.real === undefined) void this.start();
    this.real?.postMessage(msg, transfer);
  }

  /** Start the real thread, load the module in it, resolve once it reports "loaded". */
  start(): Promise<void> {
    if (this.ready !== undefined) return this.ready;
    // execArgv []: the worker needs no loader hooks or flags of the parent (tsx, vitest)
    const w = new Worker(this.pool.code, { eval: true, execArgv: [] });
    this.real = w;
    this.pool.started.push(w);
    if (!this.refd) w.unref();
    let first = true;
    this.ready = new Promise<void>((resolve, reject) => {
      w.on('message', (d: WorkerCommand) => {
        if (first && d?.cmd === 'loaded') {
          // emscripten heard "loaded" from PoolControl (or before it gave this worker a thread)
          first = false;
          resolve();
          return;
        }
        for (const [ev, fn] of this.listeners) if (ev === 'message') fn(d);
      });
      w.on('error', (e) => {
        if (first) reject(e);
        else for (const [ev, fn] of this.listeners) if (ev === 'error') fn(e);
      });
      w.on('exit', (code) => {
        if (first)
          reject(new Error(`a wasm pthread worker exited with code ${code} while starting`));
      });
    });
    w.postMessage(this.loadMsg);
    this.loadMsg = undefined;
    return this.ready;
  }

  ref(): void {
    this.refd = true;
    this.real?.ref();
  }

  unref(): void {
    this.refd = false;
    this.real?.unref();
  }

  terminate(): Promise<number> {
    return this.real?.terminate() ?? Promise.resolve(0);
  }
}

/**
 * Initialise tfjs's 'wasm' backend on `threads` (≥ 2) XNNPACK threads; resolves to the count the
 * backend reports. Throws if it cannot (the backend is then not initialised, no worker is left
 * running, and the caller may call tf.setBackend('wasm') again for the one-thread build).
 */
export async function initThreadedWasm(
  wasm: WasmPackage,
  threads: number,
  sources: { code: string; mainScript: string } = workerSources(),
): Promise<number> {
  if (typeof SharedArrayBuffer === 'undefined')
    throw new Error('this Node has no SharedArrayBuffer');
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')))
    throw new Error('no WebAssembly SIMD: the threaded build needs it');
  const { code, mainScript } = sources;
  const pool = new PoolControl(code, mainScript, threads - 1);
  const PoolWorker = class extends PthreadWorker {
    constructor(url: unknown) {
      super(url, pool);
    }
  };
  const workerDesc = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  const cpus = os.cpus;
  let timer: NodeJS.Timeout | undefined;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  try {
    os.cpus = () => {
      const real = cpus();
      return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]!);
    };
    Object.defineProperty(globalThis, 'Worker', {
      configurable: true,
      get: () => PoolWorker,
      set: () => {}, // the factory's `commonjsGlobal.Worker = worker_threads.Worker`
    });
    const failed = new Promise<never>((_, reject) => {
      pool.failure = reject;
      timer = setTimeout(
        () => reject(new Error(`threaded start took over ${INIT_TIMEOUT_MS / 1000} s`)),
        INIT_TIMEOUT_MS,
      );
    });
    const ok = await Promise.race([tf.setBackend('wasm'), failed]);
    if (!ok) throw new Error('tf.setBackend("wasm") failed with threads');
    await tf.ready();
  } catch (e) {
    for (const w of pool.started) void w.terminate();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setThreadsCount(1);
    throw e;
  } finally {
    clearTimeout(timer);
    os.cpus = cpus;
    if (workerDesc !== undefined) Object.defineProperty(globalThis, 'Worker', workerDesc);
    else Reflect.deleteProperty(globalThis, 'Worker');
  }
  // idle pthreads must not keep the process alive (emscripten ref()s a worker given a thread)
  const module = (tf.backend() as unknown as { wasm: { PThread?: EmscriptenPThread } }).wasm;
  for (const w of module.PThread?.runningWorkers ?? []) w.unref();
  return wasm.getThreadsCount();
}
