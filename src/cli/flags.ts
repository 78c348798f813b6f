// Parsers for numeric flags. Each throws commander's InvalidArgumentError, which commander
// prints as `error: option '-n, --n <count>' argument '-3' is invalid. …` and exits 1.
import { InvalidArgumentError } from 'commander';

/** `-n`, `--iters`, `--epochs`, …: 1, 2, 3, … */
export function positiveInt(value: string): number {
  const x = /^\+?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(x) || x < 1)
    throw new InvalidArgumentError('expected a positive integer.');
  return x;
}

/** `--seed`: any integer. */
export function integer(value: string): number {
  const x = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(x)) throw new InvalidArgumentError('expected an integer.');
  return x;
}

/** `--tol`, `--lr`: a finite number > 0 (`1e-6` is fine). */
export function positiveNumber(value: string): number {
  const x = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError('expected a positive number.');
  return x;
}
