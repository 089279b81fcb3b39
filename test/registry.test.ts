/**
 * The registry (manager): start-up, selectors and labels, version policies, reload outcomes,
 * availability (a failed load never replaces what serves), reference-counted leases, the poll
 * watcher, close(). Tests wait on reload() and 'change' events, never on timers.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroveError } from '../src/errors.js';
import type { Model } from '../src/model.js';
import { Registry, type Lease, type ReloadOutcome } from '../src/registry/registry.js';
import {
  fixtureInputs,
  installBundle,
  overwriteWith,
  recordingLogger,
  removeRoot,
  removeVersion,
  sameValues,
  stillPending,
  tempRoot,
  versionState,
  waitForStatus,
  writeConfig,
  type LogLine,
} from './registry-helpers.js';

let root: string;
let lines: LogLine[];
let registries: Registry[];

beforeEach(() => {
  root = tempRoot();
  registries = [];
});
afterEach(async () => {
  for (const r of registries) await r.close({ timeoutMs: 1000 });
  removeRoot(root);
});

function registry(opts: { pollIntervalMs?: number; pinnedVersions?: (m: string) => number[] } = {}): Registry {
  const rec = recordingLogger();
  lines = rec.lines;
  const r = new Registry({ root, logger: rec.logger, engine: 'native', warmupRounds: 1, ...opts });
  registries.push(r);
  return r;
}

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GroveError);
    return { code: (err as GroveError).code, message: (err as GroveError).message };
  }
  throw new Error('did not throw');
}

const sorted = (o: ReloadOutcome[]) =>
  [...o].sort((a, b) => (a.name === b.name ? a.version - b.version : a.name < b.name ? -1 : 1));

/** Scores the lease's own samples: proves the model is alive and the right one. */
async function scoreLease(lease: Lease): Promise<Float64Array> {
  const inputs = await fixtureInputs(['xgb-regression', 'lgb-single-tree']);
  const data = inputs.get(lease.served.manifest.description ?? '')!;
  return lease.served.model.predict(data.x, data.rows);
}

