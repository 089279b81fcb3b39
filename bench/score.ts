/**
 * `npm run bench:score [-- --quick]`: scoring throughput and latency of grove's engines against
 * XGBoost's own `inplace_predict`, on the same models and rows. See bench/README.md.
 *
 *  - models: bench/make_models.py (python3-xgboost, fixed seeds, nthread 1) generates a 1000-tree
 *    depth-8 and a 500-tree depth-6 model plus a 100k x 50 float32 matrix into bench/models/ on first run;
 *  - correctness first: per model, native vs reference margins must be identical, predictAsync must equal
 *    predict, and both must match XGBoost's margins; a failing engine's figures are marked invalid and
 *    the process exits 1;
 *  - throughput: rows/s at batch 1, 16, 256, 4096, 100k for native predict (1 thread), native
 *    predictAsync (all threads), the reference engine (rows per call capped by time) and XGBoost
 *    inplace_predict with nthread=1 and nthread=all (bench/xgb_inplace.py, same timing loop);
 *  - latency: batch-1 median and p99 for the 500-tree depth-6 model;
 *  - bars: native batch-1 median <= 10 µs (500x6) and native-1-thread / XGBoost-nthread-1 >= 3x at
 *    batch >= 256 (1000x8);
 *  - writes bench/results/score-<timestamp>.json (machine, config, every repetition).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { machineInfo } from './lib/machine.js';
import { findPython, prepareModelSet, type BenchModel, type BenchSet, type PythonInfo } from './lib/models.js';
import { diff, type Diff } from './lib/stats.js';
import { formatError, formatRate, formatRatio, formatUs, renderTable } from './lib/table.js';
import {
  asyncRunner,
  measureCell,
  measureLatency,
  syncRunner,
  type CellConfig,
  type CellResult,
  type LatencyResult,
  type Runner,
} from './lib/timing.js';

type Grove = typeof import('../src/model.js');
type Model = import('../src/model.js').Model;
type ModelIR = import('../src/formats/ir.js').ModelIR;

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH_DIR);

const HELP = `npm run bench:score [-- options]

  --quick          tiny smoke run (< 30 s): small models in bench/models/quick, batches up to 4096
  --no-xgboost     do not time XGBoost (python3-xgboost) even if installed
  --no-reference   do not time the reference engine (correctness checks still use it)
  --regenerate     regenerate the models with bench/make_models.py even if they look current
  --out FILE       write the JSON there instead of bench/results/score-<timestamp>.json
  --strict         exit 2 when a bar (latency <= 10 µs, >= 3x XGBoost) is missed
  --help

Environment: GROVE_BENCH_PYTHON=/path/to/python3 picks the Python that has xgboost.`;

interface Args {
  quick: boolean;
  xgboost: boolean;
  reference: boolean;
  regenerate: boolean;
  strict: boolean;
  out: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, xgboost: true, reference: true, regenerate: false, strict: false, out: null };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '--quick') a.quick = true;
    else if (s === '--no-xgboost') a.xgboost = false;
    else if (s === '--no-reference') a.reference = false;
    else if (s === '--regenerate') a.regenerate = true;
    else if (s === '--strict') a.strict = true;
    else if (s === '--out') a.out = argv[++i] ?? null;
    else if (s === '--help' || s === '-h') {
      console.log(HELP);
      process.exit(0);
    } else {
      console.error(`unknown option ${s}\n\n${HELP}`);
      process.exit(64);
    }
  }
  return a;
}

interface RunConfig {
  batches: number[];
  cell: CellConfig;
  /** The reference engine is 2-3 orders of magnitude slower: shorter calls, fewer seconds per cell. */
  referenceCell: CellConfig;
  latencySeconds: number;
  referenceLatencySeconds: number;
  latencyMaxCalls: number;
  /** Rows for the predictAsync-vs-predict check (large enough to use several threads). */
  asyncCheckRows: number;
}

