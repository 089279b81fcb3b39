/**
 * Drift monitoring: live inputs and predictions of each served version compared with the
 * version's reference statistics (manifest `reference_stats`, src/monitoring/reference-stats.ts)
 * over a sliding window of the most recent rows.
 *
 * Bins (every binning has one more bin for missing values: null, absent, NaN, or text in a
 * numeric field):
 *  - numeric field: the reference histogram's bins, i.e. between the distinct training deciles
 *    ([e_i, e_{i+1}); values below the minimum fall in the first bin, above the maximum in the
 *    last). Reference proportion of bin i = (1 − missing_rate) · counts_i / Σ counts.
 *  - numeric field that a tree model splits on (psiSplits): between the model's sorted unique
 *    split thresholds on that feature, with the model's own comparison (XGBoost x < t, LightGBM
 *    x ≤ t), coarsened to a subset of those thresholds so each bin holds ≥ 5 % of the reference
 *    (`splitMinMass`; a forest splits a field at dozens of points, and PSI over thin bins is
 *    mostly noise). The manifest has no counts for these bins, so their reference proportions come
 *    from the reference CDF interpolated linearly between the known points (histogram edges, exact;
 *    quantiles, bounds) — see ReferenceCdf in psi.ts. That is exact where a threshold is a decile
 *    edge and approximate elsewhere (zero-inflated or discrete fields whose mass sits between
 *    knots, tails beyond the 0.99 quantile): on house-price v2's own training rows psiSplits is up
 *    to 0.055 (BsmtFinSF1) where the decile PSI is 0. So psiSplits is reported, not flagged on.
 *  - categorical field: the reference categories, one bucket for categories the reference never
 *    saw, and missing. Reference proportion = (1 − missing_rate) · frequency; unseen: 0 (beyond
 *    10,000 categories the rarer ones share the unseen bucket, with their reference share).
 *  - prediction (first output per row): the reference prediction histogram's bins; rows without
 *    a finite prediction (refused rows) are not counted.
 * PSI = Σ (p_live − p_ref) · ln(p_live / p_ref), proportions floored at 1e-4 (psi.ts). Categorical
 * fields also get Pearson's chi-square (statistic and p-value) over the same bins.
 * A feature is flagged when its PSI exceeds the threshold (default 0.25) and the window holds at
 * least `minRows` rows (default 100: PSI of a handful of rows is noise).
 *
 * Cost: observe() is O(rows × binnings) with a binary search per numeric value and a Map lookup
 * per categorical value, writing into preallocated typed arrays (a ring of bin indices per row,
 * running counts per bin); nothing is allocated per row. PSI is computed in report().
 */
import { NODE_CATEGORICAL, type ModelIR } from '../formats/ir.js';
import type { PipelineSpec } from '../pipeline/types.js';
import { chiSquare, coarsenThresholds, psi, splitBinProportions } from './psi.js';
import type { NumericStats, ReferenceStats } from './reference-stats.js';

export interface DriftOptions {
  /** Most recent rows the comparison covers (per version). Default 5000. */
  windowRows?: number;
  /** Rows older than this leave the window. Default 3600. */
  windowSeconds?: number;
  /** PSI above which a feature (or the prediction) is flagged. Default 0.25. */
  threshold?: number;
  /** PSI history points kept per version for the "drift over time" plot. Default 120. */
  historyPoints?: number;
  /** Seconds between two history points (taken while traffic flows). Default 60. */
  historyIntervalSeconds?: number;
  /** Fewest rows in the window for a flag. Default 100. */
  minRows?: number;
  /**
   * Split-threshold bins (psiSplits) are coarsened so each holds at least this share of the
   * reference's present values (a subset of the model's thresholds is kept). Default 0.05; 0 keeps
   * every threshold.
   */
  splitMinMass?: number;
  /** Clock in milliseconds (tests inject one). Default Date.now. */
  clock?: () => number;
}

export interface FeatureDrift {
  feature: string;
  type: 'numeric' | 'categorical';
  psi: number;
  /** PSI with the model's own split-threshold bins (tree models, numeric fields the model splits on unchanged). */
  psiSplits?: number;
  /** Pearson's chi-square statistic over the category bins (categorical fields). */
  chiSquare?: number;
  /** Its p-value under "live follows the reference" (categorical fields). */
  chiSquarePValue?: number;
  missingRateReference: number;
  missingRateLive: number;
  flagged: boolean;
  liveRows: number;
}

