/**
 * Differential testing of two model versions on the same raw rows: score through each version's
 * scorer (pipeline + model + output stage), compare row by row, and summarize — rows, refusals,
 * mismatches against a tolerance, the largest and typical differences, and the worst rows.
 *
 * A value of b matches a's when |a − b| ≤ abs_tol + rel_tol·|a| (a is the reference; NaN matches
 * NaN). A row mismatches when any of its outputs does, or when exactly one side refuses it.
 */
import { withinTolerance } from '../registry/bundle.js';
import type { RawRecord } from '../formats/records.js';
import type { VersionScorer } from '../registry/version-scorer.js';
import { formatFloat64 } from '../util/numbers.js';
import { num, pct, quantileSorted, relDiff, share, table } from './stats.js';

export interface Scored {
  /** rows × width, row-major; refused rows are NaN. */
  values: Float64Array;
  width: number;
  /** Row → why the version refused it (every field violation, joined). */
  refused: Map<number, string>;
}

/** Scores raw records through a version's scorer, in chunks; rows with a violation are refused, not scored. */
export async function scoreRecords(scorer: VersionScorer, records: readonly RawRecord[], chunk = 65_536): Promise<Scored> {
  const width = scorer.model.numOutputs;
  const values = new Float64Array(records.length * width).fill(NaN);
  const refused = new Map<number, string>();
  for (let start = 0; start < records.length; start += chunk) {
    const part = records.slice(start, start + chunk);
    const enc = scorer.encode(part);
    for (const v of enc.violations) {
      const r = start + (v.row ?? 0);
      const text = `${v.field}: ${v.reason}`;
      const prev = refused.get(r);
      refused.set(r, prev === undefined ? text : `${prev}; ${text}`);
    }
    const out = await scorer.predictAsync(enc.x, part.length);
    for (const r of enc.invalidRows) out.fill(NaN, r * width, (r + 1) * width);
    values.set(out, start * width);
  }
  return { values, width, refused };
}

export interface DiffOptions {
  relTol: number;
  absTol: number;
  maxMismatchRate: number;
  /** How many worst rows (and one-sided refusals) to list; default 10. */
  worst?: number;
}

export interface DiffRow {
  /** 0-based position of the row in the input (as `grove predict`'s row column). */
  row: number;
  /** The row's Id column value (CSV) or requestId:row (log), when known. */
  id: string | null;
  /** Which output differs most (0 for single-output models). */
  output: number;
  a: number;
  b: number;
  absDiff: number;
  relDiff: number;
  mismatch: boolean;
}

export interface RefusedRow {
  row: number;
  id: string | null;
  /** Which side refused it. */
  side: 'a' | 'b';
  reason: string;
}

export interface DiffSummary {
  rows: number;
  /** Rows both sides scored. */
  compared: number;
  refused: { a: number; b: number; both: number };
  /** Compared rows whose outputs are equal bit for bit (NaN = NaN). */
  identical: number;
  /** Value mismatches + rows refused by one side only. */
  mismatches: number;
  valueMismatches: number;
  mismatchRate: number;
  tolerance: { rel: number; abs: number };
  maxMismatchRate: number;
  pass: boolean;
  maxAbsDiff: number;
  maxRelDiff: number;
  relDiffQuantiles: { p50: number; p90: number; p99: number };
  absDiffQuantiles: { p50: number; p90: number; p99: number };
  /** Rows with the largest relative differences (non-zero only), worst first. */
  worst: DiffRow[];
  /** The first rows refused by exactly one side. */
  refusedOneSide: RefusedRow[];
}

