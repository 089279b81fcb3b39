/**
 * Drift monitoring (src/monitoring/drift.ts, psi.ts) on the house-price bundles: PSI is ~0 on the
 * reference sample itself, small on test.csv, and flags exactly the fields of a deliberately
 * shifted copy; the window slides by count and by time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelIR } from '../src/formats/ir.js';
import { readModelFile } from '../src/formats/read.js';
import { loadModel } from '../src/model.js';
import { GroveMetrics } from '../src/monitoring/metrics.js';
import { DriftMonitor, passthroughFields, splitThresholds, type DriftReport } from '../src/monitoring/drift.js';
import { chiSquare, chiSquareSurvival, psi, ReferenceCdf, splitBinProportions } from '../src/monitoring/psi.js';
import { computeReferenceStats, numericStats, type ReferenceStats } from '../src/monitoring/reference-stats.js';
import { compilePipeline, parsePipeline, recordsFromCsv } from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';
import { sklearnTrainTestSplit } from '../src/train/split.js';
import { readCsv } from './helpers/fixtures.js';

const ROOT = join(import.meta.dirname, '..');
const DATA = join(ROOT, 'data', 'house-prices');
const BUNDLES = join(ROOT, 'models', 'house-price');

interface Bundle {
  version: number;
  reference: ReferenceStats;
  ir: ModelIR;
  splitFields: Record<string, string>;
  pipelineText: string;
  artifact: string;
  /** research_predictions.csv: `train:<Id>` / `test:<Id>` -> prediction (NaN when research refused the row). */
  research: Map<string, number>;
}

async function bundle(version: number): Promise<Bundle> {
  const dir = join(BUNDLES, String(version));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const pipelineText = readFileSync(join(dir, 'pipeline.json'), 'utf8');
  const pipeline = parsePipeline(pipelineText, 'pipeline.json');
  const research = new Map<string, number>();
  for (const [id, split, p] of readCsv(join(dir, 'research_predictions.csv')).rows) {
    research.set(`${split === 'test' ? 'test' : 'train'}:${id}`, p === '' ? NaN : Number(p));
  }
  return {
    version,
    reference: manifest.reference_stats,
    ir: await readModelFile(join(dir, manifest.artifact)),
    splitFields: passthroughFields(pipeline.spec, pipeline.features),
    pipelineText,
    artifact: join(dir, manifest.artifact),
    research,
  };
}

const train = readCsv(join(DATA, 'train.csv'));
const test = readCsv(join(DATA, 'test.csv'));
const trainRecords = recordsFromCsv(train.header, train.rows);
const testRecords = recordsFromCsv(test.header, test.rows);
const ids = (t: { header: string[]; rows: string[][] }) => t.rows.map((r) => r[t.header.indexOf('Id')]);
const trainIds = ids(train);
const testIds = ids(test);
/** The rows each version was fitted on (and its reference stats computed from). */
const fitIndex = sklearnTrainTestSplit(trainRecords.length, 0.1, 0).train;

/** Every LotArea ×3, BsmtQual missing on every other row (50 %). */
function shifted(records: readonly RawRecord[]): RawRecord[] {
  return records.map((r, i) => ({ ...r, LotArea: typeof r.LotArea === 'number' ? r.LotArea * 3 : r.LotArea, BsmtQual: i % 2 === 0 ? null : r.BsmtQual }));
}

/** Scores raw records as the server does (pipeline -> model -> inverse target); refused rows NaN. */
async function score(b: Bundle, records: readonly RawRecord[]): Promise<Float64Array> {
  const pipeline = compilePipeline(parsePipeline(b.pipelineText, 'pipeline.json'));
  const t = pipeline.transform(records);
  const model = await loadModel(b.artifact, { engine: 'reference' });
  try {
    const y = pipeline.inverseTarget(model.predict(t.x, t.rows));
    for (const r of t.invalidRows) y[r] = NaN;
    return y;
  } finally {
    model.dispose();
  }
}

function replay(b: Bundle, records: readonly RawRecord[], predictions: ArrayLike<number>, opts: { batch?: number } = {}): DriftReport {
  const d = new DriftMonitor({ windowRows: 10_000 });
  d.track('house-price', b.version, b.reference, b.ir, b.splitFields);
  const batch = opts.batch ?? 500;
  const p = Float64Array.from(predictions);
  for (let s = 0; s < records.length; s += batch) {
    d.observe('house-price', b.version, records.slice(s, s + batch), p.subarray(s, s + batch), 1);
  }
  return d.report('house-price', b.version)!;
}

