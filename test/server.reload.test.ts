/**
 * Reload under load: a real server, 16 concurrent clients sending at least 20,000 Predict calls
 * while versions are added, replaced, broken and removed. Zero calls may fail, every answer must
 * come from a version that was the default at some moment of that call, and the corrupt bundle
 * must be refused with its reason without ever answering.
 */
import { mkdtempSync, rmSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, predictUnary, type GroveClients } from '../src/client/client.js';
import type { ReloadResponse__Output } from '../src/generated/grove/v1/ReloadResponse.js';
import { corruptArtifact, makeBundle } from './helpers/bundles.js';
import { startServer, type RunningServer } from './helpers/server.js';

const CALLS = 20_000;
const CONCURRENCY = 16;

/** A period during which `versions` may answer an unpinned request. */
interface Segment {
  from: number;
  to: number;
  versions: Set<number>;
}

describe('reload under load', () => {
  let root: string;
  let server: RunningServer;
  let clients: GroveClients;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'grove-reload-'));
    // All versions take the same 10 features, so one dense request fits each of them.
    makeBundle(root, 'm', 1, { library: 'xgboost', fixture: 'binary-logistic-missing-xgb3' });
    server = await startServer(root);
    clients = connect(server.address);
  });

  afterAll(async () => {
    clients?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  function reload(): Promise<ReloadResponse__Output> {
    return new Promise((resolve, reject) => clients.models.Reload({ model: 'm' }, (e, r) => (e ? reject(e) : resolve(r!))));
  }

  it(`answers ${CALLS} calls at concurrency ${CONCURRENCY} with 0 failures while versions change`, async () => {
    const timeline: Segment[] = [{ from: 0, to: Infinity, versions: new Set([1]) }];
    /** Runs a change; while it runs, the old and the new default may both answer. */
    const change = async (next: number, act: () => void): Promise<ReloadResponse__Output> => {
      const prev = timeline[timeline.length - 1];
      const start = performance.now();
      prev.to = start;
      act();
      const res = await reload();
      const end = performance.now();
      timeline.push({ from: start, to: end, versions: new Set([...prev.versions, next]) });
      timeline.push({ from: end, to: Infinity, versions: new Set([next]) });
      return res;
    };

    const answers: { start: number; end: number; version: number }[] = [];
    const failures: string[] = [];
    let sent = 0;
    let changesDone = false;
    const request = { model: 'm', dense: { rows: 1, cols: 10, values: [0.5, 1, -1, 2, 0.25, 3, 0, 1.5, -2, 4] } };
    const worker = async (): Promise<void> => {
      while (sent < CALLS || !changesDone) {
        sent++;
        const start = performance.now();
        try {
          const res = await predictUnary(clients.prediction, request, { deadline: Date.now() + 30_000 });
          answers.push({ start, end: performance.now(), version: res.version });
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };

    const load = Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 150));
    const outcomes: string[][] = [];
    const record = (res: ReloadResponse__Output): void => {
      outcomes.push(res.results.map((r) => `${r.version}:${r.outcome}${r.reason ? `(${r.reason})` : ''}`));
    };
    try {
      await pause();
      // add version 2 (a LightGBM model): with the default policy (latest 1) it replaces version 1
      record(await change(2, () => makeBundle(root, 'm', 2, { library: 'lightgbm', fixture: 'rf' })));
      await pause();
      // replace version 2's files with another model: same number, new instance
      record(
        await change(2, () => {
          const staging = join(root, 'm', '.staging-2');
          makeBundle(join(root, 'm', '.staging'), 'm', 2, { library: 'xgboost', fixture: 'random-forest-parallel-xgb3' });
          renameSync(join(root, 'm', '.staging', 'm', '2'), staging);
          rmSync(join(root, 'm', '2'), { recursive: true });
          renameSync(staging, join(root, 'm', '2'));
        }),
      );
      await pause();
      // a corrupt version 3 is refused; version 2 keeps serving
      record(
        await change(2, () => {
          const dir = makeBundle(join(root, 'm', '.staging'), 'm', 3, { library: 'xgboost', fixture: 'dart-xgb3' });
          corruptArtifact(dir, 'model.json');
          renameSync(dir, join(root, 'm', '3'));
        }),
      );
      await pause();
      // remove versions 3 and 2: version 1, still on disk, is the latest again
      record(
        await change(1, () => {
          rmSync(join(root, 'm', '3'), { recursive: true });
          rmSync(join(root, 'm', '2'), { recursive: true });
        }),
      );
      await pause();
    } finally {
      changesDone = true;
      await load;
    }

    expect(failures.slice(0, 5)).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(CALLS);
    const wrong = answers.filter((a) => {
      const allowed = new Set<number>();
      for (const s of timeline) if (s.from <= a.end && s.to >= a.start) for (const v of s.versions) allowed.add(v);
      return !allowed.has(a.version);
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(answers.some((a) => a.version === 3)).toBe(false);
    const seen = new Set(answers.map((a) => a.version));
    expect([...seen].sort()).toEqual([1, 2]);

    expect(outcomes[0]).toEqual(expect.arrayContaining(['2:loaded']));
    expect(outcomes[1]).toEqual(expect.arrayContaining(['2:loaded']));
    const broken = outcomes[2].find((o) => o.startsWith('3:'));
    expect(broken).toMatch(/^3:failed\(.*model\.json/);
    expect(outcomes[3]).toEqual(expect.arrayContaining(['1:loaded']));
    expect(outcomes[3].some((o) => o.startsWith('2:unloaded'))).toBe(true);
    console.log(`reload under load: ${answers.length} answers, 0 failures; reloads: ${JSON.stringify(outcomes)}`);
  });
});
