/**
 * Fit statistics, deterministic and documented (README.md "Fit statistics"). Missing values
 * (NaN, MISSING_CODE) are skipped everywhere; a statistic of no values is undefined (the caller
 * turns that into a fit error naming the column).
 */
import { compareNames } from './values.js';

/** Neumaier-compensated summation, in row order: deterministic, and exact for far more inputs than a naive running sum. */
export class Sum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

/** Mean of the non-NaN values: compensated sum in row order / count. */
export function mean(values: Float64Array): number | undefined {
  const s = new Sum();
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) {
      s.add(v);
      n++;
    }
  }
  return n === 0 ? undefined : s.value / n;
}

function sortedFinite(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) out[k++] = values[i];
  return out.sort();
}

/** Median of the non-NaN values: the middle value, or the mean of the two middle values ((a + b) / 2). */
export function median(values: Float64Array): number | undefined {
  const s = sortedFinite(values);
  const n = s.length;
  if (n === 0) return undefined;
  if (n % 2 === 1) return s[(n - 1) / 2];
  const a = s[n / 2 - 1];
  const b = s[n / 2];
  const m = (a + b) / 2;
  return Number.isFinite(m) ? m : a / 2 + b / 2;
}

/** Most frequent non-NaN value; ties go to the smallest value. */
export function mode(values: Float64Array): number | undefined {
  const s = sortedFinite(values);
  if (s.length === 0) return undefined;
  let best = s[0];
  let bestCount = 0;
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j < s.length && s[j] === s[i]) j++;
    if (j - i > bestCount) {
      bestCount = j - i;
      best = s[i];
    }
    i = j;
  }
  return best === 0 ? 0 : best; // -0 -> 0
}

/** Smallest and largest non-NaN value. */
export function minMax(values: Float64Array): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) {
      if (v < min) min = v;
      if (v > max) max = v;
      n++;
    }
  }
  if (n === 0) return undefined;
  return { min: min === 0 ? 0 : min, max: max === 0 ? 0 : max };
}

/** How many rows hold each code of a dictionary of `size` names (codes < 0 are skipped). */
export function countCodes(codes: Int32Array, size: number): Float64Array {
  const counts = new Float64Array(size);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c >= 0) counts[c]++;
  }
  return counts;
}

/** The most frequent name (count > 0); ties go to the smallest name. */
export function mostFrequent(names: readonly string[], counts: Float64Array): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (let c = 0; c < names.length; c++) {
    const k = counts[c];
    if (k > bestCount || (k === bestCount && k > 0 && best !== undefined && compareNames(names[c], best) < 0)) {
      best = names[c];
      bestCount = k;
    }
  }
  return best;
}

/** Mean target per code (compensated sum in row order / count); NaN where a code has no rows. */
export function targetMeans(codes: Int32Array, size: number, target: Float64Array): { means: Float64Array; counts: Float64Array } {
  const sums = Array.from({ length: size }, () => new Sum());
  const counts = new Float64Array(size);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c >= 0) {
      sums[c].add(target[i]);
      counts[c]++;
    }
  }
  const means = new Float64Array(size);
  for (let c = 0; c < size; c++) means[c] = counts[c] > 0 ? sums[c].value / counts[c] : NaN;
  return { means, counts };
}