function summary(r: DriftReport): string {
  const worst = [...r.features].sort((a, b) => b.psi - a.psi).slice(0, 3);
  return `v${r.version}: max PSI ${worst.map((f) => `${f.feature} ${f.psi.toFixed(4)}`).join(', ')}; prediction ${r.prediction?.psi.toFixed(4)}`;
}

describe('PSI and chi-square', () => {
  it('is 0 for identical distributions, grows with the shift, and is finite with empty bins', () => {
    expect(psi([0.25, 0.25, 0.5], [25, 25, 50])).toBeCloseTo(0, 12);
    const small = psi([0.25, 0.25, 0.5], [30, 25, 45]);
    const large = psi([0.25, 0.25, 0.5], [60, 25, 15]);
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small);
    // (0.5 - 1e-4) ln(0.5 / 1e-4) + (1e-4 - 0.5) ln(1e-4 / 0.5)
    const empty = psi([0.5, 0.5, 0], [0, 50, 50]);
    expect(empty).toBeCloseTo(2 * (0.5 - 1e-4) * Math.log(0.5 / 1e-4), 9);
    expect(psi([0.5, 0.5], [0, 0])).toBe(0);
  });

  it('chi-square statistic and p-value', () => {
    const c = chiSquare([0.5, 0.5], [60, 40]);
    expect(c.statistic).toBeCloseTo(4, 12);
    expect(c.df).toBe(1);
    expect(c.pValue).toBeCloseTo(0.0455, 4); // P(chi2_1 >= 4)
    expect(chiSquareSurvival(11.07, 5)).toBeCloseTo(0.05, 3);
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });

  it('reference CDF: exact at histogram edges, keeps the jumps of discrete fields', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1 + (i % 10)); // 1..10, 10 % each
    const st = numericStats(values);
    const cdf = new ReferenceCdf(st);
    for (const e of st.histogram.edges.slice(0, -1)) {
      expect(cdf.lessThan(e)).toBeCloseTo(values.filter((v) => v < e).length / values.length, 12);
    }
    expect(cdf.lessThan(0)).toBe(0);
    expect(cdf.atMost(10)).toBe(1);
    // Split bins for thresholds at edges (x < t): exact proportions (edges: 1, 1.9, 2.8, 3.7, 4.6, 5.5, ...).
    const p = splitBinProportions(st, Float64Array.from([st.histogram.edges[2], st.histogram.edges[5]]), true);
    expect(Array.from(p).map((x) => +x.toFixed(12))).toEqual([0.2, 0.3, 0.5, 0]);
  });

  it('split thresholds: unique, sorted, numeric nodes only; a pipeline maps raw fields that reach the model unchanged', async () => {
    const v2 = await bundle(2);
    const t = splitThresholds(v2.ir);
    expect([...t.get('OverallQual')!.thresholds]).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(t.get('OverallQual')!.strictLess).toBe(true);
    // YearRemodAdd becomes elapsed years (not on the raw scale); 1stFlrSF is renamed, values unchanged.
    expect(v2.splitFields).toEqual({
      LotArea: 'LotArea',
      OverallQual: 'OverallQual',
      BsmtFinSF1: 'BsmtFinSF1',
      TotalBsmtSF: 'TotalBsmtSF',
      '1stFlrSF': 'FirstFlrSF',
      '2ndFlrSF': 'SecondFlrSF',
      GrLivArea: 'GrLivArea',
      GarageCars: 'GarageCars',
    });
  });
});

