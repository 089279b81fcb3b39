/** Reading the library fixtures under test/fixtures: inputs, expected outputs, error summaries. */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

export interface Table {
  header: string[];
  rows: string[][];
}

export function readCsv(path: string): Table {
  const records = parse(readFileSync(path, 'utf8'), { relax_column_count: true }) as string[][];
  return { header: records[0], rows: records.slice(1) };
}

/** Expected outputs as written by the library: rows x columns doubles. */
export function readExpected(path: string): { columns: string[]; rows: number; values: Float64Array } {
  const t = readCsv(path);
  const values = new Float64Array(t.rows.length * t.header.length);
  t.rows.forEach((r, i) => r.forEach((c, j) => (values[i * t.header.length + j] = Number(c))));
  return { columns: t.header, rows: t.rows.length, values };
}

export function exists(path: string): boolean {
  return existsSync(path);
}

export interface ErrorSummary {
  maxAbs: number;
  maxRel: number;
  /** Index of the worst value by relative error. */
  worst: number;
}

/** Max abs / rel error of `got` against `want` (rel uses max(|want|, 1e-30)); NaN vs NaN counts as equal. */
export function compare(got: ArrayLike<number>, want: ArrayLike<number>): ErrorSummary {
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  if (got.length !== want.length) throw new Error(`length ${got.length} != expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    const abs = Math.abs(a - b);
    const rel = abs / Math.max(Math.abs(b), 1e-30);
    if (!(abs <= maxAbs)) maxAbs = Number.isNaN(abs) ? Infinity : abs;
    if (!(rel <= maxRel)) {
      maxRel = Number.isNaN(rel) ? Infinity : rel;
      worst = i;
    }
  }
  return { maxAbs, maxRel, worst };
}
