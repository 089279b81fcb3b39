/**
 * Prediction log with the PostgreSQL sink, against a real server (Debian's postgresql package,
 * started by test/helpers/postgres.ts in a temporary directory on a free loopback port):
 * exactly once over ≥ 10,000 requests; killing the server mid-traffic (pg_ctl stop -m immediate)
 * never blocks or fails append, and the sink recovers by itself with no loss and no duplicate;
 * concurrent migrations; a database that comes back empty; field fidelity and read order equal to
 * the SQLite sink's. Skipped, with the reason, when PostgreSQL is not installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashInput, openPredictionLog, readPredictions, streamPredictions, type PredictionRecord } from '../src/monitoring/prediction-log.js';
import { MIGRATIONS } from '../src/monitoring/migrations/index.js';
import { anyPostgresUnavailable, postgresUnavailable, record, sleep, startPostgres, traffic, until, type PgServer } from './helpers/postgres.js';

const why = anyPostgresUnavailable();
if (why) console.warn(`prediction-log PostgreSQL tests skipped: ${why}`);
/** Killing and restarting needs a server of our own (GROVE_TEST_POSTGRES_URL alone is not enough). */
const whyNoKill = postgresUnavailable();
if (!why && whyNoKill) console.warn(`prediction-log PostgreSQL kill/restart tests skipped: ${whyNoKill}`);

