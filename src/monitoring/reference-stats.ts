/**
 * Reference statistics of a model version's training data, stored in its manifest
 * (`reference_stats`): what drift monitoring compares live traffic with.
 *
 * Numeric fields: missing rate, mean, std, quantiles and a histogram whose bin edges are the
 * deciles (so live data can be binned the same way for PSI). Categorical fields: missing rate and
 * category frequencies. Predictions: the same numeric summary. Deterministic: same rows, same JSON.
 */
import type { RawRecord } from '../service/records.js';

export const QUANTILE_LEVELS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1] as const;

export interface NumericStats {
  type: 'numeric';
  count: number;
  missing_rate: number;
  mean: number | null;
  std: number | null;
  /** [level, value] pairs at QUANTILE_LEVELS (linear interpolation, as numpy's default). */
  quantiles: [number, number][];
  /** Histogram over the distinct decile edges: counts[i] = values in [edges[i], edges[i+1]) (last bin closed). */
  histogram: { edges: number[]; counts: number[] };
}

export interface CategoricalStats {
  type: 'categorical';
  count: number;
  missing_rate: number;
  /** category -> share of non-missing rows, sorted by category name. */
  frequencies: Record<string, number>;
}

export type FieldStats = NumericStats | CategoricalStats;

export interface ReferenceStats {
  rows: number;
  fields: Record<string, FieldStats>;
  prediction: NumericStats;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 1) return sorted[0];
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function numericStats(values: ArrayLike<number>): NumericStats {
  const present: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) present.push(values[i]);
  const count = values.length;
  const missing_rate = count === 0 ? 0 : (count - present.length) / count;
  if (present.length === 0) {
    return { type: 'numeric', count, missing_rate, mean: null, std: null, quantiles: [], histogram: { edges: [], counts: [] } };
  }
  const sorted = Float64Array.from(present).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / sorted.length;
  let ss = 0;
  for (const v of sorted) ss += (v - mean) ** 2;
  const std = Math.sqrt(ss / sorted.length);
  const quantiles = QUANTILE_LEVELS.map((q) => [q, quantile(sorted, q)] as [number, number]);
  const edges = [...new Set([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((q) => quantile(sorted, q)))];
  const counts = new Array<number>(Math.max(edges.length - 1, 1)).fill(0);
  for (const v of sorted) counts[binOf(edges, v)]++;
  return { type: 'numeric', count, missing_rate, mean, std, quantiles, histogram: { edges, counts } };
}

/** Bin index of v over `edges` (values below the first edge go to bin 0, above the last to the last bin). */
export function binOf(edges: readonly number[], v: number): number {
  const last = Math.max(edges.length - 2, 0);
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (v >= edges[mid]) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function categoricalStats(values: readonly (string | null)[]): CategoricalStats {
  const counts = new Map<string, number>();
  let present = 0;
  for (const v of values) {
    if (v === null) continue;
    present++;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const frequencies: Record<string, number> = {};
  for (const k of [...counts.keys()].sort()) frequencies[k] = counts.get(k)! / present;
  return { type: 'categorical', count: values.length, missing_rate: values.length ? (values.length - present) / values.length : 0, frequencies };
}

/** Stats of the raw input fields (by the schema's type) and of the predictions. */
export function computeReferenceStats(
  records: readonly RawRecord[],
  fields: Record<string, { type: 'numeric' | 'categorical' }>,
  predictions: ArrayLike<number>,
): ReferenceStats {
  const out: Record<string, FieldStats> = {};
  for (const name of Object.keys(fields).sort()) {
    const raw = records.map((r) => r[name]);
    if (fields[name].type === 'numeric') {
      out[name] = numericStats(raw.map((v) => (typeof v === 'number' ? v : NaN)));
    } else {
      out[name] = categoricalStats(raw.map((v) => (v === null || v === undefined ? null : String(v))));
    }
  }
  return { rows: records.length, fields: out, prediction: numericStats(predictions) };
}
