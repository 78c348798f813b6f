// The parts of chevrotain the frontend uses at run time, loaded from its single-file bundle.
// chevrotain's package entry (lib/src/api.js) is ~650 ES modules with lodash-es: loading them
// took half of `plato check`'s start-up (0.15 s idle, 0.6 s on a busy 2-core machine). The same
// release ships the same code bundled as one file, lib/chevrotain.mjs (in its published files),
// which loads in a tenth of that. Its `exports` do not name the bundle, so it is found next to
// the entry Node resolves; without it (another release) the entry is used. Every run-time use
// of chevrotain in src/ goes through here: tokens, EOF and grammar objects from two copies
// would not be the same objects. Types still come from 'chevrotain' (`import type`).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Chevrotain = typeof import('chevrotain');

const entry = createRequire(import.meta.url).resolve('chevrotain'); // …/chevrotain/lib/src/api.js
const bundle = join(dirname(entry), '..', 'chevrotain.mjs');
const chevrotain: Chevrotain = existsSync(bundle)
  ? await import(pathToFileURL(bundle).href)
  : await import('chevrotain');

export const { CstParser, createToken, EOF, generateCstDts, Lexer, tokenLabel } = chevrotain;