export interface DriftReport {
  model: string;
  version: number;
  windowRows: number;
  threshold: number;
  features: FeatureDrift[];
  prediction: { psi: number; flagged: boolean; liveRows: number } | null;
  /** Reference fields left out because their statistics are malformed (absent when none). */
  skippedFields?: { field: string; reason: string }[];
  /** Oldest first; `at` in ms since the epoch; psi per feature (decile bins); predictionPsi when tracked. */
  history: { at: number; psi: Record<string, number>; predictionPsi?: number }[];
}

type RawField = number | string | boolean | null | undefined;

const NUMERIC = 0;
const CATEGORICAL = 1;

interface FieldBinning {
  name: string;
  kind: typeof NUMERIC | typeof CATEGORICAL;
  /** Offset of this field's bins in the counts array; its binning index in a ring row. */
  offset: number;
  slot: number;
  bins: number;
  ref: Float64Array;
  missingRateReference: number;
  // numeric
  edges: Float64Array;
  // categorical: name -> bin; numeric-looking names also by value; booleans by 'true'/'false'
  cats: Map<string, number>;
  numCats: Map<number, number>;
  trueBin: number;
  falseBin: number;
  // split-threshold binning (numeric, tree models)
  split: { offset: number; slot: number; bins: number; ref: Float64Array; thresholds: Float64Array; strictLess: boolean; fround: boolean } | null;
}

interface PredictionBinning {
  offset: number;
  slot: number;
  bins: number;
  ref: Float64Array;
  edges: Float64Array;
}

const NOT_COUNTED = 0xffff;
const MAX_CATEGORIES = 10_000;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Why a field's reference statistics cannot be binned (the manifest keeps them as is), or null. */
function invalidStats(st: unknown): string | null {
  if (typeof st !== 'object' || st === null) return 'not an object';
  const o = st as Record<string, unknown>;
  if (!finite(o.missing_rate) || o.missing_rate < 0 || o.missing_rate > 1) return 'missing_rate must be a number in [0, 1]';
  if (o.type === 'categorical') {
    if (typeof o.frequencies !== 'object' || o.frequencies === null) return 'frequencies must be an object';
    for (const v of Object.values(o.frequencies)) if (!finite(v) || v < 0) return 'frequencies must be non-negative numbers';
    return null;
  }
  if (o.type !== 'numeric') return `unknown type ${JSON.stringify(o.type)}`;
  const q = o.quantiles;
  if (!Array.isArray(q) || !q.every((x) => Array.isArray(x) && x.length === 2 && finite(x[0]) && finite(x[1]))) return 'quantiles must be [level, value] pairs';
  const h = o.histogram as { edges?: unknown; counts?: unknown } | null;
  if (typeof h !== 'object' || h === null || !Array.isArray(h.edges) || !Array.isArray(h.counts)) return 'histogram must have edges and counts';
  const edges = h.edges as unknown[];
  const counts = h.counts as unknown[];
  if (!edges.every(finite) || !edges.every((e, i) => i === 0 || (e as number) > (edges[i - 1] as number))) return 'histogram.edges must be increasing numbers';
  if (!counts.every((c) => finite(c) && c >= 0)) return 'histogram.counts must be non-negative numbers';
  if (edges.length === 0 ? counts.length !== 0 : counts.length !== Math.max(edges.length - 1, 1)) return 'histogram.counts must have one count per bin';
  return null;
}

class VersionWindow {
  readonly fields: FieldBinning[] = [];
  /** Reference fields whose statistics cannot be used (malformed manifest), with the reason. */
  readonly skipped: { field: string; reason: string }[] = [];
  readonly prediction: PredictionBinning | null = null;
  readonly slots: number;
  readonly counts: Float64Array;
  readonly ring: Uint16Array;
  readonly at: Float64Array;
  head = 0;
  size = 0;
  predictionRows = 0;
  readonly history: { at: number; psi: Record<string, number>; predictionPsi?: number }[] = [];
  lastHistoryAt = -Infinity;

