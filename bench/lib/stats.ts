/** Small statistics helpers for the benchmark. Definitions match bench/xgb_inplace.py. */

/** Median (mean of the two middle values for an even count). NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[n >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/** Nearest-rank quantile: the smallest value with at least q of the values at or below it. */
export function quantile(values: readonly number[] | Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const k = Math.max(0, Math.min(s.length - 1, Math.ceil(q * s.length) - 1));
  return s[k];
}

export function mean(values: readonly number[] | Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length ? sum / values.length : NaN;
}

/** (max - min) / median: how noisy the repetitions of one cell were. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = median(values);
  return (Math.max(...values) - Math.min(...values)) / m;
}

export interface Diff {
  /** Values compared. */
  count: number;
  /** Values that differ (NaN vs NaN and -0 vs 0 count as equal). */
  mismatches: number;
  maxAbs: number;
  /** Relative to max(|expected|, 1e-30). */
  maxRel: number;
  /** Index of the largest absolute difference, -1 if none. */
  worst: number;
}

/** Compares `got` with `want` value by value. */
export function diff(got: ArrayLike<number>, want: ArrayLike<number>): Diff {
  if (got.length !== want.length) throw new Error(`length ${got.length} != expected ${want.length}`);
  let mismatches = 0;
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    mismatches++;
    const abs = Number.isNaN(a) || Number.isNaN(b) ? Infinity : Math.abs(a - b);
    const rel = abs / Math.max(Math.abs(b), 1e-30);
    if (abs > maxAbs || worst < 0) {
      maxAbs = Math.max(maxAbs, abs);
      worst = i;
    }
    if (rel > maxRel) maxRel = rel;
  }
  return { count: want.length, mismatches, maxAbs, maxRel, worst };
}
