/**
 * Prediction log with the SQLite sink (and the parts that do not depend on the sink): exactly one
 * stored record per appended record over ≥ 10,000 simulated requests, fidelity of every field,
 * outage (a locked database) with buffering, overflow, recovery, flush timeouts, rejected records,
 * retention, migrations, reading. Both writer modes: the worker thread (default) and main thread.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  canonicalInputJson,
  hashInput,
  openPredictionLog,
  parseLogUrl,
  readPredictions,
  redactUrl,
  streamPredictions,
  type PredictionLog,
  type PredictionRecord,
} from '../src/monitoring/prediction-log.js';
import { MIGRATIONS } from '../src/monitoring/migrations/index.js';
import { record, sleep, traffic, until } from './helpers/postgres.js';

interface Db {
  prepare(sql: string): { all(...p: unknown[]): unknown[]; get(...p: unknown[]): unknown; run(...p: unknown[]): unknown };
  exec(sql: string): void;
  pragma(s: string): unknown;
  close(): void;
}
const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as new (path: string, opts?: { timeout?: number }) => Db;

const root = mkdtempSync(join(tmpdir(), 'grove-plog-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newPath = (): string => join(root, `d${n++}`, 'sub', 'predictions.db');

/** Count of stored rows and of distinct (request_id, row, role, model, version) in a SQLite log. */
function counts(path: string): { total: number; distinct: number; dupes: number } {
  const db = new Database(path);
  try {
    const total = (db.prepare('SELECT count(*) AS n FROM grove_predictions').get() as { n: number }).n;
    const distinct = (
      db.prepare('SELECT count(*) AS n FROM (SELECT DISTINCT request_id, row_index, role, model, version FROM grove_predictions)').get() as { n: number }
    ).n;
    const dupes = (
      db.prepare('SELECT count(*) AS n FROM (SELECT request_id, row_index, role FROM grove_predictions GROUP BY 1, 2, 3 HAVING count(*) > 1)').get() as { n: number }
    ).n;
    return { total, distinct, dupes };
  } finally {
    db.close();
  }
}

