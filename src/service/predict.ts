/**
 * The prediction service: request -> validate -> encode -> score -> response, independent of gRPC.
 *
 * The version is acquired as a lease for the duration of the request, so a reload that swaps or
 * removes it lets this request finish on the version it started on.
 */
import { randomUUID } from 'node:crypto';
import { GroveError, type FieldViolation } from '../errors.js';
import type { Lease, Registry } from '../registry/registry.js';
import type { Router, Decision } from '../routing/router.js';
import type { PredictionLog } from '../monitoring/prediction-log.js';
import type { RawRecord } from './records.js';
import type { ShadowRunner } from './shadow-runner.js';
import { predictionRecords } from './log-records.js';
import { violationKind, type GroveMetrics } from '../monitoring/metrics.js';

/** What the service needs of drift monitoring (src/monitoring/drift.ts): to be shown each scored batch. */
export interface DriftObserver {
  observe(model: string, version: number, records: readonly RawRecord[], predictions: ArrayLike<number>, width: number): void;
}

export type PredictInput =
  | { kind: 'records'; records: readonly RawRecord[] }
  | { kind: 'dense'; rows: number; cols: number; values: ArrayLike<number> };

export interface PredictCall {
  model: string;
  /** '' = default version; a number pins a version; other text = label. */
  version: string;
  requestId: string;
  routingKey: string;
  input: PredictInput | null;
  partial: boolean;
  outputMargin: boolean;
  /** Aborted when the client cancels or the deadline passes: the request is then not scored. */
  signal?: CancelSignal;
}

export interface PredictResult {
  model: string;
  version: number;
  requestId: string;
  rows: number;
  numOutputs: number;
  values: Float64Array;
  errors: FieldViolation[];
  /** How the answering version was chosen. */
  role: 'live' | 'canary' | 'pinned';
  /**
   * Work that must not delay the answer: the prediction-log rows and the shadow job. Call it once,
   * after the response is sent.
   */
  followUp: () => void;
}

export interface PredictLimits {
  /** Most rows one request may carry (RESOURCE_EXHAUSTED beyond). */
  maxRows: number;
  /** Batches of at least this many rows are scored off the event loop. */
  asyncRows: number;
}

export const DEFAULT_LIMITS: PredictLimits = { maxRows: 100_000, asyncRows: 256 };

/** The part of AbortSignal the service reads: cheap to implement per request without timers. */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

function checkAborted(signal: CancelSignal | undefined): void {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof GroveError) throw reason;
    throw new GroveError('CANCELLED', 'request cancelled before it was scored');
  }
}

function inputRows(input: PredictInput): number {
  return input.kind === 'records' ? input.records.length : input.rows;
}

export interface PredictDeps {
  registry: Registry;
  router?: Router | null;
  shadow?: ShadowRunner | null;
  predictionLog?: PredictionLog | null;
  metrics?: GroveMetrics | null;
  drift?: DriftObserver | null;
  limits?: PredictLimits;
}

export class PredictService {
  private readonly registry: Registry;
  private readonly router: Router | null;
  private readonly shadow: ShadowRunner | null;
  private readonly predictionLog: PredictionLog | null;
  private readonly limits: PredictLimits;
  private readonly metrics: GroveMetrics | null;
  private readonly drift: DriftObserver | null;

  constructor(deps: PredictDeps) {
    this.metrics = deps.metrics ?? null;
    this.drift = deps.drift ?? null;
    this.registry = deps.registry;
    this.router = deps.router ?? null;
    this.shadow = deps.shadow ?? null;
    this.predictionLog = deps.predictionLog ?? null;
    this.limits = deps.limits ?? DEFAULT_LIMITS;
  }

