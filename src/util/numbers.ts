/** Printing numbers so that reading them back gives the same value, and nothing longer than needed. */

/** Shortest decimal that reads back (as float32) to the float32 value `v`. */
export function formatFloat32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v); // not a float32 value: print the double exactly
}

/** Shortest decimal that reads back to the double `v` (JavaScript's own Number-to-String). */
export function formatFloat64(v: number): string {
  if (v === 0 && Object.is(v, -0)) return '-0';
  return String(v);
}