describe('URLs and encoding', () => {
  it('parses the URL forms and refuses others', () => {
    expect(parseLogUrl('none')).toEqual({ kind: 'none' });
    expect(parseLogUrl('sqlite:data/p.db')).toEqual({ kind: 'sqlite', path: 'data/p.db' });
    expect(parseLogUrl('sqlite:///var/lib/grove/p.db')).toEqual({ kind: 'sqlite', path: '/var/lib/grove/p.db' });
    expect(parseLogUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseLogUrl('postgres://u:p@h:5432/db')).toEqual({ kind: 'postgres', connectionString: 'postgres://u:p@h:5432/db' });
    expect(parseLogUrl('postgresql://h/db').kind).toBe('postgres');
    expect(() => parseLogUrl('mysql://u:secret@h/db')).toThrow(/expected 'none'/);
    expect(() => parseLogUrl('mysql://u:secret@h/db')).not.toThrow(/secret/);
    expect(() => parseLogUrl('sqlite:')).toThrow(/no SQLite file path/);
  });

  it('redacts passwords', () => {
    expect(redactUrl('postgres://grove:s3cr%40t@db:5432/log')).toBe('postgres://grove:***@db:5432/log');
    expect(redactUrl('postgresql://h/db?user=u&password=x&sslmode=require')).toBe('postgresql://h/db?user=u&password=***&sslmode=require');
    expect(redactUrl('postgres://grove@db/log')).toBe('postgres://grove@db/log');
    expect(redactUrl('sqlite:data/p.db')).toBe('sqlite:data/p.db');
  });

  it('hashes a canonical JSON: key order does not matter, values do', () => {
    expect(canonicalInputJson({ b: 'x', a: 1, c: null, d: true, e: undefined })).toBe('{"a":1,"b":"x","c":null,"d":true}');
    expect(canonicalInputJson({ x: NaN, y: -Infinity })).toBe('{"x":{"$numberDouble":"NaN"},"y":{"$numberDouble":"-Infinity"}}');
    expect(hashInput({ a: 1, b: 'x' })).toBe(hashInput({ b: 'x', a: 1 }));
    expect(hashInput({ a: 1 })).not.toBe(hashInput({ a: 1.0000001 }));
    expect(hashInput({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
    // sha256 of the canonical text, checkable by anyone
    expect(hashInput({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});

describe('no-op log', () => {
  it("'none' accepts and discards", async () => {
    const log = await openPredictionLog('none');
    log.append([record()]);
    await log.flush();
    expect(log.stats()).toMatchObject({ buffered: 0, written: 0, dropped: 0, healthy: true });
    expect(log.url).toBe('none');
    await log.close();
  });
});

for (const thread of ['worker', 'main'] as const) {
  describe(`SQLite sink (${thread} thread)`, () => {
    it('keeps every field, NaN/±Infinity, odd text, errors and hashes', async () => {
      const path = newPath();
      const log = await openPredictionLog(`sqlite:${path}`, { thread });
      const recs: PredictionRecord[] = [
        record({ requestId: 'a', input: { x: NaN, y: Infinity, z: -Infinity, s: 'NaN', n: null, t: true, f: 0.1 + 0.2, tiny: 5e-324, big: 1.7976931348623157e308 } }),
        record({ requestId: 'b', outputs: [NaN, Infinity, -Infinity, -0.5, 1e-300], latencyUs: 0 }),
        record({ requestId: 'c', outputs: [], error: 'rows[0].LotArea: expected a number, got text \'big\'', input: null, inputHash: 'abc' }),
        record({ requestId: 'd', input: { 'wé\u0000ird\ud800': 'nul\u0000 and lone \udc00 and emoji 🏠', q: '"\\' }, role: 'shadow', version: 2 }),
        record({ requestId: 'e', role: 'canary', row: 7, timestamp: 1_700_000_000_999.75, latencyUs: NaN }),
        record({ requestId: 'f', role: 'pinned', outputs: [1, 2, 3], input: { only: 1 }, inputHash: 'given-hash' }),
      ];
      log.append(recs);
      await log.flush();
      expect(log.stats()).toMatchObject({ written: recs.length, dropped: 0, buffered: 0, healthy: true, writeFailures: 0 });
      const got = await log.query({ model: 'm' });
      await log.close();
      expect(got.map((r) => r.requestId)).toEqual(['a', 'b', 'c', 'd', 'f', 'e']); // by timestamp, then request id
      const by = Object.fromEntries(got.map((r) => [r.requestId, r]));
      expect(by.a.input).toEqual(recs[0].input);
      expect(by.a.input!.f).toBe(0.1 + 0.2);
      expect(by.a.input!.tiny).toBe(5e-324);
      expect(by.a.inputHash).toBe(hashInput(recs[0].input!));
      expect(by.b.outputs).toEqual([NaN, Infinity, -Infinity, -0.5, 1e-300]);
      expect(by.b.latencyUs).toBe(0);
      expect(by.c).toMatchObject({ outputs: [], error: recs[2].error, input: null, inputHash: 'abc' });
      expect(by.d.input).toEqual({ 'wé\uFFFDird\uFFFD': 'nul\uFFFD and lone \uFFFD and emoji 🏠', q: '"\\' });
      expect(by.d.inputHash).toBe(hashInput(recs[3].input!)); // hash of what was sent, before cleaning
      expect(by.d).toMatchObject({ role: 'shadow', version: 2 });
      expect(by.e).toMatchObject({ role: 'canary', row: 7, timestamp: 1_700_000_000_999 });
      expect(by.e.latencyUs).toBeNaN();
      expect(by.f).toMatchObject({ outputs: [1, 2, 3], inputHash: 'given-hash', role: 'pinned' });
      expect(by.a).toMatchObject({ model: 'm', version: 1, row: 0, role: 'live', timestamp: 1_700_000_000_123, latencyUs: 321.5, error: null });
      // readPredictions from another connection sees the same
      expect(await readPredictions(`sqlite:${path}`, { model: 'm' })).toEqual(got);
    });

    it('logInputs: false keeps only the hash', async () => {
      const path = newPath();
      const log = await openPredictionLog(`sqlite:${path}`, { thread, logInputs: false });
      const input = { a: 1, b: 'secret' };
      log.append([record({ input })]);
      await log.close();
      const [r] = await readPredictions(`sqlite:${path}`, { model: 'm' });
      expect(r.input).toBeNull();
      expect(r.inputHash).toBe(hashInput(input));
    });
  });
}

describe('SQLite sink: exactly once', () => {
  it('10,000 requests × 1–3 rows × roles: one stored record per appended record', async () => {
    const path = newPath();
    const log = await openPredictionLog(`sqlite:${path}`);
    const t = traffic({ seed: 7 });
    let appended = 0;
    const keys = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const recs = t.request(i);
      for (const r of recs) keys.add(`${r.requestId}/${r.row}/${r.role}`);
      log.append(recs);
      appended += recs.length;
      if (i % 100 === 99) await new Promise((r) => setImmediate(r)); // requests arrive over many event-loop turns
    }
    await log.flush();
    const s = log.stats();
    await log.close();
    expect(appended).toBeGreaterThan(20_000);
    expect(keys.size).toBe(appended);
    expect(s).toMatchObject({ written: appended, dropped: 0, rejected: 0, buffered: 0, healthy: true });
    expect(counts(path)).toEqual({ total: appended, distinct: appended, dupes: 0 });
    // and they are the records appended: every key, once
    const stored = await readPredictions(`sqlite:${path}`, { model: 'house-prices' });
    expect(stored.length).toBe(appended);
    expect(new Set(stored.map((r) => `${r.requestId}/${r.row}/${r.role}`))).toEqual(keys);
  });

  it('a record appended twice (a retried batch) is stored once', async () => {
    const path = newPath();
    const log = await openPredictionLog(`sqlite:${path}`, { batchSize: 10 });
    const recs = traffic({ seed: 3 }).request(1);
    log.append(recs);
    await log.flush();
    log.append(recs);
    log.append(recs);
    await log.close();
    expect(counts(path).total).toBe(recs.length);
  });
});

describe('SQLite sink: outage, overflow, recovery', () => {
  /** Holds SQLite's write lock from another connection, as another process would. */
  function lock(path: string): () => void {
    const db = new Database(path, { timeout: 0 });
    db.exec('BEGIN EXCLUSIVE');
    return () => {
      db.exec('COMMIT');
      db.close();
    };
  }

  it('buffers while the database is locked and writes everything once it is released', async () => {
    const path = newPath();
    const log = await openPredictionLog(`sqlite:${path}`, { batchSize: 200, flushIntervalMs: 20, retryBackoffMs: { min: 20, max: 200 } });
    const t = traffic({ seed: 11 });
    let appended = 0;
    let i = 0;
    const send = (k: number): void => {
      for (const end = i + k; i < end; i++) {
        const recs = t.request(i);
        log.append(recs);
        appended += recs.length;
      }
    };
    send(500);
    await log.flush();
    const release = lock(path);
    let slowest = 0;
    for (let b = 0; b < 20; b++) {
      const t0 = performance.now();
      send(100);
      slowest = Math.max(slowest, performance.now() - t0);
      await sleep(10);
    }
    await until(() => !log.stats().healthy, 15_000, 'the sink to report the outage');
    const during = log.stats();
    expect(during.buffered).toBeGreaterThan(0);
    expect(during.lastError).toMatch(/locked|busy/i);
    expect(slowest).toBeLessThan(250); // append never waits for the database (generous bound for a loaded CI machine)
    release();
    send(500);
    await log.flush();
    const s = log.stats();
    await log.close();
    expect(s).toMatchObject({ healthy: true, written: appended, dropped: 0, buffered: 0 });
    expect(s.writeFailures).toBeGreaterThan(0);
    expect(counts(path)).toEqual({ total: appended, distinct: appended, dupes: 0 });
  });

  it('drops and counts what exceeds maxBuffered; written + dropped = appended', async () => {
    const path = newPath();
    const log = await openPredictionLog(`sqlite:${path}`, { maxBuffered: 1000, batchSize: 100, retryBackoffMs: { min: 20, max: 100 } });
    log.append([record({ requestId: 'warm' })]);
    await log.flush();
    const release = lock(path);
    const recs = Array.from({ length: 5000 }, (_, i) => record({ requestId: `o${i}` }));
    log.append(recs);
    expect(log.stats()).toMatchObject({ buffered: 1000, dropped: 4000 });
    release();
    await log.flush();
    const s = log.stats();
    await log.close();
    expect(s).toMatchObject({ written: 1001, dropped: 4000, buffered: 0 });
    expect(counts(path).total).toBe(1001);
    // the oldest were kept, the overflow dropped
    const kept = await readPredictions(`sqlite:${path}`, { model: 'm' });
    expect(kept.filter((r) => r.requestId.startsWith('o')).length).toBe(1000);
  });

  it('flush gives up after its timeout while the sink is down, dropping (and counting) what it waited for', async () => {
    const path = newPath();
    const log = await openPredictionLog(`sqlite:${path}`, { retryBackoffMs: { min: 20, max: 100 } });
    log.append([record({ requestId: 'warm' })]);
    await log.flush();
    const release = lock(path);
    log.append(Array.from({ length: 50 }, (_, i) => record({ requestId: `x${i}` })));
    const t0 = Date.now();
    await log.flush({ timeoutMs: 300 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(log.stats()).toMatchObject({ written: 1, dropped: 50, buffered: 0 });
    release();
    log.append([record({ requestId: 'after' })]);
    await log.close();
    expect(log.stats()).toMatchObject({ written: 2, dropped: 50 });
    expect(counts(path).total).toBe(2);
  });

  it('append never throws: invalid records are rejected and counted, the rest written', async () => {
    const path = newPath();
    const log = await openPredictionLog(`sqlite:${path}`);
    const bad = [
      record({ requestId: 'bad-role', role: 'primary' as never }),
      record({ requestId: 'bad-row', row: -1 }),
      record({ requestId: 'bad-outputs', outputs: ['x'] as never }),
      record({ requestId: 'bad-ts', timestamp: NaN }),
      { nonsense: true } as never,
    ];
    expect(() => log.append(null as never)).not.toThrow();
    expect(() => log.append([record({ requestId: 'ok1' }), ...bad, record({ requestId: 'ok2' })])).not.toThrow();
    expect(() => log.append([record({ requestId: 'unclonable', input: { f: (() => 1) as never } })])).not.toThrow();
    await log.flush();
    const s = log.stats();
    await log.close();
    expect(s.written).toBe(2);
    expect(s.rejected).toBe(6);
    expect(s.dropped).toBe(6);
    expect((await readPredictions(`sqlite:${path}`, { model: 'm' })).map((r) => r.requestId)).toEqual(['ok1', 'ok2']);
  });

  it('a crashed writer thread is restarted; what was appended meanwhile is written', async () => {
    const path = newPath();
    const log = await openPredictionLog(`sqlite:${path}`);
    log.append([record({ requestId: 'before' })]);
    await log.flush();
    // Reach into the log to crash its worker (a message its writer cannot handle).
    (log as unknown as { port: { post(m: unknown): void } }).port.post({ t: 'append', firstSeq: 1, records: null });
    await until(() => !log.stats().healthy, 5000, 'the crash to be noticed');
    expect(log.stats().lastError).toMatch(/writer thread/);
    log.append([record({ requestId: 'during' })]);
    await log.flush({ timeoutMs: 10_000 });
    expect(log.stats()).toMatchObject({ healthy: true, written: 2, dropped: 0 });
    await log.close();
    expect((await readPredictions(`sqlite:${path}`, { model: 'm' })).map((r) => r.requestId)).toEqual(['before', 'during']);
  });

  it('after close, append drops and counts; close is idempotent', async () => {
    const log = await openPredictionLog(`sqlite:${newPath()}`);
    log.append([record()]);
    await Promise.all([log.close(), log.close()]);
    log.append([record({ requestId: 'late' })]);
    expect(log.stats()).toMatchObject({ written: 1, dropped: 1 });
    await expect(log.query({ model: 'm' })).rejects.toThrow(/closed/);
  });

  it('starts even when the database cannot be opened, and reports it (requireReady refuses instead)', async () => {
    const blocker = join(root, `file${n++}`);
    writeFileSync(blocker, 'not a directory');
    const url = `sqlite:${join(blocker, 'p.db')}`;
    const log = await openPredictionLog(url, { retryBackoffMs: { min: 50, max: 100 }, closeTimeoutMs: 200 });
    log.append([record()]);
    expect(log.stats().healthy).toBe(false);
    expect(log.stats().lastError).toMatch(/EEXIST|ENOTDIR|not a directory/i);
    await log.close();
    expect(log.stats()).toMatchObject({ written: 0, dropped: 1 });
    await expect(openPredictionLog(url, { requireReady: true })).rejects.toThrow(/EEXIST|ENOTDIR|not a directory/i);
  });
});

describe('SQLite sink: schema, retention, reading', () => {
  it('applies migrations once, also when two logs open the same new file at once', async () => {
    const path = newPath();
    const logs = await Promise.all([openPredictionLog(`sqlite:${path}`, { requireReady: true }), openPredictionLog(`sqlite:${path}`, { requireReady: true })]);
    logs[0].append([record({ requestId: 'one' })]);
    logs[1].append([record({ requestId: 'two' })]);
    await Promise.all(logs.map((l) => l.close()));
    const again = await openPredictionLog(`sqlite:${path}`, { requireReady: true });
    await again.close();
    const db = new Database(path);
    const versions = db.prepare('SELECT version, name FROM grove_schema_migrations ORDER BY version').all();
    expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(db.pragma('journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'grove_predictions'").all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toEqual(expect.arrayContaining(['grove_predictions_key', 'grove_predictions_model_ts', 'grove_predictions_ts']));
    db.close();
    expect(counts(path).total).toBe(2);
  });

  it('retention deletes rows older than retentionDays, periodically', async () => {
    const path = newPath();
    const log = await openPredictionLog(`sqlite:${path}`, { retentionDays: 1, retentionIntervalMs: 100 });
    const now = Date.now();
    const old = Array.from({ length: 30 }, (_, i) => record({ requestId: `old${i}`, timestamp: now - 3 * 86_400_000 + i }));
    const fresh = Array.from({ length: 20 }, (_, i) => record({ requestId: `new${i}`, timestamp: now - 3_600_000 + i }));
    log.append([...old, ...fresh]);
    await log.flush();
    await until(async () => (await log.query({ model: 'm' })).length === 20, 10_000, 'retention to delete the old rows');
    const left = await log.query({ model: 'm' });
    await log.close();
    expect(left.every((r) => r.requestId.startsWith('new'))).toBe(true);
  });

  it('retention works through a backlog larger than one delete chunk while records keep being written', async () => {
    const path = newPath();
    const old = Date.now() - 10 * 86_400_000;
    const seed = await openPredictionLog(`sqlite:${path}`, { batchSize: 2000 });
    seed.append(Array.from({ length: 12_000 }, (_, i) => record({ requestId: `old${i}`, timestamp: old + i })));
    await seed.close();
    expect(counts(path).total).toBe(12_000);
    const log = await openPredictionLog(`sqlite:${path}`, { retentionDays: 7, batchSize: 100, flushIntervalMs: 5 });
    for (let i = 0; i < 50; i++) {
      log.append(Array.from({ length: 100 }, (_, k) => record({ requestId: `new${i}-${k}`, timestamp: Date.now() })));
      await sleep(2);
    }
    await log.flush();
    await until(() => counts(path).total === 5000, 20_000, 'retention to finish');
    await log.close();
    expect(log.stats()).toMatchObject({ written: 5000, dropped: 0 });
  });

  it('reads by model, time range, roles and limit, in (timestamp, requestId, row, role) order, page by page', async () => {
    const path = newPath();
    const url = `sqlite:${path}`;
    const log = await openPredictionLog(url);
    const recs: PredictionRecord[] = [];
    for (let i = 0; i < 40; i++) {
      for (const role of ['shadow', 'live'] as const) {
        for (const row of [1, 0]) recs.push(record({ requestId: `q${i % 7}`, row, role, timestamp: 1_000_000 + Math.floor(i / 3) }));
      }
    }
    recs.push(record({ model: 'other', requestId: 'z' }));
    log.append(recs);
    await log.close();
    const all = await readPredictions(url, { model: 'm' });
    expect(all.length).toBe(160);
    const key = (r: PredictionRecord): [number, string, number, string] => [r.timestamp, r.requestId, r.row, r.role];
    const sorted = [...all].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let j = 0; j < 4; j++) if (ka[j] !== kb[j]) return ka[j] < kb[j] ? -1 : 1;
      return 0;
    });
    expect(all.map(key)).toEqual(sorted.map(key));
    const live = await readPredictions(url, { model: 'm', roles: ['live'], since: new Date(1_000_003), until: new Date(1_000_006) });
    expect(live.length).toBe(9 * 2);
    expect(live.every((r) => r.role === 'live' && r.timestamp >= 1_000_003 && r.timestamp < 1_000_006)).toBe(true);
    expect(await readPredictions(url, { model: 'm', limit: 5 })).toEqual(all.slice(0, 5));
    expect(await readPredictions(url, { model: 'm', roles: [] })).toEqual([]);
    expect(await readPredictions(url, { model: 'nope' })).toEqual([]);
    const paged: PredictionRecord[] = [];
    for await (const r of streamPredictions(url, { model: 'm' }, 7)) paged.push(r);
    expect(paged).toEqual(all);
    await expect(readPredictions(`sqlite:${join(root, 'missing.db')}`, { model: 'm' })).rejects.toThrow(/not found/);
    await expect(readPredictions('sqlite::memory:', { model: 'm' })).rejects.toThrow(/in-memory/);
  });

  it("'sqlite::memory:' works through the log itself", async () => {
    for (const thread of ['worker', 'main'] as const) {
      const log: PredictionLog = await openPredictionLog('sqlite::memory:', { thread });
      log.append([record(), record({ requestId: 'r2' })]);
      await log.flush();
      expect((await log.query({ model: 'm' })).map((r) => r.requestId)).toEqual(['r1', 'r2']);
      await log.close();
    }
  });
});
