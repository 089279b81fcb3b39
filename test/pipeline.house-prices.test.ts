/**
 * The house-price v1 and v2 specs (src/pipeline/specs/) fitted on train.csv: the feature
 * columns, fitted state cross-checked against counts taken straight from the CSV, exact values
 * for the first row worked out from its raw cells, and all of test.csv transformed with
 * violations only where they are justified.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  compilePipeline,
  fitPipeline,
  parsePipeline,
  parseSpec,
  recordsFromCsv,
  serializePipeline,
  type FittedPipeline,
} from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';

const root = join(import.meta.dirname, '..');
function csv(file: string): { header: string[]; body: string[][]; records: RawRecord[] } {
  const rows = parse(readFileSync(join(root, 'data', 'house-prices', file), 'utf8')) as string[][];
  return { header: rows[0], body: rows.slice(1), records: recordsFromCsv(rows[0], rows.slice(1)) };
}
const train = csv('train.csv');
const test = csv('test.csv');
const target = train.records.map((r) => r.SalePrice as number);
const cell = (data: typeof train, r: number, name: string): string => data.body[r][data.header.indexOf(name)];
const specOf = (v: string) => {
  const file = join(root, 'src', 'pipeline', 'specs', `house-price-${v}.json`);
  return parseSpec(readFileSync(file, 'utf8'), file);
};
const REQUIRED = 'missing value: the field is required (the pipeline neither imputes it nor lets it pass as missing)';

/** Counts of each raw cell value of a column (CSV text). */
function counts(name: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let r = 0; r < train.body.length; r++) {
    const v = cell(train, r, name);
    if (v !== 'NA') m.set(v, (m.get(v) ?? 0) + 1);
  }
  return m;
}

describe('data', () => {
  it('train.csv and test.csv are the shared files', () => {
    expect(train.body).toHaveLength(1460);
    expect(test.body).toHaveLength(1459);
    expect(train.header).toContain('SalePrice');
    expect(test.header).not.toContain('SalePrice');
  });
});

