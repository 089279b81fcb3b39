/**
 * Bad input is reported per row and per field, every violation of every row, never thrown:
 * unseen categories, missing values in required fields, wrong types, out-of-range numbers,
 * log of a value <= 0. Rows with a violation are NaN in the matrix; the other rows are exact.
 */
import { describe, expect, it } from 'vitest';
import { compilePipeline, fitPipeline, type PipelineSpec } from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';

const spec: PipelineSpec = {
  inputs: [
    { name: 'LotArea', type: 'numeric' },
    { name: 'GrLivArea', type: 'numeric' },
    { name: 'Street', type: 'categorical' },
    { name: 'KitchenQual', type: 'categorical' },
    { name: 'LotFrontage', type: 'numeric' },
    { name: 'Delta', type: 'numeric', min: -10 },
  ],
  steps: [
    { op: 'impute_numeric', columns: ['LotFrontage'], method: 'median' },
    { op: 'log', columns: ['GrLivArea', 'Delta'] },
    { op: 'map', columns: ['KitchenQual'], mapping: { Fa: 2, TA: 3, Gd: 4 } },
    { op: 'ordinal_alphabetical', columns: ['Street'] },
  ],
};

const train: RawRecord[] = [
  { LotArea: 8450, GrLivArea: 1710, Street: 'Pave', KitchenQual: 'Gd', LotFrontage: 65, Delta: 1 },
  { LotArea: 9600, GrLivArea: 1262, Street: 'Pave', KitchenQual: 'TA', LotFrontage: null, Delta: 2 },
  { LotArea: 11250, GrLivArea: 1786, Street: 'Grvl', KitchenQual: 'Gd', LotFrontage: 68, Delta: 3 },
];

const fitted = fitPipeline(spec, train);
const pipeline = compilePipeline(fitted);

