/**
 * `grove diff`: house-price v2 against itself (and a copy of its bundle) is identical and exits 0;
 * v1 (lasso) against v2 (XGBoost) is a real mismatch and exits 1 with the worst rows; thresholds;
 * rows refused by one side; replaying inputs from the prediction log; usage errors exit 2.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiff } from '../src/cli/diff.js';
import { UsageError } from '../src/cli/usage.js';
import type { CliIO } from '../src/cli/main.js';
import { openPredictionLog, type PredictionRecord } from '../src/monitoring/prediction-log.js';
import { recordsFromCsv } from '../src/pipeline/index.js';
import type { DiffSummary } from '../src/report/diff.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'grove.js');
const MODELS = join(ROOT, 'models');
const TEST_CSV = join(ROOT, 'data', 'house-prices', 'test.csv');
const WIRED = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').includes('runDiff');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command in-process with collecting streams; errors map to exit codes as in main(). */
async function diff(argv: string[], stdin = ''): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdin: Readable.from(stdin ? [Buffer.from(stdin)] : []),
    stdout: new Writable({ write: (c, _e, cb) => ((stdout += String(c)), cb()) }),
    stderr: new Writable({ write: (c, _e, cb) => ((stderr += String(c)), cb()) }),
  };
  let code: number;
  try {
    code = await runDiff(argv, io);
  } catch (err) {
    stderr += `grove diff: ${(err as Error).message.split('\n')[0]}\n`;
    code = err instanceof UsageError ? 2 : 1;
  }
  return { code, stdout, stderr };
}

