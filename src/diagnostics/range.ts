// Source positions and ranges: shared by the language's diagnostics and every layer that points
// at a line of the model (engines' refusals, data errors).

/** A point in the source. `line` and `column` are 1-based; `offset` is 0-based. */
export interface Pos {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A half-open source range [start, end). */
export interface Range {
  readonly start: Pos;
  readonly end: Pos;
}
