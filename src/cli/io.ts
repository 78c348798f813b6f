// Files in and out of the command line: the model, the data, the `-o` result.
import { open, readFile } from 'node:fs/promises';

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

/** Read a text file; failures become `cannot read <what> 'path': no such file`. */
export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} '${path}': ${reason(e)}`);
  }
}

/** An output file opened for chunked writing. */
export interface OutputFile {
  write(chunk: string): Promise<void>;
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
    close: () => handle.close(),
  };
}

/** Write to a stream and wait until it is handed to the OS (so exiting right after loses nothing). */
export function writeStream(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
