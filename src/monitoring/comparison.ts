/**
 * Online comparison of live and shadow predictions for one (model, live version, candidate) pair:
 * counts, mean and quantiles of absolute and relative differences, agreement within a tolerance,
 * and both prediction distributions. Keeps the most recent `window` pairs (a ring buffer), so
 * memory is bounded however long the shadow runs; totals count every pair ever seen.
 */
export interface ComparisonSummary {
  model: string;
  liveVersion: number;
  candidateVersion: number;
  /** Pairs seen since the comparison started. */
  pairs: number;
  /** Pairs in the window the statistics below describe. */
  window: number;
  meanAbsDiff: number;
  meanRelDiff: number;
  absDiffQuantiles: Record<string, number>;
  relDiffQuantiles: Record<string, number>;
  /** Share of pairs with |candidate - live| <= absTol + relTol * |live|. */
  agreement: number;
  tolerance: { rel: number; abs: number };
  liveQuantiles: Record<string, number>;
  candidateQuantiles: Record<string, number>;
}

const LEVELS = [0.5, 0.9, 0.99] as const;

function quantiles(values: Float64Array, n: number, levels: readonly number[] = LEVELS): Record<string, number> {
  const out: Record<string, number> = {};
  if (n === 0) return out;
  const sorted = Float64Array.from(values.subarray(0, n)).sort();
  for (const q of levels) {
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    out[`p${Math.round(q * 100)}`] = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }
  return out;
}

export class ShadowComparison {
  #live: Float64Array;
  #cand: Float64Array;
  #next = 0;
  #filled = 0;
  pairs = 0;

  constructor(
    readonly model: string,
    readonly liveVersion: number,
    readonly candidateVersion: number,
    readonly tolerance = { rel: 0.1, abs: 0 },
    readonly window = 100_000,
  ) {
    this.#live = new Float64Array(window);
    this.#cand = new Float64Array(window);
  }

  /** Adds one pair (first output of each row: the prediction for single-output models). */
  add(live: number, candidate: number): void {
    if (!Number.isFinite(live) || !Number.isFinite(candidate)) return;
    this.#live[this.#next] = live;
    this.#cand[this.#next] = candidate;
    this.#next = (this.#next + 1) % this.window;
    if (this.#filled < this.window) this.#filled++;
    this.pairs++;
  }

  /** Absolute and relative differences of the window, and the agreement share. */
  #diffs(): { abs: Float64Array; rel: Float64Array; agree: number } {
    const n = this.#filled;
    const abs = new Float64Array(n);
    const rel = new Float64Array(n);
    let agree = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(this.#cand[i] - this.#live[i]);
      abs[i] = d;
      rel[i] = d / Math.max(Math.abs(this.#live[i]), 1e-12);
      if (d <= this.tolerance.abs + this.tolerance.rel * Math.abs(this.#live[i])) agree++;
    }
    return { abs, rel, agree };
  }

  /** The pairs in the window (for plots): live[i] and candidate[i] belong together. */
  windowValues(): { live: Float64Array; candidate: Float64Array } {
    return { live: this.#live.slice(0, this.#filled), candidate: this.#cand.slice(0, this.#filled) };
  }

  summary(): ComparisonSummary {
    const n = this.#filled;
    const { abs, rel, agree } = this.#diffs();
    let sa = 0;
    let sr = 0;
    for (let i = 0; i < n; i++) {
      sa += abs[i];
      sr += rel[i];
    }
    return {
      model: this.model,
      liveVersion: this.liveVersion,
      candidateVersion: this.candidateVersion,
      pairs: this.pairs,
      window: n,
      meanAbsDiff: n ? sa / n : 0,
      meanRelDiff: n ? sr / n : 0,
      absDiffQuantiles: quantiles(abs, n),
      relDiffQuantiles: quantiles(rel, n),
      agreement: n ? agree / n : 0,
      tolerance: this.tolerance,
      liveQuantiles: quantiles(this.#live, n, [0.1, 0.5, 0.9]),
      candidateQuantiles: quantiles(this.#cand, n, [0.1, 0.5, 0.9]),
    };
  }
}
