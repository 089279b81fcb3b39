/**
 * Population stability index, chi-square and the reference-side binning drift monitoring uses
 * (src/monitoring/drift.ts). Pure functions over proportions and counts; no state.
 *
 * PSI = Σ_i (p_live,i − p_ref,i) · ln(p_live,i / p_ref,i), both proportions floored at
 * PSI_EPSILON (1e-4) so an empty bin on either side contributes a large but finite term.
 * Conventional reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 significant shift.
 */
import type { NumericStats } from './reference-stats.js';

export const PSI_EPSILON = 1e-4;

/** PSI of live counts against reference proportions (same bins, same order). */
export function psi(refProportions: ArrayLike<number>, liveCounts: ArrayLike<number>, eps = PSI_EPSILON): number {
  let total = 0;
  for (let i = 0; i < liveCounts.length; i++) total += liveCounts[i];
  if (total <= 0) return 0;
  let s = 0;
  for (let i = 0; i < liveCounts.length; i++) {
    const p = Math.max(liveCounts[i] / total, eps);
    const q = Math.max(refProportions[i], eps);
    s += (p - q) * Math.log(p / q);
  }
  return s;
}

/**
 * Pearson's chi-square statistic of live counts against the counts the reference proportions
 * predict for the same number of rows: Σ (O − E)² / E, E floored at PSI_EPSILON · n so a bin the
 * reference never saw (e.g. an unseen category) gives a large finite term. Returns the statistic,
 * its degrees of freedom (bins the reference or the live data populate, minus one) and the
 * p-value of the statistic under "live follows the reference".
 */
export function chiSquare(refProportions: ArrayLike<number>, liveCounts: ArrayLike<number>): { statistic: number; df: number; pValue: number } {
  let n = 0;
  for (let i = 0; i < liveCounts.length; i++) n += liveCounts[i];
  if (n <= 0) return { statistic: 0, df: 0, pValue: 1 };
  let stat = 0;
  let used = 0;
  for (let i = 0; i < liveCounts.length; i++) {
    if (refProportions[i] <= 0 && liveCounts[i] === 0) continue;
    used++;
    const e = Math.max(refProportions[i], PSI_EPSILON) * n;
    const d = liveCounts[i] - e;
    stat += (d * d) / e;
  }
  const df = Math.max(used - 1, 0);
  return { statistic: stat, df, pValue: df === 0 ? 1 : chiSquareSurvival(stat, df) };
}

/** P(X ≥ x) for X ~ chi-square(df): the regularized upper incomplete gamma Q(df/2, x/2). */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(x > 0)) return 1;
  if (!Number.isFinite(x)) return 0;
  return gammaQ(df / 2, x / 2);
}

function logGamma(z: number): number {
  // Lanczos approximation (g = 7, n = 9); relative error < 1e-13 for z > 0.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  z -= 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) (series for x < a + 1, continued fraction otherwise). */
function gammaQ(a: number, x: number): number {
  const lg = logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let del = sum;
    let ap = a;
    for (let i = 0; i < 1000; i++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, Math.min(1, 1 - sum * Math.exp(-x + a * Math.log(x) - lg)));
  }
  // Lentz's continued fraction.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.max(0, Math.min(1, Math.exp(-x + a * Math.log(x) - lg) * h));
}

// ---------------------------------------------------------------------------------------------
// Reference CDF of a numeric field, for bins the reference histogram does not have

/**
 * A monotone piecewise-linear approximation of a numeric field's empirical CDF (over its present
 * values), built from what the manifest keeps: knots at the distinct values of the histogram
 * edges and of the quantiles. At a knot `x` it keeps both one-sided values, `below` = P(X < x)
 * and `atOrBelow` = P(X ≤ x), so ties (discrete fields such as OverallQual) keep their jumps:
 *  - histogram edge e_i (not the last): P(X < e_i) = (counts before bin i) / n, exact, because
 *    the reference bins are [e_i, e_{i+1}) and e_0 is the minimum; the last edge is the maximum:
 *    P(X ≤ e_last) = 1;
 *  - quantile (q, v): P(X < v) ≤ q ≤ P(X ≤ v) (up to numpy's interpolation between order
 *    statistics), so v's `below` is at most the smallest such q and `atOrBelow` at least the largest.
 * Between knots the CDF is interpolated linearly from `atOrBelow` of the left knot to `below` of
 * the right knot — exact at the knots, approximate in between (a discrete field whose mass sits
 * between two knots, or a long tail between the 0.99 and 1 quantiles, is smeared linearly).
 */
export class ReferenceCdf {
  readonly xs: Float64Array;
  readonly below: Float64Array;
  readonly atOrBelow: Float64Array;

