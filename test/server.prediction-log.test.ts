/**
 * The prediction log as the server writes it: after 10,000 Predict requests with shadow on, the
 * log holds exactly one record per scored row and role, in SQLite and in a real PostgreSQL; and
 * killing PostgreSQL mid-traffic loses no live response while the sink recovers by itself.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, predictUnary, recordsInput } from '../src/client/client.js';
import { readPredictions } from '../src/monitoring/prediction-log.js';
import { recordsFromCsv } from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';
import { readCsv } from './helpers/fixtures.js';
import { anyPostgresUnavailable, postgresUnavailable, startPostgres, type PgServer } from './helpers/postgres.js';
import { startServer } from './helpers/server.js';

const ROOT = join(import.meta.dirname, '..');
const table = readCsv(join(ROOT, 'data', 'house-prices', 'test.csv'));
// Rows both versions accept, so every request has exactly one live and one shadow record per row.
const allRecords = recordsFromCsv(table.header, table.rows) as RawRecord[];
const work = mkdtempSync(join(tmpdir(), 'grove-plog-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function modelRoot(name: string): string {
  const dir = join(work, name);
  cpSync(join(ROOT, 'models', 'house-price'), join(dir, 'house-price'), { recursive: true });
  writeFileSync(
    join(dir, 'house-price', 'routing.json'),
    JSON.stringify({ live: 1, candidate: 2, mode: 'shadow', weight: 0, sample_rate: 1, previous_live: null, audit: [] }),
  );
  return dir;
}

/** Sends `n` one-row requests at concurrency 16; returns the request ids, and failures. */
async function traffic(address: string, n: number, during?: (i: number) => Promise<void> | void, prefix = 'r'): Promise<{ ids: string[]; failures: string[] }> {
  const clients = connect(address);
  const ids: string[] = [];
  const failures: string[] = [];
  let next = 0;
  const good = allRecords.slice(0, 40); // rows v1 and v2 both score (checked below)
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        if (during) await during(i);
        try {
          const res = await predictUnary(clients.prediction, { model: 'house-price', request_id: `${prefix}${i}`, ...recordsInput([good[i % good.length]]) }, { deadline: Date.now() + 30_000 });
          if (res.errors.length) failures.push(`r${i}: ${res.errors[0].reason}`);
          ids.push(res.request_id);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    }),
  );
  clients.close();
  return { ids, failures };
}

async function checkExactlyOnce(url: string, n: number): Promise<void> {
  let rows = await readPredictions(url, { model: 'house-price' });
  for (let t = 0; t < 100 && rows.length < 2 * n; t++) {
    await new Promise((r) => setTimeout(r, 200));
    rows = await readPredictions(url, { model: 'house-price' });
  }
  const keys = new Map<string, number>();
  for (const r of rows) keys.set(`${r.requestId}/${r.row}/${r.role}`, (keys.get(`${r.requestId}/${r.row}/${r.role}`) ?? 0) + 1);
  expect([...keys.values()].every((c) => c === 1)).toBe(true);
  expect(rows.filter((r) => r.role === 'live')).toHaveLength(n);
  expect(rows.filter((r) => r.role === 'shadow')).toHaveLength(n);
  expect(rows.every((r) => (r.role === 'live' ? r.version === 1 : r.version === 2) && r.error === null)).toBe(true);
}

describe('prediction log through the server', () => {
  it('SQLite: 10,000 requests with shadow on leave exactly one record per row and role', async () => {
    const url = `sqlite:${join(work, 'sqlite', 'predictions.sqlite')}`;
    const server = await startServer(modelRoot('m-sqlite'), ['--prediction-log', url]);
    const { ids, failures } = await traffic(server.address, 10_000);
    expect(failures).toEqual([]);
    expect(await server.stop()).toBe(0); // a clean shutdown flushes the log
    expect(new Set(ids).size).toBe(10_000);
    await checkExactlyOnce(url, 10_000);
  });

  it.skipIf(anyPostgresUnavailable() !== null)('PostgreSQL: 10,000 requests with shadow on leave exactly one record per row and role', async () => {
    const pg: PgServer = await startPostgres({ control: false });
    try {
      const url = await pg.createDatabase();
      const server = await startServer(modelRoot('m-pg'), ['--prediction-log', url]);
      const { failures } = await traffic(server.address, 10_000);
      expect(failures).toEqual([]);
      expect(await server.stop()).toBe(0);
      await checkExactlyOnce(url, 10_000);
    } finally {
      if (!pg.external) await pg.destroy();
    }
  });

  it.skipIf(postgresUnavailable() !== null)('PostgreSQL killed mid-traffic: every live response is served, and the sink recovers', async () => {
    const pg: PgServer = await startPostgres({ control: true });
    try {
      const url = await pg.createDatabase();
      const server = await startServer(modelRoot('m-pg-kill'), ['--prediction-log', url]);
      let killed = false;
      let restarted: Promise<void> | null = null;
      const { failures } = await traffic(server.address, 6000, async (i) => {
        if (i === 1500 && !killed) {
          killed = true;
          await pg.kill();
        }
        if (i === 4000 && !restarted) restarted = pg.start();
      });
      expect(failures).toEqual([]);
      await restarted;
      // After recovery, traffic is logged again.
      const after = await traffic(server.address, 200, undefined, 'after');
      expect(after.failures).toEqual([]);
      expect(await server.stop()).toBe(0);
      const rows = await readPredictions(url, { model: 'house-price' });
      const keys = new Set(rows.map((r) => `${r.requestId}/${r.row}/${r.role}`));
      expect(keys.size).toBe(rows.length); // no duplicates
      // logging resumed: the 200 requests after the restart are all there, live and shadow
      expect(rows.filter((r) => r.requestId.startsWith('after'))).toHaveLength(400);
    } finally {
      await pg.destroy();
    }
  }, 180_000);
});