  /**
   * The version for this request. When routing names a version that cannot serve (not loaded,
   * failed), unpinned traffic falls back to the registry's default rather than failing.
   */
  #acquire(model: string, decision: Decision): { lease: Lease; decision: Decision } {
    try {
      return { lease: this.registry.acquire(model, decision.selector), decision };
    } catch (err) {
      if (decision.role === 'pinned' || decision.selector === '' || !(err instanceof GroveError)) throw err;
      if (err.code !== 'UNAVAILABLE' && err.code !== 'NOT_FOUND') throw err;
      const fallback: Decision = { selector: '', role: 'live', shadow: null };
      return { lease: this.registry.acquire(model, ''), decision: fallback };
    }
  }

  #countMissing(model: string, version: number, fields: readonly string[], records: readonly RawRecord[]): void {
    const m = this.metrics!;
    for (const f of fields) {
      let n = 0;
      for (const r of records) if (r[f] === null || r[f] === undefined) n++;
      if (n > 0) m.missing.inc({ model, version: String(version), field: f }, n);
    }
  }

  async predict(call: PredictCall): Promise<PredictResult> {
    const requestId = call.requestId || randomUUID();
    if (!call.model) throw new GroveError('INVALID_ARGUMENT', 'model is required', [{ row: null, field: 'model', reason: 'empty' }]);
    if (!call.input) {
      throw new GroveError('INVALID_ARGUMENT', 'input is required: records or dense', [{ row: null, field: 'input', reason: 'not set' }]);
    }
    const rows = inputRows(call.input);
    if (rows > this.limits.maxRows) {
      throw new GroveError('RESOURCE_EXHAUSTED', `request has ${rows} rows; the limit is ${this.limits.maxRows}`);
    }
    checkAborted(call.signal);
    const started = process.hrtime.bigint();
    const routed = this.router ? this.router.decide(call.model, call.version, call.routingKey) : { selector: call.version, role: call.version ? 'pinned' : 'live', shadow: null } as Decision;
    const { lease, decision } = this.#acquire(call.model, routed);
    try {
      const { model, version, name, scorer } = lease.served;
      let x: Float64Array;
      let violations: FieldViolation[] = [];
      let invalidRows = new Set<number>();
      const encodeStart = process.hrtime.bigint();
      if (call.input.kind === 'dense') {
        const { cols, values } = call.input;
        if (cols !== model.numFeatures) {
          throw new GroveError('INVALID_ARGUMENT', `dense input has ${cols} columns; ${name} v${version} takes ${model.numFeatures} features`, [
            { row: null, field: 'dense.cols', reason: `expected ${model.numFeatures}, got ${cols}` },
          ]);
        }
        if (values.length !== rows * cols) {
          throw new GroveError('INVALID_ARGUMENT', `dense input holds ${values.length} values; ${rows} rows x ${cols} columns need ${rows * cols}`, [
            { row: null, field: 'dense.values', reason: `expected ${rows * cols} values, got ${values.length}` },
          ]);
        }
        x = values instanceof Float64Array ? values : Float64Array.from(values);
      } else {
        const enc = scorer.encode(call.input.records);
        x = enc.x;
        violations = enc.violations;
        invalidRows = enc.invalidRows;
      }
      if (violations.length > 0 && !call.partial) {
        throw new GroveError('INVALID_ARGUMENT', `${invalidRows.size} of ${rows} rows are invalid`, violations);
      }
      checkAborted(call.signal);
      const scoreStart = process.hrtime.bigint();
      const opts = { outputMargin: call.outputMargin };
      const values = rows >= this.limits.asyncRows ? await scorer.predictAsync(x, rows, opts) : scorer.predict(x, rows, opts);
      const width = call.outputMargin ? model.numMargins : model.numOutputs;
      for (const r of invalidRows) values.fill(NaN, r * width, (r + 1) * width);
      const input = call.input;
      const done = process.hrtime.bigint();
      const latencyUs = Number(done - started) / 1e3;
      const followUp = (): void => {
        if (this.metrics) {
          this.metrics.observeRequest({
            model: name,
            version,
            role: decision.role,
            code: 'OK',
            rows,
            invalidRows: invalidRows.size,
            seconds: latencyUs / 1e6,
            scoringSeconds: Number(done - scoreStart) / 1e9,
            encodeSeconds: Number(scoreStart - encodeStart) / 1e9,
            values: call.outputMargin ? null : values,
            width,
          });
          for (const v of violations) this.metrics.violations.inc({ model: name, version: String(version), field: v.field, kind: violationKind(v.reason) });
          if (input.kind === 'records') this.#countMissing(name, version, scorer.pipeline ? Object.keys(scorer.pipeline.inputSchema.fields) : model.featureNames, input.records);
        }
        if (this.drift && input.kind === 'records' && !call.outputMargin) this.drift.observe(name, version, input.records, values, width);
        if (this.predictionLog) {
          this.predictionLog.append(
            predictionRecords({ requestId, model: name, version, role: decision.role, input, rows, values, width, errors: violations, latencyUs, featureNames: model.featureNames }),
          );
        }
        // Shadow compares predictions, so only for transformed outputs.
        if (this.shadow && decision.shadow !== null && decision.shadow !== version && !call.outputMargin) {
          this.shadow.offer({ model: name, candidate: decision.shadow, liveVersion: version, requestId, input, rows, liveValues: values, liveWidth: width, featureNames: model.featureNames });
        }
      };
      return {
        model: name,
        version,
        requestId,
        rows,
        numOutputs: width,
        values,
        errors: violations,
        role: decision.role,
        followUp,
      };
    } finally {
      lease.release();
    }
  }
}
