// The progress bar: shown only on a terminal and never with --json.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressBar } from '../../src/cli/progress.js';

const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
afterEach(() => {
  if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
  else delete (process.stderr as { isTTY?: boolean }).isTTY;
  vi.restoreAllMocks();
});

function setTTY(value: boolean) {
  Object.defineProperty(process.stderr, 'isTTY', { value, configurable: true, writable: true });
}

describe('progressBar', () => {
  it('is off with --json and when stderr is not a terminal', async () => {
    setTTY(true);
    expect((await progressBar(false, 'cavi')).onProgress).toBeUndefined();
    setTTY(false);
    expect((await progressBar(true, 'cavi')).onProgress).toBeUndefined();
  });

  it('draws on stderr on a terminal', async () => {
    setTTY(true);
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation(((s: string) => {
      written.push(String(s));
      return true;
    }) as typeof process.stderr.write);
    // cli-progress asks the terminal for its width and moves the cursor
    Object.assign(process.stderr, {
      columns: 80,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    });
    const bar = await progressBar(true, 'cavi');
    expect(bar.onProgress).toBeDefined();
    bar.onProgress!(0, 10);
    bar.onProgress!(10, 10);
    bar.stop();
    expect(written.join('')).toContain('cavi [');
  });
});