describe('start-up', () => {
  it('loads every model, serves the latest version by default and logs one line per state change', async () => {
    installBundle(root, 'reg', 1, 'xgb-regression');
    installBundle(root, 'reg', 2, 'lgb-single-tree');
    installBundle(root, 'soft', 1, 'xgb-softprob-ubj');
    const r = registry();
    const changes: number[] = [];
    r.on('change', () => changes.push(1));
    const outcomes = await r.start();
    expect(sorted(outcomes)).toEqual([
      { name: 'reg', version: 2, outcome: 'loaded', reason: null },
      { name: 'soft', version: 1, outcome: 'loaded', reason: null },
    ]);
    expect(changes.length).toBeGreaterThan(0);
    expect(r.hasReadyVersion()).toBe(true);
    expect(r.hasReadyVersion('reg')).toBe(true);
    expect(r.hasReadyVersion('nope')).toBe(false);

    const status = r.getModel('reg');
    expect(status.defaultVersion).toBe(2);
    expect(status.policy).toBe('latest 1');
    expect(status.problems).toEqual([]);
    expect(status.versions).toHaveLength(1);
    const v2 = status.versions[0];
    expect(v2).toMatchObject({ version: 2, state: 'ready', labels: [], error: null, inFlight: 0 });
    expect(v2.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(v2.loadedAt).toBeInstanceOf(Date);

    const lease = r.acquire('reg');
    expect(lease.served).toMatchObject({ name: 'reg', version: 2, fingerprint: v2.fingerprint, dir: join(root, 'reg', '2') });
    expect(lease.served.manifest.artifact).toBe('model.txt');
    expect(r.getModel('reg').versions[0].inFlight).toBe(1);
    lease.release();
    lease.release(); // idempotent
    expect(r.getModel('reg').versions[0].inFlight).toBe(0);

    expect(r.listModels().map((m) => m.name)).toEqual(['reg', 'soft']);
    const states = lines.filter((l) => l.model === 'reg' && l.version === 2 && l.state).map((l) => l.state);
    expect(states).toEqual(['loading', 'ready']);
    const ready = lines.find((l) => l.model === 'reg' && l.state === 'ready')!;
    expect(ready.msg).toBe('version ready');
    expect(ready.fingerprint).toBe(v2.fingerprint!.slice(0, 12));
  });

  it('never throws for a bad bundle: the failure is reported with its reason, the rest serves', async () => {
    installBundle(root, 'good', 1, 'xgb-regression');
    installBundle(root, 'bad', 1, 'corrupt-wrong-expected');
    const r = registry();
    const outcomes = sorted(await r.start());
    expect(outcomes[0]).toMatchObject({ name: 'bad', version: 1, outcome: 'failed' });
    expect(outcomes[0].reason).toMatch(/^self-check against expected\.csv: 1 of 10 values outside tolerance/);
    expect(outcomes[1]).toEqual({ name: 'good', version: 1, outcome: 'loaded', reason: null });

    const bad = r.getModel('bad');
    expect(bad.versions[0]).toMatchObject({ version: 1, state: 'failed', error: outcomes[0].reason, fingerprint: null });
    expect(bad.defaultVersion).toBeNull();
    expect(bad.problems).toEqual([`version 1 failed to load: ${outcomes[0].reason}`, 'no version is ready to serve']);
    expect(r.hasReadyVersion('bad')).toBe(false);
    expect(r.hasReadyVersion()).toBe(true);
    const e = codeOf(() => r.acquire('bad'));
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toBe(`model 'bad' has no version ready to serve (version 1 failed: ${outcomes[0].reason})`);
    expect(codeOf(() => r.acquire('bad', '1'))).toEqual({
      code: 'UNAVAILABLE',
      message: `model 'bad' version 1 failed to load: ${outcomes[0].reason}`,
    });
    const failedLine = lines.find((l) => l.model === 'bad' && l.state === 'failed')!;
    expect(failedLine).toMatchObject({ version: 1, step: 'self-check', reason: outcomes[0].reason, msg: 'version failed to load' });
  });

  it('a repository root that is not a directory is an error', async () => {
    const r = new Registry({ root: join(root, 'missing'), logger: recordingLogger().logger });
    await expect(r.start()).rejects.toThrow(`model repository '${join(root, 'missing')}' is not a directory`);
  });

  it('skips directories that are not versions, with a warning', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    mkdirSync(join(root, 'm', 'v2'));
    mkdirSync(join(root, 'm', '.tmp-upload'));
    mkdirSync(join(root, 'bad name!'));
    const r = registry();
    await r.start();
    expect(r.getModel('m').problems).toEqual([
      "directory 'v2' ignored: version directories are positive integers without leading zeros",
    ]);
    expect(lines.some((l) => l.level === 40 && l.problem === r.getModel('m').problems[0])).toBe(true);
    expect(lines.some((l) => l.level === 40 && String(l.msg).startsWith("directory 'bad name!' ignored"))).toBe(true);
    expect(r.listModels().map((m) => m.name)).toEqual(['m']);
  });
});

