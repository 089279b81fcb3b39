/**
 * Metrics as Prometheus sees them: scrape /metrics after a known sequence of requests and parse
 * the exposition format; names, labels and values must match what happened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, predictUnary, recordsInput, type GroveClients } from '../src/client/client.js';
import { makeBundle } from './helpers/bundles.js';
import { startServer, type RunningServer } from './helpers/server.js';

/** name{labels} value lines -> entries. */
function parse(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const kv of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]] = kv[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

describe('/metrics', () => {
  let root: string;
  let server: RunningServer;
  let clients: GroveClients;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'grove-metrics-'));
    makeBundle(root, 'xgb', 1, { library: 'xgboost', fixture: 'binary-logistic-missing-xgb3' });
    server = await startServer(root);
    clients = connect(server.address);
  });

  afterAll(async () => {
    clients?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('counts requests, rows, missing values and refusals, with latency and prediction histograms', async () => {
    const row = (x0: number | null) => ({ x0, x1: 1, x2: 2, x3: null, x4: 0, x5: 0, x6: 0, x7: 0, x8: 0, x9: 0 });
    for (let i = 0; i < 5; i++) await predictUnary(clients.prediction, { model: 'xgb', ...recordsInput([row(i), row(null)]) });
    await predictUnary(clients.prediction, { model: 'xgb', partial: true, ...recordsInput([row(1), { ...row(1), x1: 'bad' as unknown as number }]) });
    await predictUnary(clients.prediction, { model: 'nope', dense: { rows: 1, cols: 1, values: [0] } }).catch(() => undefined);

    const res = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const m = parse(await res.text());
    const get = (name: string, labels: Record<string, string>): number | undefined =>
      m.find((e) => e.name === name && Object.entries(labels).every(([k, v]) => e.labels[k] === v))?.value;

    expect(get('grove_requests_total', { model: 'xgb', version: '1', role: 'live', code: 'OK' })).toBe(6);
    expect(get('grove_requests_total', { model: 'nope', code: 'NOT_FOUND' })).toBe(1);
    expect(get('grove_rows_total', { model: 'xgb', version: '1', status: 'scored' })).toBe(11);
    expect(get('grove_rows_total', { model: 'xgb', version: '1', status: 'invalid' })).toBe(1);
    expect(get('grove_feature_missing_total', { model: 'xgb', version: '1', field: 'x0' })).toBe(5);
    expect(get('grove_feature_missing_total', { model: 'xgb', version: '1', field: 'x3' })).toBe(12);
    expect(get('grove_input_violations_total', { model: 'xgb', version: '1', field: 'x1', kind: 'type' })).toBe(1);
    expect(get('grove_request_duration_seconds_count', { model: 'xgb', version: '1', role: 'live' })).toBe(6);
    expect(get('grove_request_duration_seconds_bucket', { model: 'xgb', version: '1', role: 'live', le: '+Inf' })).toBe(6);
    expect(get('grove_batch_rows_sum', { model: 'xgb', version: '1' })).toBe(12);
    // predictions of a probability model: every scored row lands in a bucket at or below 1
    expect(get('grove_prediction_value_count', { model: 'xgb', version: '1', role: 'live' })).toBe(11);
    expect(get('grove_model_loads_total', { model: 'xgb', version: '1', outcome: 'loaded' })).toBe(1);
    expect(get('grove_model_version_info', { model: 'xgb', version: '1', state: 'ready' })).toBe(1);
    expect(m.some((e) => e.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    expect(m.some((e) => e.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it('serves /status.json and / on the same port', async () => {
    const json = (await (await fetch(`http://127.0.0.1:${server.metricsPort}/status.json`)).json()) as { models: { name: string }[] };
    expect(json.models.map((m) => m.name)).toEqual(['xgb']);
    const html = await (await fetch(`http://127.0.0.1:${server.metricsPort}/`)).text();
    expect(html).toContain('xgb');
    expect((await fetch(`http://127.0.0.1:${server.metricsPort}/nope`)).status).toBe(404);
  });
});
