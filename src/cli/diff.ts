/**
 * grove diff: differential testing of two versions of a model on the same raw rows — a CSV, or
 * inputs replayed from the prediction log (live traffic samples). Each side is a registry version
 * number or a bundle directory, loaded and self-checked as the server would load it; rows go
 * through each version's pipeline, model and output stage. Exit 1 when the mismatch rate exceeds
 * --max-mismatch-rate (default 0: "identical within rel 1e-6, abs 1e-9").
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { loadBundle, LoadError, type LoadedBundle } from '../registry/bundle.js';
import { recordsFromCsv } from '../pipeline/index.js';
import { redactUrl, streamPredictions, type LogQuery } from '../monitoring/prediction-log.js';
import type { RawRecord } from '../formats/records.js';
import { compareScored, formatDiff, scoreRecords, type DiffHeader } from '../report/diff.js';
import { parseTimeArg, TIME_ARG_HELP } from '../report/time.js';
import { UsageError, intFlag } from './usage.js';
import type { CliIO } from './main.js';

export const DIFF_USAGE = `grove diff --a VERSION|BUNDLE_DIR --b VERSION|BUNDLE_DIR [--model NAME] [--models DIR]
           (--input CSV|- | --log URL [--since T] [--until T] [--limit N])
           [--rel-tol X] [--abs-tol Y] [--max-mismatch-rate R] [--id-column NAME] [--worst N]
           [--engine native|reference] [--json]

  Scores the same raw rows with both versions (pipeline + model + output stage) and compares them:
  a row mismatches when |a - b| > abs_tol + rel_tol*|a| (defaults 1e-9, 1e-6) or when only one
  side refuses it. VERSION = models/NAME/VERSION under --models (default ./models; needs --model).
  --log replays the inputs the server logged (sqlite:PATH | postgres://...), --limit rows (default
  100000). Exit 1 when mismatches/rows > --max-mismatch-rate (default 0), 0 otherwise.
`;

/** A non-negative finite number flag, or a UsageError naming it. */
export function numberFlag(name: string, value: string | undefined, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) {
    throw new UsageError(`--${name} expects a number ${max === Infinity ? '>= 0' : `in [0, ${max}]`}, got '${value}'`);
  }
  return n;
}

/** A time flag (ISO timestamp or duration back from now), or a UsageError naming it. */
export function timeFlag(name: string, value: string | undefined, now: number): Date | null {
  if (value === undefined) return null;
  const d = parseTimeArg(value, now);
  if (!d) throw new UsageError(`--${name} expects ${TIME_ARG_HELP}, got '${value}'`);
  return d;
}

