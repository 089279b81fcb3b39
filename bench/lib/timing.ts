/**
 * The timing loop shared by every engine measured from TypeScript. bench/xgb_inplace.py implements
 * the same loop for XGBoost, so the two sides are measured alike:
 *
 *  - a batch of size b is a contiguous slice of the data; successive calls cycle through up to
 *    MAX_SLICES different slices (different rows: batch 1 does not re-score one cached row);
 *  - batches run in ascending order; each cell gets the lowest seconds per row of the cells before it
 *    (same engine) as a hint;
 *  - row cap: when the hint says one call of this batch would take
 *    longer than `maxCall` seconds, the call scores only maxCall / (time per row) rows and the cell is
 *    marked capped (rows/s is then measured on fewer rows than the batch size);
 *  - warm-up: call until `warm` seconds have passed (at least 2 calls, or 1 call that alone takes
 *    `warm`); skipped when the previous batch already says one call takes `warm` (the engine is warm);
 *  - repetitions: `reps` of them, each of enough calls to take about target / reps seconds (at least one
 *    call); if that would exceed `maxCell` seconds the number of repetitions drops, never below `minReps`;
 *  - the cell's figure is the median over repetitions of rows/s; every repetition is kept.
 *  - each repetition also records the process CPU time it used: rows per CPU second (median over
 *    repetitions) is less disturbed by other processes on a shared machine than wall-clock rows/s.
 *    It counts every thread of the process, so it is only comparable between single-thread engines.
 */
import { performance } from 'node:perf_hooks';
import { mean, median, quantile, spread } from './stats.js';

export const MAX_SLICES = 256;

export interface CellConfig {
  /** Seconds per cell over all repetitions (aim). */
  target: number;
  reps: number;
  minReps: number;
  /** Warm-up seconds. */
  warm: number;
  /** Cap on all repetitions of one cell, seconds (soft: `minReps` calls always run). */
  maxCell: number;
  /** Longest single call, seconds: larger batches are capped to fewer rows. */
  maxCall: number;
}

export interface CellResult {
  /** Batch size asked for. */
  batch: number;
  /** Rows per call actually scored (< batch when capped). */
  rows: number;
  capped: boolean;
  /** Median over repetitions. */
  rowsPerSec: number;
  /** rows/s of every repetition, in order. */
  reps: number[];
  /** Median over repetitions of rows per second of process CPU time (user + system, all threads). */
  cpuRowsPerSec: number;
  /** rows per CPU second of every repetition. */
  cpuReps: number[];
  /** (max - min) / median over the repetitions. */
  spread: number;
  callsPerRep: number;
  warmupCalls: number;
  /** Wall time spent on this cell (warm-up included), seconds. */
  seconds: number;
}

export interface Elapsed {
  /** Wall-clock seconds. */
  wall: number;
  /** Process CPU seconds (user + system, all threads). */
  cpu: number;
}

/** Runs `calls` calls and returns the time they took. */
export type Runner = (calls: number) => Elapsed | Promise<Elapsed>;

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Up to MAX_SLICES row-major views of `rows` consecutive rows each. */
export function slices(data: Float32Array, cols: number, rows: number): Float32Array[] {
  const total = Math.floor(data.length / cols);
  const n = Math.max(1, Math.min(Math.floor(total / rows), MAX_SLICES));
  const out: Float32Array[] = [];
  for (let k = 0; k < n; k++) out.push(data.subarray(k * rows * cols, (k + 1) * rows * cols));
  return out;
}

/** Keeps results alive so no call can be optimised away. */
export let sink = 0;

/** A runner calling a synchronous scorer on successive slices. */
export function syncRunner(
  score: (x: Float32Array, rows: number) => Float64Array,
  data: Float32Array,
  cols: number,
  rows: number,
): Runner {
  const views = slices(data, cols, rows);
  const n = views.length;
  let i = 0;
  return (calls: number) => {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    for (let c = 0; c < calls; c++) {
      const out = score(views[i % n], rows);
      i++;
      sink += out[0];
    }
    const wall = (performance.now() - t0) / 1000;
    return { wall, cpu: cpuSeconds() - c0 };
  };
}

/** A runner awaiting an asynchronous scorer on successive slices, one call at a time. */
export function asyncRunner(
  score: (x: Float32Array, rows: number) => Promise<Float64Array>,
  data: Float32Array,
  cols: number,
  rows: number,
): Runner {
  const views = slices(data, cols, rows);
  const n = views.length;
  let i = 0;
  return async (calls: number) => {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    for (let c = 0; c < calls; c++) {
      const out = await score(views[i % n], rows);
      i++;
      sink += out[0];
    }
    const wall = (performance.now() - t0) / 1000;
    return { wall, cpu: cpuSeconds() - c0 };
  };
}