/** Compares two scorings of the same rows. */
export function compareScored(a: Scored, b: Scored, ids: readonly (string | null)[] | null, opts: DiffOptions): DiffSummary {
  if (a.width !== b.width) throw new Error(`a has ${a.width} output(s) per row, b has ${b.width}: not comparable`);
  const width = a.width;
  const rows = a.values.length / width;
  if (b.values.length !== a.values.length) throw new Error(`a scored ${rows} rows, b ${b.values.length / width}`);
  const k = opts.worst ?? 10;
  const rowAbs = new Float64Array(rows);
  const rowRel = new Float64Array(rows);
  const rowOut = new Uint32Array(rows);
  const rowBad = new Uint8Array(rows);
  const compared: number[] = [];
  const refusedOneSide: RefusedRow[] = [];
  let refA = 0;
  let refB = 0;
  let refBoth = 0;
  let identical = 0;
  let valueMismatches = 0;
  let maxAbs = 0;
  let maxRel = 0;
  for (let r = 0; r < rows; r++) {
    const ra = a.refused.get(r);
    const rb = b.refused.get(r);
    if (ra !== undefined || rb !== undefined) {
      if (ra !== undefined && rb !== undefined) refBoth++;
      else {
        if (ra !== undefined) refA++;
        else refB++;
        if (refusedOneSide.length < k) refusedOneSide.push({ row: r, id: ids?.[r] ?? null, side: ra !== undefined ? 'a' : 'b', reason: (ra ?? rb) as string });
      }
      continue;
    }
    compared.push(r);
    let same = true;
    let bad = false;
    let worstRel = -1;
    for (let j = 0; j < width; j++) {
      const x = a.values[r * width + j];
      const y = b.values[r * width + j];
      const bothNaN = Number.isNaN(x) && Number.isNaN(y);
      if (!(x === y || bothNaN)) same = false;
      const d = bothNaN || x === y ? 0 : Number.isNaN(x) || Number.isNaN(y) ? Infinity : Math.abs(x - y);
      const rel = d === 0 ? 0 : Number.isFinite(d) ? relDiff(x, y) : Infinity;
      if (!withinTolerance(y, x, opts.relTol, opts.absTol)) bad = true;
      if (rel > worstRel || (rel === worstRel && d > rowAbs[r])) {
        worstRel = rel;
        rowRel[r] = rel;
        rowAbs[r] = d;
        rowOut[r] = j;
      }
    }
    if (same) identical++;
    if (bad) {
      valueMismatches++;
      rowBad[r] = 1;
    }
    maxAbs = Math.max(maxAbs, rowAbs[r]);
    maxRel = Math.max(maxRel, rowRel[r]);
  }
  const rel = Float64Array.from(compared, (r) => rowRel[r]).sort();
  const abs = Float64Array.from(compared, (r) => rowAbs[r]).sort();
  const q = (s: Float64Array): { p50: number; p90: number; p99: number } => ({ p50: quantileSorted(s, 0.5), p90: quantileSorted(s, 0.9), p99: quantileSorted(s, 0.99) });
  const differing = compared.filter((r) => rowAbs[r] > 0);
  differing.sort((x, y) => rowRel[y] - rowRel[x] || rowAbs[y] - rowAbs[x] || x - y);
  const worst: DiffRow[] = differing.slice(0, k).map((r) => ({
    row: r,
    id: ids?.[r] ?? null,
    output: rowOut[r],
    a: a.values[r * width + rowOut[r]],
    b: b.values[r * width + rowOut[r]],
    absDiff: rowAbs[r],
    relDiff: rowRel[r],
    mismatch: rowBad[r] === 1,
  }));
  const mismatches = valueMismatches + refA + refB;
  const mismatchRate = rows ? mismatches / rows : 0;
  return {
    rows,
    compared: compared.length,
    refused: { a: refA, b: refB, both: refBoth },
    identical,
    mismatches,
    valueMismatches,
    mismatchRate,
    tolerance: { rel: opts.relTol, abs: opts.absTol },
    maxMismatchRate: opts.maxMismatchRate,
    pass: mismatchRate <= opts.maxMismatchRate,
    maxAbsDiff: compared.length ? maxAbs : NaN,
    maxRelDiff: compared.length ? maxRel : NaN,
    relDiffQuantiles: q(rel),
    absDiffQuantiles: q(abs),
    worst,
    refusedOneSide,
  };
}

/** Relative differences small enough to matter for "identical" checks: 2 significant digits, exponent form. */
function sci(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '-' : 'inf';
  if (v === 0) return '0';
  return v.toExponential(2);
}

export interface DiffHeader {
  a: string;
  b: string;
  input: string;
  /** Column name of `id` in the worst-rows table ('Id', 'request:row'); null: no id column. */
  idLabel: string | null;
  notes?: string[];
}

/** The text summary `grove diff` prints. */
export function formatDiff(s: DiffSummary, h: DiffHeader): string {
  const out: string[] = [];
  out.push(`a: ${h.a}`);
  out.push(`b: ${h.b}`);
  out.push(`input: ${h.input}`);
  for (const n of h.notes ?? []) out.push(n);
  out.push(`rows: ${s.rows}; compared: ${s.compared}; refused by a only: ${s.refused.a}, by b only: ${s.refused.b}, by both: ${s.refused.both}`);
  out.push(`identical: ${share(s.identical, s.compared)}`);
  out.push(
    `mismatches: ${share(s.mismatches, s.rows)} — values outside |a-b| <= ${s.tolerance.abs} + ${s.tolerance.rel}*|a|: ${s.valueMismatches}, refused by one side only: ${s.refused.a + s.refused.b}`,
  );
  if (s.compared > 0) {
    out.push(
      table([
        ['difference', 'max', 'p50', 'p90', 'p99'],
        ['absolute', num(s.maxAbsDiff), num(s.absDiffQuantiles.p50), num(s.absDiffQuantiles.p90), num(s.absDiffQuantiles.p99)],
        ['relative', sci(s.maxRelDiff), sci(s.relDiffQuantiles.p50), sci(s.relDiffQuantiles.p90), sci(s.relDiffQuantiles.p99)],
      ]),
    );
  }
  if (s.worst.length > 0) {
    const multi = s.worst.some((w) => w.output !== 0);
    out.push(`worst rows (by relative difference; row = 0-based data row):`);
    out.push(
      table([
        ['row', ...(h.idLabel ? [h.idLabel] : []), ...(multi ? ['output'] : []), 'a', 'b', 'abs diff', 'rel diff', ''],
        ...s.worst.map((w) => [
          String(w.row),
          ...(h.idLabel ? [w.id ?? ''] : []),
          ...(multi ? [String(w.output)] : []),
          formatFloat64(w.a),
          formatFloat64(w.b),
          num(w.absDiff),
          sci(w.relDiff),
          w.mismatch ? 'MISMATCH' : 'within tolerance',
        ]),
      ]),
    );
  } else if (s.compared > 0) {
    out.push('no differences: every compared row is identical');
  }
  if (s.refusedOneSide.length > 0) {
    out.push(`refused by one side only (first ${s.refusedOneSide.length}):`);
    for (const r of s.refusedOneSide) out.push(`  row ${r.row}${r.id !== null && h.idLabel ? ` (${h.idLabel} ${r.id})` : ''}: ${r.side} refused: ${r.reason}`);
  }
  out.push(
    s.pass
      ? `PASS: mismatch rate ${pct(s.mismatchRate)} <= --max-mismatch-rate ${s.maxMismatchRate}`
      : `FAIL: mismatch rate ${pct(s.mismatchRate)} > --max-mismatch-rate ${s.maxMismatchRate}`,
  );
  return out.join('\n') + '\n';
}
