/**
 * Safe replacement through the real server: candidate, shadow, canary, promote, rollback, off,
 * and the invalid transitions; shadow never changes the live answer and its rows are paired;
 * canary assignment is sticky; promote and rollback under load fail no request.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, predictUnary, recordsInput, type GroveClients } from '../src/client/client.js';
import type { RoutingInfo__Output } from '../src/generated/grove/v1/RoutingInfo.js';
import type { ModelInfo__Output } from '../src/generated/grove/v1/ModelInfo.js';
import type { SetRoutingRequest } from '../src/generated/grove/v1/SetRoutingRequest.js';
import { recordsFromCsv } from '../src/pipeline/index.js';
import { readPredictions } from '../src/monitoring/prediction-log.js';
import type { RawRecord } from '../src/service/records.js';
import { readCsv } from './helpers/fixtures.js';
import { startServer, type RunningServer } from './helpers/server.js';

const ROOT = join(import.meta.dirname, '..');
const test = readCsv(join(ROOT, 'data', 'house-prices', 'test.csv'));
const records = recordsFromCsv(test.header, test.rows) as RawRecord[];

describe('routing through the real server', () => {
  let root: string;
  let logUrl: string;
  let server: RunningServer;
  let clients: GroveClients;

  const setRouting = (req: Omit<SetRoutingRequest, 'model'>): Promise<RoutingInfo__Output> =>
    new Promise((resolve, reject) =>
      clients.models.SetRouting({ model: 'house-price', actor: 'test', ...req }, (e, r) => (e ? reject(e) : resolve(r!))),
    );
  const getModel = (): Promise<ModelInfo__Output> =>
    new Promise((resolve, reject) => clients.models.GetModel({ name: 'house-price' }, (e, r) => (e ? reject(e) : resolve(r!))));
  const predict = (rows: RawRecord[], routingKey = '', version = '') =>
    predictUnary(clients.prediction, { model: 'house-price', version, routing_key: routingKey, partial: true, ...recordsInput(rows) });
  const code = (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'OK',
      (e: grpc.ServiceError) => grpc.status[e.code],
    );

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'grove-routing-'));
    cpSync(join(ROOT, 'models', 'house-price'), join(root, 'models', 'house-price'), { recursive: true });
    logUrl = `sqlite:${join(root, 'predictions.sqlite')}`;
    server = await startServer(join(root, 'models'), ['--prediction-log', logUrl]);
    clients = connect(server.address);
  });

  afterAll(async () => {
    clients?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses invalid transitions with FAILED_PRECONDITION and leaves routing unchanged', async () => {
    expect(await code(setRouting({ promote: true }))).toBe('FAILED_PRECONDITION');
    expect(await code(setRouting({ shadow: {} }))).toBe('FAILED_PRECONDITION');
    expect(await code(setRouting({ candidate: 7 }))).toBe('FAILED_PRECONDITION');
    expect(await code(setRouting({ rollback: true }))).toBe('FAILED_PRECONDITION');
    expect(await code(setRouting({ candidate: 1 }))).toBe('FAILED_PRECONDITION'); // already live
    expect(await code(setRouting({}))).toBe('INVALID_ARGUMENT');
    expect(await code(new Promise((res, rej) => clients.models.SetRouting({ model: 'nope', off: true }, (e, r) => (e ? rej(e) : res(r)))))).toBe('NOT_FOUND');
    const m = await getModel();
    expect(m.routing?.live).toBe(1);
    expect(m.routing?.candidate).toBe(0);
    expect(m.routing?.audit).toEqual([]);
  });

  it('shadow: v1 answers exactly as with shadow off, v2 scores the same requests, and the pairs are logged', async () => {
    const batch = records.slice(0, 50);
    const before = await predict(batch);
    const cand = await setRouting({ candidate: 2 });
    expect([cand.candidate, cand.mode]).toEqual([2, 'off']);
    const sh = await setRouting({ shadow: { sample_rate: 1 } });
    expect([sh.mode, sh.sample_rate]).toEqual(['shadow', 1]);

    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await predict(batch);
      expect(res.version).toBe(1);
      expect(res.role).toBe('live');
      expect(Array.from(res.values)).toEqual(Array.from(before.values));
      ids.push(res.request_id);
    }
    const scoredRows = 10 * (batch.length - new Set(before.errors.map((e) => e.row)).size);
    let info: ModelInfo__Output;
    for (;;) {
      info = await getModel();
      if ((info.routing?.shadow?.pairs ?? 0) >= scoredRows) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = info.routing!.shadow!;
    expect([s.live_version, s.candidate_version, s.pairs]).toEqual([1, 2, scoredRows]);
    expect(s.mean_rel_diff).toBeGreaterThan(0);
    expect(s.agreement).toBeGreaterThan(0);
    expect(s.agreement).toBeLessThan(1);

    // The prediction log pairs every shadow row with its live row (same request id and row).
    let logged = await readPredictions(logUrl, { model: 'house-price' });
    for (let tries = 0; tries < 100 && logged.filter((r) => r.role === 'shadow').length < 10 * batch.length; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      logged = await readPredictions(logUrl, { model: 'house-price' });
    }
    const mine = logged.filter((r) => ids.includes(r.requestId));
    const live = mine.filter((r) => r.role === 'live');
    const shadow = mine.filter((r) => r.role === 'shadow');
    expect(live).toHaveLength(10 * batch.length);
    expect(shadow).toHaveLength(10 * batch.length);
    const liveKeys = new Set(live.map((r) => `${r.requestId}/${r.row}`));
    expect(shadow.every((r) => liveKeys.has(`${r.requestId}/${r.row}`) && r.version === 2)).toBe(true);
    expect(live.every((r) => r.version === 1 && r.input !== null)).toBe(true);
  });

  it('canary: sticky by routing key, monotone in the weight, and every response names its version', async () => {
    await setRouting({ canary: 10 });
    const row = [records[0]];
    const first = new Map<string, number>();
    for (let k = 0; k < 300; k++) {
      const res = await predict(row, `customer-${k}`);
      expect(res.role).toBe(res.version === 2 ? 'canary' : 'live');
      first.set(`customer-${k}`, res.version);
    }
    const share = [...first.values()].filter((v) => v === 2).length / first.size;
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.2);
    for (let k = 0; k < 300; k += 7) expect((await predict(row, `customer-${k}`)).version).toBe(first.get(`customer-${k}`));
    await setRouting({ canary: 50 });
    for (const [key, v] of first) if (v === 2) expect((await predict(row, key)).version).toBe(2);
    // pinned requests ignore routing
    expect((await predict(row, 'customer-1', '1')).role).toBe('pinned');
    expect((await predict(row, '', 'candidate')).version).toBe(2);
  });

  it('promote and rollback under load (10,000 requests, concurrency 16): no request fails', async () => {
    await setRouting({ off: true });
    const failures: string[] = [];
    const answers: { version: number; start: number }[] = [];
    let sent = 0;
    let rolledBackAt = Infinity;
    const worker = async (): Promise<void> => {
      while (sent < 10_000) {
        const i = sent++;
        const start = performance.now();
        try {
          const res = await predict([records[i % records.length]], `k${i}`);
          answers.push({ version: res.version, start });
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, worker));
    await new Promise((r) => setTimeout(r, 300));
    const promoted = await setRouting({ promote: true });
    expect([promoted.live, promoted.previous_live, promoted.candidate]).toEqual([2, 1, 0]);
    await new Promise((r) => setTimeout(r, 300));
    const rolled = await setRouting({ rollback: true });
    rolledBackAt = performance.now();
    expect([rolled.live, rolled.candidate, rolled.previous_live]).toEqual([1, 2, 0]);
    await load;
    expect(failures).toEqual([]);
    expect(answers).toHaveLength(10_000);
    expect(answers.some((a) => a.version === 2)).toBe(true);
    // After the rollback returned, every response comes from the old live version.
    expect(answers.filter((a) => a.start > rolledBackAt).every((a) => a.version === 1)).toBe(true);
  });

  it('records every change as an audit entry in GetModel and routing.json, and keeps routing across a restart', async () => {
    const m = await getModel();
    const actions = m.routing!.audit.map((a) => a.action);
    expect(actions).toEqual(['candidate 2', 'shadow 1', 'canary 10%', 'canary 50%', 'off', 'promote', 'rollback']);
    expect(m.routing!.audit.every((a) => a.actor === 'test' && a.from && a.to && !Number.isNaN(Date.parse(a.at)))).toBe(true);
    const onDisk = JSON.parse(readFileSync(join(root, 'models', 'house-price', 'routing.json'), 'utf8')) as { live: number; audit: unknown[] };
    expect(onDisk.live).toBe(1);
    expect(onDisk.audit).toHaveLength(7);

    clients.close();
    await server.stop();
    server = await startServer(join(root, 'models'), ['--prediction-log', logUrl]);
    clients = connect(server.address);
    const after = await getModel();
    expect([after.routing?.live, after.routing?.candidate, after.routing?.mode]).toEqual([1, 2, 'off']);
    expect((await predict([records[0]])).version).toBe(1);
  });
});
