/**
 * grove's Prometheus metrics (prom-client), one registry per server. Every series carries model
 * and version (and role where it applies). Hot-path observers cache their labelled children so a
 * request costs a few map lookups, not label hashing per metric.
 */
import client from 'prom-client';
import type { ReferenceStats } from './reference-stats.js';

/** Request latency buckets (seconds): serving is sub-millisecond, batch scoring reaches seconds. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
export const ROW_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 10_000, 100_000];

/**
 * A histogram whose buckets differ per series: prediction values of a house-price model want
 * dollar buckets, a classifier's want probabilities. prom-client fixes buckets per metric, so this
 * small collector keeps its own counts and renders standard histogram series.
 */
class PerSeriesHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  #series = new Map<string, { labels: Record<string, string>; bounds: number[]; counts: Float64Array; sum: number; count: number }>();
  /** Callers reuse their label objects: remember each one's key instead of re-serialising it. */
  #keys = new WeakMap<Record<string, string>, string>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** Declares a series with its bucket upper bounds (ascending; +Inf is implicit). */
  define(labels: Record<string, string>, bounds: number[]): void {
    const key = JSON.stringify(labels);
    if (this.#series.has(key)) return;
    const b = [...new Set(bounds.filter(Number.isFinite))].sort((x, y) => x - y);
    this.#series.set(key, { labels, bounds: b, counts: new Float64Array(b.length + 1), sum: 0, count: 0 });
  }

  remove(labels: Record<string, string>): void {
    this.#series.delete(JSON.stringify(labels));
  }

  /** Observes values[i * stride] for i < n into the series (which must be defined). */
  observeStrided(labels: Record<string, string>, values: ArrayLike<number>, n: number, stride: number): void {
    let key = this.#keys.get(labels);
    if (key === undefined) this.#keys.set(labels, (key = JSON.stringify(labels)));
    const s = this.#series.get(key);
    if (!s) return;
    for (let i = 0; i < n; i++) {
      const v = values[i * stride];
      if (!Number.isFinite(v)) continue;
      let lo = 0;
      let hi = s.bounds.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= s.bounds[mid]) hi = mid;
        else lo = mid + 1;
      }
      s.counts[lo]++;
      s.sum += v;
      s.count++;
    }
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.#series.values()) {
      let acc = 0;
      s.bounds.forEach((b, i) => {
        acc += s.counts[i];
        values.push({ labels: { ...s.labels, le: b }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** Prediction buckets from a version's reference quantiles: dense where its predictions live. */
export function predictionBuckets(ref: ReferenceStats | undefined): number[] {
  const q = ref?.prediction?.quantiles?.map(([, v]) => v) ?? [];
  if (q.length >= 2) {
    const lo = q[0];
    const hi = q[q.length - 1];
    const span = hi - lo || Math.abs(hi) || 1;
    return [lo - span, ...q, hi + span, hi + 3 * span];
  }
  return [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1, 10, 100, 1000, 1e4, 1e5, 1e6];
}

export interface RequestObservation {
  model: string;
  version: number;
  role: string;
  code: string;
  rows: number;
  invalidRows: number;
  seconds: number;
  scoringSeconds: number;
  encodeSeconds: number;
  values: Float64Array | null;
  width: number;
}

export class GroveMetrics {
  readonly registry = new client.Registry();
  readonly requests: client.Counter<'model' | 'version' | 'role' | 'code'>;
  readonly rows: client.Counter<'model' | 'version' | 'role' | 'status'>;
  readonly latency: client.Histogram<'model' | 'version' | 'role'>;
  readonly scoring: client.Histogram<'model' | 'version'>;
  readonly pipeline: client.Histogram<'model' | 'version'>;
  readonly batchRows: client.Histogram<'model' | 'version'>;
  readonly predictions = new PerSeriesHistogram('grove_prediction_value', 'Predictions (first output per row), buckets from the version reference quantiles');
  readonly missing: client.Counter<'model' | 'version' | 'field'>;
  readonly violations: client.Counter<'model' | 'version' | 'field' | 'kind'>;
  readonly shadowRelDiff: client.Histogram<'model' | 'live' | 'candidate'>;
  readonly shadowAgreement: client.Gauge<'model' | 'live' | 'candidate'>;
  readonly loads: client.Counter<'model' | 'version' | 'outcome'>;
  readonly reloadSeconds: client.Histogram;
  readonly loadSeconds: client.Histogram<'model' | 'version'>;
  readonly loaded: client.Gauge<'model' | 'version' | 'state' | 'format'>;
  readonly featurePsi: client.Gauge<'model' | 'version' | 'feature'>;
  readonly predictionPsi: client.Gauge<'model' | 'version'>;
  readonly driftWindowRows: client.Gauge<'model' | 'version'>;
  readonly shadowQueueRows: client.Gauge;
  readonly shadowDropped: client.Gauge;
  readonly logBuffered: client.Gauge;
  readonly logDropped: client.Gauge;
  readonly logWritten: client.Gauge;
  /** Run at every scrape, before the metrics are rendered: gauges read from live objects. */
  readonly #beforeScrape: (() => void)[] = [];
  #children = new Map<
    string,
    {
      latency: client.Histogram.Internal<string>;
      scoring: client.Histogram.Internal<string>;
      pipeline: client.Histogram.Internal<string>;
      batch: client.Histogram.Internal<string>;
      ok: client.Counter.Internal;
      scored: client.Counter.Internal;
      predictionLabels: Record<string, string>;
    }
  >();

  constructor() {
    const r = this.registry;
    client.collectDefaultMetrics({ register: r });
    this.requests = new client.Counter({ name: 'grove_requests_total', help: 'Predict requests (batches), by gRPC status code', labelNames: ['model', 'version', 'role', 'code'], registers: [r] });
    this.rows = new client.Counter({ name: 'grove_rows_total', help: 'Rows received, by outcome (scored | invalid)', labelNames: ['model', 'version', 'role', 'status'], registers: [r] });
    this.latency = new client.Histogram({ name: 'grove_request_duration_seconds', help: 'Predict latency in the server, from decode to answer', labelNames: ['model', 'version', 'role'], buckets: LATENCY_BUCKETS, registers: [r] });
    this.scoring = new client.Histogram({ name: 'grove_scoring_duration_seconds', help: 'Model scoring time per request', labelNames: ['model', 'version'], buckets: LATENCY_BUCKETS, registers: [r] });
    this.pipeline = new client.Histogram({ name: 'grove_pipeline_duration_seconds', help: 'Feature pipeline (records -> matrix) time per request', labelNames: ['model', 'version'], buckets: LATENCY_BUCKETS, registers: [r] });
    this.batchRows = new client.Histogram({ name: 'grove_batch_rows', help: 'Rows per request', labelNames: ['model', 'version'], buckets: ROW_BUCKETS, registers: [r] });
    r.registerMetric(this.predictions as unknown as client.Metric);
    this.missing = new client.Counter({ name: 'grove_feature_missing_total', help: 'Missing (absent or null) raw input values per field', labelNames: ['model', 'version', 'field'], registers: [r] });
    this.violations = new client.Counter({ name: 'grove_input_violations_total', help: 'Refused input values per field and kind (unseen | missing | type | range | other)', labelNames: ['model', 'version', 'field', 'kind'], registers: [r] });
    this.shadowRelDiff = new client.Histogram({ name: 'grove_shadow_relative_difference', help: '|candidate - live| / |live| per shadowed row', labelNames: ['model', 'live', 'candidate'], buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], registers: [r] });
    this.shadowAgreement = new client.Gauge({ name: 'grove_shadow_agreement_ratio', help: 'Share of recent shadow pairs within tolerance', labelNames: ['model', 'live', 'candidate'], registers: [r] });
    this.loads = new client.Counter({ name: 'grove_model_loads_total', help: 'Version load outcomes (loaded | unchanged | failed | unloaded)', labelNames: ['model', 'version', 'outcome'], registers: [r] });
    this.reloadSeconds = new client.Histogram({ name: 'grove_reload_duration_seconds', help: 'Duration of registry reloads', buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60], registers: [r] });
    this.loadSeconds = new client.Histogram({ name: 'grove_model_load_duration_seconds', help: 'Duration of one version load (read to self-check)', labelNames: ['model', 'version'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60], registers: [r] });
    this.loaded = new client.Gauge({ name: 'grove_model_version_info', help: '1 per known version, labelled with its state and format', labelNames: ['model', 'version', 'state', 'format'], registers: [r] });
    this.featurePsi = new client.Gauge({ name: 'grove_feature_psi', help: 'Population stability index of an input feature: live window vs the version reference', labelNames: ['model', 'version', 'feature'], registers: [r] });
    this.predictionPsi = new client.Gauge({ name: 'grove_prediction_psi', help: 'Population stability index of the predictions: live window vs the version reference', labelNames: ['model', 'version'], registers: [r] });
    this.driftWindowRows = new client.Gauge({ name: 'grove_drift_window_rows', help: 'Rows in the drift window of a version (PSI means little on a few rows)', labelNames: ['model', 'version'], registers: [r] });
    this.shadowQueueRows = new client.Gauge({ name: 'grove_shadow_queue_rows', help: 'Rows waiting in the shadow queue', registers: [r] });
    this.shadowDropped = new client.Gauge({ name: 'grove_shadow_dropped_jobs', help: 'Shadow jobs dropped because the queue was full (since start)', registers: [r] });
    this.logBuffered = new client.Gauge({ name: 'grove_prediction_log_buffered_records', help: 'Prediction-log records waiting to be written', registers: [r] });
    this.logDropped = new client.Gauge({ name: 'grove_prediction_log_dropped_records', help: 'Prediction-log records dropped (buffer full or sink down too long), since start', registers: [r] });
    this.logWritten = new client.Gauge({ name: 'grove_prediction_log_written_records', help: 'Prediction-log records written, since start', registers: [r] });
  }

  /** Registers a function that refreshes gauges from live state at each scrape. */
  beforeScrape(fn: () => void): void {
    this.#beforeScrape.push(fn);
  }

  #child(model: string, version: string, role: string) {
    const key = `${model}\0${version}\0${role}`;
    let c = this.#children.get(key);
    if (!c) {
      c = {
        latency: this.latency.labels(model, version, role),
        scoring: this.scoring.labels(model, version),
        pipeline: this.pipeline.labels(model, version),
        batch: this.batchRows.labels(model, version),
        ok: this.requests.labels(model, version, role, 'OK'),
        scored: this.rows.labels(model, version, role, 'scored'),
        predictionLabels: { model, version, role },
      };
      this.#children.set(key, c);
    }
    return c;
  }

  /** One answered (or refused) Predict batch. */
  observeRequest(o: RequestObservation): void {
    const version = String(o.version);
    if (o.code !== 'OK') {
      this.requests.inc({ model: o.model, version, role: o.role, code: o.code });
      return;
    }
    const c = this.#child(o.model, version, o.role);
    c.ok.inc();
    c.latency.observe(o.seconds);
    c.scoring.observe(o.scoringSeconds);
    c.pipeline.observe(o.encodeSeconds);
    c.batch.observe(o.rows);
    if (o.rows - o.invalidRows > 0) c.scored.inc(o.rows - o.invalidRows);
    if (o.invalidRows > 0) this.rows.inc({ model: o.model, version, role: o.role, status: 'invalid' }, o.invalidRows);
    if (o.values) this.predictions.observeStrided(c.predictionLabels, o.values, o.rows, o.width);
  }

  /** A request refused before a version answered it (unknown model, invalid input, limits...). */
  observeRefused(model: string, code: string): void {
    this.requests.inc({ model: model || '(none)', version: '', role: '', code });
  }

  /** Declares the prediction histogram of a version (buckets from its reference stats). */
  trackVersion(model: string, version: number, ref: ReferenceStats | undefined): void {
    for (const role of ['live', 'canary', 'pinned', 'shadow']) {
      this.predictions.define({ model, version: String(version), role }, predictionBuckets(ref));
    }
  }

  untrackVersion(model: string, version: number): void {
    for (const role of ['live', 'canary', 'pinned', 'shadow']) this.predictions.remove({ model, version: String(version), role });
  }

  /** Request count, error count and latency quantiles (ms, from the histogram buckets) per model/version. */
  async versionTraffic(): Promise<Map<string, { requests: number; errors: number; byRole: Map<string, number>; p50: number | null; p99: number | null }>> {
    const out = new Map<string, { requests: number; errors: number; byRole: Map<string, number>; p50: number | null; p99: number | null }>();
    const entry = (model: string, version: string) => {
      const k = `${model}\0${version}`;
      let e = out.get(k);
      if (!e) out.set(k, (e = { requests: 0, errors: 0, byRole: new Map(), p50: null, p99: null }));
      return e;
    };
    for (const v of (await this.requests.get()).values) {
      const { model, version, role, code } = v.labels as Record<string, string>;
      if (!version) continue;
      const e = entry(model, version);
      e.requests += v.value;
      if (code !== 'OK') e.errors += v.value;
      e.byRole.set(role, (e.byRole.get(role) ?? 0) + v.value);
    }
    // latency quantiles from cumulative buckets, all roles together
    const buckets = new Map<string, Map<number, number>>();
    for (const v of (await this.latency.get()).values) {
      if (v.metricName !== 'grove_request_duration_seconds_bucket') continue;
      const { model, version, le } = v.labels as Record<string, string | number>;
      const k = `${model}\0${version}`;
      const m = buckets.get(k) ?? new Map<number, number>();
      const bound = le === '+Inf' ? Infinity : Number(le);
      m.set(bound, (m.get(bound) ?? 0) + v.value);
      buckets.set(k, m);
    }
    for (const [k, m] of buckets) {
      const e = out.get(k);
      if (!e) continue;
      const sorted = [...m.entries()].sort((a, b) => a[0] - b[0]);
      const total = sorted[sorted.length - 1]?.[1] ?? 0;
      const q = (p: number): number | null => {
        if (total === 0) return null;
        const hit = sorted.find(([, c]) => c >= p * total);
        return hit && Number.isFinite(hit[0]) ? hit[0] * 1000 : null;
      };
      e.p50 = q(0.5);
      e.p99 = q(0.99);
    }
    return out;
  }

  async render(): Promise<string> {
    for (const fn of this.#beforeScrape) fn();
    return this.registry.metrics();
  }
}

/** A violation reason's kind, for the violations counter. */
export function violationKind(reason: string): string {
  const r = reason.toLowerCase();
  if (r.includes('unseen') || r.includes('not a known category')) return 'unseen';
  if (r.includes('missing') || r.includes('required')) return 'missing';
  if (r.includes('expected a') || r.includes('not a number')) return 'type';
  if (r.includes('range') || r.includes('> 0') || r.includes('negative') || r.includes('below') || r.includes('above')) return 'range';
  return 'other';
}