describe('selectors and labels', () => {
  it('default is label stable when ready; versions and labels select exactly', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    installBundle(root, 'm', 2, 'lgb-single-tree');
    installBundle(root, 'm', 3, 'xgb-regression');
    writeConfig(root, 'm', { labels: { stable: 1, candidate: 2 } });
    const r = registry();
    await r.start();
    const s = r.getModel('m');
    expect(s.versions.map((v) => [v.version, v.state, v.labels])).toEqual([
      [1, 'ready', ['stable']],
      [2, 'ready', ['candidate']],
      [3, 'ready', []],
    ]);
    expect(s.labels).toEqual({ stable: 1, candidate: 2 });
    expect(s.defaultVersion).toBe(1);
    const take = (sel?: string) => {
      const l = r.acquire('m', sel);
      l.release();
      return l.served.version;
    };
    expect([take(), take(''), take('stable'), take('candidate'), take('3'), take('2')]).toEqual([1, 1, 1, 2, 3, 2]);
  });

  it('unknown model, version and label are NOT_FOUND with precise messages', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    installBundle(root, 'm', 2, 'xgb-regression');
    writeConfig(root, 'm', { labels: { stable: 2 } });
    const r = registry();
    await r.start();
    expect(codeOf(() => r.acquire('nope'))).toEqual({ code: 'NOT_FOUND', message: "model 'nope' not found" });
    expect(codeOf(() => r.acquire('m', '7'))).toEqual({
      code: 'NOT_FOUND',
      message: "model 'm' has no version 7; served versions: 2",
    });
    expect(codeOf(() => r.acquire('m', '1'))).toEqual({
      code: 'NOT_FOUND',
      message: "model 'm' has no version 1 (it is on disk, but not served under the version policy latest 1); served versions: 2",
    });
    expect(codeOf(() => r.acquire('m', 'canary'))).toEqual({
      code: 'NOT_FOUND',
      message: "model 'm' has no label 'canary' (labels: stable)",
    });
    expect(codeOf(() => r.getModel('nope')).code).toBe('NOT_FOUND');
  });

  it('labels pointing at a missing or a failed version do not break start-up; they are reported', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    installBundle(root, 'm', 2, 'corrupt-truncated-model');
    installBundle(root, 'm', 3, 'lgb-single-tree');
    writeConfig(root, 'm', { version_policy: { specific: [1] }, labels: { stable: 2, canary: 9, candidate: 3 } });
    const r = registry();
    const outcomes = sorted(await r.start());
    expect(outcomes.map((o) => [o.version, o.outcome])).toEqual([
      [1, 'loaded'],
      [2, 'failed'],
      [3, 'loaded'],
    ]);
    const reason = outcomes[1].reason!;
    expect(reason).toMatch(/^model\.json: /);
    const s = r.getModel('m');
    expect(s.problems).toEqual([
      'label canary -> version 9, which is not on disk',
      `label stable -> version 2, which failed to load: ${reason}`,
      `version 2 failed to load: ${reason}`,
    ]);
    // stable is not ready: the default is the highest ready version
    expect(s.defaultVersion).toBe(3);
    expect(r.acquire('m').served.version).toBe(3);
    expect(codeOf(() => r.acquire('m', 'stable'))).toEqual({
      code: 'UNAVAILABLE',
      message: `label 'stable' of model 'm' points at version 2, which failed to load: ${reason}`,
    });
    expect(codeOf(() => r.acquire('m', 'canary'))).toEqual({
      code: 'NOT_FOUND',
      message: "label 'canary' of model 'm' points at version 9, which is not on disk",
    });
    for (const p of s.problems) {
      expect(lines.some((l) => l.model === 'm' && l.msg === 'model problem' && l.problem === p), p).toBe(true);
    }
  });
});