  constructor(
    readonly model: string,
    readonly version: number,
    reference: ReferenceStats,
    splitThresholds: Map<string, { thresholds: Float64Array; strictLess: boolean; fround: boolean }>,
    readonly capacity: number,
    splitMinMass: number,
  ) {
    let offset = 0;
    let slot = 0;
    for (const name of Object.keys(reference.fields ?? {}).sort()) {
      const st = reference.fields[name];
      const problem = invalidStats(st);
      if (problem) {
        this.skipped.push({ field: name, reason: problem });
        continue;
      }
      const f: FieldBinning = {
        name,
        kind: st.type === 'numeric' ? NUMERIC : CATEGORICAL,
        offset,
        slot: slot++,
        bins: 0,
        ref: new Float64Array(0),
        missingRateReference: st.missing_rate,
        edges: new Float64Array(0),
        cats: new Map(),
        numCats: new Map(),
        trueBin: -1,
        falseBin: -1,
        split: null,
      };
      if (st.type === 'numeric') {
        const { ref, edges } = decileBins(st);
        f.ref = ref;
        f.edges = edges;
        f.bins = ref.length;
        const s = splitThresholds.get(name);
        const thresholds = s && (st.quantiles.length > 0 || st.histogram.edges.length > 0) ? coarsenThresholds(st, s.thresholds, s.strictLess, splitMinMass) : null;
        if (s && thresholds && thresholds.length > 0 && thresholds.length + 2 < NOT_COUNTED) {
          f.split = { offset: 0, slot: slot++, bins: thresholds.length + 2, ref: splitBinProportions(st, thresholds, s.strictLess), thresholds, strictLess: s.strictLess, fround: s.fround };
        }
      } else {
        // The most frequent MAX_CATEGORIES categories get a bin each; rarer ones share the
        // "unseen" bin (with their reference share), so the ring's Uint16 bin indices suffice.
        const all = Object.keys(st.frequencies);
        const names = all.length <= MAX_CATEGORIES ? all : [...all].sort((a, b) => st.frequencies[b] - st.frequencies[a] || (a < b ? -1 : 1)).slice(0, MAX_CATEGORIES);
        const present = 1 - st.missing_rate;
        f.bins = names.length + 2; // categories, unseen (and folded rare ones), missing
        f.ref = new Float64Array(f.bins);
        let kept = 0;
        names.forEach((c, i) => {
          f.cats.set(c, i);
          const n = Number(c);
          if (c.trim() !== '' && String(n) === c) f.numCats.set(n, i);
          f.ref[i] = st.frequencies[c] * present;
          kept += st.frequencies[c];
        });
        f.ref[names.length] = all.length > names.length ? Math.max(0, 1 - kept) * present : 0;
        f.ref[names.length + 1] = st.missing_rate;
        f.trueBin = f.cats.get('true') ?? names.length;
        f.falseBin = f.cats.get('false') ?? names.length;
      }
      offset += f.bins;
      if (f.split) {
        f.split.offset = offset;
        offset += f.split.bins;
      }
      this.fields.push(f);
    }
    const p = reference.prediction;
    if (p && p.type === 'numeric' && !invalidStats(p) && p.histogram.edges.length > 0) {
      const { ref, edges } = decileBins({ ...p, missing_rate: 0 });
      this.prediction = { offset, slot: slot++, bins: ref.length, ref, edges };
      offset += ref.length;
    }
    this.slots = slot;
    this.counts = new Float64Array(offset);
    this.ring = new Uint16Array(capacity * slot);
    this.at = new Float64Array(capacity);
  }

