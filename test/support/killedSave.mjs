// A save killed mid-write (test/cli/atomicOutput.test.ts): writes a large result to argv[2]
// through the command line's `-o` writer (the built dist/), says `mid-write` on stdout after
// the first chunk has reached the file, and then waits to be killed.
import { openOutput } from '../../dist/cli/io.js';
import { ResultArray } from '../../dist/infer/result.js';
import { writeJsonChunks } from '../../dist/report/jsonStream.js';

const target = process.argv[2];
const n = 400_000;
const data = new Float32Array(n).map((_, i) => Math.sin(i) * 1e3);
const result = { engine: 'sample', draws: { x: new ResultArray(data, [n / 100, 100]) } };
const file = await openOutput(target);
let first = true;
await writeJsonChunks(result, [
  async (chunk) => {
    await file.write(chunk);
    if (first) {
      first = false;
      process.stdout.write('mid-write\n');
      // wait here until the parent kills this process (the timer keeps the process alive)
      await new Promise(() => setInterval(() => {}, 1000));
    }
  },
]);
await file.commit();
