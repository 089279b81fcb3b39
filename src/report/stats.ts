/**
 * Small statistics and number formatting shared by `grove shadow-report` and `grove diff`.
 * Quantiles interpolate linearly between order statistics (numpy's default), as the server's
 * online shadow comparison does, so the report and GetModel agree on the same pairs.
 */

/** Relative difference as the server's shadow comparison defines it: |b − a| / max(|a|, 1e-12). */
export function relDiff(reference: number, other: number): number {
  return Math.abs(other - reference) / Math.max(Math.abs(reference), 1e-12);
}

/** Sorted copy (ascending; NaN last). */
export function sorted(values: Float64Array | readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/** Quantile q ∈ [0, 1] of an ascending array (linear interpolation); NaN when empty. */
export function quantileSorted(s: Float64Array, q: number): number {
  const n = s.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (lo === hi || s[lo] === s[hi]) return s[lo];
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function mean(values: Float64Array): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

export interface Describe {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** mean, median, p90, p99 and max of the values. */
export function describe(values: Float64Array): Describe {
  const s = sorted(values);
  return {
    mean: mean(values),
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
    max: s.length ? s[s.length - 1] : NaN,
  };
}

export interface Distribution {
  mean: number;
  min: number;
  p10: number;
  p50: number;
  p90: number;
  max: number;
}

export function distribution(values: Float64Array): Distribution {
  const s = sorted(values);
  return {
    mean: mean(values),
    min: s.length ? s[0] : NaN,
    p10: quantileSorted(s, 0.1),
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    max: s.length ? s[s.length - 1] : NaN,
  };
}

/** A number for people: 4 significant digits, whole numbers from 100 up (dollars), exponents at the extremes. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '-' : v > 0 ? 'inf' : '-inf';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e15 || a < 1e-4) return v.toExponential(3);
  if (a >= 100) return v.toFixed(0);
  return String(Number(v.toPrecision(4)));
}

/** A fraction as a percentage: 3 significant digits (0.2 → "20.0%", 1.5e-9 → "1.50e-7%"). */
export function pct(fraction: number): string {
  if (!Number.isFinite(fraction)) return Number.isNaN(fraction) ? '-' : fraction > 0 ? 'inf' : '-inf';
  const p = fraction * 100;
  if (p === 0) return '0%';
  const a = Math.abs(p);
  if (a < 0.01) return `${p.toExponential(2)}%`;
  if (a >= 1000) return `${p.toFixed(0)}%`;
  return `${p.toPrecision(3)}%`;
}

/** A threshold as a short percentage: 0.1 → "10%", 0.025 → "2.5%". */
export function thresholdPct(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

/** count of total (share%). */
export function share(count: number, total: number): string {
  return `${count} of ${total} (${total === 0 ? '-' : pct(count / total)})`;
}

/** ISO 8601 in UTC, or '-' for a missing time. */
export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '-' : new Date(ms).toISOString();
}

/** Pads columns of a small table (first column left-aligned, the rest right-aligned). */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => indent + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd())
    .join('\n');
}