describe('house-price drift', async () => {
  const bundles = [await bundle(1), await bundle(2)];

  for (const b of bundles) {
    it(`v${b.version}: the reference sample itself gives PSI ~0 on every feature and the prediction`, () => {
      const records = fitIndex.map((i) => trainRecords[i]);
      const r = replay(b, records, fitIndex.map((i) => b.research.get(`train:${trainIds[i]}`)!));
      expect(r.features.map((f) => f.feature).sort()).toEqual(Object.keys(b.reference.fields).sort());
      for (const f of r.features) {
        expect(f.psi, f.feature).toBeLessThan(1e-6);
        expect(f.flagged).toBe(false);
        expect(f.missingRateLive).toBeCloseTo(f.missingRateReference, 12);
        expect(f.liveRows).toBe(records.length);
        // Split bins: proportions come from the interpolated CDF, so not 0 — but small.
        if (f.psiSplits !== undefined) expect(f.psiSplits, `${f.feature} psiSplits`).toBeLessThan(0.1);
      }
      expect(r.prediction!.psi).toBeLessThan(1e-6);
    });

    it(`v${b.version}: every row of train.csv (reference + hold-out) gives PSI < 0.02`, () => {
      const r = replay(b, trainRecords, trainIds.map((id) => b.research.get(`train:${id}`)!));
      console.log(`train.csv ${summary(r)}`);
      for (const f of r.features) expect(f.psi, f.feature).toBeLessThan(0.02);
      expect(r.prediction!.psi).toBeLessThan(0.02);
    });

    it(`v${b.version}: replaying test.csv gives PSI < 0.1 on every feature, nothing flagged`, () => {
      const r = replay(b, testRecords, testIds.map((id) => b.research.get(`test:${id}`)!));
      console.log(`test.csv ${summary(r)}`);
      for (const f of r.features) {
        expect(f.psi, f.feature).toBeLessThan(0.1);
        expect(f.flagged, f.feature).toBe(false);
      }
      expect(r.prediction!.psi).toBeLessThan(0.1);
      expect(r.prediction!.flagged).toBe(false);
    });

    it(`v${b.version}: a shifted copy of test.csv (LotArea ×3, BsmtQual 50 % missing) flags exactly the shifted fields`, async () => {
      const records = shifted(testRecords);
      const r = replay(b, records, await score(b, records));
      console.log(`shifted test.csv ${summary(r)}`);
      const want = ['BsmtQual', 'LotArea'].filter((f) => f in b.reference.fields);
      expect(r.features.filter((f) => f.flagged).map((f) => f.feature).sort()).toEqual(want);
      const bsmt = r.features.find((f) => f.feature === 'BsmtQual')!;
      expect(bsmt.missingRateLive).toBeGreaterThan(0.45);
      expect(bsmt.chiSquarePValue).toBeLessThan(1e-6);
      if (b.version === 2) {
        const lot = r.features.find((f) => f.feature === 'LotArea')!;
        expect(lot.psi).toBeGreaterThan(1);
        expect(lot.psiSplits).toBeGreaterThan(1);
        // v2 prices rise with the lot area (the trees saturate beyond the largest lots they saw):
        // its predictions shift too, though less than the threshold.
        expect(r.prediction!.psi).toBeGreaterThan(0.05);
      }
    });
  }
});