describe('version policy', () => {
  const setup = (n: number) => {
    for (let v = 1; v <= n; v++) installBundle(root, 'm', v, v % 2 ? 'xgb-regression' : 'lgb-single-tree');
  };
  const ready = (r: Registry) => r.getModel('m').versions.filter((v) => v.state === 'ready').map((v) => v.version);

  it('latest N', async () => {
    setup(4);
    writeConfig(root, 'm', { version_policy: { latest: 2 } });
    const r = registry();
    await r.start();
    expect(ready(r)).toEqual([3, 4]);
    expect(r.getModel('m').policy).toBe('latest 2');
  });

  it('all', async () => {
    setup(3);
    writeConfig(root, 'm', { version_policy: { all: true } });
    const r = registry();
    await r.start();
    expect(ready(r)).toEqual([1, 2, 3]);
  });

  it('specific, reporting a listed version that is not on disk', async () => {
    setup(3);
    writeConfig(root, 'm', { version_policy: { specific: [1, 3, 5] } });
    const r = registry();
    await r.start();
    expect(ready(r)).toEqual([1, 3]);
    expect(r.getModel('m').problems).toEqual(['version policy specific [1, 3, 5] names version 5, which is not on disk']);
  });

  it('default latest 1 plus the versions labels and the routing pin', async () => {
    setup(5);
    writeConfig(root, 'm', { labels: { old: 1 } });
    const r = registry({ pinnedVersions: (m) => (m === 'm' ? [3] : []) });
    await r.start();
    expect(ready(r)).toEqual([1, 3, 5]);
  });

  it('changing the policy on disk is applied by the next reload', async () => {
    setup(3);
    const r = registry();
    await r.start();
    expect(ready(r)).toEqual([3]);
    writeConfig(root, 'm', { version_policy: { latest: 2 } });
    expect(sorted(await r.reload())).toEqual([
      { name: 'm', version: 2, outcome: 'loaded', reason: null },
      { name: 'm', version: 3, outcome: 'unchanged', reason: null },
    ]);
    writeConfig(root, 'm', {});
    expect(sorted(await r.reload())).toEqual([
      { name: 'm', version: 2, outcome: 'unloaded', reason: 'not chosen by the version policy (latest 1)' },
      { name: 'm', version: 3, outcome: 'unchanged', reason: null },
    ]);
    expect(ready(r)).toEqual([3]);
  });

  it('an invalid config.json is reported; the last valid one stays in force', async () => {
    setup(3);
    writeConfig(root, 'm', { version_policy: { latest: 2 } });
    const r = registry();
    await r.start();
    writeConfig(root, 'm', '{"version_policy": {"lastest": 1}}');
    await r.reload();
    expect(ready(r)).toEqual([2, 3]);
    expect(r.getModel('m').problems).toEqual([
      "config.json: version_policy: unknown key 'lastest' (using the last valid config.json)",
    ]);
    expect(lines.some((l) => l.msg === 'model problem' && String(l.problem).startsWith('config.json: version_policy'))).toBe(true);
  });

  it('an invalid config.json at start-up falls back to the default policy', async () => {
    setup(2);
    writeConfig(root, 'm', '{"labels": {"stable": "1"}}');
    const r = registry();
    await r.start();
    expect(ready(r)).toEqual([2]);
    expect(r.getModel('m').problems).toEqual([
      'config.json: labels.stable: expected number, got string (using the default version policy latest 1)',
    ]);
  });
});