describe('house-price v1', () => {
  const spec = specOf('v1');
  const p: FittedPipeline = fitPipeline(spec, train.records, target);
  const c = compilePipeline(p);
  const nf = p.features.length;

  it('37 feature columns: the 36 inputs other than YrSold (1st/2ndFlrSF renamed) and LotFrontage_na', () => {
    expect(p.features).toEqual([
      'MSSubClass', 'MSZoning', 'LotFrontage', 'LotShape', 'LandContour', 'LotConfig', 'Neighborhood', 'OverallQual',
      'OverallCond', 'YearRemodAdd', 'RoofStyle', 'Exterior1st', 'ExterQual', 'Foundation', 'BsmtQual', 'BsmtExposure',
      'BsmtFinType1', 'HeatingQC', 'CentralAir', 'FirstFlrSF', 'SecondFlrSF', 'GrLivArea', 'BsmtFullBath', 'HalfBath',
      'KitchenQual', 'TotRmsAbvGrd', 'Functional', 'Fireplaces', 'FireplaceQu', 'GarageFinish', 'GarageCars', 'GarageArea',
      'PavedDrive', 'WoodDeckSF', 'ScreenPorch', 'SaleCondition', 'LotFrontage_na',
    ]);
    expect(p.target).toEqual({ transform: 'log' });
    expect(Object.keys(p.input_schema.fields)).toHaveLength(37); // YrSold is an input of YearRemodAdd
  });

  it('imputation values match the CSV', () => {
    // mean of the 1201 present LotFrontage values
    const lf = train.body.map((_, r) => cell(train, r, 'LotFrontage')).filter((v) => v !== 'NA').map(Number);
    expect(lf).toHaveLength(1201);
    expect((p.steps[4] as { values: Record<string, number> }).values.LotFrontage).toBeCloseTo(lf.reduce((a, b) => a + b, 0) / lf.length, 12);
    expect((p.steps[4] as { values: Record<string, number> }).values.LotFrontage).toBe(70.04995836802665);
    // most frequent: BsmtQual TA 649 > Gd 618; BsmtExposure No 953; BsmtFinType1 Unf 430 > GLQ 418; GarageFinish Unf 605
    expect(p.steps[2]).toEqual({
      op: 'impute_categorical',
      values: { BsmtQual: 'TA', BsmtExposure: 'No', BsmtFinType1: 'Unf', GarageFinish: 'Unf' },
    });
    expect(counts('BsmtQual').get('TA')).toBe(649);
    expect(p.steps[1]).toEqual({ op: 'impute_categorical', values: { FireplaceQu: 'Missing' } });
  });

  it('rare labels: categories seen in fewer than 1% of the 1460 rows (count <= 14)', () => {
    const kept = (p.steps[13] as { kept: Record<string, string[]> }).kept;
    const categorical = (spec.steps[13] as { columns: string[] }).columns;
    for (const name of categorical) {
      const want = [...counts(name)].filter(([, n]) => n / 1460 >= 0.01).map(([v]) => v).sort();
      expect(kept[name], name).toEqual(want);
    }
    // e.g. Functional Maj1 (14 rows, 0.96%) is rare, Mod (15 rows) is not; MSSubClass 40, 45, 180 are rare
    expect(kept.Functional).toEqual(['Min1', 'Min2', 'Mod', 'Typ']);
    expect(kept.MSSubClass).toEqual(['120', '160', '190', '20', '30', '50', '60', '70', '75', '80', '85', '90']);
    expect(kept.CentralAir).toEqual(['N', 'Y']);
  });

  it('ordinal by target: ascending mean log(SalePrice) per (grouped) category', () => {
    const order = (p.steps[14] as { order: Record<string, string[]> }).order;
    const means = new Map<string, { s: number; n: number }>();
    for (let r = 0; r < 1460; r++) {
      const v = cell(train, r, 'MSZoning');
      const k = v === 'C (all)' ? 'Rare' : v;
      const m = means.get(k) ?? { s: 0, n: 0 };
      m.s += Math.log(target[r]);
      m.n++;
      means.set(k, m);
    }
    const want = [...means].sort((a, b) => a[1].s / a[1].n - b[1].s / b[1].n).map(([k]) => k);
    expect(order.MSZoning).toEqual(want);
    expect(order.MSZoning).toEqual(['Rare', 'RM', 'RH', 'RL', 'FV']);
  });

  it('the input schema', () => {
    const f = p.input_schema.fields;
    expect(f.LotFrontage).toMatchObject({ type: 'numeric', required: false, min: 0, observed: { min: 21, max: 313 } });
    expect(f['1stFlrSF']).toMatchObject({ required: true, aliases: ['FirstFlrSF'], min: 0 });
    expect(f.BsmtQual).toEqual({ type: 'categorical', required: false, categories: ['Ex', 'Fa', 'Gd', 'Missing', 'Po', 'TA'], unseen: 'reject' });
    // grouped into Rare when unseen, because the ordinal encoder knows Rare for MSSubClass...
    expect(f.MSSubClass.unseen).toBe('rare');
    // ... but nothing was rare for CentralAir, so an unseen value has no code
    expect(f.CentralAir.unseen).toBe('reject');
    expect(f.YrSold).toMatchObject({ type: 'numeric', required: true, min: 0, max: 2050 });
  });

  it('the first training row, worked out from its raw cells', () => {
    const t = c.transform(train.records);
    expect(t.violations).toEqual([]);
    const row0 = Array.from(t.x.subarray(0, nf));
    const mm = p.steps[15] as { min: Record<string, number>; max: Record<string, number> };
    const scaled = (name: string, v: number): number => (v - mm.min[name]) / (mm.max[name] - mm.min[name]);
    const at = (name: string): number => row0[p.features.indexOf(name)];
    // Id 1: LotFrontage 65, YearRemodAdd 2003, YrSold 2008, GrLivArea 1710, ExterQual Gd, ScreenPorch 0, FireplaceQu NA
    expect(at('LotFrontage')).toBe(scaled('LotFrontage', Math.log(65)));
    expect(mm.min.LotFrontage).toBe(Math.log(21));
    expect(at('YearRemodAdd')).toBe(scaled('YearRemodAdd', 2008 - 2003));
    expect(at('GrLivArea')).toBe((Math.log(1710) - Math.log(334)) / (Math.log(5642) - Math.log(334)));
    expect(at('ExterQual')).toBe((4 - 2) / (5 - 2)); // Gd 4; Fa 2 .. Ex 5 in training
    expect(at('FireplaceQu')).toBe(0); // NA -> Missing -> 0, the minimum
    expect(at('ScreenPorch')).toBe(0);
    expect(at('LotFrontage_na')).toBe(0);
    expect(at('OverallQual')).toBe((7 - 1) / (10 - 1));
    // every training value lies in [0, 1]
    expect(t.x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('test.csv: 10 of 1459 rows rejected, each for a missing value in a field never missing in training and not imputed', () => {
    const t = c.transform(test.records);
    const id = (r: number) => cell(test, r, 'Id');
    expect(t.violations.map((v) => `${id(v.row as number)} ${v.field}: ${v.reason === REQUIRED ? 'REQUIRED' : v.reason}`)).toEqual([
      '1556 KitchenQual: REQUIRED',
      '1916 MSZoning: REQUIRED',
      '2121 BsmtFullBath: REQUIRED',
      '2152 Exterior1st: REQUIRED',
      '2189 BsmtFullBath: REQUIRED',
      '2217 MSZoning: REQUIRED',
      '2217 Functional: REQUIRED',
      '2251 MSZoning: REQUIRED',
      '2474 Functional: REQUIRED',
      '2577 GarageCars: REQUIRED',
      '2577 GarageArea: REQUIRED',
      '2905 MSZoning: REQUIRED',
    ]);
    expect(t.invalidRows.size).toBe(10);
    for (const v of t.violations) expect(cell(test, v.row as number, v.field)).toBe('NA');
    // accepted rows are finite; MSSubClass 150 (never in training) is grouped as Rare
    for (let r = 0; r < t.rows; r++) {
      const row = t.x.subarray(r * nf, (r + 1) * nf);
      expect(row.every((v) => (t.invalidRows.has(r) ? Number.isNaN(v) : Number.isFinite(v)))).toBe(true);
    }
    const r150 = test.body.findIndex((_, r) => cell(test, r, 'MSSubClass') === '150');
    expect(r150).toBeGreaterThanOrEqual(0);
    const order = (p.steps[14] as { order: Record<string, string[]> }).order.MSSubClass;
    const mm = p.steps[15] as { min: Record<string, number>; max: Record<string, number> };
    expect(t.x[r150 * nf + p.features.indexOf('MSSubClass')]).toBe(order.indexOf('Rare') / (mm.max.MSSubClass - mm.min.MSSubClass));
  });

  it('deterministic bytes; the saved pipeline transforms test.csv bit for bit like the fitted one', () => {
    const text = serializePipeline(p);
    expect(serializePipeline(fitPipeline(spec, train.records, target))).toBe(text);
    const again = compilePipeline(parsePipeline(text, 'pipeline.json')).transform(test.records);
    const first = c.transform(test.records);
    expect(Buffer.from(again.x.buffer).equals(Buffer.from(first.x.buffer))).toBe(true);
  });
});

describe('house-price v2', () => {
  const spec = specOf('v2');
  const p = fitPipeline(spec, train.records, target);
  const c = compilePipeline(p);
  const nf = p.features.length;

  it('10 feature columns in the order listed', () => {
    expect(p.features).toEqual([
      'LotArea', 'OverallQual', 'YearRemodAdd', 'BsmtQual', 'BsmtFinSF1', 'TotalBsmtSF', 'FirstFlrSF', 'SecondFlrSF', 'GrLivArea', 'GarageCars',
    ]);
    expect(p.target).toEqual({ transform: 'identity' });
    expect(p.steps[1]).toEqual({ op: 'impute_categorical', values: { BsmtQual: 'TA' } });
    expect(p.steps[4]).toEqual({ op: 'ordinal_alphabetical', order: { BsmtQual: ['Ex', 'Fa', 'Gd', 'TA'] } });
    expect(Object.values(p.input_schema.fields).every((f) => !f.required)).toBe(true);
  });

  it('the first training row is its raw cells (BsmtQual Gd = 2, YearRemodAdd 2008 - 2003)', () => {
    const t = c.transform(train.records.slice(0, 1));
    expect(Array.from(t.x)).toEqual([8450, 7, 5, 2, 706, 856, 856, 854, 1710, 2]);
  });

  it('test.csv: no row rejected; missing numbers pass as NaN', () => {
    const t = c.transform(test.records);
    expect(t.violations).toEqual([]);
    let nan = 0;
    for (let r = 0; r < t.rows; r++) {
      for (let j = 0; j < nf; j++) {
        const raw = cell(test, r, p.features[j] === 'FirstFlrSF' ? '1stFlrSF' : p.features[j] === 'SecondFlrSF' ? '2ndFlrSF' : p.features[j]);
        if (Number.isNaN(t.x[r * nf + j])) {
          nan++;
          expect(raw).toBe('NA');
        }
      }
    }
    // BsmtFinSF1, TotalBsmtSF (the same row) and GarageCars are NA once each in test.csv
    expect(nan).toBe(3);
  });
});