function runConfig(quick: boolean): RunConfig {
  if (quick) {
    const cell = { target: 0.15, reps: 3, minReps: 3, warm: 0.02, maxCell: 0.5, maxCall: 2 };
    return {
      batches: [1, 16, 256, 4096],
      cell,
      referenceCell: { ...cell, maxCall: 0.03, maxCell: 0.1 },
      latencySeconds: 0.1,
      referenceLatencySeconds: 0.05,
      latencyMaxCalls: 20_000,
      asyncCheckRows: 8192,
    };
  }
  // A call may take at most 5 s (the reference: 1 s): beyond that the call scores fewer rows and the
  // cell is marked capped. Here that caps only XGBoost nthread=1 at 100k rows on the 1000x8 model
  // (~10 s per call); rows/s is flat from 4096 rows up, so the figure is unchanged, the run 1 minute shorter.
  const cell = { target: 0.6, reps: 5, minReps: 3, warm: 0.1, maxCell: 10, maxCall: 5 };
  return {
    batches: [1, 16, 256, 4096, 100_000],
    cell,
    referenceCell: { ...cell, maxCall: 1, maxCell: 3 },
    latencySeconds: 1,
    referenceLatencySeconds: 0.3,
    latencyMaxCalls: 500_000,
    asyncCheckRows: 20_000,
  };
}

type EngineId = 'native-1t' | 'native-async' | 'reference' | 'xgboost-1t' | 'xgboost-all';

interface EngineCells {
  engine: EngineId;
  label: string;
  threads: number | 'all';
  /** False when this engine's correctness check failed: its figures must not be quoted. */
  valid: boolean;
  cells: CellResult[];
}

interface CheckResult {
  name: string;
  rows: number;
  /** Require bit-identical values (engine vs engine) or agreement within `tolerance` (vs XGBoost). */
  exact: boolean;
  tolerance: number;
  diff: Diff;
  ok: boolean;
}

interface ModelReport {
  name: string;
  role: BenchModel['role'];
  file: string;
  trees: number;
  maxDepth: number;
  nodes: number | null;
  formatDetail: string | null;
  loadMs: number | null;
  checks: CheckResult[];
  engines: EngineCells[];
  latency: { engine: EngineId; label: string; result: LatencyResult }[];
  notes: string[];
}

const log = (msg: string) => process.stderr.write(msg + '\n');

/** Depth of the deepest leaf over all trees (root = depth 0). */
function deepestLeaf(ir: import('../src/formats/ir.js').ForestIR): number {
  let max = 0;
  const depth = new Int32Array(ir.trees.nodeOffset[ir.trees.count]);
  for (let t = 0; t < ir.trees.count; t++) {
    const base = ir.trees.nodeOffset[t];
    const end = ir.trees.nodeOffset[t + 1];
    depth[base] = 0;
    // Children may precede or follow their parent: walk from the root with an explicit stack.
    const stack = [0];
    while (stack.length) {
      const n = stack.pop()!;
      const g = base + n;
      const l = ir.nodes.left[g];
      if (l < 0) {
        if (depth[g] > max) max = depth[g];
        continue;
      }
      for (const c of [l, ir.nodes.right[g]]) {
        if (c >= 0 && base + c < end) {
          depth[base + c] = depth[g] + 1;
          stack.push(c);
        }
      }
    }
  }
  return max;
}

function check(name: string, got: Float64Array, want: Float64Array, exact: boolean): CheckResult {
  const d = diff(got, want);
  let scale = 1;
  for (let i = 0; i < want.length; i++) if (Math.abs(want[i]) > scale) scale = Math.abs(want[i]);
  // vs XGBoost: both accumulate float32 in tree order, so agreement is expected to be exact;
  // allow a few float32 ulps of the largest margin before calling it wrong.
  const tolerance = exact ? 0 : 4 * 2 ** -23 * scale;
  const ok = exact ? d.mismatches === 0 : d.maxAbs <= tolerance;
  return { name, rows: want.length, exact, tolerance, diff: d, ok };
}

interface XgbOutput {
  xgboostVersion: string;
  cpuCount: number;
  cells: (CellResult & { threads: number })[];
  latency?: LatencyResult & { threads: number };
  checkMargins?: number[];
}