describe('reload', () => {
  it('reports loaded, unchanged, unloaded; a new latest version replaces the old one', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    const r = registry();
    await r.start();
    expect(await r.reload()).toEqual([{ name: 'm', version: 1, outcome: 'unchanged', reason: null }]);
    installBundle(root, 'm', 2, 'lgb-single-tree');
    expect(await r.reload()).toEqual([
      { name: 'm', version: 2, outcome: 'loaded', reason: null },
      { name: 'm', version: 1, outcome: 'unloaded', reason: 'not chosen by the version policy (latest 1)' },
    ]);
    expect(r.getModel('m').versions.map((v) => v.version)).toEqual([2]);
    removeVersion(root, 'm', 2);
    installBundle(root, 'm', 3, 'xgb-regression');
    expect(await r.reload()).toEqual([
      { name: 'm', version: 3, outcome: 'loaded', reason: null },
      { name: 'm', version: 2, outcome: 'unloaded', reason: 'removed from disk' },
    ]);
    const states = lines.filter((l) => l.model === 'm' && l.version === 1 && l.state).map((l) => l.state);
    expect(states).toEqual(['loading', 'ready', 'unloading', 'unloaded']);
  });

  it('a changed bundle (new fingerprint) is reloaded and swapped; in-flight requests finish on the old instance', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    const r = registry();
    await r.start();
    const before = r.acquire('m');
    const oldModel = before.served.model;
    installBundle(root, 'm', 1, 'lgb-single-tree');
    expect(await r.reload()).toEqual([{ name: 'm', version: 1, outcome: 'loaded', reason: null }]);
    const after = r.acquire('m');
    expect(after.served.fingerprint).not.toBe(before.served.fingerprint);
    expect(after.served.model).not.toBe(oldModel);
    expect(r.getModel('m').versions[0]).toMatchObject({ state: 'ready', fingerprint: after.served.fingerprint, inFlight: 2 });
    // the old instance still scores its own samples
    expect(sameValues(await scoreLease(before), (await fixtureInputs(['xgb-regression'])).values().next().value!.expected)).toBe(true);
    before.release();
    expect(() => oldModel.predict(new Float64Array(6), 1)).toThrow('model has been disposed');
    expect(r.getModel('m').versions[0].inFlight).toBe(1);
    after.release();
    expect(lines.some((l) => l.msg === 'version reloaded' && l.model === 'm')).toBe(true);
  });

  it('a good version overwritten by a corrupt model keeps serving the old instance; reload reports the reason', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    installBundle(root, 'm', 2, 'xgb-regression');
    const r = registry();
    await r.start();
    const served = r.acquire('m', '2');
    served.release();
    overwriteWith(root, 'm', 2, 'corrupt-truncated-model', ['model.json']);
    const [outcome] = await r.reload();
    expect(outcome).toMatchObject({ name: 'm', version: 2, outcome: 'failed' });
    expect(outcome.reason).toMatch(/^model\.json: /);

    const again = r.acquire('m', '2');
    expect(again.served).toBe(served.served); // the very same instance
    again.release();
    const v2 = r.getModel('m').versions.find((v) => v.version === 2)!;
    expect(v2).toMatchObject({ state: 'ready', error: outcome.reason, fingerprint: served.served.fingerprint });
    expect(r.getModel('m').problems).toEqual([
      `version 2: its new files failed to load, the previously loaded files (fingerprint ${served.served.fingerprint.slice(0, 12)}) keep serving: ${outcome.reason}`,
    ]);
    expect(lines.find((l) => l.msg === 'version reload failed; the previously loaded files keep serving')).toMatchObject({
      model: 'm',
      version: 2,
      reason: outcome.reason,
      step: 'build',
    });

    // the same broken files are reported again but not reloaded
    const loadsBefore = lines.filter((l) => l.msg === 'version files changed; loading them').length;
    expect(await r.reload()).toEqual([outcome]);
    expect(lines.filter((l) => l.msg === 'version files changed; loading them').length).toBe(loadsBefore);

    // restoring the files: unchanged (the serving instance already has them), the error clears
    overwriteWith(root, 'm', 2, 'xgb-regression', ['model.json']);
    expect(await r.reload()).toEqual([{ name: 'm', version: 2, outcome: 'unchanged', reason: null }]);
    expect(r.getModel('m').problems).toEqual([]);
    expect(r.getModel('m').versions.find((v) => v.version === 2)!.error).toBeNull();
  });

  it('a broken new version does not replace the old one, which keeps serving until a good one arrives', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    const r = registry();
    await r.start();
    installBundle(root, 'm', 2, 'corrupt-wrong-expected');
    const outcomes = await r.reload();
    const kept = 'not chosen by the version policy (latest 1), but kept serving because no version chosen to replace it is ready';
    expect(outcomes[0]).toMatchObject({ version: 2, outcome: 'failed' });
    expect(outcomes[1]).toEqual({ name: 'm', version: 1, outcome: 'unchanged', reason: kept });
    expect(r.acquire('m').served.version).toBe(1);
    expect(r.getModel('m').problems).toEqual([`version 1: ${kept}`, `version 2 failed to load: ${outcomes[0].reason}`]);

    installBundle(root, 'm', 2, 'lgb-single-tree');
    expect(await r.reload()).toEqual([
      { name: 'm', version: 2, outcome: 'loaded', reason: null },
      { name: 'm', version: 1, outcome: 'unloaded', reason: 'not chosen by the version policy (latest 1)' },
    ]);
    expect(r.getModel('m').problems).toEqual([]);
  });

  it('a fresh start whose newest version is broken serves the newest older version that loads', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    installBundle(root, 'm', 2, 'lgb-single-tree');
    installBundle(root, 'm', 3, 'corrupt-truncated-model');
    const r = registry();
    const outcomes = await r.start();
    expect(outcomes.map((o) => [o.version, o.outcome])).toEqual([
      [3, 'failed'],
      [2, 'loaded'],
    ]);
    expect(r.acquire('m').served.version).toBe(2);
    expect(r.getModel('m').problems).toContain(
      'version 2: loaded as a fallback: not chosen by the version policy (latest 1), but no chosen version is ready',
    );
    // a later reload does not retry the same broken files, and keeps the fallback
    expect((await r.reload()).map((o) => [o.version, o.outcome])).toEqual([
      [3, 'failed'],
      [2, 'unchanged'],
    ]);
  });

  it('a removed version is disposed only after its last lease is released', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    installBundle(root, 'm', 2, 'lgb-single-tree');
    writeConfig(root, 'm', { version_policy: { all: true } });
    const r = registry();
    await r.start();
    const a = r.acquire('m', '1');
    const b = r.acquire('m', '1');
    const model: Model = a.served.model;
    removeVersion(root, 'm', 1);
    expect(await r.reload()).toEqual([
      { name: 'm', version: 2, outcome: 'unchanged', reason: null },
      { name: 'm', version: 1, outcome: 'unloaded', reason: 'removed from disk' },
    ]);
    expect(r.getModel('m').versions.map((v) => [v.version, v.state, v.inFlight])).toEqual([
      [1, 'unloading', 2],
      [2, 'ready', 0],
    ]);
    expect(codeOf(() => r.acquire('m', '1')).code).toBe('NOT_FOUND');
    expect(sameValues(await scoreLease(a), (await fixtureInputs(['xgb-regression'])).values().next().value!.expected)).toBe(true);
    a.release();
    a.release(); // idempotent: does not release b's reference
    expect(r.getModel('m').versions[0]).toMatchObject({ version: 1, state: 'unloading', inFlight: 1 });
    await scoreLease(b);
    const gone = waitForStatus(r, (ms) => versionState(ms, 'm', 1) === undefined);
    b.release();
    await gone;
    expect(() => model.predict(new Float64Array(6), 1)).toThrow('model has been disposed');
    expect(lines.filter((l) => l.model === 'm' && l.version === 1 && l.state).map((l) => l.state)).toEqual([
      'loading',
      'ready',
      'unloading',
      'unloaded',
    ]);
  });

  it('a removed model directory unloads the model', async () => {
    installBundle(root, 'a', 1, 'xgb-regression');
    installBundle(root, 'b', 1, 'lgb-single-tree');
    const r = registry();
    await r.start();
    rmSync(join(root, 'b'), { recursive: true });
    expect(sorted(await r.reload())).toEqual([
      { name: 'a', version: 1, outcome: 'unchanged', reason: null },
      { name: 'b', version: 1, outcome: 'unloaded', reason: 'model directory removed from disk' },
    ]);
    expect(codeOf(() => r.acquire('b')).code).toBe('NOT_FOUND');
    expect(r.listModels().map((m) => m.name)).toEqual(['a']);
  });

  it('scopes: one model, one version; unknown ones are NOT_FOUND', async () => {
    installBundle(root, 'a', 1, 'xgb-regression');
    installBundle(root, 'b', 1, 'lgb-single-tree');
    writeConfig(root, 'b', { version_policy: { all: true } });
    const r = registry();
    await r.start();
    installBundle(root, 'a', 2, 'xgb-regression');
    installBundle(root, 'b', 2, 'xgb-regression');
    installBundle(root, 'b', 3, 'xgb-regression');
    expect(await r.reload({ model: 'b', version: 3 })).toEqual([{ name: 'b', version: 3, outcome: 'loaded', reason: null }]);
    expect(r.getModel('b').versions.map((v) => v.version)).toEqual([1, 3]);
    expect(await r.reload({ model: 'b' })).toEqual([
      { name: 'b', version: 3, outcome: 'unchanged', reason: null },
      { name: 'b', version: 2, outcome: 'loaded', reason: null },
      { name: 'b', version: 1, outcome: 'unchanged', reason: null },
    ]);
    expect(r.getModel('a').versions.map((v) => v.version)).toEqual([1]); // not in scope
    await expect(r.reload({ model: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: `model 'nope' not found in ${root}` });
    await expect(r.reload({ model: 'b', version: 9 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: "model 'b' has no version 9 (on disk: 1, 2, 3)",
    });
    // a version-scoped reload touches that version only: version 2 of 'a' is not loaded yet, so 1 keeps serving
    await expect(r.reload({ model: 'a', version: 1 })).resolves.toEqual([
      {
        name: 'a',
        version: 1,
        outcome: 'unchanged',
        reason: 'not chosen by the version policy (latest 1), but kept serving because no version chosen to replace it is ready',
      },
    ]);
    installBundle(root, 'a', 3, 'xgb-regression');
    await r.reload({ model: 'a' });
    await expect(r.reload({ model: 'a', version: 1 })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(r.reload({ version: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('concurrent reloads are serialized: each change is loaded once', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    const r = registry();
    await r.start();
    installBundle(root, 'm', 2, 'lgb-single-tree');
    const [first, second, third] = await Promise.all([r.reload(), r.reload({ model: 'm' }), r.reload({ model: 'm', version: 2 })]);
    expect(first).toEqual([
      { name: 'm', version: 2, outcome: 'loaded', reason: null },
      { name: 'm', version: 1, outcome: 'unloaded', reason: 'not chosen by the version policy (latest 1)' },
    ]);
    expect(second).toEqual([{ name: 'm', version: 2, outcome: 'unchanged', reason: null }]);
    expect(third).toEqual([{ name: 'm', version: 2, outcome: 'unchanged', reason: null }]);
    expect(lines.filter((l) => l.model === 'm' && l.version === 2 && l.state === 'loading')).toHaveLength(1);
  });
});

describe('reload under traffic', () => {
  it('every lease acquired while versions are added, replaced, broken and removed holds a ready, live model', async () => {
    const inputs = await fixtureInputs(['xgb-regression', 'lgb-single-tree']);
    installBundle(root, 'm', 1, 'xgb-regression');
    writeConfig(root, 'm', { version_policy: { latest: 2 } });
    const r = registry();
    await r.start();

    let stop = false;
    let served = 0;
    const failures: string[] = [];
    const models = new Set<Model>();
    const selectors = ['', '1', '2', '3', '4', '5'];
    const worker = async (id: number) => {
      for (let i = 0; !stop; i++) {
        let lease: Lease;
        try {
          lease = r.acquire('m', selectors[(id + i) % selectors.length]);
        } catch (err) {
          if (!(err instanceof GroveError) || !['NOT_FOUND', 'UNAVAILABLE'].includes(err.code)) failures.push(String(err));
          await new Promise<void>((res) => setImmediate(res));
          continue;
        }
        try {
          const { model, manifest, version, fingerprint } = lease.served;
          // at the moment of acquire the version is ready, with this very instance
          const status = r.getModel('m').versions.find((v) => v.version === version);
          if (status?.state !== 'ready' || status.fingerprint !== fingerprint) {
            failures.push(`acquired version ${version} in state ${status?.state} (fingerprint ${status?.fingerprint})`);
          }
          models.add(model);
          const data = inputs.get(manifest.description ?? '')!;
          const sync = model.predict(data.x, data.rows);
          await new Promise<void>((res) => setImmediate(res)); // hold the lease across turns: reloads swap meanwhile
          const asyncOut = await model.predictAsync(data.x, data.rows);
          if (!sameValues(sync, data.expected) || !sameValues(asyncOut, data.expected)) {
            failures.push(`version ${version}: wrong outputs`);
          }
          served++;
        } catch (err) {
          failures.push(`version ${lease.served.version}: ${(err as Error).message}`);
        } finally {
          lease.release();
        }
      }
    };
    const workers = Array.from({ length: 16 }, (_, i) => worker(i));

    const script: [string, () => void][] = [
      ['add 2', () => installBundle(root, 'm', 2, 'lgb-single-tree')],
      ['replace 2', () => installBundle(root, 'm', 2, 'xgb-regression')],
      ['break 2 in place', () => overwriteWith(root, 'm', 2, 'corrupt-truncated-model', ['model.json'])],
      ['add broken 3', () => installBundle(root, 'm', 3, 'corrupt-wrong-expected')],
      ['remove 1', () => removeVersion(root, 'm', 1)],
      ['add 4', () => installBundle(root, 'm', 4, 'lgb-single-tree')],
      ['fix 3', () => installBundle(root, 'm', 3, 'lgb-single-tree')],
      ['remove 2', () => removeVersion(root, 'm', 2)],
      ['add 5', () => installBundle(root, 'm', 5, 'xgb-regression')],
    ];
    const log: string[] = [];
    for (const [what, change] of script) {
      change();
      const [a, b] = await Promise.all([r.reload(), r.reload({ model: 'm' })]);
      log.push(`${what}: ${[...a, ...b].map((o) => `${o.version}:${o.outcome}`).join(' ')}`);
      // let traffic run between changes
      const target = served + 20;
      while (served < target && failures.length === 0 && r.hasReadyVersion('m')) await new Promise<void>((res) => setImmediate(res));
    }
    stop = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(served).toBeGreaterThanOrEqual(180);
    // each line: the outcomes of two concurrent reloads (the second, queued, sees nothing new)
    expect(log).toEqual([
      'add 2: 2:loaded 1:unchanged 2:unchanged 1:unchanged',
      'replace 2: 2:loaded 1:unchanged 2:unchanged 1:unchanged',
      'break 2 in place: 2:failed 1:unchanged 2:failed 1:unchanged',
      // 2 still serves its previous files, so the policy's pair {2, 3} has a ready version: 1 goes
      'add broken 3: 3:failed 2:failed 1:unloaded 3:failed 2:failed',
      'remove 1: 3:failed 2:failed 3:failed 2:failed',
      'add 4: 4:loaded 3:failed 2:unloaded 4:unchanged 3:failed',
      'fix 3: 4:unchanged 3:loaded 4:unchanged 3:unchanged',
      'remove 2: 4:unchanged 3:unchanged 4:unchanged 3:unchanged',
      'add 5: 5:loaded 4:unchanged 3:unloaded 5:unchanged 4:unchanged',
    ]);
    const final = r.getModel('m');
    expect(final.versions.map((v) => [v.version, v.state, v.inFlight])).toEqual([
      [4, 'ready', 0],
      [5, 'ready', 0],
    ]);
    const live = new Set(['4', '5'].map((v) => r.acquire('m', v)).map((l) => (l.release(), l.served.model)));
    for (const m of models) {
      if (live.has(m)) continue;
      expect(() => m.predict(new Float64Array(m.numFeatures), 1)).toThrow('model has been disposed');
    }
    await r.close();
    for (const m of live) expect(() => m.predict(new Float64Array(m.numFeatures), 1)).toThrow('model has been disposed');
  });
});

describe('poll watcher', () => {
  it('picks up a new version by itself', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    const r = registry({ pollIntervalMs: 20 });
    await r.start();
    const first = r.acquire('m');
    expect(first.served.version).toBe(1);
    first.release();
    installBundle(root, 'm', 2, 'lgb-single-tree');
    await waitForStatus(r, (ms) => versionState(ms, 'm', 2) === 'ready' && versionState(ms, 'm', 1) === undefined);
    const lease = r.acquire('m');
    expect(lease.served.version).toBe(2);
    lease.release();
    expect(lines.some((l) => l.msg === 'version ready' && l.version === 2)).toBe(true);
  });
});

describe('close', () => {
  it('waits for in-flight leases, then disposes every model', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    const r = registry();
    await r.start();
    const lease = r.acquire('m');
    const closing = r.close();
    expect(await stillPending(closing)).toBe(true);
    expect(codeOf(() => r.acquire('m'))).toEqual({ code: 'UNAVAILABLE', message: 'the model registry is shutting down' });
    await expect(r.reload()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await scoreLease(lease); // still alive
    lease.release();
    await closing;
    expect(() => lease.served.model.predict(new Float64Array(6), 1)).toThrow('model has been disposed');
    expect(r.hasReadyVersion()).toBe(false);
  });

  it('disposes anyway after its timeout', async () => {
    installBundle(root, 'm', 1, 'xgb-regression');
    const r = registry();
    await r.start();
    const lease = r.acquire('m');
    await r.close({ timeoutMs: 20 });
    expect(() => lease.served.model.predict(new Float64Array(6), 1)).toThrow('model has been disposed');
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes('did not finish in time'))).toBe(true);
    lease.release(); // harmless after close
  });
});
