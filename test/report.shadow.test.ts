/**
 * `grove shadow-report` on a synthetic prediction log with known differences: 300 paired requests
 * (the candidate answers live × 1.2 for every third one), 30 live rows that were not shadowed, 5
 * shadow rows whose live row is missing, 4 rows the candidate refused, plus records that must be
 * ignored (canary, pinned, another model). The summary numbers are checked exactly, the HTML page
 * for its plots, and --since / --until windows.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPredictionLog, type PredictionRecord } from '../src/monitoring/prediction-log.js';
import { runShadowReport } from '../src/cli/shadow-report.js';
import { UsageError } from '../src/cli/usage.js';
import type { CliIO } from '../src/cli/main.js';
import type { ShadowReport } from '../src/report/summary.js';
import { parseTimeArg } from '../src/report/time.js';
import { histogram, scatterSvg, subsample, uniformEdges } from '../src/report/svg.js';
import { relChangeEdges } from '../src/report/html.js';
import { anyPostgresUnavailable, startPostgres, type PgServer } from './helpers/postgres.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'grove.js');
const WIRED = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').includes('runShadowReport');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command in-process with collecting streams; errors map to exit codes as in main(). */
async function shadowReport(argv: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdin: Readable.from([]),
    stdout: new Writable({ write: (c, _e, cb) => ((stdout += String(c)), cb()) }),
    stderr: new Writable({ write: (c, _e, cb) => ((stderr += String(c)), cb()) }),
  };
  let code: number;
  try {
    code = await runShadowReport(argv, io);
  } catch (err) {
    stderr += `grove shadow-report: ${(err as Error).message.split('\n')[0]}\n`;
    code = err instanceof UsageError ? 2 : 1;
  }
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'grove-shadow-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const LOG = `sqlite:${join(dir, 'predictions.sqlite')}`;
/** Two hours ago, whole seconds: the traffic spans the 50 minutes after it. */
const T0 = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
const live = (i: number): number => 100_000 + 1000 * i;

function rec(over: Partial<PredictionRecord> & Pick<PredictionRecord, 'requestId' | 'role' | 'version' | 'timestamp'>): PredictionRecord {
  return { row: 0, model: 'house-price', input: { LotArea: 8450 }, inputHash: null, outputs: [0], latencyUs: 100, error: null, ...over };
}

/** The synthetic traffic, written to the log at `url`. */
async function writeSyntheticLog(url: string): Promise<void> {
  const records: PredictionRecord[] = [];
  // 300 paired requests, one every 10 s; every third moves by +20 %.
  for (let i = 0; i < 300; i++) {
    const ts = T0 + i * 10_000;
    records.push(rec({ requestId: `r${i}`, role: 'live', version: 1, timestamp: ts, outputs: [live(i)] }));
    records.push(rec({ requestId: `r${i}`, role: 'shadow', version: 2, timestamp: ts + 50, outputs: [i % 3 === 0 ? live(i) * 1.2 : live(i)] }));
  }
  // 30 live rows not shadowed (sampled out), every 100 s from +5 s.
  for (let j = 0; j < 30; j++) records.push(rec({ requestId: `u${j}`, role: 'live', version: 1, timestamp: T0 + j * 100_000 + 5000, outputs: [123_456] }));
  // 5 shadow rows without their live row (the live record was dropped), every 600 s from +7 s.
  for (let k = 0; k < 5; k++) records.push(rec({ requestId: `o${k}`, role: 'shadow', version: 2, timestamp: T0 + k * 600_000 + 7000, outputs: [200_000] }));
  // 4 rows the candidate refused, every 900 s from +3 s.
  for (let m = 0; m < 4; m++) {
    const ts = T0 + m * 900_000 + 3000;
    records.push(rec({ requestId: `e${m}`, role: 'live', version: 1, timestamp: ts, outputs: [150_000] }));
    records.push(rec({ requestId: `e${m}`, role: 'shadow', version: 2, timestamp: ts + 40, outputs: [], error: "BsmtQual: unseen category 'Po'" }));
  }
  // Ignored: canary and pinned answers, and another model's pairs.
  records.push(rec({ requestId: 'c0', role: 'canary', version: 2, timestamp: T0 + 1000, outputs: [1] }));
  records.push(rec({ requestId: 'p0', role: 'pinned', version: 1, timestamp: T0 + 2000, outputs: [1] }));
  records.push(rec({ requestId: 'x0', model: 'other', role: 'live', version: 1, timestamp: T0 + 3000, outputs: [1] }));
  records.push(rec({ requestId: 'x0', model: 'other', role: 'shadow', version: 2, timestamp: T0 + 3050, outputs: [5] }));
  // A model with live rows only (shadow mode never on).
  records.push(rec({ requestId: 'l0', model: 'live-only', role: 'live', version: 1, timestamp: T0 + 4000, outputs: [1] }));
  const log = await openPredictionLog(url, { thread: 'main', requireReady: true });
  log.append(records);
  await log.flush();
  expect(log.stats()).toMatchObject({ dropped: 0, written: records.length });
  await log.close();
}