function runXgboost(
  python: PythonInfo,
  set: BenchSet,
  model: BenchModel,
  cfg: RunConfig,
  threadsAll: number,
  latency: boolean,
): XgbOutput {
  const c = cfg.cell;
  const args = [
    join(BENCH_DIR, 'xgb_inplace.py'),
    '--model', model.file,
    '--data', join(set.dir, 'data.f32'),
    '--cols', String(set.cols),
    '--batches', cfg.batches.join(','),
    '--threads', [...new Set([1, threadsAll])].join(','),
    '--target', String(c.target),
    '--reps', String(c.reps),
    '--min-reps', String(c.minReps),
    '--warm', String(c.warm),
    '--max-cell', String(c.maxCell),
    '--max-call', String(c.maxCall),
    '--latency-seconds', String(latency ? cfg.latencySeconds : 0),
    '--latency-max-calls', String(cfg.latencyMaxCalls),
    '--check-rows', String(set.checkRows),
  ];
  const r = spawnSync(python.exe, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`bench/xgb_inplace.py failed (exit ${r.status ?? r.signal})`);
  return JSON.parse(r.stdout) as XgbOutput;
}

async function runEngineCells(
  label: string,
  makeRunner: (rows: number) => Runner,
  batches: number[],
  cfg: CellConfig,
): Promise<CellResult[]> {
  const out: CellResult[] = [];
  let hint: number | null = null;
  for (const b of batches) {
    const r = await measureCell(makeRunner, b, cfg, hint);
    // Seconds per row only fall with batch size: the fastest rate so far is the best guess for the next.
    hint = Math.min(hint ?? Infinity, 1 / r.rowsPerSec);
    out.push(r);
    log(
      `  ${label} batch=${b}: ${formatRate(r.rowsPerSec)} rows/s` +
        `${r.capped ? ` (capped at ${r.rows} rows/call)` : ''}, ${r.reps.length} reps, spread ${(r.spread * 100).toFixed(0)}%`,
    );
  }
  return out;
}