  constructor(stats: NumericStats) {
    const below = new Map<number, { v: number; exact: boolean }>();
    const above = new Map<number, number>();
    const { edges, counts } = stats.histogram;
    let n = 0;
    for (const c of counts) n += c;
    if (n > 0 && edges.length >= 2) {
      let cum = 0;
      for (let i = 0; i < edges.length; i++) {
        if (i === edges.length - 1) {
          above.set(edges[i], 1);
          if (!below.has(edges[i])) below.set(edges[i], { v: 1, exact: false });
        } else {
          below.set(edges[i], { v: cum / n, exact: true });
          cum += counts[i];
        }
      }
    } else if (edges.length === 1) {
      below.set(edges[0], { v: 0, exact: true });
      above.set(edges[0], 1);
    }
    for (const [q, v] of stats.quantiles) {
      const b = below.get(v);
      if (!b) below.set(v, { v: q, exact: false });
      else if (!b.exact) b.v = Math.min(b.v, q);
      above.set(v, Math.max(above.get(v) ?? 0, q));
    }
    const xs = [...below.keys()].filter(Number.isFinite).sort((a, b) => a - b);
    this.xs = Float64Array.from(xs);
    this.below = new Float64Array(xs.length);
    this.atOrBelow = new Float64Array(xs.length);
    if (xs.length === 0) return;
    this.below[0] = 0; // the smallest knot is the minimum
    for (let k = 0; k < xs.length; k++) {
      if (k > 0) this.below[k] = Math.max(below.get(xs[k])!.v, this.atOrBelow[k - 1]);
      let up = Math.max(above.get(xs[k]) ?? this.below[k], this.below[k]);
      // Cannot exceed the next knot's exact P(X < next).
      const next = k + 1 < xs.length ? below.get(xs[k + 1])! : null;
      if (next?.exact) up = Math.min(up, next.v);
      this.atOrBelow[k] = k === xs.length - 1 ? 1 : up;
    }
  }

  #at(t: number, inclusive: boolean): number {
    const xs = this.xs;
    const m = xs.length;
    if (m === 0) return 0;
    if (t < xs[0]) return 0;
    if (t > xs[m - 1]) return 1;
    // Largest k with xs[k] <= t.
    let lo = 0;
    let hi = m - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (xs[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    if (xs[lo] === t) return inclusive ? this.atOrBelow[lo] : this.below[lo];
    const a = this.atOrBelow[lo];
    const b = this.below[lo + 1];
    return a + ((b - a) * (t - xs[lo])) / (xs[lo + 1] - xs[lo]);
  }

  /** ≈ P(X < t) among present values. */
  lessThan(t: number): number {
    return this.#at(t, false);
  }

  /** ≈ P(X ≤ t) among present values. */
  atMost(t: number): number {
    return this.#at(t, true);
  }
}

/**
 * The model's split thresholds coarsened so that every bin between them holds at least `minMass`
 * of the reference's present values (by the interpolated CDF): a forest may split a feature at
 * dozens of points, and PSI over many thin bins is dominated by sampling noise (≈ (bins − 1)/n per
 * side) and by the CDF approximation. Keeps a subset of the thresholds, so bins stay aligned with
 * the model's decisions.
 */
export function coarsenThresholds(stats: NumericStats, thresholds: Float64Array, strictLess: boolean, minMass: number): Float64Array {
  if (minMass <= 0 || thresholds.length === 0) return thresholds;
  const cdf = new ReferenceCdf(stats);
  const kept: number[] = [];
  let last = 0;
  for (let i = 0; i < thresholds.length; i++) {
    const f = strictLess ? cdf.lessThan(thresholds[i]) : cdf.atMost(thresholds[i]);
    if (f - last >= minMass && 1 - f >= minMass) {
      kept.push(thresholds[i]);
      last = f;
    }
  }
  return Float64Array.from(kept);
}

/**
 * Reference proportions of the bins cut by sorted unique split thresholds t_1 < … < t_k, plus a
 * last bin for missing values: k + 2 entries. `strictLess` (XGBoost: left iff x < t) makes bin i
 * [t_i, t_{i+1}); otherwise (LightGBM: left iff x ≤ t) bin i is (t_i, t_{i+1}].
 */
export function splitBinProportions(stats: NumericStats, thresholds: Float64Array, strictLess: boolean): Float64Array {
  const cdf = new ReferenceCdf(stats);
  const k = thresholds.length;
  const out = new Float64Array(k + 2);
  const present = 1 - stats.missing_rate;
  let prev = 0;
  for (let i = 0; i < k; i++) {
    const f = strictLess ? cdf.lessThan(thresholds[i]) : cdf.atMost(thresholds[i]);
    const c = Math.max(f, prev);
    out[i] = (c - prev) * present;
    prev = c;
  }
  out[k] = (1 - prev) * present;
  out[k + 1] = stats.missing_rate;
  return out;
}
