/**
 * Shadow scoring off the critical path: after the live answer is sent, the candidate scores the
 * same raw request (through its own pipeline) from a bounded queue. A full queue drops the job and
 * counts it; the live path never waits for the shadow and memory never grows past the bound.
 */
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry.js';
import type { RawRecord } from '../formats/records.js';

export type ShadowInput =
  | { kind: 'records'; records: readonly RawRecord[] }
  | { kind: 'dense'; rows: number; cols: number; values: ArrayLike<number> };

export interface ShadowJob {
  model: string;
  candidate: number;
  liveVersion: number;
  requestId: string;
  input: ShadowInput;
  rows: number;
  /** The live answer, rows x liveWidth, for pairing by row. */
  liveValues: Float64Array;
  liveWidth: number;
  /** The live model's feature names: dense rows are logged by name. */
  featureNames?: readonly string[];
}

export interface ShadowResult {
  job: ShadowJob;
  /** rows x width candidate outputs (NaN rows where the candidate refused the row). */
  values: Float64Array;
  width: number;
  /** Per-row errors of the candidate (its pipeline may refuse rows the live one accepts). */
  rowErrors: Map<number, string>;
  latencyUs: number;
}

export interface ShadowStats {
  depthRows: number;
  capacityRows: number;
  enqueued: number;
  dropped: number;
  completed: number;
  failed: number;
}

export class ShadowQueue {
  #queue: ShadowJob[] = [];
  #depthRows = 0;
  #running = false;
  #stats = { enqueued: 0, dropped: 0, completed: 0, failed: 0 };
  #idle: (() => void)[] = [];

  constructor(
    private readonly registry: Registry,
    private readonly onResult: (r: ShadowResult) => void,
    private readonly log: Logger,
    readonly capacityRows = 10_000,
  ) {}

  /** Queues a job unless the queue is full; returns whether it was taken. Never blocks. */
  offer(job: ShadowJob): boolean {
    if (this.#depthRows + job.rows > this.capacityRows) {
      this.#stats.dropped++;
      return false;
    }
    this.#queue.push(job);
    this.#depthRows += job.rows;
    this.#stats.enqueued++;
    if (!this.#running) {
      this.#running = true;
      setImmediate(() => void this.#drain());
    }
    return true;
  }

  stats(): ShadowStats {
    return { depthRows: this.#depthRows, capacityRows: this.capacityRows, ...this.#stats };
  }

  /** Resolves when the queue is empty (for shutdown and tests). */
  idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      try {
        this.onResult(await this.#score(job));
        this.#stats.completed++;
      } catch (err) {
        this.#stats.failed++;
        this.log.warn({ model: job.model, version: job.candidate, requestId: job.requestId, err: (err as Error).message }, 'shadow scoring failed');
      } finally {
        this.#depthRows -= job.rows;
      }
      // Yield between jobs so live requests are served first.
      await new Promise((r) => setImmediate(r));
    }
    this.#running = false;
    for (const r of this.#idle.splice(0)) r();
  }

  async #score(job: ShadowJob): Promise<ShadowResult> {
    const started = process.hrtime.bigint();
    const lease = this.registry.acquire(job.model, String(job.candidate));
    try {
      const { scorer } = lease.served;
      const rowErrors = new Map<number, string>();
      let x: Float64Array;
      if (job.input.kind === 'records') {
        const enc = scorer.encode(job.input.records);
        x = enc.x;
        for (const v of enc.violations) {
          const r = v.row ?? 0;
          rowErrors.set(r, (rowErrors.has(r) ? rowErrors.get(r)! + '; ' : '') + `${v.field}: ${v.reason}`);
        }
      } else {
        if (job.input.cols !== scorer.model.numFeatures) throw new Error(`dense input has ${job.input.cols} columns; candidate takes ${scorer.model.numFeatures}`);
        x = Float64Array.from(job.input.values);
      }
      const values = job.rows >= 256 ? await scorer.predictAsync(x, job.rows) : scorer.predict(x, job.rows);
      const width = scorer.model.numOutputs;
      for (const r of rowErrors.keys()) values.fill(NaN, r * width, (r + 1) * width);
      return { job, values, width, rowErrors, latencyUs: Number(process.hrtime.bigint() - started) / 1e3 };
    } finally {
      lease.release();
    }
  }
}