async function benchModel(
  grove: Grove,
  readModelFile: (path: string) => Promise<ModelIR>,
  set: BenchSet,
  bm: BenchModel,
  cfg: RunConfig,
  args: Args,
  python: PythonInfo | null,
  threadsAll: number,
): Promise<ModelReport> {
  const rep: ModelReport = {
    name: bm.name,
    role: bm.role,
    file: relative(REPO, bm.file),
    trees: bm.trees,
    maxDepth: bm.maxDepth,
    nodes: bm.nodes,
    formatDetail: null,
    loadMs: null,
    checks: [],
    engines: [],
    latency: [],
    notes: [],
  };
  log(`\n== ${bm.name}: ${bm.trees} trees, max depth ${bm.maxDepth}`);
  const t0 = performance.now();
  const ir = await readModelFile(bm.file);
  rep.loadMs = performance.now() - t0;
  rep.formatDetail = ir.formatDetail;
  if (ir.kind === 'forest') {
    rep.trees = ir.trees.count;
    rep.nodes = ir.trees.nodeOffset[ir.trees.count];
    rep.maxDepth = deepestLeaf(ir);
  }
  const reference = grove.modelFromIR(ir, { engine: 'reference' });
  let native: Model | null = null;
  try {
    native = grove.modelFromIR(ir, { engine: 'native' });
  } catch (e) {
    rep.notes.push(`native engine unavailable: ${(e as Error).message}`);
  }
  log(`  read + validated in ${rep.loadMs.toFixed(0)} ms (${ir.formatDetail})`);

  // ---- correctness, before any timing ----
  const cols = set.cols;
  const nCheck = set.checkRows;
  const xCheck = set.data.subarray(0, nCheck * cols);
  const refMargins = reference.predict(xCheck, nCheck, { outputMargin: true });
  let nativeOk = native !== null;
  let referenceOk = true;
  if (native) {
    const nat = native.predict(xCheck, nCheck, { outputMargin: true });
    const c = check(`native vs reference margins, first ${nCheck} rows`, nat, refMargins, true);
    rep.checks.push(c);
    nativeOk &&= c.ok;
    const nAsync = Math.min(cfg.asyncCheckRows, set.rows);
    const xa = set.data.subarray(0, nAsync * cols);
    const sync = native.predict(xa, nAsync);
    const asyncOut = await native.predictAsync(xa, nAsync);
    const ca = check(`native predictAsync vs predict, first ${nAsync} rows`, asyncOut, sync, true);
    rep.checks.push(ca);
    nativeOk &&= ca.ok;
  }
  if (bm.expected) {
    const c = check(`reference vs ${bm.expectedSource}`, refMargins, bm.expected, false);
    rep.checks.push(c);
    referenceOk &&= c.ok;
    if (!c.ok) nativeOk = false; // the native engine is checked against the reference
  }
  for (const c of rep.checks) {
    log(
      `  check ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.diff.mismatches} differ, ` +
        `max abs ${formatError(c.diff.maxAbs)}, max rel ${formatError(c.diff.maxRel)}`,
    );
  }

  // ---- throughput ----
  if (native) {
    const nm = native;
    rep.engines.push({
      engine: 'native-1t',
      label: 'grove native predict (1 thread)',
      threads: 1,
      valid: nativeOk,
      cells: await runEngineCells(
        'native predict',
        (rows) => syncRunner((x, n) => nm.predict(x, n), set.data, cols, rows),
        cfg.batches,
        cfg.cell,
      ),
    });
    rep.engines.push({
      engine: 'native-async',
      label: `grove native predictAsync (all ${threadsAll} threads)`,
      threads: 'all',
      valid: nativeOk,
      cells: await runEngineCells(
        'native predictAsync',
        (rows) => asyncRunner((x, n) => nm.predictAsync(x, n), set.data, cols, rows),
        cfg.batches,
        cfg.cell,
      ),
    });
  }
  if (args.reference) {
    rep.engines.push({
      engine: 'reference',
      label: 'grove reference (TypeScript)',
      threads: 1,
      valid: referenceOk,
      cells: await runEngineCells(
        'reference',
        (rows) => syncRunner((x, n) => reference.predict(x, n), set.data, cols, rows),
        cfg.batches,
        cfg.referenceCell,
      ),
    });
  }

  // ---- batch-1 latency (the latency model; the only model in the fixture fallback) ----
  const wantLatency = bm.role === 'latency' || !set.models.some((m) => m.role === 'latency');
  if (wantLatency) {
    if (native) {
      const nm = native;
      rep.latency.push({
        engine: 'native-1t',
        label: 'grove native predict',
        result: measureLatency((x, n) => nm.predict(x, n), set.data, cols, cfg.latencySeconds, cfg.latencyMaxCalls),
      });
    }
    if (args.reference) {
      rep.latency.push({
        engine: 'reference',
        label: 'grove reference',
        result: measureLatency(
          (x, n) => reference.predict(x, n),
          set.data,
          cols,
          cfg.referenceLatencySeconds,
          cfg.latencyMaxCalls,
        ),
      });
    }
  }

  // ---- XGBoost, same files and rows ----
  if (python && args.xgboost && set.xgboostComparable) {
    log(`  XGBoost ${python.xgboost} inplace_predict (${python.exe}) ...`);
    let out: XgbOutput | null = null;
    try {
      out = runXgboost(python, set, bm, cfg, threadsAll, wantLatency);
    } catch (e) {
      rep.notes.push(`XGBoost not timed: ${(e as Error).message}`);
    }
    if (out) {
      const x = out;
      let xgbOk = true;
      if (x.checkMargins) {
        const who = native ? 'native' : 'reference';
        const c = check(
          `${who} vs XGBoost ${x.xgboostVersion} inplace_predict (this run), first ${nCheck} rows`,
          native ? native.predict(xCheck, nCheck, { outputMargin: true }) : refMargins,
          Float64Array.from(x.checkMargins),
          false,
        );
        rep.checks.push(c);
        xgbOk = c.ok;
        log(
          `  check ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: max abs ${formatError(c.diff.maxAbs)}, ` +
            `max rel ${formatError(c.diff.maxRel)}`,
        );
        if (!c.ok) {
          // Either side may be wrong: quote neither.
          for (const e of rep.engines) if (native ? e.engine.startsWith('native') : e.engine === 'reference') e.valid = false;
        }
      }
      for (const threads of [...new Set([1, threadsAll])]) {
        rep.engines.push({
          engine: threads === 1 ? 'xgboost-1t' : 'xgboost-all',
          label: `XGBoost ${x.xgboostVersion} inplace_predict nthread=${threads}`,
          threads,
          valid: xgbOk,
          cells: x.cells.filter((c) => c.threads === threads),
        });
      }
      if (x.latency) {
        rep.latency.push({
          engine: 'xgboost-1t',
          label: `XGBoost ${x.xgboostVersion} inplace_predict nthread=1`,
          result: x.latency,
        });
      }
    }
  }

  native?.dispose();
  reference.dispose();
  return rep;
}