  #evictOne(): void {
    const base = this.head * this.slots;
    const ring = this.ring;
    const counts = this.counts;
    const fields = this.fields;
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k];
      counts[f.offset + ring[base + f.slot]]--;
      if (f.split) counts[f.split.offset + ring[base + f.split.slot]]--;
    }
    if (this.prediction) {
      const b = ring[base + this.prediction.slot];
      if (b !== NOT_COUNTED) {
        counts[this.prediction.offset + b]--;
        this.predictionRows--;
      }
    }
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }

  /** Drops rows at or before `cutoff` (ms). */
  expire(cutoff: number): void {
    while (this.size > 0 && this.at[this.head] <= cutoff) this.#evictOne();
  }

  add(records: readonly Record<string, RawField>[], predictions: ArrayLike<number>, width: number, now: number): void {
    const ring = this.ring;
    const counts = this.counts;
    const n = records.length;
    // Only the last `capacity` rows of a large batch can stay in the window.
    const start = Math.max(0, n - this.capacity);
    for (let r = start; r < n; r++) {
      if (this.size === this.capacity) this.#evictOne();
      const pos = (this.head + this.size) % this.capacity;
      const base = pos * this.slots;
      const rec = records[r];
      const fields = this.fields;
      for (let k = 0; k < fields.length; k++) {
        const f = fields[k];
        const v = rec == null ? undefined : rec[f.name];
        let b: number;
        if (f.kind === NUMERIC) {
          const x = numericValue(v);
          if (x !== x) {
            b = f.bins - 1;
            if (f.split) {
              const sb = f.split.bins - 1;
              ring[base + f.split.slot] = sb;
              counts[f.split.offset + sb]++;
            }
          } else {
            b = decileBin(f.edges, x);
            if (f.split) {
              const sb = splitBin(f.split.thresholds, f.split.fround ? Math.fround(x) : x, f.split.strictLess);
              ring[base + f.split.slot] = sb;
              counts[f.split.offset + sb]++;
            }
          }
        } else {
          b = categoryBin(f, v);
        }
        ring[base + f.slot] = b;
        counts[f.offset + b]++;
      }
      const p = this.prediction;
      if (p) {
        const idx = r * width;
        const y = idx < predictions.length ? predictions[idx] : NaN;
        if (Number.isFinite(y)) {
          const b = decileBin(p.edges, y);
          ring[base + p.slot] = b;
          counts[p.offset + b]++;
          this.predictionRows++;
        } else {
          ring[base + p.slot] = NOT_COUNTED;
        }
      }
      this.at[pos] = now;
      this.size++;
    }
  }

  featurePsi(f: FieldBinning): number {
    return psi(f.ref, this.counts.subarray(f.offset, f.offset + f.bins));
  }

  predictionPsi(): number | null {
    const p = this.prediction;
    if (!p || this.predictionRows === 0) return null;
    return psi(p.ref, this.counts.subarray(p.offset, p.offset + p.bins));
  }
}

/** Numeric decile bins (+ missing) and their reference proportions. */
function decileBins(st: NumericStats): { ref: Float64Array; edges: Float64Array } {
  const { edges, counts } = st.histogram;
  const nb = Math.max(edges.length - 1, 1);
  const ref = new Float64Array(nb + 1);
  let total = 0;
  for (const c of counts) total += c;
  if (total > 0) for (let i = 0; i < nb; i++) ref[i] = ((counts[i] ?? 0) / total) * (1 - st.missing_rate);
  ref[nb] = st.missing_rate;
  return { ref, edges: Float64Array.from(edges) };
}