const base = ['--model', 'house-price', '--models', MODELS];
const dir = mkdtempSync(join(tmpdir(), 'grove-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('grove diff on a CSV', () => {
  it('v2 against itself: identical, exit 0', async () => {
    const r = await diff([...base, '--a', '2', '--b', '2', '--input', TEST_CSV]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rows: 1459; compared: 1459; refused by a only: 0, by b only: 0, by both: 0');
    expect(r.stdout).toContain('identical: 1459 of 1459 (100%)');
    expect(r.stdout).toContain('mismatches: 0 of 1459 (0%)');
    expect(r.stdout).toContain('no differences: every compared row is identical');
    expect(r.stdout).toMatch(/^PASS: /m);
  });

  it('a copy of the v2 bundle given as a path (--a) matches v2, exit 0', async () => {
    const copy = join(dir, 'staging', 'candidate');
    cpSync(join(MODELS, 'house-price', '2'), copy, { recursive: true });
    const r = await diff(['--a', copy, '--b', '2', ...base, '--input', TEST_CSV, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as DiffSummary & { a: { name: string; version: number; dir: string } };
    expect(s).toMatchObject({ rows: 1459, compared: 1459, mismatches: 0, identical: 1459, pass: true, maxAbsDiff: 0 });
    expect(s.a).toMatchObject({ name: 'house-price', version: 2, dir: copy });
    expect(s.worst).toEqual([]);
  });

  it('v1 against v2: a real mismatch, exit 1, with the worst rows and the rows only one side refused', async () => {
    const r = await diff([...base, '--a', '1', '--b', '2', '--input', TEST_CSV]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^grove diff: 1459 of 1459 rows mismatch/);
    expect(r.stdout).toMatch(/^FAIL: mismatch rate 100% > --max-mismatch-rate 0$/m);
    // v1's pipeline requires fields some test rows lack; v2 imputes them.
    expect(r.stdout).toContain('rows: 1459; compared: 1449; refused by a only: 10, by b only: 0, by both: 0');
    expect(r.stdout).toMatch(/values outside \|a-b\| <= 1e-9 \+ 0\.000001\*\|a\|: 1449, refused by one side only: 10/);
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('worst rows'));
    expect(head).toBeGreaterThan(0);
    expect(lines[head + 1]).toMatch(/row\s+Id\s+a\s+b\s+abs diff\s+rel diff/);
    const worst = lines.slice(head + 2, head + 12);
    expect(worst).toHaveLength(10);
    for (const l of worst) expect(l).toMatch(/^\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+\s+[\d.]+e-\d\s+MISMATCH$/);
    expect(r.stdout).toMatch(/row 95 \(Id 1556\): a refused: KitchenQual: missing value/);

    const j = await diff([...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--json']);
    expect(j.code).toBe(1);
    const s = JSON.parse(j.stdout) as DiffSummary;
    expect(s).toMatchObject({ rows: 1459, compared: 1449, refused: { a: 10, b: 0, both: 0 }, valueMismatches: 1449, mismatches: 1459, pass: false });
    expect(s.worst).toHaveLength(10);
    // worst first, by relative difference; ids from the Id column
    for (let i = 1; i < s.worst.length; i++) expect(s.worst[i - 1].relDiff).toBeGreaterThanOrEqual(s.worst[i].relDiff);
    expect(s.worst[0].relDiff).toBeCloseTo(s.maxRelDiff, 12);
    expect(s.worst[0].id).toMatch(/^\d+$/);
    expect(Math.abs(s.worst[0].a - s.worst[0].b)).toBeCloseTo(s.worst[0].absDiff, 6);
    expect(s.relDiffQuantiles.p50).toBeGreaterThan(0);
    expect(s.relDiffQuantiles.p50).toBeLessThanOrEqual(s.relDiffQuantiles.p90);
    expect(s.refusedOneSide).toHaveLength(10);
  });

  it('thresholds: --max-mismatch-rate and the tolerances decide the exit code', async () => {
    expect((await diff([...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--max-mismatch-rate', '1'])).code).toBe(0);
    // Within 100 % every compared row agrees; only the 10 rows v1 refuses still count (10/1459 ≈ 0.69 %).
    const loose = await diff([...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--rel-tol', '1', '--json']);
    expect(loose.code).toBe(1);
    expect(JSON.parse(loose.stdout)).toMatchObject({ valueMismatches: 0, mismatches: 10 });
    expect((await diff([...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--rel-tol', '1', '--max-mismatch-rate', '0.007'])).code).toBe(0);
    expect((await diff([...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--rel-tol', '1', '--max-mismatch-rate', '0.006'])).code).toBe(1);
  });

  it('reads stdin, and lists rows without an Id column by position', async () => {
    const text = readFileSync(TEST_CSV, 'utf8').split('\n').slice(0, 21).join('\n').replace(/^Id,/, 'Key,');
    const r = await diff([...base, '--a', '2', '--b', '1', '--input', '-', '--worst', '3'], text);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('input: stdin (20 rows)');
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('worst rows'));
    expect(lines[head + 1]).toMatch(/^\s+row\s+a\s+b\s+abs diff/);
    expect(lines.slice(head + 2).filter((l) => /MISMATCH$/.test(l))).toHaveLength(3);
    const k = await diff([...base, '--a', '2', '--b', '1', '--input', '-', '--id-column', 'Key'], text);
    expect(k.stdout).toMatch(/row\s+Key\s+a\s+b/);
  });

  it('fails with a reason for a missing bundle, a broken input or an unknown id column', async () => {
    const missing = await diff([...base, '--a', '9', '--b', '2', '--input', TEST_CSV]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--a 9: no bundle directory .*house-price\/9/);
    const notBundle = await diff([...base, '--a', join(dir, 'nothing-here'), '--b', '2', '--input', TEST_CSV]);
    expect(notBundle.code).toBe(1);
    const noCsv = await diff([...base, '--a', '2', '--b', '2', '--input', join(dir, 'none.csv')]);
    expect(noCsv.code).toBe(1);
    expect(noCsv.stderr).toMatch(/ENOENT|no such file/);
    const badId = await diff([...base, '--a', '2', '--b', '2', '--input', TEST_CSV, '--id-column', 'Nope']);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toContain('--id-column Nope');
    const notABundle = await diff([...base, '--a', join(MODELS, 'house-price'), '--b', '2', '--input', TEST_CSV]);
    expect(notABundle.code).toBe(1);
    expect(notABundle.stderr).toMatch(/cannot load --a/);
  });

  it('usage errors exit 2', async () => {
    for (const argv of [
      [...base, '--a', '1', '--input', TEST_CSV], // no --b
      [...base, '--a', '1', '--b', '2'], // no input
      [...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--log', 'sqlite:x.db'],
      [...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--since', '1h'],
      [...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--rel-tol', '-1'],
      [...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--abs-tol', 'x'],
      [...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--max-mismatch-rate', '2'],
      [...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--engine', 'gpu'],
      [...base, '--a', '1', '--b', '2', '--input', TEST_CSV, '--frobnicate'],
      ['--a', '1', '--b', '2', '--input', TEST_CSV], // a version number needs --model
      [...base, '--a', '1', '--b', '2', '--log', 'sqlite:x.db', '--since', 'last week'],
    ]) {
      const r = await diff(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
  });
});

describe('grove diff --log: replaying logged traffic', () => {
  const LOG = `sqlite:${join(dir, 'predictions.sqlite')}`;
  const T0 = Date.now() - 3_600_000;

  beforeAll(async () => {
    const cells = parseCsv(readFileSync(TEST_CSV, 'utf8'), { bom: true }) as string[][];
    const records = recordsFromCsv(cells[0], cells.slice(1, 81));
    const log = await openPredictionLog(LOG, { thread: 'main' });
    const out: PredictionRecord[] = [];
    records.forEach((input, i) => {
      // 40 requests of 2 rows; each row logged by live and shadow (the same input: replayed once).
      const requestId = `req-${Math.floor(i / 2)}`;
      const row = i % 2;
      const ts = T0 + Math.floor(i / 2) * 1000;
      const common = { requestId, row, model: 'house-price', input: input as PredictionRecord['input'], inputHash: null, latencyUs: 1, error: null };
      out.push({ ...common, role: 'live', version: 1, timestamp: ts, outputs: [1] });
      out.push({ ...common, role: 'shadow', version: 2, timestamp: ts + 5, outputs: [2] });
    });
    // A record without its input (the server ran with --no-log-inputs) is skipped.
    out.push({ requestId: 'hash-only', row: 0, model: 'house-price', input: null, inputHash: 'abc', latencyUs: 1, error: null, role: 'live', version: 1, timestamp: T0 + 500, outputs: [1] });
    log.append(out);
    await log.flush();
    await log.close();
  });

  it('v2 against itself on the logged inputs: identical, exit 0', async () => {
    const r = await diff([...base, '--a', '2', '--b', '2', '--log', LOG]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/input: prediction log sqlite:.*: 80 distinct logged rows \(of 161 records read\)/);
    expect(r.stdout).toContain('(1 logged rows had no stored input and were skipped)');
    expect(r.stdout).toContain('rows: 80; compared: 80');
  });

  it('v1 against v2 on the logged inputs: exit 1, worst rows named by request and row; --since and --limit', async () => {
    const r = await diff([...base, '--a', '1', '--b', '2', '--log', LOG, '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as DiffSummary;
    expect(s.rows).toBe(80);
    expect(s.valueMismatches).toBeGreaterThan(0);
    expect(s.worst[0].id).toMatch(/^req-\d+:[01]$/);

    const since = await diff([...base, '--a', '1', '--b', '2', '--log', LOG, '--since', new Date(T0 + 30_000).toISOString(), '--json']);
    expect(JSON.parse(since.stdout).rows).toBe(20); // requests 30..39
    const limited = await diff([...base, '--a', '2', '--b', '2', '--log', LOG, '--limit', '7']);
    expect(limited.code).toBe(0);
    expect(limited.stdout).toContain('rows: 7;');
    expect(limited.stdout).toContain('(stopped at --limit 7 rows)');
    const none = await diff([...base, '--a', '2', '--b', '2', '--log', LOG, '--since', '1m']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no logged inputs of model 'house-price'/);
  });
});

describe.skipIf(!WIRED)('grove diff from bin/grove.js', () => {
  const grove = (args: string[]): Result => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  it('exits 0 on identical versions, 1 on a real mismatch, 2 on bad flags', () => {
    const same = grove(['diff', '--model', 'house-price', '--a', '2', '--b', '2', '--input', 'data/house-prices/test.csv']);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    const differ = grove(['diff', '--model', 'house-price', '--a', '1', '--b', '2', '--input', 'data/house-prices/test.csv']);
    expect(differ.code).toBe(1);
    expect(differ.stdout).toContain('worst rows');
    expect(grove(['diff', '--model', 'house-price', '--a', '1']).code).toBe(2);
  });
});