interface Side {
  /** As given on the command line. */
  spec: string;
  dir: string;
  name: string;
  version: number;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A version number (models/<model>/<N> under the models root) or a bundle directory. */
async function resolveSide(flag: 'a' | 'b', spec: string, model: string | undefined, modelsDir: string): Promise<Side> {
  if (/^\d+$/.test(spec)) {
    if (!model) throw new UsageError(`--${flag} ${spec} is a version number: give --model NAME (or a bundle directory)`);
    const version = Number(spec);
    const dir = resolve(modelsDir, model, String(version));
    if (!(await isDirectory(dir))) throw new Error(`--${flag} ${spec}: no bundle directory ${join(modelsDir, model, String(version))}`);
    return { spec, dir, name: model, version };
  }
  const dir = resolve(spec);
  if (!(await isDirectory(dir))) throw new Error(`--${flag} ${spec}: not a version number or a bundle directory`);
  // The manifest says which model and version the bundle holds (a copy may live anywhere).
  let name = basename(dirname(dir));
  let version = Number(basename(dir));
  try {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { name?: unknown; version?: unknown };
    if (typeof m.name === 'string') name = m.name;
    if (typeof m.version === 'number') version = m.version;
  } catch {
    // loadBundle reports the problem precisely.
  }
  return { spec, dir, name, version };
}

async function load(flag: 'a' | 'b', side: Side, engine: 'native' | 'reference'): Promise<LoadedBundle> {
  try {
    return await loadBundle(side.dir, { name: side.name, version: side.version }, { engine });
  } catch (err) {
    const step = err instanceof LoadError ? `${err.step}: ` : '';
    throw new Error(`cannot load --${flag} ${side.spec}: ${step}${(err as Error).message}`, { cause: err });
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

interface Rows {
  records: RawRecord[];
  ids: (string | null)[] | null;
  idLabel: string | null;
  description: string;
  notes: string[];
}

async function csvRows(input: string, idColumn: string | undefined, io: CliIO): Promise<Rows> {
  const text = input === '-' ? await readAll(io.stdin) : await readFile(input, 'utf8');
  let cells: string[][];
  try {
    cells = parseCsv(text, { bom: true, skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new Error(`${input === '-' ? 'stdin' : input}: not valid CSV: ${(err as Error).message}`);
  }
  if (cells.length < 2) throw new Error(`${input === '-' ? 'stdin' : input}: no data rows`);
  const header = cells[0].map((h) => h.trim());
  const body = cells.slice(1);
  let idIdx = -1;
  if (idColumn !== undefined) {
    idIdx = header.indexOf(idColumn);
    if (idIdx < 0) throw new Error(`--id-column ${idColumn}: no such column in ${input === '-' ? 'stdin' : input}`);
  } else {
    idIdx = header.findIndex((h) => h.toLowerCase() === 'id');
  }
  return {
    records: recordsFromCsv(header, body),
    ids: idIdx >= 0 ? body.map((r) => r[idIdx] ?? null) : null,
    idLabel: idIdx >= 0 ? header[idIdx] : null,
    description: `${input === '-' ? 'stdin' : input} (${body.length} rows)`,
    notes: [],
  };
}

/** Distinct logged inputs (one per request and row, whatever roles logged it), oldest first. */
async function logRows(url: string, model: string, since: Date | null, until: Date | null, limit: number): Promise<Rows> {
  const q: LogQuery = { model };
  if (since) q.since = since;
  if (until) q.until = until;
  const seen = new Set<string>();
  const records: RawRecord[] = [];
  const ids: string[] = [];
  let scanned = 0;
  let withoutInput = 0;
  for await (const r of streamPredictions(url, q)) {
    scanned++;
    const key = `${r.row}\0${r.requestId}`;
    if (seen.has(key)) continue;
    if (r.input === null) {
      withoutInput++;
      continue;
    }
    seen.add(key);
    records.push(r.input);
    ids.push(`${r.requestId}:${r.row}`);
    if (records.length >= limit) break;
  }
  if (records.length === 0) {
    throw new Error(
      `no logged inputs of model '${model}' in ${redactUrl(url)}` +
        (withoutInput ? ` (${withoutInput} records without a stored input: the server ran with --no-log-inputs)` : ''),
    );
  }
  const window = since || until ? `, ${since ? since.toISOString() : 'start'} .. ${until ? until.toISOString() : 'now'}` : '';
  const notes: string[] = [];
  if (records.length >= limit) notes.push(`(stopped at --limit ${limit} rows)`);
  if (withoutInput) notes.push(`(${withoutInput} logged rows had no stored input and were skipped)`);
  return {
    records,
    ids,
    idLabel: 'request:row',
    description: `prediction log ${redactUrl(url)}${window}: ${records.length} distinct logged rows (of ${scanned} records read)`,
    notes,
  };
}

export async function runDiff(argv: string[], io: CliIO): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        models: { type: 'string' },
        a: { type: 'string' },
        b: { type: 'string' },
        input: { type: 'string' },
        log: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
        'rel-tol': { type: 'string' },
        'abs-tol': { type: 'string' },
        'max-mismatch-rate': { type: 'string' },
        'id-column': { type: 'string' },
        worst: { type: 'string' },
        engine: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (v.a === undefined || v.b === undefined) throw new UsageError('give both --a and --b (a version number or a bundle directory)');
  if ((v.input === undefined) === (v.log === undefined)) throw new UsageError('give exactly one of --input CSV or --log URL');
  if (v.input !== undefined && (v.since !== undefined || v.until !== undefined || v.limit !== undefined)) {
    throw new UsageError('--since, --until and --limit go with --log, not --input');
  }
  const engine = v.engine ?? 'native';
  if (engine !== 'native' && engine !== 'reference') throw new UsageError(`--engine must be native or reference, got '${engine}'`);
  const relTol = numberFlag('rel-tol', v['rel-tol']) ?? 1e-6;
  const absTol = numberFlag('abs-tol', v['abs-tol']) ?? 1e-9;
  const maxRate = numberFlag('max-mismatch-rate', v['max-mismatch-rate'], 1) ?? 0;
  const worst = intFlag('worst', v.worst, 0) ?? 10;
  const limit = intFlag('limit', v.limit, 1) ?? 100_000;
  const now = Date.now();
  const since = timeFlag('since', v.since, now);
  const until = timeFlag('until', v.until, now);
  const modelsDir = v.models ?? (process.env.GROVE_MODELS || './models');

  const sideA = await resolveSide('a', v.a, v.model, modelsDir);
  const sideB = await resolveSide('b', v.b, v.model, modelsDir);
  const model = v.model ?? sideA.name;
  const rows = v.input !== undefined ? await csvRows(v.input, v['id-column'], io) : await logRows(v.log as string, model, since, until, limit);

  const a = await load('a', sideA, engine);
  let b: LoadedBundle | null = null;
  try {
    b = await load('b', sideB, engine);
    const scoredA = await scoreRecords(a.scorer, rows.records);
    const scoredB = await scoreRecords(b.scorer, rows.records);
    const summary = compareScored(scoredA, scoredB, rows.ids, { relTol, absTol, maxMismatchRate: maxRate, worst });
    if (summary.rows === 0) throw new Error('no rows to compare');
    const label = (s: Side, l: LoadedBundle): string => `${s.name} v${s.version} (${s.spec === String(s.version) ? join(modelsDir, model, s.spec) : s.spec}; ${l.model.formatDetail})`;
    const header: DiffHeader = { a: label(sideA, a), b: label(sideB, b), input: rows.description, idLabel: rows.idLabel, notes: rows.notes };
    if (v.json) {
      io.stdout.write(
        JSON.stringify(
          {
            model,
            a: { spec: sideA.spec, dir: sideA.dir, name: sideA.name, version: sideA.version, fingerprint: a.fingerprint },
            b: { spec: sideB.spec, dir: sideB.dir, name: sideB.name, version: sideB.version, fingerprint: b.fingerprint },
            input: rows.description,
            idColumn: rows.idLabel,
            ...summary,
          },
          (_k, val: unknown) => (typeof val === 'number' && !Number.isFinite(val) ? (Number.isNaN(val) ? null : String(val)) : val),
          2,
        ) + '\n',
      );
    } else {
      io.stdout.write(formatDiff(summary, header));
    }
    if (!summary.pass) {
      io.stderr.write(
        `grove diff: ${summary.mismatches} of ${summary.rows} rows mismatch (rate ${summary.mismatchRate} > --max-mismatch-rate ${maxRate})\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    a.model.dispose();
    b?.model.dispose();
  }
}
