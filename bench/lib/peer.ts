// Running peer systems from the harness. Two shapes:
//  - runJson: a one-shot process that prints a JSON object on a line of its own (the last such
//    line counts), e.g. a WebPPL program that times Infer inside itself;
//  - PeerServer: a long-lived process speaking one JSON object per line on stdin/stdout, so a
//    peer stays warm (imports done, data loaded) while it is interleaved with Plato.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

export type Json = Record<string, unknown>;

/**
 * The environment of a peer process: this one's, less OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE.
 * This workplace sets both for older OpenBLAS builds; they slow a current numpy several-fold,
 * and the peers' reference figures (peers.md) were measured with both unset.
 */
export function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function lastJsonLine(text: string): Json | undefined {
  const lines = text.split('\n').filter((l) => l.trim().startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]) as Json;
    } catch {
      // not JSON after all; try the line before
    }
  }
  return undefined;
}

/** Run a command to completion and parse the last JSON line of its stdout. */
export function runJson(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string } = {},
): Promise<Json> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: peerEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const json = lastJsonLine(out);
      if (code === 0 && json) resolve(json);
      else {
        const tail = `${out}\n${err}`.trim().split('\n').slice(-15).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${tail}`));
      }
    });
  });
}

/** A peer process answering one JSON request line with one JSON response line. */
export class PeerServer {
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly queued: string[] = [];
  private stderr = '';
  private exited: string | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => {
      if (!line.trim().startsWith('{')) return;
      const w = this.waiting.shift();
      if (w) w(line);
      else this.queued.push(line);
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      this.exited = `exited with ${code ?? signal}`;
      for (const w of this.waiting.splice(0)) w('');
    });
  }

  /** Start the process and wait for its first JSON line (a readiness message, returned). */
  static async start(
    cmd: string,
    args: readonly string[],
  ): Promise<{ server: PeerServer; hello: Json }> {
    const server = new PeerServer(
      spawn(cmd, args, { env: peerEnv(), stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    const hello = await server.next();
    return { server, hello };
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async request(req: Json): Promise<Json> {
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    return this.next();
  }

  close(): void {
    this.child.stdin.end();
    this.lines.close();
  }

  private next(): Promise<Json> {
    const line = this.queued.shift() ?? (this.exited ? '' : undefined);
    const got =
      line !== undefined ? Promise.resolve(line) : new Promise<string>((r) => this.waiting.push(r));
    return got.then((l) => {
      if (l === '') throw new Error(`peer ${this.exited ?? 'closed'}:\n${this.stderr}`);
      return JSON.parse(l) as Json;
    });
  }
}
