/**
 * The gRPC server as clients see it: a real `grove serve` process on a random loopback port and
 * real grpc-js clients. Every RPC, every status code, health, reflection, deadlines, streams.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, predictUnary, recordsInput, type GroveClients } from '../src/client/client.js';
import { decodeViolations } from '../src/server/status.js';
import type { PredictResponse__Output } from '../src/generated/grove/v1/PredictResponse.js';
import type { ModelInfo__Output } from '../src/generated/grove/v1/ModelInfo.js';
import { loadModel } from '../src/model.js';
import { encodeRows } from '../src/formats/encode.js';
import { FIXTURES, compare, readCsv, readExpected } from './helpers/fixtures.js';
import { makeBundle } from './helpers/bundles.js';
import { startServer, type RunningServer } from './helpers/server.js';

const require = createRequire(import.meta.url);

function healthClient(address: string): grpc.Client & Record<string, (...a: unknown[]) => unknown> {
  const { protoPath } = require('grpc-health-check') as { protoPath: string };
  const def = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return new def.grpc.health.v1.Health(address, grpc.credentials.createInsecure()) as never;
}

function healthCheck(address: string, service: string): Promise<string> {
  const c = healthClient(address);
  return new Promise((resolve, reject) =>
    (c.Check as (req: unknown, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void) => void)({ service }, (err, res) => {
      c.close();
      if (err) reject(err);
      else resolve(String(res!.status));
    }),
  );
}

function expectCode(p: Promise<unknown>, code: grpc.status): Promise<grpc.ServiceError> {
  return p.then(
    () => {
      throw new Error(`expected status ${grpc.status[code]}, got OK`);
    },
    (err: grpc.ServiceError) => {
      expect(grpc.status[err.code]).toBe(grpc.status[code]);
      return err;
    },
  );
}

const XGB_CASE = 'binary-logistic-missing-xgb3';
const LGB_CASE = 'houseprice-regression';

describe('grove serve', () => {
  let root: string;
  let server: RunningServer;
  let clients: GroveClients;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'grove-server-'));
    makeBundle(root, 'xgb', 1, { library: 'xgboost', fixture: XGB_CASE });
    makeBundle(root, 'xgb', 2, { library: 'xgboost', fixture: XGB_CASE, artifact: 'model.ubj' });
    makeBundle(root, 'lgb', 1, { library: 'lightgbm', fixture: LGB_CASE });
    server = await startServer(root, ['--max-rows', '5000']);
    clients = connect(server.address);
  });

  afterAll(async () => {
    clients?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('ListModels and GetModel describe every loaded version', async () => {
    const list = await new Promise<{ models: ModelInfo__Output[] }>((res, rej) => clients.models.ListModels({}, (e, r) => (e ? rej(e) : res(r!))));
    expect(list.models.map((m) => m.name).sort()).toEqual(['lgb', 'xgb']);
    const xgb = await new Promise<ModelInfo__Output>((res, rej) => clients.models.GetModel({ name: 'xgb' }, (e, r) => (e ? rej(e) : res(r!))));
    // default policy: latest 1
    expect(xgb.versions.map((v) => [v.version, v.state])).toEqual([[2, 'ready']]);
    expect(xgb.default_version).toBe(2);
    expect(xgb.versions[0].format).toMatch(/XGBoost 3\.\d+\.\d+ UBJSON/);
    expect(xgb.versions[0].num_features).toBe(10);
    await expectCode(
      new Promise((res, rej) => clients.models.GetModel({ name: 'nope' }, (e, r) => (e ? rej(e) : res(r)))),
      grpc.status.NOT_FOUND,
    );
  });

  it('dense and records input give the same predictions as grove score', async () => {
    const dir = join(FIXTURES, 'lightgbm', LGB_CASE);
    const input = readCsv(join(dir, 'input.csv'));
    const model = await loadModel(join(dir, 'model.txt'), { engine: 'reference' });
    const x = encodeRows(model.ir, input.header, input.rows);
    model.dispose();
    const rows = input.rows.length;
    const dense = await predictUnary(clients.prediction, { model: 'lgb', dense: { rows, cols: input.header.length, values: Array.from(x) } });
    expect(dense.model).toBe('lgb');
    expect(dense.version).toBe(1);
    expect(dense.rows).toBe(rows);
    expect(dense.num_outputs).toBe(1);
    const want = readExpected(join(dir, 'expected.csv'));
    expect(compare(dense.values, want.values).maxAbs).toBe(0);

    const records = input.rows.map((r) =>
      Object.fromEntries(input.header.map((h, j) => [h, r[j] === '' ? null : Number(r[j])])),
    );
    const viaRecords = await predictUnary(clients.prediction, { model: 'lgb', ...recordsInput(records) });
    expect(Array.from(viaRecords.values)).toEqual(Array.from(dense.values));
    expect(viaRecords.request_id).toMatch(/^[0-9a-f-]{36}$/); // generated when absent
  });

  it('pins versions by number and label, and refuses unknown models, versions and labels with NOT_FOUND', async () => {
    const row = { dense: { rows: 1, cols: 10, values: new Array(10).fill(0.5) } };
    const pinned = await predictUnary(clients.prediction, { model: 'xgb', version: '2', request_id: 'abc', ...row });
    expect(pinned.version).toBe(2);
    expect(pinned.role).toBe('pinned');
    expect(pinned.request_id).toBe('abc');
    const live = await predictUnary(clients.prediction, { model: 'xgb', ...row });
    expect(live.role).toBe('live');
    await expectCode(predictUnary(clients.prediction, { model: 'nope', ...row }), grpc.status.NOT_FOUND);
    await expectCode(predictUnary(clients.prediction, { model: 'xgb', version: '7', ...row }), grpc.status.NOT_FOUND);
    await expectCode(predictUnary(clients.prediction, { model: 'xgb', version: 'no-such-label', ...row }), grpc.status.NOT_FOUND);
  });

  it('fails a request with invalid rows with INVALID_ARGUMENT and BadRequest details naming row and field', async () => {
    const dir = join(FIXTURES, 'lightgbm', LGB_CASE);
    const input = readCsv(join(dir, 'input.csv'));
    const records = input.rows.slice(0, 4).map((r) => Object.fromEntries(input.header.map((h, j) => [h, r[j] === '' ? null : Number(r[j])])) as Record<string, number | string | null>);
    records[1].LotArea = 'big';
    records[3].GrLivArea = 'huge';
    const err = await expectCode(predictUnary(clients.prediction, { model: 'lgb', ...recordsInput(records) }), grpc.status.INVALID_ARGUMENT);
    const violations = decodeViolations(err.metadata);
    expect(violations.map((v) => v.field)).toEqual(['rows[1].LotArea', 'rows[3].GrLivArea']);
    expect(violations[0].description).toContain("'big'");
    expect(err.details).toContain('rows[1].LotArea');

    const partial = await predictUnary(clients.prediction, { model: 'lgb', partial: true, ...recordsInput(records) });
    expect(partial.errors.map((e) => [e.row, e.field])).toEqual([[1, 'LotArea'], [3, 'GrLivArea']]);
    expect(Number.isNaN(partial.values[1])).toBe(true);
    expect(Number.isNaN(partial.values[3])).toBe(true);
    expect(Number.isFinite(partial.values[0]) && Number.isFinite(partial.values[2])).toBe(true);
  });

  it('refuses malformed dense input, missing input and oversized requests with the right codes', async () => {
    await expectCode(predictUnary(clients.prediction, { model: 'xgb', dense: { rows: 1, cols: 3, values: [1, 2, 3] } }), grpc.status.INVALID_ARGUMENT);
    await expectCode(predictUnary(clients.prediction, { model: 'xgb', dense: { rows: 2, cols: 10, values: [1, 2, 3] } }), grpc.status.INVALID_ARGUMENT);
    await expectCode(predictUnary(clients.prediction, { model: 'xgb' }), grpc.status.INVALID_ARGUMENT);
    await expectCode(predictUnary(clients.prediction, { model: '', dense: { rows: 1, cols: 10, values: new Array(10).fill(0) } }), grpc.status.INVALID_ARGUMENT);
    const tooMany = { rows: 5001, cols: 10, values: new Array(50010).fill(0) };
    await expectCode(predictUnary(clients.prediction, { model: 'xgb', dense: tooMany }), grpc.status.RESOURCE_EXHAUSTED);
  });

  it('honours deadlines', async () => {
    const big = { rows: 5000, cols: 10, values: new Array(50000).fill(0.25) };
    await expectCode(predictUnary(clients.prediction, { model: 'xgb', dense: big }, { deadline: Date.now() - 1 }), grpc.status.DEADLINE_EXCEEDED);
    const ok = await predictUnary(clients.prediction, { model: 'xgb', dense: big }, { deadline: Date.now() + 30_000 });
    expect(ok.rows).toBe(5000);
  });

  it('reports health overall and per model', async () => {
    expect(await healthCheck(server.address, '')).toBe('SERVING');
    expect(await healthCheck(server.address, 'grove.v1.PredictionService')).toBe('SERVING');
    expect(await healthCheck(server.address, 'xgb')).toBe('SERVING');
    await expectCode(healthCheck(server.address, 'nope'), grpc.status.NOT_FOUND);
  });

  it('lists its services through server reflection', async () => {
    const reflectionProto = join(require.resolve('@grpc/reflection'), '..', '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
    const def = grpc.loadPackageDefinition(protoLoader.loadSync(reflectionProto, { keepCase: true })) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
    };
    const c = new def.grpc.reflection.v1.ServerReflection(server.address, grpc.credentials.createInsecure()) as unknown as {
      ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, { list_services_response?: { service: { name: string }[] } }>;
      close(): void;
    };
    const call = c.ServerReflectionInfo();
    const got = new Promise<string[]>((resolve, reject) => {
      call.on('data', (r: { list_services_response?: { service: { name: string }[] } }) => resolve((r.list_services_response?.service ?? []).map((s) => s.name)));
      call.on('error', reject);
    });
    call.write({ list_services: '' });
    const names = await got;
    call.end();
    c.close();
    expect(names).toEqual(expect.arrayContaining(['grove.v1.PredictionService', 'grove.v1.ModelService']));
  });

  it('PredictStream answers 1,000 batches in order, and reports a failed batch without ending the stream', async () => {
    const call = clients.prediction.PredictStream();
    const responses: PredictResponse__Output[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (r: PredictResponse__Output) => responses.push(r));
      call.on('end', resolve);
      call.on('error', reject);
    });
    for (let i = 0; i < 1000; i++) {
      const bad = i === 500;
      call.write({
        model: bad ? 'nope' : 'xgb',
        request_id: `b${i}`,
        dense: { rows: 3, cols: 10, values: new Array(30).fill(i / 1000) },
      });
    }
    call.end();
    await done;
    expect(responses).toHaveLength(1000);
    expect(responses.map((r) => r.request_id)).toEqual(Array.from({ length: 1000 }, (_, i) => `b${i}`));
    expect(responses[500].status?.code).toBe(grpc.status.NOT_FOUND);
    expect(responses[501].status).toBeNull();
    expect(responses[999].values).toHaveLength(3);
  });

  it('Reload reports unchanged versions', async () => {
    const res = await new Promise<{ results: { model: string; version: number; outcome: string }[] }>((resolve, reject) =>
      clients.models.Reload({}, (e, r) => (e ? reject(e) : resolve(r!))),
    );
    expect(res.results.filter((r) => r.outcome !== 'unchanged')).toEqual([]);
    expect(res.results.length).toBeGreaterThanOrEqual(2);
    await expectCode(
      new Promise((resolve, reject) => clients.models.Reload({ model: 'nope' }, (e, r) => (e ? reject(e) : resolve(r)))),
      grpc.status.NOT_FOUND,
    );
  });
});

describe('grove serve lifecycle', () => {
  it('is NOT_SERVING with nothing loaded, SERVING after a Reload finds a model', async () => {
    const root = mkdtempSync(join(tmpdir(), 'grove-empty-'));
    const server = await startServer(root);
    const clients = connect(server.address);
    try {
      expect(await healthCheck(server.address, '')).toBe('NOT_SERVING');
      await expectCode(predictUnary(clients.prediction, { model: 'm', dense: { rows: 1, cols: 1, values: [0] } }), grpc.status.NOT_FOUND);
      makeBundle(root, 'm', 1, { library: 'lightgbm', fixture: 'single-tree' });
      const res = await new Promise<{ results: { outcome: string }[] }>((resolve, reject) =>
        clients.models.Reload({}, (e, r) => (e ? reject(e) : resolve(r!))),
      );
      expect(res.results.map((r) => r.outcome)).toEqual(['loaded']);
      expect(await healthCheck(server.address, '')).toBe('SERVING');
      expect(await healthCheck(server.address, 'm')).toBe('SERVING');
    } finally {
      clients.close();
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('on SIGTERM finishes in-flight requests, refuses new ones, and exits 0', async () => {
    const root = mkdtempSync(join(tmpdir(), 'grove-drain-'));
    makeBundle(root, 'big', 1, { library: 'lightgbm', fixture: 'houseprice-regression' });
    const server = await startServer(root, ['--log-level', 'debug']);
    const clients = connect(server.address);
    try {
      const input = readFileSync(join(FIXTURES, 'lightgbm', 'houseprice-regression', 'input.csv'), 'utf8');
      const cols = input.split('\n')[0].split(',').length;
      const rows = 20_000;
      const values = new Array(rows * cols).fill(1);
      const inflight = Array.from({ length: 4 }, () => predictUnary(clients.prediction, { model: 'big', dense: { rows, cols, values } }));
      // Wait until the server has all four requests, then stop it.
      await server.waitForLog(() => server.logs.filter((l) => l.msg === 'predict received').length === 4);
      server.proc.kill('SIGTERM');
      const results = await Promise.allSettled(inflight);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      for (const r of results) if (r.status === 'fulfilled') expect(r.value.rows).toBe(rows);
      expect(await server.exited).toBe(0);
      expect(server.logs.some((l) => l.msg === 'draining')).toBe(true);
    } finally {
      clients.close();
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
