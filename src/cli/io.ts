// Files in and out of the command line: the model, the data, the `-o` result.
import { mkdir, open, readFile } from 'node:fs/promises';

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

/** An output file opened for chunked writing. */
export interface OutputFile {
  write(chunk: string): Promise<void>;
  writeBytes(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Open the `-o` file (failures become `cannot write output file 'path': …`). */
export async function openOutput(path: string): Promise<OutputFile> {
  // writing creates the file, so a missing entry is a missing directory
  const fail = (e: unknown) =>
    new CliError(
      `cannot write output file '${path}': ${
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : reason(e)
      }`,
    );
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'w');
  } catch (e) {
    throw fail(e);
  }
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
    close: () => handle.close(),
  };
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
  } finally {
    await file.close();
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
