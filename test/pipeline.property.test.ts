/**
 * The columnar transform equals a naive per-row reference written here from the documented
 * semantics (README.md in src/pipeline), bit for bit, with the same violations in the same
 * order: property-based (fast-check) over random records full of bad values, for a pipeline
 * with every op fitted on random training data, and for the house-price v1 and v2 specs fitted on
 * train.csv with mutated test.csv rows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldViolation } from '../src/errors.js';
import {
  compilePipeline,
  fitPipeline,
  parseSpec,
  recordsFromCsv,
  serializePipeline,
  type FittedPipeline,
  type PipelineSpec,
} from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';

// ---------------------------------------------------------------------------------------------
// The naive reference: one record at a time, values in a plain array of named cells.

const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']);
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF = /^([+-]?)(?:inf|infinity)$/i;
const REQUIRED = 'missing value: the field is required (the pipeline neither imputes it nor lets it pass as missing)';

type Value = number | string | null | { unseen: string };
interface Cell {
  name: string;
  v: Value;
  src: number[];
}

const fmt = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
const q = (s: string): string => `'${s.length > 60 ? `${s.slice(0, 57)}...` : s}'`;
const describeJs = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v);
const missingRaw = (v: unknown): boolean =>
  v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || (typeof v === 'string' && MISSING.has(v.trim()));
const textOf = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? (Object.is(v, -0) ? '0' : String(v)) : typeof v === 'boolean' ? String(v) : String(v);
function parseNum(s: string): number | undefined {
  const t = s.trim();
  if (NUMBER.test(t)) return Number(t);
  const m = INF.exec(t);
  return m ? (m[1] === '-' ? -Infinity : Infinity) : undefined;
}
function listKnown(names: readonly string[]): string {
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown}, ... (${names.length - 20} more)` : shown;
}
function aliasesOf(p: FittedPipeline, name: string): string[] {
  return p.input_schema.fields[name]?.aliases ?? [];
}

function naiveRow(p: FittedPipeline, rec: RawRecord, row: number): { out: number[]; violations: FieldViolation[] } {
  const spec = p.spec;
  const inputs = spec.inputs;
  const bad = new Set<number>();
  const used = new Map<number, string>();
  const violations: FieldViolation[] = [];
  const obj = (rec !== null && typeof rec === 'object' ? rec : {}) as Record<string, unknown>;
  const report = (f: number, reason: string): void => {
    if (bad.has(f)) return;
    bad.add(f);
    violations.push({ row, field: used.get(f) ?? inputs[f].name, reason });
  };
  const anyBad = (src: number[]): boolean => src.some((s) => bad.has(s));
  const unseen = (c: Cell): void => {
    const f = c.src[0];
    const raw = obj[used.get(f) ?? inputs[f].name];
    const at = c.name !== inputs[f].name ? ` at column '${c.name}'` : '';
    report(f, `unseen category ${q(textOf(raw))}${at} (known: ${listKnown(p.input_schema.fields[inputs[f].name].categories ?? [])})`);
  };

  // read
  let cols: Cell[] = inputs.map((input, f) => {
    const s = p.input_schema.fields[input.name];
    const cell: Cell = { name: input.name, v: input.type === 'numeric' ? NaN : null, src: [f] };
    if (s === undefined) return cell;
    const names = [input.name, ...aliasesOf(p, input.name)];
    let v: unknown = obj[input.name];
    let from = 0;
    for (let a = 1; a < names.length; a++) {
      const w = obj[names[a]];
      if (missingRaw(w)) continue;
      if (missingRaw(v)) {
        v = w;
        from = a;
      } else if (w !== v) {
        used.set(f, names[from]);
        const show = (x: unknown): string => (typeof x === 'string' ? q(x) : String(x));
        report(f, `given twice with different values: as '${names[from]}' (${show(v)}) and as '${names[a]}' (${show(w)})`);
        return cell;
      }
    }
    used.set(f, names[from]);
    if (input.type === 'numeric') {
      let x: number;
      if (v === null || v === undefined) x = NaN;
      else if (typeof v === 'number') x = v;
      else if (typeof v === 'string') {
        if (MISSING.has(v.trim())) x = NaN;
        else {
          const n = parseNum(v);
          if (n === undefined) {
            report(f, `expected a number, got text ${q(v)}`);
            return cell;
          }
          x = n;
        }
      } else if (typeof v === 'boolean') {
        report(f, `expected a number, got a boolean (${String(v)})`);
        return cell;
      } else {
        report(f, `expected a number, got ${describeJs(v)}`);
        return cell;
      }
      if (Number.isNaN(x)) {
        if (s.required) report(f, REQUIRED);
        return cell;
      }
      const lo = s.min ?? -Infinity;
      const hi = s.max ?? Infinity;
      if (!Number.isFinite(x)) {
        report(f, `expected a finite number, got ${fmt(x)}`);
        return cell;
      }
      if (x < lo || x > hi) {
        const seen = s.observed ? ` (seen in training: ${fmt(s.observed.min)} to ${fmt(s.observed.max)})` : '';
        report(f, `value ${fmt(x)} is out of range: the plausible range is [${s.min === undefined ? '-inf' : fmt(lo)}, ${s.max === undefined ? 'inf' : fmt(hi)}]${seen}`);
        return cell;
      }
      cell.v = x;
      return cell;
    }
    const cats = s.categories ?? [];
    if (missingRaw(v)) {
      if (s.required) report(f, REQUIRED);
      return cell;
    }
    let name: string | undefined;
    if (typeof v === 'string') {
      if (cats.includes(v)) name = v;
      else {
        const n = parseNum(v);
        if (n !== undefined && cats.includes(fmt(n))) name = fmt(n);
      }
    } else if (typeof v === 'number') {
      if (cats.includes(textOf(v))) name = textOf(v);
    } else if (typeof v === 'boolean') {
      const want = String(v);
      name = cats.includes(want) ? want : cats.find((c) => c.toLowerCase() === want);
    } else {
      report(f, `expected a category (text or number), got ${describeJs(v)}`);
      return cell;
    }
    if (name !== undefined) cell.v = name;
    else if (s.unseen === 'rare') cell.v = { unseen: textOf(v) };
    else {
      const at = '';
      report(f, `unseen category ${q(textOf(v))}${at} (known: ${listKnown(cats)})`);
    }
    return cell;
  });

  // steps
  spec.steps.forEach((step, i) => {
    const state = p.steps[i] as Record<string, any>;
    const byName = (n: string): Cell => cols.find((c) => c.name === n) as Cell;
    switch (step.op) {
      case 'drop':
        cols = cols.filter((c) => !step.columns.includes(c.name));
        break;
      case 'select':
        cols = step.columns.map(byName);
        break;
      case 'rename':
        cols = cols.map((c) => (Object.hasOwn(step.columns, c.name) ? { ...c, name: step.columns[c.name] } : c));
        break;
      case 'impute_categorical':
        for (const n of step.columns) if (byName(n).v === null) byName(n).v = state.values[n];
        break;
      case 'impute_numeric':
        for (const n of step.columns) if (Number.isNaN(byName(n).v)) byName(n).v = state.values[n];
        break;
      case 'missing_indicator':
        for (const n of step.columns) {
          const c = byName(n);
          const miss = c.v === null || (typeof c.v === 'number' && Number.isNaN(c.v));
          cols.push({ name: `${n}${step.suffix ?? '_na'}`, v: miss ? 1 : 0, src: c.src });
        }
        break;
      case 'elapsed': {
        const u = byName(step.until);
        for (const n of step.columns) {
          const c = byName(n);
          c.v = (u.v as number) - (c.v as number);
          c.src = [...c.src, ...u.src.filter((s) => !c.src.includes(s))];
        }
        break;
      }
      case 'log':
        for (const n of step.columns) {
          const c = byName(n);
          const v = c.v as number;
          if (v > 0) c.v = Math.log(v);
          else if (!Number.isNaN(v)) {
            const where = inputs[c.src[0]].name !== c.name ? ` (column '${c.name}')` : '';
            if (!anyBad(c.src)) report(c.src[0], `log transform needs a value > 0, got ${fmt(v)}${where}`);
            c.v = NaN;
          }
        }
        break;
      case 'binarize':
        for (const n of step.columns) {
          const c = byName(n);
          if (!Number.isNaN(c.v)) c.v = (c.v as number) > step.threshold ? 1 : 0;
        }
        break;
      case 'min_max_scale':
        for (const n of step.columns ?? cols.map((c) => c.name)) {
          const c = byName(n);
          const lo = state.min[n] as number;
          const range = (state.max[n] as number) - lo;
          if (range === 0) c.v = Number.isNaN(c.v) ? NaN : 0;
          else c.v = ((c.v as number) - lo) / range;
        }
        break;
      case 'map':
      case 'ordinal_by_target':
      case 'ordinal_alphabetical':
        for (const n of step.columns) {
          const c = byName(n);
          const lookup = (name: string): number | undefined => {
            if (step.op === 'map') return Object.hasOwn(step.mapping, name) ? step.mapping[name] : undefined;
            const k = (state.order[n] as string[]).indexOf(name);
            return k < 0 ? undefined : k;
          };
          if (c.v === null) c.v = NaN;
          else {
            const k = typeof c.v === 'string' ? lookup(c.v) : undefined;
            if (k === undefined) {
              if (!anyBad(c.src)) unseen(c);
              c.v = NaN;
            } else c.v = k;
          }
        }
        break;
      case 'rare_labels':
        for (const n of step.columns) {
          const c = byName(n);
          const label = step.label ?? 'Rare';
          if (typeof c.v === 'string') c.v = (state.kept[n] as string[]).includes(c.v) ? c.v : label;
          else if (c.v !== null && typeof c.v === 'object') {
            if (step.unseen === 'rare') c.v = label;
            else {
              if (!anyBad(c.src)) unseen(c);
              c.v = null;
            }
          }
        }
        break;
      case 'one_hot':
        for (const n of step.columns) {
          const c = byName(n);
          const cats = state.categories[n] as string[];
          const k = typeof c.v === 'string' ? cats.indexOf(c.v) : -1;
          if (k < 0 && c.v !== null && !anyBad(c.src)) unseen(c);
          const outs: Cell[] = cats.map((cat, j) => ({ name: `${n}_${cat}`, v: k < 0 ? NaN : j === k ? 1 : 0, src: c.src }));
          const at = cols.indexOf(c);
          cols = [...cols.slice(0, at), ...outs, ...cols.slice(at + 1)];
        }
        break;
    }
  });
  return { out: cols.map((c) => c.v as number), violations };
}

function naive(p: FittedPipeline, records: readonly RawRecord[]): { x: Float64Array; violations: FieldViolation[]; invalid: number[] } {
  const nf = p.features.length;
  const x = new Float64Array(records.length * nf);
  const violations: FieldViolation[] = [];
  const invalid: number[] = [];
  records.forEach((rec, r) => {
    const { out, violations: vs } = naiveRow(p, rec, r);
    violations.push(...vs);
    if (vs.length > 0) invalid.push(r);
    for (let j = 0; j < nf; j++) x[r * nf + j] = vs.length > 0 ? NaN : out[j];
  });
  return { x, violations, invalid };
}

/** Columnar == naive, bit for bit (NaN payloads aside), same violations in the same order. */
function expectSame(p: FittedPipeline, records: readonly RawRecord[]): void {
  const got = compilePipeline(p).transform(records);
  const want = naive(p, records);
  expect(got.violations).toEqual(want.violations);
  expect([...got.invalidRows].sort((a, b) => a - b)).toEqual(want.invalid);
  expect(got.x.length).toBe(want.x.length);
  for (let i = 0; i < got.x.length; i++) {
    if (!Object.is(got.x[i], want.x[i])) {
      throw new Error(`x[${i}] (row ${Math.floor(i / p.features.length)}, ${p.features[i % p.features.length]}): columnar ${got.x[i]} vs naive ${want.x[i]}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A pipeline with every op, fitted on random training data

const spec: PipelineSpec = {
  inputs: [
    { name: '1stFlrSF', type: 'numeric' },
    { name: 'LotFrontage', type: 'numeric' },
    { name: 'YearRemodAdd', type: 'numeric' },
    { name: 'YrSold', type: 'numeric' },
    { name: 'Porch', type: 'numeric', missing: 'allow' },
    { name: 'Id', type: 'numeric' },
    { name: 'MSSubClass', type: 'categorical' },
    { name: 'FireplaceQu', type: 'categorical' },
    { name: 'BsmtQual', type: 'categorical' },
    { name: 'Street', type: 'categorical', missing: 'allow' },
    { name: 'Zone', type: 'categorical' },
    { name: 'Delta', type: 'numeric', min: -5 },
  ],
  steps: [
    { op: 'rename', columns: { '1stFlrSF': 'FirstFlrSF' } },
    { op: 'impute_categorical', columns: ['FireplaceQu'], method: 'constant' },
    { op: 'impute_categorical', columns: ['BsmtQual'], method: 'most_frequent' },
    { op: 'missing_indicator', columns: ['LotFrontage', 'Street'] },
    { op: 'impute_numeric', columns: ['LotFrontage'], method: 'median' },
    { op: 'elapsed', columns: ['YearRemodAdd'], until: 'YrSold' },
    { op: 'drop', columns: ['YrSold', 'Id'] },
    { op: 'log', columns: ['FirstFlrSF', 'LotFrontage', 'Delta'] },
    { op: 'binarize', columns: ['Porch'], threshold: 10 },
    { op: 'map', columns: ['FireplaceQu'], mapping: { Missing: 0, Po: 1, Fa: 2, TA: 3, Gd: 4, Ex: 5 } },
    { op: 'rare_labels', columns: ['MSSubClass'], tol: 0.15, n_categories: 1, unseen: 'rare' },
    { op: 'rare_labels', columns: ['BsmtQual'], tol: 0.15, n_categories: 1 },
    { op: 'ordinal_by_target', columns: ['MSSubClass', 'BsmtQual'] },
    { op: 'ordinal_alphabetical', columns: ['Street'] },
    { op: 'one_hot', columns: ['Zone'] },
    { op: 'min_max_scale', columns: ['FirstFlrSF', 'YearRemodAdd', 'MSSubClass'] },
  ],
  target: { transform: 'log' },
};

const SUBCLASS = [20, 30, 60, 120, 190];
const QUAL = ['Po', 'Fa', 'TA', 'Gd', 'Ex'];
const ZONE = ['RL', 'RM', 'C (all)'];

const trainRow = fc.record({
  '1stFlrSF': fc.integer({ min: 300, max: 5000 }),
  LotFrontage: fc.option(fc.integer({ min: 20, max: 300 }), { nil: null }),
  YearRemodAdd: fc.integer({ min: 1950, max: 2010 }),
  YrSold: fc.integer({ min: 2006, max: 2010 }),
  Porch: fc.option(fc.integer({ min: 0, max: 500 }), { nil: null }),
  Id: fc.integer({ min: 1, max: 3000 }),
  MSSubClass: fc.constantFrom(...SUBCLASS),
  FireplaceQu: fc.option(fc.constantFrom(...QUAL), { nil: null }),
  BsmtQual: fc.option(fc.constantFrom('TA', 'Gd', 'Ex', 'Fa'), { nil: null }),
  Street: fc.option(fc.constantFrom('Pave', 'Grvl'), { nil: null }),
  Zone: fc.constantFrom(...ZONE),
  Delta: fc.double({ min: 0.001, max: 100, noNaN: true }),
});
const fullRow = {
  '1stFlrSF': 856, LotFrontage: 65, YearRemodAdd: 2003, YrSold: 2008, Porch: 0, Id: 1, MSSubClass: 60,
  FireplaceQu: 'Gd', BsmtQual: 'Gd', Street: 'Pave', Zone: 'RL', Delta: 1,
};
const trainSet = fc
  .array(fc.tuple(trainRow, fc.integer({ min: 35000, max: 700000 })), { minLength: 1, maxLength: 60 })
  .map((rows) => ({ rows: [fullRow, ...rows.map((r) => r[0])] as RawRecord[], target: [208500, ...rows.map((r) => r[1])] }));

/** Any value a client might send, good or bad. */
const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.constantFrom('NA', '', ' NA ', 'nan', 'big', '20.0', '1e3', '  42 ', 'Infinity', '-0', 'TRUE', 'Rare', 'Missing'),
  fc.constantFrom(true, false, 0, -0, -3, 1e300, -1e300, Infinity, -Infinity, NaN, 2e-308),
  fc.double(),
  fc.integer({ min: -10, max: 3000 }),
  fc.string({ maxLength: 5 }),
  fc.constant({}),
  fc.constant([1]),
);

function recordArb(good: fc.Arbitrary<Record<string, unknown>>, fields: readonly string[], aliases: Record<string, string>): fc.Arbitrary<RawRecord> {
  return fc
    .tuple(
      good,
      fc.array(fc.tuple(fc.constantFrom(...fields), junk), { maxLength: 3 }),
      fc.array(fc.tuple(fc.constantFrom(...Object.keys(aliases)), fc.constantFrom('move', 'copy', 'conflict')), { maxLength: 1 }),
    )
    .map(([base, edits, aliasEdits]) => {
      const rec: Record<string, unknown> = { ...base };
      for (const [f, v] of edits) rec[f] = v;
      for (const [f, how] of aliasEdits) {
        const a = aliases[f];
        rec[a] = how === 'conflict' ? 'other' : rec[f];
        if (how === 'move') delete rec[f];
      }
      return rec as RawRecord;
    });
}

describe('columnar transform == naive per-row reference', () => {
  it('every op, random training data, random records with bad values', () => {
    fc.assert(
      fc.property(trainSet, fc.array(recordArb(trainRow as fc.Arbitrary<Record<string, unknown>>, spec.inputs.map((i) => i.name), { '1stFlrSF': 'FirstFlrSF' }), { maxLength: 30 }), (train, records) => {
        const p = fitPipeline(spec, train.rows, train.target);
        // fitting is deterministic and the pipeline takes its own training data
        expect(serializePipeline(fitPipeline(spec, train.rows, train.target))).toBe(serializePipeline(p));
        expect(compilePipeline(p).transform(train.rows).violations).toEqual([]);
        expectSame(p, train.rows);
        expectSame(p, records);
      }),
      { numRuns: 200 },
    );
  });

  const dir = join(import.meta.dirname, '..', 'data', 'house-prices');
  const load = (f: string): RawRecord[] => {
    const rows = parse(readFileSync(join(dir, f), 'utf8')) as string[][];
    return recordsFromCsv(rows[0], rows.slice(1));
  };
  const train = load('train.csv');
  const test = load('test.csv');
  const target = train.map((r) => r.SalePrice as number);

  for (const version of ['v1', 'v2']) {
    it(`house-price ${version}: all of train.csv and test.csv, and mutated test.csv rows`, () => {
      const file = join(import.meta.dirname, '..', 'src', 'pipeline', 'specs', `house-price-${version}.json`);
      const s = parseSpec(readFileSync(file, 'utf8'), file);
      const p = fitPipeline(s, train, target);
      expectSame(p, train);
      expectSame(p, test);
      const fields = s.inputs.map((i) => i.name);
      fc.assert(
        fc.property(
          fc.array(recordArb(fc.constantFrom(...(test as Record<string, unknown>[])), fields, { '1stFlrSF': 'FirstFlrSF', '2ndFlrSF': 'SecondFlrSF' }), { maxLength: 20 }),
          (records) => expectSame(p, records),
        ),
        { numRuns: 200 },
      );
    });
  }
});
