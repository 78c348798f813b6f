// Entry point of `plato` (bin/plato.js imports this module). Exits with the code `run` returns:
// explicitly, because a loaded tfjs backend may keep the event loop alive.
import { run } from './program.js';

const code = await run(process.argv.slice(2));
process.exit(code);