function cellOf(rep: ModelReport, engine: EngineId, batch: number): CellResult | undefined {
  return rep.engines.find((e) => e.engine === engine)?.cells.find((c) => c.batch === batch);
}

/** a / b in rows/s at `batch` (wall clock, or rows per CPU second with `cpu`); NaN if either is missing or invalid. */
function ratio(rep: ModelReport, a: EngineId, b: EngineId, batch: number, cpu = false): number {
  const x = cellOf(rep, a, batch);
  const y = cellOf(rep, b, batch);
  const ea = rep.engines.find((e) => e.engine === a);
  const eb = rep.engines.find((e) => e.engine === b);
  if (!x || !y || !ea?.valid || !eb?.valid) return NaN;
  return cpu ? x.cpuRowsPerSec / y.cpuRowsPerSec : x.rowsPerSec / y.rowsPerSec;
}

function printModel(rep: ModelReport, cfg: RunConfig): string {
  const out: string[] = [];
  const nodes = rep.nodes !== null ? `, ${rep.nodes.toLocaleString('en-US')} nodes` : '';
  out.push(
    `${rep.name}: ${rep.trees} trees, deepest leaf at depth ${rep.maxDepth}${nodes} ` +
      `(${rep.formatDetail ?? '?'}; read + validated in ${rep.loadMs?.toFixed(0) ?? '?'} ms)`,
  );
  const header = ['rows/s (median of reps)', ...cfg.batches.map((b) => `b=${b}`)];
  const rows: string[][] = [];
  const footnotes: string[] = [];
  for (const e of rep.engines) {
    const row = [e.label + (e.valid ? '' : '  [INVALID: failed check]')];
    for (const b of cfg.batches) {
      const c = e.cells.find((x) => x.batch === b);
      if (!c) {
        row.push('-');
        continue;
      }
      row.push(formatRate(c.rowsPerSec) + (c.capped ? '*' : '') + (e.valid ? '' : '!'));
    }
    rows.push(row);
    const capped = e.cells.filter((c) => c.capped);
    if (capped.length) {
      footnotes.push(
        `* ${e.label}: capped by time, scored ${[...new Set(capped.map((c) => c.rows))].join('/')} rows per call ` +
          `instead of the batch size (batches ${capped.map((c) => c.batch).join(', ')})`,
      );
    }
  }
  const ratios: [string, EngineId, EngineId, boolean][] = [
    ['native 1 thread / XGBoost nthread=1', 'native-1t', 'xgboost-1t', false],
    ['  same, per CPU second (less load-sensitive)', 'native-1t', 'xgboost-1t', true],
    ['native all threads / XGBoost nthread=all', 'native-async', 'xgboost-all', false],
    ['native 1 thread / reference', 'native-1t', 'reference', false],
  ];
  for (const [label, a, b, cpu] of ratios) {
    const vals = cfg.batches.map((batch) => ratio(rep, a, b, batch, cpu));
    if (vals.some((v) => Number.isFinite(v))) rows.push([label, ...vals.map(formatRatio)]);
  }
  out.push(renderTable(header, rows));
  out.push(...footnotes);
  const noisy = rep.engines.flatMap((e) => e.cells.filter((c) => c.spread > 0.25).map((c) => `${e.engine}@${c.batch}`));
  if (noisy.length) out.push(`noisy cells (repetitions spread > 25% of the median): ${noisy.join(', ')}`);
  if (rep.engines.some((e) => e.engine === 'native-async')) {
    out.push('predictAsync at small batches includes the promise round trip (it is meant for large batches).');
  }
  if (rep.latency.length) {
    out.push('');
    out.push(
      renderTable(
        [`batch-1 latency, ${rep.name}`, 'median µs', 'p99 µs', 'mean µs', 'calls'],
        rep.latency.map((l) => [
          l.label,
          formatUs(l.result.medianUs),
          formatUs(l.result.p99Us),
          formatUs(l.result.meanUs),
          String(l.result.calls),
        ]),
      ),
    );
    out.push(
      `(each call timed alone; the clock reads around it, included, cost ` +
        rep.latency.map((l) => `${formatUs(l.result.timerOverheadUs)} µs (${l.engine})`).join(', ') + ')',
    );
  }
  out.push('');
  out.push(
    renderTable(
      ['correctness (margins)', 'values', 'differ', 'max abs', 'max rel', 'result'],
      rep.checks.map((c) => [
        c.name,
        String(c.rows),
        String(c.diff.mismatches),
        formatError(c.diff.maxAbs),
        formatError(c.diff.maxRel),
        c.ok ? (c.exact ? 'ok (bit-identical)' : `ok (<= ${formatError(c.tolerance)})`) : 'FAIL',
      ]),
    ),
  );
  for (const n of rep.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

interface Bar {
  name: string;
  bar: string;
  value: string;
  pass: boolean | null;
  detail: Record<string, unknown>;
}

function bars(reports: ModelReport[], quick: boolean, source: BenchSet['source']): Bar[] {
  const out: Bar[] = [];
  const lat = reports.find((r) => r.role === 'latency') ?? reports.find((r) => r.latency.length > 0);
  const nat = lat?.latency.find((l) => l.engine === 'native-1t');
  const natValid = lat?.engines.find((e) => e.engine === 'native-1t')?.valid ?? false;
  const meaningful = !quick && source === 'generated';
  out.push({
    name: `batch-1 latency, native predict, ${lat?.name ?? 'latency model'}`,
    bar: 'median <= 10 µs',
    value: nat ? `median ${formatUs(nat.result.medianUs)} µs, p99 ${formatUs(nat.result.p99Us)} µs` : 'not measured',
    pass: nat && natValid && meaningful ? nat.result.medianUs <= 10 : null,
    detail: nat ? { ...nat.result } : {},
  });
  const deep = reports.find((r) => r.role === 'deep');
  const big = deep ? [...new Set(deep.engines.flatMap((e) => e.cells.map((c) => c.batch)))].filter((b) => b >= 256) : [];
  const rs = deep ? big.map((b) => [b, ratio(deep, 'native-1t', 'xgboost-1t', b)] as const) : [];
  const rsCpu = deep ? big.map((b) => [b, ratio(deep, 'native-1t', 'xgboost-1t', b, true)] as const) : [];
  const finite = rs.filter(([, v]) => Number.isFinite(v));
  const min = finite.length ? Math.min(...finite.map(([, v]) => v)) : NaN;
  const cpuFinite = rsCpu.map(([, v]) => v).filter(Number.isFinite);
  const minCpu = cpuFinite.length ? Math.min(...cpuFinite) : NaN;
  out.push({
    name: `native 1 thread / XGBoost inplace_predict nthread=1, ${deep?.name ?? 'deep model'}, batch >= 256`,
    bar: '>= 3x at every batch >= 256',
    value: finite.length
      ? finite.map(([b, v]) => `${b}: ${formatRatio(v)}`).join(', ') +
        `; min ${formatRatio(min)} (per CPU second: min ${formatRatio(minCpu)})`
      : 'not measured',
    pass: finite.length && meaningful ? min >= 3 : null,
    detail: {
      wallClock: Object.fromEntries(rs.map(([b, v]) => [String(b), v])),
      cpuTime: Object.fromEntries(rsCpu.map(([b, v]) => [String(b), v])),
    },
  });
  return out;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const cfg = runConfig(args.quick);
  const started = new Date();
  const t0 = performance.now();
  const notes: string[] = [];
  const machine = machineInfo(REPO);
  const threadsAll = os.availableParallelism();
  log(
    `grove bench:score${args.quick ? ' --quick' : ''}: ${machine.cpuModel}, ${machine.cores} cores, ` +
      `Node ${machine.node}, load ${machine.loadAvg1}`,
  );

  // Python is looked for even with --no-xgboost: it generates the models.
  const python = findPython(notes);
  if (!args.xgboost) notes.push('XGBoost timing disabled (--no-xgboost)');
  const set = prepareModelSet({ repo: REPO, benchDir: BENCH_DIR, quick: args.quick, python, regenerate: args.regenerate, notes, log });
  if (!set) {
    log(
      'no benchmark models: python3-xgboost is needed to generate them (bench/make_models.py), ' +
        'or the fixture ' + join('test', 'fixtures', 'xgboost', 'big-benchmark-xgb3') + ' as a fallback.',
    );
    for (const n of notes) log(`note: ${n}`);
    return 1;
  }
  if (args.quick) {
    notes.push(
      set.source === 'generated'
        ? '--quick: small models (not the 1000x8 / 500x6 ones), short cells; the bars are not judged'
        : '--quick: short cells; the bars are not judged',
    );
  }

  let grove: Grove;
  let readModelFile: (path: string) => Promise<ModelIR>;
  try {
    grove = await import('../src/model.js');
    ({ readModelFile } = await import('../src/formats/read.js'));
  } catch (e) {
    log(`cannot load grove (src/model.ts): ${(e as Error).message}`);
    return 1;
  }

  const reports: ModelReport[] = [];
  for (const bm of set.models) {
    reports.push(await benchModel(grove, readModelFile, set, bm, cfg, args, python, threadsAll));
  }

  const loadAvgEnd = Math.round(os.loadavg()[0] * 100) / 100;
  if (Math.max(machine.loadAvg1, loadAvgEnd) > 0.75 * machine.cores) {
    notes.push(
      `busy machine: 1-minute load ${machine.loadAvg1} at start, ${loadAvgEnd} at end, on ${machine.cores} cores; ` +
        'figures (especially small batches, nthread=all and p99) are pessimistic',
    );
  }
  const barList = bars(reports, args.quick, set.source);
  const valid = reports.every((r) => r.checks.every((c) => c.ok));
  const seconds = (performance.now() - t0) / 1000;

  // ---- report ----
  const text: string[] = [];
  text.push('');
  text.push(
    `grove scoring benchmark — ${machine.cpuModel}, ${machine.cores} cores (${threadsAll} usable), Node ${machine.node}, ` +
      `commit ${machine.gitCommit?.slice(0, 12) ?? 'none'}${machine.gitDirty ? ' (dirty)' : ''}, ` +
      `load ${machine.loadAvg1} at start`,
  );
  text.push(
    `data: ${set.rows} x ${set.cols} float32 rows (${relative(REPO, set.dir)}); ` +
      `cells: median of ${cfg.cell.reps} repetitions of ~${(cfg.cell.target / cfg.cell.reps).toFixed(2)} s ` +
      `(at least ${cfg.cell.minReps}); calls capped at ${cfg.cell.maxCall} s (reference ${cfg.referenceCell.maxCall} s)` +
      (python && args.xgboost ? `; XGBoost ${python.xgboost} via ${python.exe}` : ''),
  );
  for (const r of reports) {
    text.push('');
    text.push(printModel(r, cfg));
  }
  text.push('');
  text.push(
    renderTable(
      ['bars', 'target', 'measured', 'result'],
      barList.map((b) => [b.name, b.bar, b.value, b.pass === null ? 'n/a' : b.pass ? 'PASS' : 'MISS']),
    ),
  );
  for (const n of notes) text.push(`note: ${n}`);
  if (!valid) text.push('\nINVALID: a correctness check failed; the figures marked ! must not be quoted.');
  text.push(`\ntotal ${seconds.toFixed(1)} s`);

  const result = {
    kind: 'grove-bench-score',
    schema: 1,
    startedAt: started.toISOString(),
    durationSeconds: seconds,
    quick: args.quick,
    argv: process.argv.slice(2),
    machine: { ...machine, loadAvg1End: loadAvgEnd },
    python: python && args.xgboost ? python : null,
    config: cfg,
    modelSet: { source: set.source, dir: relative(REPO, set.dir), rows: set.rows, cols: set.cols, checkRows: set.checkRows, manifest: set.manifest },
    models: reports,
    bars: barList,
    valid,
    notes,
  };
  const outPath =
    args.out ?? join(BENCH_DIR, 'results', `score-${args.quick ? 'quick-' : ''}${started.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, JSON.stringify(result, null, 1) + '\n');
  text.push(`results: ${relative(process.cwd(), outPath)}`);
  console.log(text.join('\n'));

  if (!valid) return 1;
  if (args.strict && barList.some((b) => b.pass === false)) return 2;
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
