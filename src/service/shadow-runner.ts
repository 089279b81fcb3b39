/**
 * Shadow mode's bookkeeping: queues candidate scoring off the critical path, pairs each shadow
 * row with its live row (same request id and row), feeds the online comparison, and writes the
 * shadow rows to the prediction log with role `shadow`.
 */
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry.js';
import { ShadowComparison, type ComparisonSummary } from '../monitoring/comparison.js';
import type { PredictionLog, PredictionRecord } from '../monitoring/prediction-log.js';
import { ShadowQueue, type ShadowJob, type ShadowResult, type ShadowStats } from '../routing/shadow.js';
import { logInputs } from './log-records.js';
import type { GroveMetrics } from '../monitoring/metrics.js';

export interface ShadowRunnerOptions {
  capacityRows?: number;
  tolerance?: { rel: number; abs: number };
  metrics?: GroveMetrics | null;
}

export class ShadowRunner {
  readonly queue: ShadowQueue;
  #comparisons = new Map<string, ShadowComparison>();
  readonly tolerance: { rel: number; abs: number };
  readonly #metrics: GroveMetrics | null;

  constructor(
    registry: Registry,
    private readonly predictionLog: PredictionLog | null,
    log: Logger,
    opts: ShadowRunnerOptions = {},
  ) {
    this.tolerance = opts.tolerance ?? { rel: 0.1, abs: 0 };
    this.#metrics = opts.metrics ?? null;
    this.queue = new ShadowQueue(registry, (r) => this.#record(r), log, opts.capacityRows ?? 10_000);
  }

  offer(job: ShadowJob): boolean {
    return this.queue.offer(job);
  }

  #key(model: string, live: number, candidate: number): string {
    return `${model}\0${live}\0${candidate}`;
  }

  /** Every comparison running, for metrics. */
  comparisons(): ComparisonSummary[] {
    return [...this.#comparisons.values()].map((c) => c.summary());
  }

  /** The window's pairs of one comparison, for plots. */
  windowValues(model: string, live: number, candidate: number): { live: Float64Array; candidate: Float64Array } | null {
    return this.#comparisons.get(this.#key(model, live, candidate))?.windowValues() ?? null;
  }

  comparison(model: string, live: number, candidate: number): ComparisonSummary | null {
    return this.#comparisons.get(this.#key(model, live, candidate))?.summary() ?? null;
  }

  stats(): ShadowStats {
    return this.queue.stats();
  }

  #record(r: ShadowResult): void {
    const { job } = r;
    const key = this.#key(job.model, job.liveVersion, job.candidate);
    let cmp = this.#comparisons.get(key);
    if (!cmp) {
      cmp = new ShadowComparison(job.model, job.liveVersion, job.candidate, this.tolerance);
      this.#comparisons.set(key, cmp);
    }
    const labels = { model: job.model, live: String(job.liveVersion), candidate: String(job.candidate) };
    const hist = this.#metrics?.shadowRelDiff.labels(labels);
    for (let row = 0; row < job.rows; row++) {
      if (r.rowErrors.has(row)) continue;
      const live = job.liveValues[row * job.liveWidth];
      const cand = r.values[row * r.width];
      cmp.add(live, cand);
      if (hist && Number.isFinite(live) && Number.isFinite(cand)) hist.observe(Math.abs(cand - live) / Math.max(Math.abs(live), 1e-12));
    }

    if (this.predictionLog) {
      const now = Date.now();
      const inputs = logInputs(job.input, job.rows, job.featureNames);
      const records: PredictionRecord[] = [];
      for (let row = 0; row < job.rows; row++) {
        const err = r.rowErrors.get(row) ?? null;
        records.push({
          requestId: job.requestId,
          row,
          model: job.model,
          version: job.candidate,
          role: 'shadow',
          timestamp: now,
          input: inputs[row],
          inputHash: null,
          outputs: err ? [] : Array.from(r.values.subarray(row * r.width, (row + 1) * r.width)),
          latencyUs: r.latencyUs,
          error: err,
        });
      }
      this.predictionLog.append(records);
    }
  }
}