describe('violations', () => {
  it('the learned schema', () => {
    expect(fitted.input_schema.fields).toEqual({
      // span 11250 - 8450 = 2800 -> [0, 11250 + 28000]
      LotArea: { type: 'numeric', required: true, min: 0, max: 39250, observed: { min: 8450, max: 11250 } },
      GrLivArea: { type: 'numeric', required: true, min: 0, max: 1786 + 10 * 524, observed: { min: 1262, max: 1786 } },
      Street: { type: 'categorical', required: true, categories: ['Grvl', 'Pave'], unseen: 'reject' },
      KitchenQual: { type: 'categorical', required: true, categories: ['Fa', 'Gd', 'TA'], unseen: 'reject' },
      LotFrontage: { type: 'numeric', required: false, min: 0, max: 98, observed: { min: 65, max: 68 } },
      // the spec's min replaces the learned 0
      Delta: { type: 'numeric', required: true, min: -10, max: 23, observed: { min: 1, max: 3 } },
    });
  });

  it('reports every violation of every row with the raw field name and a precise reason', () => {
    const good = { LotArea: 9000, GrLivArea: 1500, Street: 'Pave', KitchenQual: 'Fa', LotFrontage: 70, Delta: 1 };
    const records: RawRecord[] = [
      good,
      { ...good, Street: 'Dirt' },
      { ...good, LotArea: null, KitchenQual: undefined },
      { ...good, LotArea: 'big', GrLivArea: true },
      { ...good, LotArea: -3, GrLivArea: 1e300 },
      { ...good, GrLivArea: 0, Delta: -3 },
      { ...good, LotArea: Infinity, KitchenQual: 'Ex', Street: { a: 1 } as unknown as string },
      { ...good, LotFrontage: null },
    ];
    const t = pipeline.transform(records);
    expect(t.violations).toEqual([
      { row: 1, field: 'Street', reason: "unseen category 'Dirt' (known: Grvl, Pave)" },
      { row: 2, field: 'LotArea', reason: 'missing value: the field is required (the pipeline neither imputes it nor lets it pass as missing)' },
      { row: 2, field: 'KitchenQual', reason: 'missing value: the field is required (the pipeline neither imputes it nor lets it pass as missing)' },
      { row: 3, field: 'LotArea', reason: "expected a number, got text 'big'" },
      { row: 3, field: 'GrLivArea', reason: 'expected a number, got a boolean (true)' },
      { row: 4, field: 'LotArea', reason: 'value -3 is out of range: the plausible range is [0, 39250] (seen in training: 8450 to 11250)' },
      { row: 4, field: 'GrLivArea', reason: 'value 1e+300 is out of range: the plausible range is [0, 7026] (seen in training: 1262 to 1786)' },
      { row: 5, field: 'GrLivArea', reason: 'log transform needs a value > 0, got 0' },
      { row: 5, field: 'Delta', reason: 'log transform needs a value > 0, got -3' },
      { row: 6, field: 'LotArea', reason: 'expected a finite number, got Infinity' },
      { row: 6, field: 'Street', reason: 'expected a category (text or number), got an object' },
      { row: 6, field: 'KitchenQual', reason: "unseen category 'Ex' (known: Fa, Gd, TA)" },
    ]);
    expect([...t.invalidRows].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    const nf = pipeline.features.length;
    expect(pipeline.features).toEqual(['LotArea', 'GrLivArea', 'Street', 'KitchenQual', 'LotFrontage', 'Delta']);
    // valid rows exact (row 7: LotFrontage imputed with the median of 65 and 68 = 66.5), invalid rows NaN
    expect(Array.from(t.x.subarray(0, nf))).toEqual([9000, Math.log(1500), 1, 2, 70, 0]);
    expect(Array.from(t.x.subarray(7 * nf, 8 * nf))).toEqual([9000, Math.log(1500), 1, 2, 66.5, 0]);
    for (const r of t.invalidRows) expect(Array.from(t.x.subarray(r * nf, (r + 1) * nf)).every(Number.isNaN)).toBe(true);
  });

  it('one bad value gives one violation (no cascade through later steps)', () => {
    // 'abc' fails the reader; the log step does not report the same cell again
    const t = pipeline.transform([{ LotArea: 9000, GrLivArea: 'abc', Street: 'Pave', KitchenQual: 'Gd', LotFrontage: 1, Delta: 1 }]);
    expect(t.violations).toEqual([{ row: 0, field: 'GrLivArea', reason: "expected a number, got text 'abc'" }]);
  });

  it('numeric text and missing tokens are read as a client would mean them', () => {
    const t = pipeline.transform([{ LotArea: ' 9000 ', GrLivArea: '1500', Street: 'Pave', KitchenQual: 'TA', LotFrontage: 'NA', Delta: '1e0' }]);
    expect(t.violations).toEqual([]);
    expect(Array.from(t.x)).toEqual([9000, Math.log(1500), 1, 3, 66.5, 0]);
  });

  it('never throws on hostile records', () => {
    const hostile = [null, undefined, 42, 'text', [], {}, { LotArea: [1] }, { __proto__: { LotArea: 1 } }] as unknown as RawRecord[];
    const t = pipeline.transform(hostile);
    expect(t.rows).toBe(hostile.length);
    expect(t.invalidRows.size).toBe(hostile.length);
    expect(t.violations.every((v) => typeof v.row === 'number' && v.field.length > 0 && v.reason.length > 0)).toBe(true);
    expect(t.violations[0]).toEqual({
      row: 0,
      field: 'LotArea',
      reason: 'missing value: the field is required (the pipeline neither imputes it nor lets it pass as missing)',
    });
  });

  it('infinite values are out of range even without a learned range', () => {
    // no training value to learn a range from; the spec gives only a lower bound
    const p = fitPipeline({ inputs: [{ name: 'a', type: 'numeric', missing: 'allow', min: 0 }], steps: [] }, [{ a: null }]);
    expect(p.input_schema.fields.a).toEqual({ type: 'numeric', required: false, min: 0 });
    const t = compilePipeline(p).transform([{ a: Infinity }, { a: '-inf' }, { a: 1e308 }, { a: -1 }]);
    expect(t.violations).toEqual([
      { row: 0, field: 'a', reason: 'expected a finite number, got Infinity' },
      { row: 1, field: 'a', reason: 'expected a finite number, got -Infinity' },
      { row: 3, field: 'a', reason: 'value -1 is out of range: the plausible range is [0, inf]' },
    ]);
  });

  it('an empty batch', () => {
    const t = pipeline.transform([]);
    expect(t).toEqual({ x: new Float64Array(0), rows: 0, violations: [], invalidRows: new Set() });
  });
});
