import fc from 'fast-check';

/** a random SPD matrix M M^T / D + 0.5 I (condition number below ~20), entries through `round` */
export const spd = (D: number, round: (v: number) => number = (v) => v) =>
  fc
    .array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: D * D, maxLength: D * D })
    .map((m) =>
      Array.from({ length: D }, (_, i) =>
        Array.from({ length: D }, (_, j) => {
          let v = i === j ? 0.5 : 0;
          for (let k = 0; k < D; k++) v += (m[i * D + k]! * m[j * D + k]!) / D;
          return round(v);
        }),
      ),
    );