beforeAll(() => writeSyntheticLog(LOG));

async function jsonReport(extra: string[] = [], url = LOG): Promise<ShadowReport> {
  const r = await shadowReport(['--model', 'house-price', '--log', url, '--json', ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as ShadowReport;
}

describe('grove shadow-report', () => {
  it('pairs live and shadow rows and computes the summary exactly', async () => {
    const rep = await jsonReport();
    expect(rep.liveRows).toBe(300 + 30 + 4);
    expect(rep.shadowRows).toBe(300 + 5 + 4);
    expect(rep.groups).toHaveLength(1);
    const g = rep.groups[0];
    expect(g).toMatchObject({ liveVersion: 1, candidateVersion: 2, pairs: 300, shadowErrors: 4, liveErrors: 0, bothRefused: 0, nonFinite: 0 });
    expect(g.moved).toMatchObject({ count: 100, up: 100, down: 0 });
    expect(g.moved.share).toBeCloseTo(1 / 3, 12);
    expect(g.agreement.count).toBe(200); // rel_tol 0.1: the unchanged rows
    expect(g.shadowErrorReasons).toEqual([{ reason: "BsmtQual: unseen category 'Po'", count: 4 }]);
    expect(g.relDiff.p50).toBe(0);
    expect(g.relDiff.max).toBeCloseTo(0.2, 12);
    expect(g.relDiff.mean).toBeCloseTo(0.2 / 3, 12);
    // The largest absolute move: row 297 (live 397000, +20 %).
    expect(g.absDiff.max).toBeCloseTo(0.2 * live(297), 6);
    expect(g.live.mean).toBeCloseTo(100_000 + 1000 * 149.5, 6);
    expect(g.firstTs).toBe(T0);
    expect(g.lastTs).toBe(T0 + 299 * 10_000);
    expect(rep.unpairedLive).toEqual({ total: 30, byVersion: { '1': 30 }, inShadowedRequests: 0 });
    expect(rep.unpairedShadow).toEqual({ total: 5, byCandidate: { '2': 5 } });
  });

  it('prints a text summary with the pairs, versions, the share moving > 10 % and the unpaired counts', async () => {
    const r = await shadowReport(['--model', 'house-price', '--log', LOG]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('live v1 vs candidate v2: 300 pairs');
    expect(r.stdout).toMatch(/moves by more than 10%: 100 of 300 \(33\.3%\) — 100 up, 0 down/);
    expect(r.stdout).toContain('agreement within rel_tol 0.1, abs_tol 0: 200 of 300 (66.7%)');
    expect(r.stdout).toContain('candidate refused (shadow errors): 4');
    expect(r.stdout).toContain('live rows without a shadow row: 30');
    expect(r.stdout).toContain('shadow rows whose live row is missing: 5');
    expect(r.stdout).toMatch(/relative\s+6\.67%\s+0%\s+20\.0%\s+20\.0%\s+20\.0%/);
  });

  it('writes a self-contained HTML page with the plots', async () => {
    const file = join(dir, 'out', 'report.html');
    const r = await shadowReport(['--model', 'house-price', '--log', LOG, '--html', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(file);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const svgs = html.match(/<svg\b/g) ?? [];
    expect(svgs.length).toBeGreaterThanOrEqual(3);
    // scatter: one point per pair; histogram bars; two distribution areas; the y = x line
    expect((html.match(/<circle\b/g) ?? []).length).toBe(300);
    expect((html.match(/class="bar"/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect((html.match(/class="series"/g) ?? []).length).toBe(2);
    expect(html).toContain('class="identity"');
    expect(html).toContain('33.3% of rows move by more than 10%');
    // header: model, versions, time range, counts
    expect(html).toContain('Shadow report: house-price');
    expect(html).toContain('live v1 → candidate v2');
    expect(html).toContain(new Date(T0).toISOString());
    expect(html).toContain('334 live, 309 shadow, 300 pairs');
    // nothing external
    expect(html).not.toMatch(/<script|<link|\bsrc=|href="http/i);
  });

  it('--since keeps the window by the live row, pairing a shadow row just after the start with its live row before it', async () => {
    const since = new Date(T0 + 1_500_000); // request 150 onwards
    const rep = await jsonReport(['--since', since.toISOString()]);
    const g = rep.groups[0];
    expect(g.pairs).toBe(150);
    expect(g.moved.count).toBe(50);
    expect(g.shadowErrors).toBe(2); // refused at +1803 s and +2703 s
    expect(rep.unpairedLive.total).toBe(15); // +1505 s .. +2905 s
    expect(rep.unpairedShadow.total).toBe(2); // +1807 s, +2407 s
    expect(rep.since).toBe(since.toISOString());

    // Between request 150's live row (+1500 s) and its shadow row (+1500.05 s): the pair is not in
    // the window, and its shadow row is not an orphan either.
    const mid = await jsonReport(['--since', new Date(T0 + 1_500_010).toISOString()]);
    expect(mid.groups[0].pairs).toBe(149);
    expect(mid.unpairedShadow.total).toBe(2);

    const until = await jsonReport(['--until', new Date(T0 + 1_000_000).toISOString()]);
    expect(until.groups[0].pairs).toBe(100);
    expect(until.groups[0].moved.count).toBe(34); // 0, 3, ..., 99
    expect(until.unpairedLive.total).toBe(10);
    expect(until.unpairedShadow.total).toBe(2); // +7 s, +607 s
  });

  it('accepts relative durations and fails clearly when the window has no records or no pairs', async () => {
    expect((await jsonReport(['--since', '3h'])).groups[0].pairs).toBe(300);
    const empty = await shadowReport(['--model', 'house-price', '--log', LOG, '--since', '30m']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no records of model 'house-price'/);
    const unknown = await shadowReport(['--model', 'nope', '--log', LOG]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no records of model 'nope'/);
    const liveOnly = await shadowReport(['--model', 'live-only', '--log', LOG]);
    expect(liveOnly.code).toBe(1);
    expect(liveOnly.stdout).toContain('live rows without a shadow row: 1');
    expect(liveOnly.stderr).toMatch(/no live\/shadow pairs for model 'live-only'.*1 live rows, 0 shadow rows/);
  });

  it('fails with the reason when the log does not exist, and refuses bad flags with exit 2', async () => {
    const missing = await shadowReport(['--model', 'house-price', '--log', `sqlite:${join(dir, 'nope.sqlite')}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/prediction log not found/);
    for (const argv of [
      ['--log', LOG],
      ['--model', 'house-price', '--log', LOG, '--since', 'yesterday'],
      ['--model', 'house-price', '--log', LOG, '--rel-tol', '-1'],
      ['--model', 'house-price', '--log', LOG, '--bogus'],
      ['--model', 'house-price', '--log', LOG, '--since', '1h', '--until', '2h'],
    ]) {
      const r = await shadowReport(argv);
      expect(r.code, argv.join(' ')).toBe(2);
    }
  });

  it.skipIf(!WIRED)('runs as `grove shadow-report` from bin/grove.js', () => {
    const file = join(dir, 'bin-report.html');
    const r = spawnSync(process.execPath, [BIN, 'shadow-report', '--model', 'house-price', '--log', LOG, '--html', file], { encoding: 'utf8' });
    expect(r.stderr).toContain(file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('live v1 vs candidate v2: 300 pairs');
    expect(existsSync(file)).toBe(true);
    const bad = spawnSync(process.execPath, [BIN, 'shadow-report', '--log', LOG], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});

const noPostgres = anyPostgresUnavailable();
if (noPostgres) console.warn(`shadow-report PostgreSQL test skipped: ${noPostgres}`);

describe.skipIf(noPostgres !== null)('grove shadow-report on a PostgreSQL prediction log', () => {
  let pg: PgServer | null = null;
  let url = '';
  beforeAll(async () => {
    pg = await startPostgres({ control: false });
    url = await pg.createDatabase();
    await writeSyntheticLog(url);
  });
  afterAll(async () => {
    if (pg && !pg.external) await pg.destroy();
  });

  it('reads the same pairs and numbers as from SQLite', async () => {
    const rep = await jsonReport([], url);
    expect(rep.groups[0]).toMatchObject({ pairs: 300, shadowErrors: 4, moved: { count: 100, up: 100, down: 0 }, agreement: { count: 200 } });
    expect(rep.unpairedLive.total).toBe(30);
    expect(rep.unpairedShadow.total).toBe(5);
    const since = await jsonReport(['--since', new Date(T0 + 1_500_000).toISOString()], url);
    expect(since.groups[0].pairs).toBe(150);
  });
});

describe('report building blocks', () => {
  it('parses ISO timestamps and durations back from now', () => {
    const now = Date.UTC(2025, 0, 31, 12, 0, 0);
    expect(parseTimeArg('1h', now)?.getTime()).toBe(now - 3_600_000);
    expect(parseTimeArg('30m', now)?.getTime()).toBe(now - 1_800_000);
    expect(parseTimeArg('2d', now)?.getTime()).toBe(now - 2 * 86_400_000);
    expect(parseTimeArg('1.5h', now)?.getTime()).toBe(now - 5_400_000);
    expect(parseTimeArg('2025-01-30T00:00:00Z', now)?.toISOString()).toBe('2025-01-30T00:00:00.000Z');
    expect(parseTimeArg('2025-01-30T00:00:00.250+01:00', now)?.toISOString()).toBe('2025-01-29T23:00:00.250Z');
    for (const bad of ['yesterday', '1 hour', '-1h', '2025-13-45', '']) expect(parseTimeArg(bad, now)).toBeNull();
  });

  it('subsamples a scatter to at most 5000 points, deterministically', () => {
    const n = 12_345;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from(x, (v) => v * (v % 7 === 0 ? 1.5 : 1));
    const a = scatterSvg({ title: 't', x, y, xLabel: 'x', yLabel: 'y', band: 0.1 });
    expect((a.match(/<circle\b/g) ?? []).length).toBe(5000);
    expect(scatterSvg({ title: 't', x, y, xLabel: 'x', yLabel: 'y', band: 0.1 })).toBe(a);
    const idx = subsample(n, 5000);
    expect(idx[0]).toBe(0);
    expect(idx[4999]).toBeLessThan(n);
    expect(new Set(idx).size).toBe(5000);
  });

  it('bins relative changes with ±10 % on bin edges and counts every value once', () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 0.2 : i % 5 === 0 ? -0.05 : 0));
    const edges = relChangeEdges(values, 0.1);
    const w = edges[1] - edges[0];
    expect(Math.abs(0.1 / w - Math.round(0.1 / w))).toBeLessThan(1e-6);
    const h = histogram(values, edges);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(1000);
    const h2 = histogram(Float64Array.of(-5, 0, 5, NaN), uniformEdges(-1, 1, 4));
    expect([...h2.counts]).toEqual([1, 0, 1, 1]);
    expect(h2.below).toBe(1);
    expect(h2.above).toBe(1);
  });
});