describe('DriftMonitor window', () => {
  const reference = computeReferenceStats(
    Array.from({ length: 1000 }, (_, i) => ({ x: i % 100, c: i % 4 === 0 ? 'a' : 'b' })),
    { x: { type: 'numeric' }, c: { type: 'categorical' } },
    Array.from({ length: 1000 }, (_, i) => i % 100),
  );
  const same = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ x: (from + i) % 100, c: (from + i) % 4 === 0 ? 'a' : 'b' }));
  const moved = (n: number) => Array.from({ length: n }, (_, i) => ({ x: 500 + i, c: 'zzz' }));
  const psiOf = (r: DriftReport, f: string) => r.features.find((x) => x.feature === f)!.psi;

  it('keeps the most recent windowRows rows', () => {
    const d = new DriftMonitor({ windowRows: 200 });
    d.track('m', 1, reference);
    d.observe('m', 1, moved(200), new Float64Array(200).fill(1e6), 1);
    let r = d.report('m', 1)!;
    expect(r.windowRows).toBe(200);
    expect(r.features.every((f) => f.flagged)).toBe(true);
    expect(r.prediction!.flagged).toBe(true);
    // 200 in-distribution rows push every shifted row out.
    d.observe('m', 1, same(200), Float64Array.from(same(200), (o) => o.x), 1);
    r = d.report('m', 1)!;
    expect(r.windowRows).toBe(200);
    expect(psiOf(r, 'x')).toBeLessThan(0.01);
    expect(psiOf(r, 'c')).toBeLessThan(0.01);
    expect(r.prediction!.psi).toBeLessThan(0.01);
    expect(r.features.some((f) => f.flagged)).toBe(false);
    // Half and half.
    d.observe('m', 1, moved(100), new Float64Array(100).fill(1e6), 1);
    r = d.report('m', 1)!;
    expect(psiOf(r, 'x')).toBeGreaterThan(0.25);
    // A batch larger than the window keeps its last rows.
    d.observe('m', 1, [...moved(300), ...same(200)], new Float64Array(500), 1);
    expect(psiOf(d.report('m', 1)!, 'x')).toBeLessThan(0.01);
  });

  it('drops rows older than windowSeconds (injected clock), and keeps a PSI history', () => {
    let now = 1_000_000;
    const d = new DriftMonitor({ windowRows: 10_000, windowSeconds: 60, historyIntervalSeconds: 10, historyPoints: 3, clock: () => now });
    d.track('m', 1, reference);
    d.observe('m', 1, moved(300), new Float64Array(300), 1);
    now += 30_000;
    d.observe('m', 1, same(300), new Float64Array(300), 1);
    let r = d.report('m', 1)!;
    expect(r.windowRows).toBe(600);
    expect(psiOf(r, 'x')).toBeGreaterThan(0.25);
    now += 31_000; // the first batch is now 61 s old
    r = d.report('m', 1)!;
    expect(r.windowRows).toBe(300);
    expect(psiOf(r, 'x')).toBeLessThan(0.01);
    now += 30_000; // everything is older than 60 s
    r = d.report('m', 1)!;
    expect(r.windowRows).toBe(0);
    expect(r.features.every((f) => f.psi === 0 && !f.flagged && f.liveRows === 0)).toBe(true);
    // History: one point per interval while rows are in the window, the last 3 kept, oldest first.
    expect(r.history.map((h) => h.at)).toEqual([1_000_000, 1_030_000, 1_061_000]);
    expect(r.history[0].psi.x).toBeGreaterThan(0.25);
    expect(r.history[2].psi.x).toBeLessThan(0.01);
    for (let i = 0; i < 5; i++) {
      now += 10_000;
      d.observe('m', 1, same(10, i), new Float64Array(10), 1);
    }
    expect(d.report('m', 1)!.history).toHaveLength(3);
  });

  it('does not flag below minRows; counts missing, unseen and boolean values; untracked versions are ignored', () => {
    const d = new DriftMonitor({ minRows: 50 });
    d.track('m', 1, reference);
    d.observe('m', 1, moved(10), new Float64Array(10), 1);
    let r = d.report('m', 1)!;
    expect(psiOf(r, 'x')).toBeGreaterThan(0.25);
    expect(r.features.some((f) => f.flagged)).toBe(false);
    d.observe('m', 1, [{ x: null, c: null }, { x: 'text', c: true }, {}, { x: '5', c: 7 }], new Float64Array([NaN, NaN, NaN, 1]), 1);
    r = d.report('m', 1)!;
    expect(r.windowRows).toBe(14);
    const x = r.features.find((f) => f.feature === 'x')!;
    expect(x.missingRateLive).toBeCloseTo(3 / 14, 12);
    expect(r.prediction!.liveRows).toBe(11);
    d.observe('m', 2, moved(10), new Float64Array(10), 1);
    expect(d.report('m', 2)).toBeNull();
    expect(d.reports().map((x) => `${x.model}/${x.version}`)).toEqual(['m/1']);
    d.untrack('m', 1);
    expect(d.reports()).toEqual([]);
  });

  it('skips fields with malformed reference stats; folds categories beyond 10,000 into the unseen bin', () => {
    const d = new DriftMonitor({ minRows: 1 });
    const frequencies: Record<string, number> = {};
    // 20,000 equally frequent ids: a00000..a09999 keep a bin each (ties broken by name), z00000..z09999 are folded.
    for (let i = 0; i < 10_000; i++) {
      frequencies[`a${String(i).padStart(5, '0')}`] = 1 / 20_000;
      frequencies[`z${String(i).padStart(5, '0')}`] = 1 / 20_000;
    }
    const bad = {
      rows: 10,
      fields: {
        ok: reference.fields.x,
        noHistogram: { type: 'numeric', count: 1, missing_rate: 0, mean: 1, std: 0, quantiles: [] },
        badRate: { type: 'categorical', count: 1, missing_rate: 2, frequencies: {} },
        ids: { type: 'categorical', count: 20_000, missing_rate: 0, frequencies },
      },
      prediction: { type: 'numeric' },
    } as unknown as ReferenceStats;
    d.track('m', 1, bad);
    d.observe('m', 1, Array.from({ length: 1000 }, (_, i) => ({ ok: i % 100, ids: `z${String(i * 7).padStart(5, '0')}` })), new Float64Array(1000), 1);
    const r = d.report('m', 1)!;
    expect(r.features.map((f) => f.feature)).toEqual(['ids', 'ok']);
    expect(r.skippedFields!.map((s) => s.field)).toEqual(['badRate', 'noHistogram']);
    expect(r.prediction).toBeNull();
    expect(psiOf(r, 'ok')).toBeLessThan(0.01);
    // Every live id is a folded one: the shared bin holds 100 % live vs 50 % reference -> (1 − 0.5)·ln 2;
    // the kept bins are below the 1e-4 floor on both sides and add nothing.
    expect(psiOf(r, 'ids')).toBeCloseTo(0.5 * Math.log(2), 3);
  });

  it('reads the first output of each row (width > 1)', () => {
    const d = new DriftMonitor({ minRows: 1 });
    d.track('m', 1, reference);
    const rows = same(100);
    const preds = new Float64Array(200);
    rows.forEach((o, i) => {
      preds[2 * i] = o.x;
      preds[2 * i + 1] = 1e9;
    });
    d.observe('m', 1, rows, preds, 2);
    expect(d.report('m', 1)!.prediction!.psi).toBeLessThan(0.01);
  });
});

