/**
 * `npm run bench:grpc [-- --quick]`: unary Predict over gRPC, end to end, against the transport
 * ceiling.
 *
 *  - starts the real server (`node bin/grove.js serve --host 127.0.0.1 --port 0`, i.e. dist/) on a
 *    temporary model root holding one bundle made from a test fixture (default
 *    xgboost/binary-logistic-missing-xgb3: XGBoost 3.4.1 binary:logistic, 60 trees, 10 features),
 *    and bench/grpc-empty-server.ts (a grpc-js PredictionService whose Predict answers a fixed tiny
 *    response: the transport ceiling), each in a process of its own on a random loopback port;
 *  - a load generator (bench/grpc-load.ts) in a third process: one grpc-js channel per target,
 *    requests encoded once, a closed loop with N calls in flight, a warm-up, then a timed window;
 *  - cells: for N in 1, 16, 64: the empty server with the 1-row dense request, then grove with
 *    1-row dense, 1-row records, 100-row dense and 100-row records requests;
 *  - reports QPS, p50/p90/p99/max latency, the CPU used by the server and by the load generator
 *    (share of one core), and Predict QPS / ceiling QPS; checks the bars (1-row dense >= 0.8 of the
 *    ceiling and p99 <= 1 ms, at concurrency 16);
 *  - writes bench/results/grpc-<timestamp>.json; stops every child process at the end, on error
 *    and on SIGINT/SIGTERM.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { recordsInput } from '../src/client/client.js';
import type { PredictRequest } from '../src/generated/grove/v1/PredictRequest.js';
import type { RawRecord } from '../src/service/records.js';
import { makeBundle } from '../test/helpers/bundles.js';
import { machineInfo } from './lib/machine.js';
import { formatRate, formatUs, renderTable } from './lib/table.js';
import type { CellMeasurement, CellRequest, LoadMessage, VerifySpec } from './lib-grpc/protocol.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH_DIR);
const METHOD = '/grove.v1.PredictionService/Predict';
const MODEL_NAME = 'bench';

const HELP = `npm run bench:grpc [-- options]

  --quick              smoke run (< 30 s): 0.8 s cells after a 0.2 s warm-up
  --duration S         timed window per cell, seconds (default 4)
  --warmup S           warm-up per cell, seconds (default 1)
  --concurrency LIST   calls in flight, comma-separated (default 1,16,64)
  --requests LIST      which grove requests, comma-separated, of dense1,records1,dense100,records100
                       (default all; the ceiling always runs)
  --fixture LIB/CASE   test fixture the model bundle is made from
                       (default xgboost/binary-logistic-missing-xgb3)
  --engine E           native | reference (passed to grove serve; default native)
  --no-build           do not rebuild dist/ even when src/ is newer
  --grove-bin PATH     run this grove executable instead of bin/grove.js (another build or
                       checkout; implies --no-build for this checkout)
  --out FILE           write the JSON there instead of bench/results/grpc-<timestamp>.json
  --strict             exit 2 when a bar is missed
  --help`;

interface Args {
  quick: boolean;
  durationS: number;
  warmupS: number;
  concurrency: number[];
  requests: string[] | null;
  fixture: string;
  engine: string;
  build: boolean;
  groveBin: string | null;
  out: string | null;
  strict: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    quick: false,
    durationS: NaN,
    warmupS: NaN,
    concurrency: [1, 16, 64],
    requests: null,
    fixture: 'xgboost/binary-logistic-missing-xgb3',
    engine: 'native',
    build: true,
    groveBin: null,
    out: null,
    strict: false,
  };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (!v || !Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '--quick') a.quick = true;
    else if (s === '--duration') a.durationS = num(s, argv[++i]);
    else if (s === '--warmup') a.warmupS = num(s, argv[++i]);
    else if (s === '--concurrency') a.concurrency = (argv[++i] ?? '').split(',').map((c) => Math.round(num(s, c)));
    else if (s === '--fixture') a.fixture = argv[++i] ?? a.fixture;
    else if (s === '--requests') a.requests = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (s === '--engine') a.engine = argv[++i] ?? a.engine;
    else if (s === '--no-build') a.build = false;
    else if (s === '--grove-bin') {
      a.groveBin = argv[++i] ?? null;
      if (!a.groveBin) throw new Error('--grove-bin needs a path');
      a.build = false;
    }
    else if (s === '--out') a.out = argv[++i] ?? null;
    else if (s === '--strict') a.strict = true;

    else if (s === '--help' || s === '-h') {
      console.log(HELP);
      process.exit(0);
    } else throw new Error(`unknown option ${s}\n\n${HELP}`);
  }
  if (Number.isNaN(a.durationS)) a.durationS = a.quick ? 0.8 : 4;
  if (Number.isNaN(a.warmupS)) a.warmupS = a.quick ? 0.2 : 1;
  if (!/^(xgboost|lightgbm)\/[\w.-]+$/.test(a.fixture)) throw new Error(`--fixture must look like xgboost/<case> or lightgbm/<case>`);
  return a;
}

// ---------------------------------------------------------------- child processes

const children = new Set<ChildProcess>();

function track(proc: ChildProcess): ChildProcess {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** SIGTERM every child still running, SIGKILL after `graceMs`. */
async function stopChildren(graceMs = 5000): Promise<void> {
  const live = [...children].filter((p) => p.exitCode === null && p.signalCode === null);
  await Promise.all(
    live.map(async (p) => {
      const exited = once(p, 'exit');
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** Set once a signal started the cleanup: main's own exit path waits for it. */
let signalCleanup: Promise<never> | null = null;
function onSignal(signal: NodeJS.Signals): void {
  if (signalCleanup) return;
  console.error(`\n${signal}: stopping the servers and the load generator`);
  signalCleanup = stopChildren(2000).finally(() => {
    cleanupTemp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }) as Promise<never>;
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

let tempRoot: string | null = null;
function cleanupTemp(): void {
  if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
  tempRoot = null;
}

interface Started {
  proc: ChildProcess;
  port: number;
  logs: Record<string, unknown>[];
}

/** Spawns a server that prints a JSON line with `msg === readyMsg` and a `port` once bound. */
async function startJsonServer(label: string, args: string[], readyMsg: string, stdin: 'ignore' | 'pipe'): Promise<Started> {
  const proc = track(spawn(process.execPath, args, { cwd: REPO, stdio: [stdin, 'pipe', 'pipe'] }));
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not serving within 60 s; stderr:\n${stderr}`)), 60_000);
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? sig}) before serving; stderr:\n${stderr}\nstdout:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        rec = { msg: line };
      }
      if (logs.length < 1000) logs.push(rec);
      if (rec.msg === readyMsg && typeof rec.port === 'number') {
        clearTimeout(timer);
        resolve(rec.port);
      }
    });
  });
  return { proc, port, logs };
}

class LoadGenerator {
  readonly proc: ChildProcess;
  #nextId = 1;
  #pending = new Map<number, { resolve: (m: CellMeasurement) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<number>;

  constructor() {
    this.proc = track(
      fork(join(BENCH_DIR, 'grpc-load.ts'), [], {
        cwd: REPO,
        execArgv: ['--import', 'tsx'],
        serialization: 'advanced', // NaN in the request objects survives
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    this.ready = new Promise((resolve, reject) => {
      this.proc.on('message', (m: LoadMessage) => {
        if (m.type === 'ready') resolve(m.pid);
        else {
          const p = this.#pending.get(m.id);
          if (!p) return;
          this.#pending.delete(m.id);
          if (m.type === 'result') p.resolve(m.result);
          else p.reject(new Error(m.message));
        }
      });
      this.proc.once('exit', (code, sig) => {
        const err = new Error(`load generator exited (${code ?? sig})`);
        reject(err);
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
    });
  }

  run(cell: Omit<CellRequest, 'type' | 'id'>): Promise<CellMeasurement> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.proc.send({ type: 'cell', id, ...cell } satisfies CellRequest);
    });
  }
}

// ---------------------------------------------------------------- build freshness

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (e.name.endsWith(ext)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** bin/grove.js runs dist/: rebuild it (tsc) when any src/ file is newer. */
function ensureBuilt(build: boolean, notes: string[]): void {
  const marker = join(REPO, 'dist', 'cli', 'main.js');
  const srcNewest = newestMtime(join(REPO, 'src'), '.ts');
  const distTime = existsSync(marker) ? statSync(marker).mtimeMs : 0;
  if (distTime >= srcNewest) return;
  if (!build) {
    if (!distTime) throw new Error('dist/ is missing: run npm run build:ts (or drop --no-build)');
    notes.push('dist/ is older than src/ and --no-build was given: the server measured is the last build');
    return;
  }
  console.log('src/ is newer than dist/: npm run build:ts ...');
  const r = spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    if (!existsSync(marker)) throw new Error('npm run build:ts failed and there is no dist/: the server cannot be started');
    // tsc still emits what it can; others may be mid-edit in src/. Measure what bin/grove.js runs, and say so.
    console.log('npm run build:ts reported errors (above); measuring the dist/ it left behind');
    notes.push('npm run build:ts reported type errors: the server measured is the dist/ tsc emitted anyway');
  }
}

// ---------------------------------------------------------------- requests

interface Workload {
  key: string;
  label: string;
  rows: number;
  request: PredictRequest;
  verify: VerifySpec;
}

function readNumbersCsv(path: string): { header: string[]; rows: number[][] } {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(',').map((c) => (c === '' || /^nan$/i.test(c) ? NaN : Number(c))));
  return { header, rows };
}

function workloads(fixtureDir: string): { list: Workload[]; features: number; outputs: number } {
  const input = readNumbersCsv(join(fixtureDir, 'input.csv'));
  const expected = readNumbersCsv(join(fixtureDir, 'expected.csv'));
  const outputs = expected.header.length;
  if (input.rows.length < 100) throw new Error(`${fixtureDir}/input.csv has ${input.rows.length} rows; 100 are needed`);
  const dense = (n: number): PredictRequest => ({
    model: MODEL_NAME,
    dense: { rows: n, cols: input.header.length, values: input.rows.slice(0, n).flat() },
  });
  const records = (n: number): PredictRequest => ({
    model: MODEL_NAME,
    ...recordsInput(
      input.rows.slice(0, n).map((r): RawRecord => Object.fromEntries(input.header.map((h, j) => [h, Number.isNaN(r[j]) ? null : r[j]]))),
    ),
  });
  const verify = (n: number): VerifySpec => ({ rows: n, numOutputs: outputs, expected: expected.rows.slice(0, n).flat(), relTol: 1e-5 });
  return {
    features: input.header.length,
    outputs,
    list: [
      { key: 'dense1', label: 'dense x1', rows: 1, request: dense(1), verify: verify(1) },
      { key: 'records1', label: 'records x1', rows: 1, request: records(1), verify: verify(1) },
      { key: 'dense100', label: 'dense x100', rows: 100, request: dense(100), verify: verify(100) },
      { key: 'records100', label: 'records x100', rows: 100, request: records(100), verify: verify(100) },
    ],
  };
}

function describeFixture(fixtureDir: string, library: string, features: number): string {
  const metaPath = join(fixtureDir, 'meta.json');
  if (existsSync(metaPath)) {
    const m = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    const parts = [
      m.xgboost_version ? `XGBoost ${String(m.xgboost_version)}` : library,
      m.objective ? String(m.objective) : null,
      m.num_trees !== undefined ? `${String(m.num_trees)} trees` : null,
      `${String(m.num_features ?? features)} features`,
    ].filter(Boolean);
    return parts.join(', ');
  }
  return `${library}, ${features} features`;
}

// ---------------------------------------------------------------- main

interface CellRow {
  target: 'ceiling' | 'grove';
  workload: string;
  label: string;
  rowsPerCall: number;
  concurrency: number;
  m: CellMeasurement;
  /** QPS / ceiling QPS at the same concurrency (grove rows only). */
  ratio: number | null;
  /** 1-minute load average right after the cell (other work on the machine skews figures). */
  loadAvg1: number;
}

/** CPU the rest of the machine used during the window (neither the server measured nor the load generator). */
function otherCpu(m: CellMeasurement): number | null {
  return m.machineCpu === null || m.serverCpu === null ? null : Math.max(0, m.machineCpu - m.serverCpu - m.loadgenCpu);
}

function load1(): number {
  return Math.round(os.loadavg()[0] * 100) / 100;
}

function pct(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '-' : `${Math.round(v * 100)}%`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const notes: string[] = [];
  const machine = machineInfo(REPO);
  const groveBin = args.groveBin ?? join(REPO, 'bin', 'grove.js');
  if (args.groveBin) notes.push(`grove executable: ${args.groveBin} (not this checkout's bin/grove.js)`);
  else ensureBuilt(args.build, notes);

  const [library, fixtureCase] = args.fixture.split('/') as ['xgboost' | 'lightgbm', string];
  const fixtureDir = join(REPO, 'test', 'fixtures', library, fixtureCase);
  if (!existsSync(fixtureDir)) throw new Error(`no fixture at ${relative(REPO, fixtureDir)}`);
  const { list: allLoads, features, outputs } = workloads(fixtureDir);
  const unknown = (args.requests ?? []).filter((k) => !allLoads.some((w) => w.key === k));
  if (unknown.length) throw new Error(`--requests: unknown ${unknown.join(', ')} (known: ${allLoads.map((w) => w.key).join(', ')})`);
  const loads = args.requests ? allLoads.filter((w) => args.requests!.includes(w.key)) : allLoads;
  const dense1 = allLoads[0];
  const modelDesc = `${args.fixture} (${describeFixture(fixtureDir, library, features)}, ${outputs} output${outputs > 1 ? 's' : ''})`;

  tempRoot = mkdtempSync(join(tmpdir(), 'grove-bench-grpc-'));
  const modelRoot = join(tempRoot, 'models');
  makeBundle(modelRoot, MODEL_NAME, 1, { library, fixture: fixtureCase });

  console.log(`grove gRPC benchmark${args.quick ? ' (--quick)' : ''}: model ${modelDesc}, engine ${args.engine}`);
  console.log(
    `machine: ${machine.cpuModel}, ${machine.cores} logical CPUs (available ${machine.availableParallelism}), load ${machine.loadAvg1}, Node ${machine.node}`,
  );
  console.log('starting grove serve, the empty server and the load generator ...');

  const [grove, empty] = await Promise.all([
    startJsonServer(
      'grove serve',
      [groveBin, 'serve', '--host', '127.0.0.1', '--port', '0', '--models', modelRoot, '--engine', args.engine, '--log-level', 'info'],
      'grove serving',
      'ignore',
    ),
    startJsonServer('empty server', ['--import', 'tsx', join(BENCH_DIR, 'grpc-empty-server.ts'), '--host', '127.0.0.1', '--port', '0', '--watch-stdin'], 'empty serving', 'pipe'),
  ]);
  const loaded = grove.logs.find((l) => l.msg === 'grove serving')?.models;
  if (!Array.isArray(loaded) || !loaded.includes(`${MODEL_NAME}/1`)) {
    throw new Error(`grove serve did not load ${MODEL_NAME}/1 (models: ${JSON.stringify(loaded)}); logs:\n${grove.logs.map((l) => JSON.stringify(l)).join('\n')}`);
  }
  const gen = new LoadGenerator();
  await gen.ready;

  const groveAddr = `127.0.0.1:${grove.port}`;
  const emptyAddr = `127.0.0.1:${empty.port}`;
  const cellSeconds = args.warmupS + args.durationS;
  const nCells = args.concurrency.length * (1 + loads.length);
  console.log(
    `grove pid ${grove.proc.pid} on ${groveAddr}, empty server pid ${empty.proc.pid} on ${emptyAddr}, load generator pid ${gen.proc.pid}; ` +
      `${nCells} cells x (${args.warmupS} s warm-up + ${args.durationS} s) ~ ${Math.ceil(nCells * cellSeconds)} s\n`,
  );

  const rows: CellRow[] = [];
  const progress = (r: CellRow): void => {
    const v = r.m.verified;
    console.log(
      `  ${r.target.padEnd(7)} ${r.label.padEnd(12)} c=${String(r.concurrency).padEnd(3)} ${formatRate(r.m.qps).padStart(6)} QPS  p50 ${formatUs(r.m.p50Us)} µs  p99 ${formatUs(r.m.p99Us)} µs` +
        (r.m.errors ? `  ${r.m.errors} errors (${r.m.firstError})` : '') +
        (v && !v.ok ? `  WRONG ANSWER: ${v.detail}` : ''),
    );
  };
  for (const c of args.concurrency) {
    const base = { concurrency: c, warmupMs: args.warmupS * 1000, durationMs: args.durationS * 1000, method: METHOD };
    const ceilingM = await gen
      .run({ ...base, address: emptyAddr, request: dense1.request, verify: null, serverPid: empty.proc.pid ?? null })
      .catch((e: Error) => {
        throw new Error(`empty server c=${c}: ${e.message}`);
      });
    const ceiling: CellRow = { target: 'ceiling', workload: dense1.key, label: dense1.label, rowsPerCall: 1, concurrency: c, m: ceilingM, ratio: null, loadAvg1: load1() };
    rows.push(ceiling);
    progress(ceiling);
    for (const w of loads) {
      const m = await gen
        .run({ ...base, address: groveAddr, request: w.request, verify: w.verify, serverPid: grove.proc.pid ?? null })
        .catch((e: Error) => {
          throw new Error(`grove ${w.label} c=${c}: ${e.message}`);
        });
      const row: CellRow = { target: 'grove', workload: w.key, label: w.label, rowsPerCall: w.rows, concurrency: c, m, ratio: m.qps / ceilingM.qps, loadAvg1: load1() };
      rows.push(row);
      progress(row);
    }
  }

  // ------------------------------------------------------------ report
  const table = renderTable(
    ['target', 'request', 'conc', 'QPS', 'rows/s', 'p50 µs', 'p90 µs', 'p99 µs', 'max µs', 'errors', 'server CPU', 'srv µs/call', 'loadgen CPU', 'other CPU', 'vs ceiling'],
    rows.map((r) => [
      r.target === 'ceiling' ? 'empty grpc-js' : 'grove',
      r.label,
      String(r.concurrency),
      formatRate(r.m.qps),
      formatRate(r.m.qps * r.rowsPerCall),
      formatUs(r.m.p50Us),
      formatUs(r.m.p90Us),
      formatUs(r.m.p99Us),
      formatUs(r.m.maxUs),
      String(r.m.errors),
      pct(r.m.serverCpu),
      r.m.serverCpu === null ? '-' : formatUs((r.m.serverCpu / r.m.qps) * 1e6),
      pct(r.m.loadgenCpu),
      pct(otherCpu(r.m)),
      r.ratio === null ? '(ceiling)' : r.ratio.toFixed(2),
    ]),
  );

  const at16 = (key: string): CellRow | undefined => rows.find((r) => r.target === 'grove' && r.workload === key && r.concurrency === 16);
  const d16 = at16('dense1');
  const bars = d16
    ? {
        ratioAt16: { value: d16.ratio!, goal: 0.8, met: d16.ratio! >= 0.8 },
        p99At16Us: { value: d16.m.p99Us, goal: 1000, met: d16.m.p99Us <= 1000 },
      }
    : null;
  const wrong = rows.filter((r) => r.m.verified && !r.m.verified.ok);
  // Other processes' CPU during the timed windows (from /proc/stat), else the load average.
  const others = rows.map((r) => otherCpu(r.m)).filter((v): v is number => v !== null);
  const busiest = Math.max(machine.loadAvg1, ...rows.map((r) => r.loadAvg1));
  const maxOther = others.length ? Math.max(...others) : null;
  if (maxOther !== null ? maxOther > 0.25 : busiest > machine.availableParallelism + 0.5) {
    notes.unshift(
      `BUSY MACHINE: other processes used up to ${maxOther !== null ? `${Math.round(maxOther * 100)}% of a core` : '?'} during the timed windows ` +
        `(1-minute load average up to ${busiest} on ${machine.availableParallelism} CPUs): they competed with the server and the load generator, ` +
        'so QPS is low, latencies are inflated and ratios are noisy. Re-run on a quiet machine.',
    );
  }
  const errored = rows.filter((r) => r.m.errors > 0);

  notes.push(
    `${machine.cores} logical CPUs shared by the grove server, the load generator (a single Node process: its grpc-js client costs about as much CPU per call as a grpc-js server) and the idle empty server: ` +
      '"server CPU", "loadgen CPU" and "other CPU" (everything else on the machine, from /proc/stat) are shares of one core over the timed window; when they add up to about the number of cores, the machine, not the server, is the limit, and the ceiling itself is bounded by the load generator. ' +
      '"srv µs/call" is server CPU time per call: the figure least disturbed by a busy machine.',
    'Load generator: one grpc-js channel (HTTP/2 connection) per target, retries and channelz off on the client, requests encoded once, responses left undecoded while timing (one decoded and checked against the fixture before each cell).',
    'Latency: from the client call to its callback (includes client-side gRPC overhead). A call counts when it completes inside the timed window.',
    'The empty server decodes the request and encodes a fixed 1-row response with the same proto loading and server options as grove.',
  );

  const lines: string[] = [];
  lines.push('');
  lines.push(`model: ${modelDesc} — registry bundle ${MODEL_NAME}/1, engine ${args.engine}`);
  lines.push(`cells: ${args.warmupS} s warm-up + ${args.durationS} s timed, closed loop; request sizes: ${loads.map((w) => `${w.label} ${rows.find((r) => r.workload === w.key && r.target === 'grove')?.m.requestBytes ?? '?'} B`).join(', ')}`);
  lines.push(
    `machine: ${machine.cpuModel}, ${machine.cores} cores shared by server and load generator, Node ${machine.node}, ` +
      `load average ${machine.loadAvg1} at start, ${load1()} at the end`,
  );
  lines.push('');
  lines.push(table);
  lines.push('');
  lines.push('grove dense x1 QPS / empty-handler QPS (transport ceiling): ' + args.concurrency.map((c) => {
    const r = rows.find((x) => x.target === 'grove' && x.workload === 'dense1' && x.concurrency === c);
    return `c=${c} ${r?.ratio?.toFixed(2) ?? '-'}`;
  }).join(', '));
  lines.push('server CPU per call, grove dense x1 / empty handler: ' + args.concurrency.map((c) => {
    const g = rows.find((x) => x.target === 'grove' && x.workload === 'dense1' && x.concurrency === c);
    const e = rows.find((x) => x.target === 'ceiling' && x.concurrency === c);
    if (!g || !e || g.m.serverCpu === null || e.m.serverCpu === null) return `c=${c} -`;
    return `c=${c} ${formatUs((g.m.serverCpu / g.m.qps) * 1e6)} / ${formatUs((e.m.serverCpu / e.m.qps) * 1e6)} µs`;
  }).join(', '));
  lines.push('grove records x1 QPS / ceiling: ' + args.concurrency.map((c) => {
    const r = rows.find((x) => x.target === 'grove' && x.workload === 'records1' && x.concurrency === c);
    return `c=${c} ${r?.ratio?.toFixed(2) ?? '-'}`;
  }).join(', '));
  if (bars) {
    lines.push(
      `bar: 1-row dense >= 0.80 of the ceiling at concurrency 16: ${bars.ratioAt16.value.toFixed(2)} ${bars.ratioAt16.met ? 'MET' : 'MISSED'}`,
    );
    const e16 = rows.find((r) => r.target === 'ceiling' && r.concurrency === 16);
    lines.push(
      `bar: 1-row dense p99 <= 1 ms at concurrency 16: ${formatUs(bars.p99At16Us.value)} µs ${bars.p99At16Us.met ? 'MET' : 'MISSED'}` +
        (e16
          ? ` (empty handler at c=16: p99 ${formatUs(e16.m.p99Us)} µs; in a closed loop mean latency = concurrency / QPS, so <= 1 ms at c=16 needs >= 16k QPS)`
          : ''),
    );
  } else {
    lines.push('bars: not evaluated (concurrency 16 was not measured)');
  }
  for (const r of wrong) lines.push(`WRONG ANSWERS: grove ${r.label} c=${r.concurrency}: ${r.m.verified!.detail}`);
  for (const r of errored) lines.push(`ERRORS: ${r.target} ${r.label} c=${r.concurrency}: ${r.m.errors} failed calls, first: ${r.m.firstError}`);
  lines.push('');
  for (const n of notes) lines.push(`note: ${n}`);

  const result = {
    kind: 'grpc',
    quick: args.quick,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    config: {
      durationS: args.durationS,
      warmupS: args.warmupS,
      concurrency: args.concurrency,
      requests: loads.map((w) => w.key),
      engine: args.engine,
      method: METHOD,
      loadGenerator: 'bench/grpc-load.ts: one process, one grpc-js channel per target, closed loop',
    },
    model: { fixture: args.fixture, description: modelDesc, bundle: `${MODEL_NAME}/1` },
    groveBin,
    processes: { grove: grove.proc.pid, emptyServer: empty.proc.pid, loadGenerator: gen.proc.pid },
    cells: rows.map((r) => ({
      target: r.target,
      workload: r.workload,
      rowsPerCall: r.rowsPerCall,
      concurrency: r.concurrency,
      ratioToCeiling: r.ratio,
      loadAvg1: r.loadAvg1,
      ...r.m,
    })),
    bars,
    notes,
  };
  const outPath = args.out ?? join(BENCH_DIR, 'results', `grpc-${args.quick ? 'quick-' : ''}${started.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, JSON.stringify(result, null, 1) + '\n');
  lines.push(`results: ${relative(process.cwd(), outPath)}`);
  console.log(lines.join('\n'));

  if (wrong.length || errored.length) return 1;
  if (args.strict && bars && !(bars.ratioAt16.met && bars.p99At16Us.met)) return 2;
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  if (!signalCleanup) console.error(`bench:grpc: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
} finally {
  if (signalCleanup) await signalCleanup; // exits when the children are gone
  await stopChildren();
  cleanupTemp();
}
process.exit(code);
