// Files in and out of the command line: the model, the data, the `-o` result.
import { randomBytes } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdir,
  open,
  readFile,
  realpath,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A user error of the command line itself (a file it cannot read or write): exit 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Read a text file; failures become `cannot read <what> 'path': no such file`. A file that is
 * not UTF-8 text (a binary, a Latin-1 file) is one error, not a parse of replacement characters
 * and NUL bytes.
 */
export async function readText(path: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new CliError(`cannot read ${what} '${path}': ${reason(e)}`);
  }
  const text = decodeText(bytes);
  if (text === undefined)
    throw new CliError(`cannot read ${what} '${path}': not a text file (it is not UTF-8 text)`);
  return text;
}

/** The UTF-8 text of `bytes` (without a byte-order mark), or undefined if it is not text. */
export function decodeText(bytes: Uint8Array): string | undefined {
  // text files hold no NUL bytes; UTF-16 and binaries do
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * An output file opened for chunked writing. It is written to a temporary file beside the
 * target and appears under its own name only on `commit` — whole, or not at all.
 */
export interface OutputFile {
  write(chunk: string): Promise<void>;
  writeBytes(bytes: Uint8Array): Promise<void>;
  /** flush the data to disk (fsync), then rename the temporary file over the target */
  commit(): Promise<void>;
  /** remove the temporary file; the target is left as it was */
  discard(): Promise<void>;
}

/**
 * The temporary file beside `target` (`.result.json.<pid>-<random>.tmp`): the same directory,
 * hence the same file system, so the final rename is atomic (POSIX rename(2)); hidden and
 * marked `.tmp`, so one left by a killed process is recognisably not a result.
 */
export function temporaryPath(target: string): string {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return join(dirname(target), `.${basename(target)}.${tag}.tmp`);
}

/** The file `path` names: a symbolic link's target (replaced in place, the link kept). */
async function resolveTarget(path: string): Promise<string> {
  try {
    return (await lstat(path)).isSymbolicLink() ? await realpath(path) : path;
  } catch {
    return path; // no such file yet (or a dangling link, which the result then replaces)
  }
}

/**
 * Open the `-o` file (failures become `cannot write output file 'path': …`). The result goes
 * to a temporary file in the target's directory, which `commit` fsyncs and renames over the
 * target (then fsyncs the directory, so the rename itself survives a power cut). A crash or a
 * kill at any moment before leaves the old file (or none) intact: the write-then-rename
 * protocol of editors and package managers. A killed process can leave its temporary file.
 */
export async function openOutput(path: string): Promise<OutputFile> {
  // writing creates the file, so a missing entry is a missing directory
  const fail = (e: unknown) =>
    new CliError(
      `cannot write output file '${path}': ${
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : reason(e)
      }`,
    );
  const target = await resolveTarget(path);
  // the old file's permissions carry over to the new one
  let mode: number | undefined;
  try {
    const s = await stat(target);
    if (s.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    mode = s.mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(e);
  }
  const temp = temporaryPath(target);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(temp, 'wx');
    if (mode !== undefined) await chmod(temp, mode);
  } catch (e) {
    throw fail(e);
  }
  let isOpen = true;
  const close = async () => {
    if (!isOpen) return;
    isOpen = false;
    await handle.close();
  };
  return {
    async write(chunk) {
      try {
        await handle.write(chunk, null, 'utf8');
      } catch (e) {
        throw fail(e);
      }
    },
    async writeBytes(bytes) {
      try {
        await handle.write(bytes);
      } catch (e) {
        throw fail(e);
      }
    },
    async commit() {
      try {
        await handle.sync();
        await close();
        await rename(temp, target);
      } catch (e) {
        await close().catch(() => {});
        await unlink(temp).catch(() => {});
        throw fail(e);
      }
      await syncDirectory(dirname(target));
    },
    async discard() {
      await close().catch(() => {});
      await unlink(temp).catch(() => {});
    },
  };
}

/** fsync a directory (its entry for a renamed file); not every platform allows it: best effort. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Windows cannot open a directory; the rename has happened all the same
  }
}

/** Write to a stream and wait until it is handed to the OS (so exiting right after loses nothing). */
export function writeStream(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** Write a whole file (text or bytes); failures read as `openOutput`'s do. */
export async function writeOutputFile(path: string, content: string | Uint8Array): Promise<void> {
  const file = await openOutput(path);
  try {
    await (typeof content === 'string' ? file.write(content) : file.writeBytes(content));
    await file.commit();
  } catch (e) {
    await file.discard();
    throw e;
  }
}

/** Make the directory `dir` (and its parents) for files the command writes into it. */
export async function makeOutputDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot make output directory '${dir}': ${reason(e)}`);
  }
}