// ---------------------------------------------------------------------------------------------
// Operator assets: deploy/grafana-dashboard.json, deploy/prometheus-alerts.yml, deploy/prometheus.yml

describe('operator assets (deploy/)', () => {
  const DEPLOY = join(ROOT, 'deploy');
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana-dashboard.json'), 'utf8'));
  const alerts = readFileSync(join(DEPLOY, 'prometheus-alerts.yml'), 'utf8');
  const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr));
  /** Metrics the assets may use that grove itself does not export. */
  const EXTERNAL = new Set(['up', 'ALERTS', 'grove_drift_window_rows']);

  it('use only metrics grove exports', () => {
    const m = new GroveMetrics();
    const exported = new Set<string>();
    for (const metric of m.registry.getMetricsAsArray() as unknown as { name: string; type?: string }[]) {
      exported.add(metric.name);
      for (const suffix of ['_bucket', '_sum', '_count']) exported.add(metric.name + suffix);
    }
    const used = new Set([...(exprs.join('\n') + alerts).matchAll(/\b(grove_[a-z0-9_]+|up|ALERTS)\b(?=\s*[{[)\s]|$)/g)].map((x) => x[1]));
    const unknown = [...used].filter((n) => !exported.has(n) && !EXTERNAL.has(n));
    expect(unknown).toEqual([]);
    for (const n of ['grove_feature_psi', 'grove_prediction_psi', 'grove_model_version_info', 'grove_requests_total', 'grove_request_duration_seconds_bucket', 'grove_shadow_agreement_ratio']) {
      expect(used.has(n), n).toBe(true);
    }
  });

  it('dashboard: every panel queries the templated Prometheus data source, ids unique, panels do not overlap', () => {
    expect(dashboard.uid).toBe('grove-serving');
    const ids = dashboard.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      if (p.type !== 'row') for (const t of p.targets) expect(t.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
    }
  });

  const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find(existsSync);
  if (!promtool) console.warn('deploy/ promtool checks SKIPPED: promtool not found (apt-get install -y prometheus)');

  it.skipIf(!promtool)('promtool: config and rules valid, alert unit tests pass, dashboard queries parse', () => {
    const run = (args: string[]) => execFileSync(promtool!, args, { cwd: DEPLOY, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(run(['check', 'config', 'prometheus.yml'])).toContain('SUCCESS');
    expect(run(['check', 'rules', 'prometheus-alerts.yml'])).toMatch(/SUCCESS: \d+ rules found/);
    expect(run(['test', 'rules', 'prometheus-alerts.test.yml'])).toContain('SUCCESS');
    // Each dashboard query, with its variables filled in, as a recording rule: promtool parses it.
    const dir = mkdtempSync(join(tmpdir(), 'grove-dash-'));
    const queries = [...exprs, ...dashboard.templating.list.filter((v: { query?: unknown }) => typeof v.query === 'object').map((v: { query: { query: string } }) => v.query.query.replace(/^label_values\((.*), *\w+\)$/, '$1'))];
    const rules = queries.map((e, i) => `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(e.replaceAll('$__rate_interval', '1m').replaceAll('$model', '.*').replaceAll('$version', '.*').replaceAll('$psi_threshold', '0.25'))}`);
    writeFileSync(join(dir, 'dashboard-rules.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
    expect(run(['check', 'rules', join(dir, 'dashboard-rules.yml')])).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});