/** Same rule as reference-stats' binOf: last i with x >= edges[i], clamped to the bins. */
function decileBin(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = Math.max(edges.length - 2, 0);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (x >= edges[mid]) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Bin between sorted thresholds: strictLess (left iff x < t): number of t <= x; else number of t < x. */
function splitBin(t: Float64Array, x: number, strictLess: boolean): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (strictLess ? t[mid] <= x : t[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function numericValue(v: RawField): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v.trim() === '') return NaN;
    return Number(v);
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return NaN;
}

function categoryBin(f: FieldBinning, v: RawField): number {
  const unseen = f.bins - 2;
  const missing = f.bins - 1;
  if (v === null || v === undefined) return missing;
  if (typeof v === 'string') return f.cats.get(v) ?? unseen;
  if (typeof v === 'number') return v !== v ? missing : (f.numCats.get(v) ?? unseen);
  if (typeof v === 'boolean') return v ? f.trueBin : f.falseBin;
  return unseen;
}

/** Sorted unique numeric split thresholds per model feature name (tree models only). */
export function splitThresholds(ir: ModelIR): Map<string, { thresholds: Float64Array; strictLess: boolean; fround: boolean }> {
  const out = new Map<string, { thresholds: Float64Array; strictLess: boolean; fround: boolean }>();
  if (ir.kind !== 'forest') return out;
  const per = new Map<number, Set<number>>();
  const { feature, threshold, left, flags } = ir.nodes;
  for (let g = 0; g < feature.length; g++) {
    if (left[g] < 0 || flags[g] & NODE_CATEGORICAL) continue;
    if (!Number.isFinite(threshold[g])) continue;
    const j = feature[g];
    if (ir.features[j]?.type !== 'numeric') continue;
    let s = per.get(j);
    if (!s) per.set(j, (s = new Set()));
    s.add(threshold[g]);
  }
  const strictLess = ir.rule === 'xgboost';
  for (const [j, s] of per) {
    out.set(ir.features[j].name, { thresholds: Float64Array.from(s).sort(), strictLess, fround: strictLess });
  }
  return out;
}

/**
 * Raw input fields that reach a model feature with their values unchanged through a pipeline
 * spec (renamed, selected, numeric-imputed or given a missing indicator at most), as
 * raw field -> model feature. Pass it to DriftMonitor.track for versions with a pipeline: only
 * for these fields are the model's split thresholds on the raw field's scale (v2 of house-price
 * turns YearRemodAdd into elapsed years, so its thresholds 0..60 say nothing about 1950..2010).
 */
export function passthroughFields(spec: Pick<PipelineSpec, 'inputs' | 'steps'>, features: readonly string[]): Record<string, string> {
  // current column name -> raw field, for columns still holding the raw values
  let intact = new Map<string, string>();
  for (const i of spec.inputs) if (i.type === 'numeric') intact.set(i.name, i.name);
  for (const step of spec.steps) {
    switch (step.op) {
      case 'rename': {
        const next = new Map<string, string>();
        for (const [col, raw] of intact) next.set(step.columns[col] ?? col, raw);
        intact = next;
        break;
      }
      case 'drop':
        for (const c of step.columns) intact.delete(c);
        break;
      case 'select': {
        const keep = new Set(step.columns);
        for (const c of [...intact.keys()]) if (!keep.has(c)) intact.delete(c);
        break;
      }
      case 'impute_numeric':
      case 'missing_indicator':
        break;
      case 'min_max_scale':
        if (!step.columns) intact.clear();
        else for (const c of step.columns) intact.delete(c);
        break;
      default:
        for (const c of step.columns) intact.delete(c);
    }
  }
  const wanted = new Set(features);
  const out: Record<string, string> = {};
  for (const [col, raw] of intact) if (wanted.has(col)) out[raw] = col;
  return out;
}

export class DriftMonitor {
  readonly windowRows: number;
  readonly windowSeconds: number;
  readonly threshold: number;
  readonly historyPoints: number;
  readonly historyIntervalSeconds: number;
  readonly minRows: number;
  readonly splitMinMass: number;
  readonly #clock: () => number;
  readonly #models = new Map<string, Map<number, VersionWindow>>();

  constructor(opts: DriftOptions = {}) {
    this.windowRows = positiveInt(opts.windowRows ?? 5000, 'windowRows');
    this.windowSeconds = positive(opts.windowSeconds ?? 3600, 'windowSeconds');
    this.threshold = positive(opts.threshold ?? 0.25, 'threshold');
    this.historyPoints = positiveInt(opts.historyPoints ?? 120, 'historyPoints');
    this.historyIntervalSeconds = nonNegative(opts.historyIntervalSeconds ?? 60, 'historyIntervalSeconds');
    this.minRows = nonNegative(opts.minRows ?? 100, 'minRows');
    this.splitMinMass = nonNegative(opts.splitMinMass ?? 0.05, 'splitMinMass');
    this.#clock = opts.clock ?? Date.now;
  }

  /**
   * Registers a served version: its reference stats (from the manifest) and, for tree models,
   * the IR to take split thresholds from. `splitFields` (raw field -> model feature, e.g. from
   * passthroughFields(pipeline spec)) says which raw fields the thresholds apply to; without it,
   * raw numeric fields whose name equals a numeric model feature. Re-tracking resets the window.
   */
  track(model: string, version: number, reference: ReferenceStats, ir?: ModelIR, splitFields?: Record<string, string>): void {
    const byFeature = ir ? splitThresholds(ir) : new Map();
    const byField = new Map<string, { thresholds: Float64Array; strictLess: boolean; fround: boolean }>();
    for (const [field, st] of Object.entries(reference.fields)) {
      if (st.type !== 'numeric') continue;
      const feature = splitFields ? splitFields[field] : field;
      const t = feature === undefined ? undefined : byFeature.get(feature);
      if (t) byField.set(field, t);
    }
    let m = this.#models.get(model);
    if (!m) this.#models.set(model, (m = new Map()));
    m.set(version, new VersionWindow(model, version, reference, byField, this.windowRows, this.splitMinMass));
  }

  untrack(model: string, version: number): void {
    const m = this.#models.get(model);
    if (!m) return;
    m.delete(version);
    if (m.size === 0) this.#models.delete(model);
  }

  tracked(model: string, version: number): boolean {
    return this.#models.get(model)?.has(version) ?? false;
  }

  /**
   * One scored batch: raw records as the client sent them, and the predictions (row-major,
   * `width` per row; the first output of each row is compared). A no-op for untracked versions.
   */
  observe(model: string, version: number, records: readonly Record<string, RawField>[], predictions: ArrayLike<number>, width: number): void {
    const w = this.#models.get(model)?.get(version);
    if (!w || records.length === 0) return;
    const now = this.#clock();
    w.expire(now - this.windowSeconds * 1000);
    w.add(records, predictions, Math.max(1, width | 0), now);
    this.#maybeSnapshot(w, now);
  }

  #maybeSnapshot(w: VersionWindow, now: number): void {
    if (w.size === 0 || now - w.lastHistoryAt < this.historyIntervalSeconds * 1000) return;
    w.lastHistoryAt = now;
    const point: { at: number; psi: Record<string, number>; predictionPsi?: number } = { at: now, psi: {} };
    for (const f of w.fields) point.psi[f.name] = w.featurePsi(f);
    const p = w.predictionPsi();
    if (p !== null) point.predictionPsi = p;
    w.history.push(point);
    if (w.history.length > this.historyPoints) w.history.splice(0, w.history.length - this.historyPoints);
  }

  report(model: string, version: number): DriftReport | null {
    const w = this.#models.get(model)?.get(version);
    if (!w) return null;
    const now = this.#clock();
    w.expire(now - this.windowSeconds * 1000);
    this.#maybeSnapshot(w, now);
    const rows = w.size;
    const enough = rows > 0 && rows >= this.minRows;
    const features: FeatureDrift[] = w.fields.map((f) => {
      const live = w.counts.subarray(f.offset, f.offset + f.bins);
      const value = psi(f.ref, live);
      const d: FeatureDrift = {
        feature: f.name,
        type: f.kind === NUMERIC ? 'numeric' : 'categorical',
        psi: value,
        missingRateReference: f.missingRateReference,
        missingRateLive: rows ? live[f.bins - 1] / rows : 0,
        flagged: enough && value > this.threshold,
        liveRows: rows,
      };
      if (f.split) d.psiSplits = psi(f.split.ref, w.counts.subarray(f.split.offset, f.split.offset + f.split.bins));
      if (f.kind === CATEGORICAL) {
        const c = chiSquare(f.ref, live);
        d.chiSquare = c.statistic;
        d.chiSquarePValue = c.pValue;
      }
      return d;
    });
    const p = w.predictionPsi();
    return {
      model,
      version,
      windowRows: rows,
      threshold: this.threshold,
      features,
      prediction: p === null ? (w.prediction ? { psi: 0, flagged: false, liveRows: 0 } : null) : { psi: p, flagged: w.predictionRows >= this.minRows && p > this.threshold, liveRows: w.predictionRows },
      history: w.history.map((h) => ({ at: h.at, psi: { ...h.psi }, ...(h.predictionPsi !== undefined ? { predictionPsi: h.predictionPsi } : {}) })),
      ...(w.skipped.length ? { skippedFields: w.skipped.map((x) => ({ ...x })) } : {}),
    };
  }

  reports(): DriftReport[] {
    const out: DriftReport[] = [];
    for (const [model, m] of this.#models) for (const v of m.keys()) out.push(this.report(model, v)!);
    return out;
  }
}

function positive(v: number, name: string): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`drift: ${name} must be a positive number, got ${v}`);
  return v;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`drift: ${name} must be a positive integer, got ${v}`);
  return v;
}

function nonNegative(v: number, name: string): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`drift: ${name} must be a non-negative number, got ${v}`);
  return v;
}
