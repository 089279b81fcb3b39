/**
 * npm run bench:metrics — what monitoring costs a request: the per-request work the server does
 * for metrics (observeRequest + missing counts) and drift (DriftMonitor.observe), timed on the
 * house-price v1 inputs (37 raw fields), next to the time of scoring the same request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { GroveMetrics } from '../src/monitoring/metrics.js';
import { DriftMonitor } from '../src/monitoring/drift.js';
import { loadBundle } from '../src/registry/bundle.js';
import { recordsFromCsv } from '../src/pipeline/index.js';
import type { ReferenceStats } from '../src/monitoring/reference-stats.js';
import type { RawRecord } from '../src/service/records.js';

const ROOT = join(import.meta.dirname, '..');
const table = parse(readFileSync(join(ROOT, 'data', 'house-prices', 'test.csv'))) as string[][];
const records = recordsFromCsv(table[0], table.slice(1)) as RawRecord[];

function time(label: string, n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i); // warm-up
  const reps: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    reps.push(Number(process.hrtime.bigint() - t0) / 1e3 / n);
  }
  reps.sort((a, b) => a - b);
  console.log(`${label.padEnd(58)} ${reps[2].toFixed(2).padStart(8)} µs/request (median of 5)`);
  return reps[2];
}

const loaded = await loadBundle(join(ROOT, 'models', 'house-price', '1'), { name: 'house-price', version: 1 });
const { scorer, manifest } = loaded;
const metrics = new GroveMetrics();
metrics.trackVersion('house-price', 1, manifest.reference_stats as unknown as ReferenceStats);
const drift = new DriftMonitor();
drift.track('house-price', 1, manifest.reference_stats as unknown as ReferenceStats, loaded.model.ir);
const one = records.map((r) => [r]);
const fields = Object.keys(scorer.pipeline!.inputSchema.fields);
const pred = new Float64Array([180_000]);

console.log('bench:metrics — per 1-row house-price v1 request (37 raw fields), one process');
const score = time('score: pipeline + model + output stage', 20_000, (i) => {
  const enc = scorer.encode(one[i % one.length]);
  scorer.predict(enc.x, 1);
});
const m = time('metrics: observeRequest (counters, 4 histograms, prediction)', 100_000, () =>
  metrics.observeRequest({ model: 'house-price', version: 1, role: 'live', code: 'OK', rows: 1, invalidRows: 0, seconds: 0.0002, scoringSeconds: 0.00005, encodeSeconds: 0.00005, values: pred, width: 1 }),
);
const miss = time('metrics: missing-value counts over the 37 fields', 100_000, (i) => {
  const rec = one[i % one.length];
  for (const f of fields) if (rec[0][f] === null || rec[0][f] === undefined) metrics.missing.inc({ model: 'house-price', version: '1', field: f });
});
const d = time('drift: DriftMonitor.observe', 100_000, (i) => drift.observe('house-price', 1, one[i % one.length], pred, 1));
const total = m + miss + d;
console.log(`monitoring total ${total.toFixed(2)} µs per request = ${((100 * total) / score).toFixed(1)} % of scoring it in-process (${score.toFixed(1)} µs); it runs after the response is sent`);
const t0 = process.hrtime.bigint();
await metrics.render();
console.log(`one /metrics scrape renders in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);
loaded.model.dispose();