describe.skipIf(why !== null)('PostgreSQL sink', () => {
  /** GROVE_TEST_POSTGRES_URL's server if set, else our own. */
  let pg: PgServer;
  /** Our own server, which tests may kill and restart. */
  let own: PgServer | null = null;
  const tmp = mkdtempSync(join(tmpdir(), 'grove-plog-pg-'));

  beforeAll(async () => {
    pg = await startPostgres({ control: false });
    if (!pg.external) own = pg;
    else if (!whyNoKill) own = await startPostgres();
  });
  afterAll(async () => {
    await pg?.destroy();
    if (own !== pg) await own?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function counts(url: string): Promise<{ total: number; distinct: number; dupes: number }> {
    const [r] = await pg.sql<{ total: number; distinct: number; dupes: number }>(
      url,
      `SELECT (SELECT count(*) FROM grove_predictions)::int AS total,
              (SELECT count(*) FROM (SELECT DISTINCT request_id, row_index, role, model, version FROM grove_predictions) d)::int AS distinct,
              (SELECT count(*) FROM (SELECT 1 FROM grove_predictions GROUP BY request_id, row_index, role HAVING count(*) > 1) x)::int AS dupes`,
    );
    return r;
  }

  it('10,000 requests × 1–3 rows × roles: one stored record per appended record', async () => {
    const url = await pg.createDatabase();
    const log = await openPredictionLog(url, { requireReady: true });
    expect(log.url).toBe(url);
    const t = traffic({ seed: 21 });
    let appended = 0;
    const keys = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const recs = t.request(i);
      for (const r of recs) keys.add(`${r.requestId}/${r.row}/${r.role}`);
      log.append(recs);
      appended += recs.length;
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    await log.flush();
    const s = log.stats();
    await log.close();
    expect(appended).toBeGreaterThan(20_000);
    expect(s).toMatchObject({ written: appended, dropped: 0, rejected: 0, buffered: 0, healthy: true, writeFailures: 0 });
    expect(await counts(url)).toEqual({ total: appended, distinct: appended, dupes: 0 });
    const stored = await readPredictions(url, { model: 'house-prices' });
    expect(stored.length).toBe(appended);
    expect(new Set(stored.map((r) => `${r.requestId}/${r.row}/${r.role}`))).toEqual(keys);
  }, 120_000);

  it.skipIf(whyNoKill !== null)('killed mid-traffic: append keeps returning at once, the sink recovers by itself, nothing lost or doubled', async () => {
    const pg = own!;
    const url = await pg.createDatabase();
    const log = await openPredictionLog(url, { batchSize: 500, flushIntervalMs: 50, retryBackoffMs: { min: 50, max: 400 }, requireReady: true });
    const t = traffic({ seed: 5 });
    let appended = 0;
    let i = 0;
    let slowest = 0;
    const traffic_ = async (ms: number): Promise<void> => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const recs = t.request(i++);
        const t0 = performance.now();
        log.append(recs);
        slowest = Math.max(slowest, performance.now() - t0);
        appended += recs.length;
        if (i % 4 === 0) await sleep(1);
      }
    };
    // traffic goes on while the server is killed and restarted
    const running = traffic_(1000);
    await sleep(500);
    await pg.kill();
    await running;
    await until(() => !log.stats().healthy, 15_000, 'the sink to notice the outage');
    const down = log.stats();
    await traffic_(1500);
    expect(log.stats().buffered).toBeGreaterThan(down.buffered);
    await pg.start();
    await traffic_(1000);
    await log.flush({ timeoutMs: 60_000 });
    const s = log.stats();
    await log.close();
    expect(i).toBeGreaterThan(500);
    expect(s.healthy).toBe(true);
    expect(s.writeFailures).toBeGreaterThan(0);
    expect(s.written + s.dropped).toBe(appended);
    expect(s.dropped).toBe(0); // the buffer had room
    expect(s.written).toBe(appended);
    expect(await counts(url)).toEqual({ total: appended, distinct: appended, dupes: 0 });
    expect(slowest).toBeLessThan(250); // append never waited for the database (generous for a loaded CI machine)
  }, 120_000);

  it.skipIf(whyNoKill !== null)('killed with a small buffer: the overflow is dropped and counted, written + dropped = appended, no duplicate', async () => {
    const pg = own!;
    const url = await pg.createDatabase();
    const log = await openPredictionLog(url, { maxBuffered: 2000, batchSize: 200, flushIntervalMs: 20, retryBackoffMs: { min: 50, max: 200 }, requireReady: true });
    const t = traffic({ seed: 9 });
    let appended = 0;
    let i = 0;
    const send = (k: number): void => {
      for (const end = i + k; i < end; i++) {
        const recs = t.request(i);
        log.append(recs);
        appended += recs.length;
      }
    };
    send(1000);
    await pg.kill();
    for (let b = 0; b < 10; b++) {
      send(500);
      await sleep(20);
    }
    await until(() => !log.stats().healthy, 15_000, 'the sink to notice the outage');
    expect(log.stats().dropped).toBeGreaterThan(0);
    expect(log.stats().buffered).toBeLessThanOrEqual(2000);
    await pg.start();
    send(1000);
    await log.flush({ timeoutMs: 60_000 });
    const s = log.stats();
    await log.close();
    expect(s.healthy).toBe(true);
    expect(s.written + s.dropped).toBe(appended);
    expect(s.dropped).toBeGreaterThan(0);
    const c = await counts(url);
    expect(c).toEqual({ total: s.written, distinct: s.written, dupes: 0 });
  }, 120_000);

  it('a database that comes back empty is migrated again and written to', async () => {
    const url = await pg.createDatabase();
    const log = await openPredictionLog(url, { flushIntervalMs: 20, retryBackoffMs: { min: 20, max: 100 }, requireReady: true });
    log.append([record({ requestId: 'before' })]);
    await log.flush();
    await pg.sql(url, 'DROP TABLE grove_predictions; DROP TABLE grove_schema_migrations');
    log.append([record({ requestId: 'after' })]);
    await log.flush({ timeoutMs: 20_000 });
    const s = log.stats();
    await log.close();
    expect(s).toMatchObject({ written: 2, dropped: 0, healthy: true });
    expect(s.writeFailures).toBeGreaterThan(0);
    expect((await readPredictions(url, { model: 'm' })).map((r) => r.requestId)).toEqual(['after']);
  });

  it('applies migrations once when several processes open a new database at once (advisory lock)', async () => {
    const url = await pg.createDatabase();
    const logs = await Promise.all(Array.from({ length: 4 }, () => openPredictionLog(url, { requireReady: true })));
    logs.forEach((l, k) => l.append([record({ requestId: `p${k}` })]));
    await Promise.all(logs.map((l) => l.close()));
    const again = await openPredictionLog(url, { requireReady: true });
    await again.close();
    expect(await pg.sql(url, 'SELECT version, name FROM grove_schema_migrations ORDER BY version')).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    const idx = (await pg.sql<{ indexname: string }>(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'grove_predictions'")).map((r) => r.indexname);
    expect(idx).toEqual(expect.arrayContaining(['grove_predictions_key', 'grove_predictions_model_ts', 'grove_predictions_ts']));
    const types = await pg.sql<{ column_name: string; data_type: string }>(
      url,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'grove_predictions' AND column_name IN ('input', 'outputs', 'ts') ORDER BY 1",
    );
    expect(types).toEqual([
      { column_name: 'input', data_type: 'jsonb' },
      { column_name: 'outputs', data_type: 'jsonb' },
      { column_name: 'ts', data_type: 'timestamp with time zone' },
    ]);
    expect((await counts(url)).total).toBe(4);
  });

  it('stores the same records as the SQLite sink and reads them back identically, in the same order', async () => {
    const url = await pg.createDatabase();
    const sqliteUrl = `sqlite:${join(tmp, 'same.db')}`;
    const recs: PredictionRecord[] = [
      record({ requestId: 'a', input: { x: NaN, y: Infinity, z: -Infinity, s: 'NaN', n: null, t: true, f: 0.1 + 0.2, tiny: 5e-324, big: 1.7976931348623157e308, neg: -1e-7 } }),
      record({ requestId: 'b', outputs: [NaN, Infinity, -Infinity, -0.5, 1e-300, 123456789.123456789], latencyUs: 0 }),
      record({ requestId: 'c', outputs: [], error: 'rows[0].LotArea: expected a number', input: null, inputHash: 'abc' }),
      record({ requestId: 'd', input: { 'wé\u0000ird\ud800': 'nul\u0000 lone \udc00 🏠', q: '"\\u0000' }, role: 'shadow', version: 2 }),
      record({ requestId: 'e', role: 'canary', row: 7, timestamp: 1_700_000_000_999.75, latencyUs: NaN }),
      // ordering: byte order of request ids (uppercase before lowercase, 'é' after 'z'), whatever the database's collation
      ...['kB', 'ka', 'ké', 'kz', 'ka-1', 'ka_1', 'kA'].map((id) => record({ requestId: id, timestamp: 1_700_000_001_000 })),
      ...[2, 10, 1].map((row) => record({ requestId: 'rows', row, timestamp: 1_700_000_002_000 })),
      ...(['shadow', 'canary', 'live', 'pinned'] as const).map((role) => record({ requestId: 'roles', role, timestamp: 1_700_000_003_000 })),
      record({ requestId: 'old', timestamp: 0 }),
      record({ requestId: 'pre-1970', timestamp: -86_400_000 }),
      record({ requestId: 'far', timestamp: 4_102_444_800_000 }), // 2100
    ];
    const random = traffic({ seed: 99, model: 'm', t0: 1_700_000_004_000 });
    for (let i = 0; i < 200; i++) recs.push(...random.request(i));
    for (const u of [url, sqliteUrl]) {
      const log = await openPredictionLog(u, { requireReady: true });
      log.append(recs);
      await log.close();
      expect(log.stats()).toMatchObject({ written: recs.length, dropped: 0 });
    }
    expect(await pg.sql(url, "SELECT count(*)::int AS n FROM grove_predictions WHERE input IS NULL AND error IS NOT NULL")).toEqual([{ n: 1 }]); // JSON null → SQL NULL
    const fromPg = await readPredictions(url, { model: 'm' });
    const fromSqlite = await readPredictions(sqliteUrl, { model: 'm' });
    expect(fromPg.length).toBe(recs.length);
    expect(fromPg).toEqual(fromSqlite);
    const by = Object.fromEntries(fromPg.map((r) => [r.requestId, r]));
    expect(by.a.input).toEqual(recs[0].input);
    expect(by.a.inputHash).toBe(hashInput(recs[0].input!));
    expect(by.b.outputs).toEqual(recs[1].outputs);
    expect(by.c).toMatchObject({ input: null, inputHash: 'abc', outputs: [], error: recs[2].error });
    expect(by.d.input).toEqual({ 'wé\uFFFDird\uFFFD': 'nul\uFFFD lone \uFFFD 🏠', q: '"\\u0000' });
    expect(by.e).toMatchObject({ timestamp: 1_700_000_000_999, row: 7, role: 'canary' });
    expect(by.e.latencyUs).toBeNaN();
    expect(by['pre-1970'].timestamp).toBe(-86_400_000);
    expect(by.far.timestamp).toBe(4_102_444_800_000);
    expect(fromPg.filter((r) => r.timestamp === 1_700_000_001_000).map((r) => r.requestId)).toEqual(['kA', 'kB', 'ka', 'ka-1', 'ka_1', 'kz', 'ké']);
    expect(fromPg.filter((r) => r.requestId === 'rows').map((r) => r.row)).toEqual([1, 2, 10]);
    expect(fromPg.filter((r) => r.requestId === 'roles').map((r) => r.role)).toEqual(['canary', 'live', 'pinned', 'shadow']);
    // filters and paging agree too
    const q = { model: 'm', roles: ['live' as const, 'shadow' as const], since: new Date(1_700_000_000_500), until: new Date(1_700_000_004_100) };
    expect(await readPredictions(url, q)).toEqual(await readPredictions(sqliteUrl, q));
    const paged: PredictionRecord[] = [];
    for await (const r of streamPredictions(url, { model: 'm' }, 13)) paged.push(r);
    expect(paged).toEqual(fromPg);
    expect(await readPredictions(url, { model: 'm', limit: 3 })).toEqual(fromPg.slice(0, 3));
  });

  it('retention deletes rows older than retentionDays', async () => {
    const url = await pg.createDatabase();
    const log = await openPredictionLog(url, { retentionDays: 2, retentionIntervalMs: 100, requireReady: true });
    const now = Date.now();
    log.append([
      ...Array.from({ length: 25 }, (_, k) => record({ requestId: `old${k}`, timestamp: now - 5 * 86_400_000 })),
      ...Array.from({ length: 5 }, (_, k) => record({ requestId: `new${k}`, timestamp: now - 86_400_000 })),
    ]);
    await log.flush();
    await until(async () => (await counts(url)).total === 5, 10_000, 'retention');
    await log.close();
    expect((await readPredictions(url, { model: 'm' })).every((r) => r.requestId.startsWith('new'))).toBe(true);
  });

  it('reading an empty database returns nothing; a server that is down starts the log unhealthy (requireReady refuses)', async () => {
    const url = await pg.createDatabase();
    expect(await readPredictions(url, { model: 'm' })).toEqual([]);
    const closed = `postgres://grove:pw@127.0.0.1:1/none`;
    const log = await openPredictionLog(closed, { closeTimeoutMs: 100, retryBackoffMs: { min: 50, max: 100 } });
    expect(log.url).toBe('postgres://grove:***@127.0.0.1:1/none');
    log.append([record()]);
    expect(log.stats()).toMatchObject({ healthy: false });
    expect(log.stats().lastError).toMatch(/ECONNREFUSED/);
    await log.close();
    expect(log.stats()).toMatchObject({ written: 0, dropped: 1 });
    await expect(openPredictionLog(closed, { requireReady: true })).rejects.toThrow(/ECONNREFUSED/);
  });
});
