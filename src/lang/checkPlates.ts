// Plate checks: the left-hand side's indices against the enclosing plates, and ragged plates
// (`plate n in N[d]`) against their size's declaration and the plate of their index.

import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import type { LValue, PlateStmt, SizeStmt } from './ast.js';
import { at, type Sym } from './symbols.js';

export interface PlateHost {
  readonly diags: Diagnostic[];
  /** the plate, anywhere in the block, whose index is `name` */
  plateOfIndex(name: string): PlateStmt | undefined;
}

export function checkRagged(
  host: PlateHost,
  p: PlateStmt,
  plates: readonly PlateStmt[],
  size: Sym,
): void {
  const over = (size.stmt as SizeStmt).raggedOver?.name;
  if (!p.sizeIndex) {
    if (over !== undefined) {
      const outer = plates.find((q) => q.size.name === over);
      host.diags.push(
        error(
          'type',
          `size '${size.name}' is ragged (one value per element of ${over}); it needs an index`,
          p.size.range,
          [
            outer
              ? `write 'plate ${p.index.name} in ${size.name}[${outer.index.name}]'`
              : `put this plate inside 'plate d in ${over}' and write 'plate ${p.index.name} in ${size.name}[d]'`,
          ],
        ),
      );
    }
    return;
  }
  const idx = p.sizeIndex;
  if (over === undefined) {
    host.diags.push(
      error('type', `size '${size.name}' is not ragged, so it takes no index`, idx.range, [
        `write 'plate ${p.index.name} in ${size.name}', or declare 'size ${size.name}[D]' to give one value per element of D`,
      ]),
    );
    return;
  }
  const outer = plates.find((q) => q.index.name === idx.name);
  if (!outer) {
    const elsewhere = host.plateOfIndex(idx.name);
    host.diags.push(
      error(
        'plate-index',
        `'${idx.name}' in '${size.name}[${idx.name}]' is not the index of an enclosing plate`,
        idx.range,
        [
          elsewhere
            ? `'${idx.name}' is the index of the plate at ${at(elsewhere.index.range)}, which does not enclose this one`
            : `a ragged plate sits inside the plate over ${over}: 'plate d in ${over} { plate ${p.index.name} in ${size.name}[d] { … } }'`,
        ],
      ),
    );
    return;
  }
  if (outer.size.name !== over) {
    host.diags.push(
      error(
        'type',
        `'${size.name}' is ragged over ${over}, but '${idx.name}' ranges over ${outer.size.name}`,
        idx.range,
        [`index ${size.name} with the index of a plate over ${over}`],
      ),
    );
    return;
  }
  if (plates[plates.length - 1] !== outer) {
    host.diags.push(
      error(
        'unsupported',
        `a ragged plate must sit directly inside the plate of its index '${idx.name}'`,
        idx.range,
      ),
    );
  }
}

export function checkTarget(host: PlateHost, target: LValue, plates: readonly PlateStmt[]): void {
  const expected = plates.map((p) => p.index.name);
  const given = target.indices.map((i) => i.name);
  if (expected.length === given.length && expected.every((e, k) => e === given[k])) return;
  const name = target.name.name;
  const proper = expected.length > 0 ? `${name}[${expected.join(', ')}]` : name;
  for (const i of target.indices) {
    if (expected.includes(i.name)) continue;
    const elsewhere = host.plateOfIndex(i.name);
    const hint = elsewhere
      ? `'${i.name}' is the index of the plate at ${at(elsewhere.index.range)}, which does not enclose this statement`
      : expected.length > 0
        ? `the left-hand side names the enclosing plates' indices: ${proper}`
        : `to give '${name}' a shape, annotate it: '${name}: real[K] ~ …'`;
    host.diags.push(
      error('plate-index', `'${i.name}' is not the index of an enclosing plate`, i.range, [hint]),
    );
    return;
  }
  const message =
    expected.length === 0
      ? `'${name}' is not inside a plate, so it takes no indices`
      : given.length === expected.length
        ? `the indices of '${name}' must follow the enclosing plates in order: ${proper}`
        : `'${name}' is inside ${plural(expected.length, 'plate')} ${expected.join(', ')}, so it must be written ${proper}`;
  host.diags.push(error('plate-index', message, target.range));
}

export function plateHeader(p: PlateStmt): string {
  return `plate ${p.index.name} in ${p.size.name}${p.sizeIndex ? `[${p.sizeIndex.name}]` : ''}`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