/**
 * Measures one cell. `makeRunner(rows)` builds the runner for `rows` rows per call; `perRowHint` is
 * the lowest seconds per row of the smaller batches for the same engine, or null for the first cell.
 */
export async function measureCell(
  makeRunner: (rows: number) => Runner,
  batch: number,
  cfg: CellConfig,
  perRowHint: number | null,
): Promise<CellResult> {
  const start = performance.now();
  let rows = batch;
  let capped = false;
  if (perRowHint !== null && perRowHint * batch > cfg.maxCall) {
    rows = Math.max(1, Math.floor(cfg.maxCall / perRowHint));
    capped = rows < batch;
    if (!capped) rows = batch;
  }
  const run = makeRunner(rows);

  let perCall: number;
  let warmupCalls = 0;
  if (perRowHint !== null && perRowHint * rows >= cfg.warm) {
    perCall = perRowHint * rows;
  } else {
    let elapsed = 0;
    for (;;) {
      const dt = (await run(1)).wall;
      elapsed += dt;
      warmupCalls++;
      if (elapsed >= cfg.warm && warmupCalls >= 2) break;
      if (warmupCalls === 1 && dt >= cfg.warm) break;
    }
    perCall = elapsed / warmupCalls;
  }
  perCall = Math.max(perCall, 1e-9);

  const callsPerRep = Math.max(1, Math.round(cfg.target / cfg.reps / perCall));
  let nReps = cfg.reps;
  if (callsPerRep * perCall * nReps > cfg.maxCell) {
    nReps = Math.max(cfg.minReps, Math.min(cfg.reps, Math.floor(cfg.maxCell / (callsPerRep * perCall))));
  }
  const values: number[] = [];
  const cpuValues: number[] = [];
  for (let r = 0; r < nReps; r++) {
    const dt = await run(callsPerRep);
    values.push((callsPerRep * rows) / dt.wall);
    cpuValues.push((callsPerRep * rows) / Math.max(dt.cpu, 1e-6));
  }
  return {
    batch,
    rows,
    capped,
    rowsPerSec: median(values),
    reps: values,
    cpuRowsPerSec: median(cpuValues),
    cpuReps: cpuValues,
    spread: spread(values),
    callsPerRep,
    warmupCalls,
    seconds: (performance.now() - start) / 1000,
  };
}

export interface LatencyResult {
  calls: number;
  medianUs: number;
  p99Us: number;
  meanUs: number;
  /** Cost of the clock reads around each call (included in the figures above), µs. */
  timerOverheadUs: number;
}

/** Median cost of one `process.hrtime.bigint()` pair, µs. */
export function timerOverheadUs(): number {
  const n = 20001;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = process.hrtime.bigint();
    const b = process.hrtime.bigint();
    t[i] = Number(b - a) / 1000;
  }
  return quantile(t, 0.5);
}

/**
 * Batch-1 latency: times each single-row call separately (cycling through up to 4096 different rows)
 * for about `seconds` (at most `maxCalls` calls) after 200 warm-up calls. "Median" is the nearest-rank
 * 0.5 quantile, like p99 (and like bench/xgb_inplace.py).
 */
export function measureLatency(
  score: (x: Float32Array, rows: number) => Float64Array,
  data: Float32Array,
  cols: number,
  seconds: number,
  maxCalls: number,
): LatencyResult {
  const n = Math.max(1, Math.min(Math.floor(data.length / cols), 4096));
  const views: Float32Array[] = [];
  for (let k = 0; k < n; k++) views.push(data.subarray(k * cols, (k + 1) * cols));
  for (let i = 0; i < Math.min(200, maxCalls); i++) sink += score(views[i % n], 1)[0];
  const times = new Float64Array(maxCalls);
  const end = performance.now() + seconds * 1000;
  let i = 0;
  while (i < maxCalls && (i % 256 !== 0 || performance.now() < end)) {
    const x = views[i % n];
    const t0 = process.hrtime.bigint();
    const out = score(x, 1);
    const t1 = process.hrtime.bigint();
    sink += out[0];
    times[i++] = Number(t1 - t0) / 1000;
  }
  const used = times.subarray(0, i);
  return {
    calls: i,
    medianUs: quantile(used, 0.5),
    p99Us: quantile(used, 0.99),
    meanUs: mean(used),
    timerOverheadUs: timerOverheadUs(),
  };
}
