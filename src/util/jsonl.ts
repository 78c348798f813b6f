// Reading a JSON-lines file in bounded memory: its non-blank lines, in blocks of at most `size`,
// through node:readline (which holds one chunk of the file at a time). A block is handed out
// before the next is read, so a reader never holds more than `size` lines: a file larger than
// memory is read in passes.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** A non-blank line and its 1-based line number in the file (for messages). */
export interface NumberedLine {
  readonly text: string;
  readonly line: number;
}

/** What a reader has held at most (a test of the bounded-memory claim). */
export interface ReaderStats {
  /** the most lines held at once */
  maxHeld: number;
  /** blocks handed out */
  blocks: number;
}

/** The non-blank lines of `path` in blocks of at most `size` lines, in file order. */
export async function* lineBlocks(
  path: string,
  size: number,
  stats?: ReaderStats,
): AsyncGenerator<NumberedLine[]> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const rl = createInterface({
    input,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let block: NumberedLine[] = [];
  let n = 0;
  try {
    for await (const text of rl) {
      n++;
      if (text.trim() === '') continue;
      block.push({ text, line: n });
      if (stats) stats.maxHeld = Math.max(stats.maxHeld, block.length);
      if (block.length === size) {
        if (stats) stats.blocks++;
        yield block;
        block = [];
      }
    }
    if (block.length > 0) {
      if (stats) stats.blocks++;
      yield block;
    }
  } finally {
    rl.close();
    input.destroy(); // a reader stopped early (firstLine) releases the file
  }
}

/** The number of non-blank lines of `path` (one pass, bounded memory). */
export async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const b of lineBlocks(path, 4096)) n += b.length;
  return n;
}

/** The first non-blank line of `path`, or undefined for an empty file. */
export async function firstLine(path: string): Promise<NumberedLine | undefined> {
  for await (const b of lineBlocks(path, 1)) return b[0];
  return undefined;
}
