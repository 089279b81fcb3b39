/**
 * pipeline.json: deterministic bytes (fit twice -> identical bytes; parse -> serialize -> same
 * bytes; key order of the input irrelevant) and precise parse errors naming file and path.
 */
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  compilePipeline,
  fitPipeline,
  parsePipeline,
  PipelineError,
  serializePipeline,
  type PipelineSpec,
} from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';

/** Every op at least once. */
const spec: PipelineSpec = {
  name: 'all-ops',
  inputs: [
    { name: '1stFlrSF', type: 'numeric' },
    { name: 'LotFrontage', type: 'numeric' },
    { name: 'YearRemodAdd', type: 'numeric' },
    { name: 'YrSold', type: 'numeric' },
    { name: 'ScreenPorch', type: 'numeric' },
    { name: 'Id', type: 'numeric', missing: 'allow' },
    { name: 'MSSubClass', type: 'categorical' },
    { name: 'FireplaceQu', type: 'categorical' },
    { name: 'BsmtQual', type: 'categorical' },
    { name: 'Street', type: 'categorical' },
    { name: 'Zone', type: 'categorical' },
    { name: 'Area', type: 'numeric', missing: 'allow' },
  ],
  steps: [
    { op: 'rename', columns: { '1stFlrSF': 'FirstFlrSF' } },
    { op: 'impute_categorical', columns: ['FireplaceQu'], method: 'constant', value: 'Missing' },
    { op: 'impute_categorical', columns: ['BsmtQual'], method: 'most_frequent' },
    { op: 'missing_indicator', columns: ['LotFrontage'] },
    { op: 'impute_numeric', columns: ['LotFrontage'], method: 'mean' },
    { op: 'elapsed', columns: ['YearRemodAdd'], until: 'YrSold' },
    { op: 'drop', columns: ['YrSold', 'Id'] },
    { op: 'log', columns: ['FirstFlrSF', 'LotFrontage'] },
    { op: 'binarize', columns: ['ScreenPorch'], threshold: 0 },
    { op: 'map', columns: ['FireplaceQu', 'BsmtQual'], mapping: { Missing: 0, Po: 1, Fa: 2, TA: 3, Gd: 4, Ex: 5 } },
    { op: 'rare_labels', columns: ['MSSubClass'], tol: 0.2, n_categories: 1, unseen: 'rare' },
    { op: 'ordinal_by_target', columns: ['MSSubClass'] },
    { op: 'ordinal_alphabetical', columns: ['Street'] },
    { op: 'one_hot', columns: ['Zone'] },
    { op: 'min_max_scale', columns: ['FirstFlrSF', 'LotFrontage', 'YearRemodAdd'] },
    { op: 'select', columns: ['MSSubClass', 'FirstFlrSF', 'LotFrontage', 'LotFrontage_na', 'YearRemodAdd', 'ScreenPorch', 'FireplaceQu', 'BsmtQual', 'Street', 'Zone_RL', 'Zone_RM', 'Area'] },
  ],
  target: { transform: 'log' },
};

const rows: RawRecord[] = [
  { '1stFlrSF': 856, LotFrontage: 65, YearRemodAdd: 2003, YrSold: 2008, ScreenPorch: 0, Id: 1, MSSubClass: 60, FireplaceQu: null, BsmtQual: 'Gd', Street: 'Pave', Zone: 'RL', Area: 0.1 },
  { '1stFlrSF': 1262, LotFrontage: 80, YearRemodAdd: 1976, YrSold: 2007, ScreenPorch: 0, Id: 2, MSSubClass: 20, FireplaceQu: 'TA', BsmtQual: 'Gd', Street: 'Pave', Zone: 'RL', Area: 0.2 },
  { '1stFlrSF': 920, LotFrontage: 68, YearRemodAdd: 2002, YrSold: 2008, ScreenPorch: 176, Id: 3, MSSubClass: 60, FireplaceQu: 'TA', BsmtQual: null, Street: 'Grvl', Zone: 'RM', Area: null },
  { '1stFlrSF': 961, LotFrontage: null, YearRemodAdd: 1970, YrSold: 2006, ScreenPorch: 0, Id: 4, MSSubClass: 70, FireplaceQu: 'Gd', BsmtQual: 'TA', Street: 'Pave', Zone: 'RL', Area: 0.30000000000000004 },
  { '1stFlrSF': 1145, LotFrontage: 84, YearRemodAdd: 2000, YrSold: 2008, ScreenPorch: 0, Id: 5, MSSubClass: 60, FireplaceQu: 'TA', BsmtQual: 'Gd', Street: 'Pave', Zone: 'RL', Area: 1e-7 },
  { '1stFlrSF': 796, LotFrontage: 85, YearRemodAdd: 1995, YrSold: 2009, ScreenPorch: 0, Id: 6, MSSubClass: 50, FireplaceQu: null, BsmtQual: 'Gd', Street: 'Pave', Zone: 'RL', Area: 12345678901 },
];
const target = [208500, 181500, 223500, 140000, 250000, 143000];

const FILE = 'pipeline.json';

function text(): string {
  return serializePipeline(fitPipeline(spec, rows, target));
}

/** pipeline.json text after an edit of the parsed document. */
function edited(edit: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(text()) as Record<string, any>;
  edit(doc);
  return JSON.stringify(doc);
}

function parseError(t: string): string {
  try {
    parsePipeline(t, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineError);
    return (err as Error).message;
  }
  throw new Error('parsed without error');
}

describe('serializePipeline', () => {
  it('fit twice -> byte-identical files', () => {
    expect(text()).toBe(text());
  });

  it('parse -> serialize gives the same bytes, whatever the key order of the input', () => {
    const t = text();
    expect(serializePipeline(parsePipeline(t, FILE))).toBe(t);
    const reversed = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(reversed);
      if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, e]) => [k, reversed(e)]));
      return v;
    };
    const shuffled = JSON.stringify(reversed(JSON.parse(t)), null, 1);
    expect(shuffled).not.toBe(t);
    expect(serializePipeline(parsePipeline(shuffled, FILE))).toBe(t);
  });

  it('canonical form: sorted keys, 2-space indent, scalar arrays inline, shortest numbers, trailing newline', () => {
    expect(canonicalJson({ b: [1, 'x', null], a: { d: 0.1 + 0.2, c: -1e-7, e: [] }, f: [{ z: 1 }] })).toBe(
      '{\n  "a": {\n    "c": -1e-7,\n    "d": 0.30000000000000004,\n    "e": []\n  },\n  "b": [1, "x", null],\n  "f": [\n    {\n      "z": 1\n    }\n  ]\n}\n',
    );
    expect(() => canonicalJson({ a: NaN })).toThrow('serializePipeline: a: NaN cannot be written as JSON');
    const t = text();
    expect(t.endsWith('}\n')).toBe(true);
    expect(t.startsWith('{\n  "features": [')).toBe(true);
  });

  it('numbers round-trip exactly: the parsed pipeline transforms bit for bit like the fitted one', () => {
    const fitted = fitPipeline(spec, rows, target);
    const parsed = parsePipeline(serializePipeline(fitted), FILE);
    expect(parsed).toEqual(fitted);
    const a = compilePipeline(fitted).transform(rows);
    const b = compilePipeline(parsed).transform(rows);
    expect(Buffer.from(b.x.buffer).equals(Buffer.from(a.x.buffer))).toBe(true);
    expect(a.violations).toEqual([]);
  });

  it('the fitted state of the all-ops pipeline', () => {
    const p = fitPipeline(spec, rows, target);
    expect(p.features).toEqual(spec.steps[spec.steps.length - 1].op === 'select' ? (spec.steps[spec.steps.length - 1] as { columns: string[] }).columns : []);
    // LotFrontage mean of 65, 80, 68, 84, 85 = 382 / 5 = 76.4; BsmtQual most frequent Gd (4 of 5)
    expect(p.steps[4]).toEqual({ op: 'impute_numeric', values: { LotFrontage: 76.4 } });
    expect(p.steps[2]).toEqual({ op: 'impute_categorical', values: { BsmtQual: 'Gd' } });
    // MSSubClass counts 60: 3, 20: 1, 70: 1, 50: 1 of 6; tol 0.2 -> only 60 kept (1/6 = 0.167 < 0.2)
    expect(p.steps[10]).toEqual({ op: 'rare_labels', kept: { MSSubClass: ['60'] } });
    // mean log target: Rare = (log 181500 + log 140000 + log 143000) / 3 < 60 = (log 208500 + log 223500 + log 250000) / 3
    expect(p.steps[11]).toEqual({ op: 'ordinal_by_target', order: { MSSubClass: ['Rare', '60'] } });
    expect(p.steps[13]).toEqual({ op: 'one_hot', categories: { Zone: ['RL', 'RM'] } });
    expect(Object.keys(p.input_schema.fields)).not.toContain('Id');
    expect(p.input_schema.fields.Area).toMatchObject({ required: false });
  });
});

describe('parsePipeline errors name the file and the path', () => {
  it('invalid JSON: position as line and column', () => {
    expect(parseError('{\n  "format": "grove-pipeline",\n  }')).toMatch(/^pipeline\.json: not valid JSON: .*\(line 3, column 3\)$/);
  });

  it('schema errors', () => {
    expect(parseError(edited((d) => (d.format = 'grove')))).toBe('pipeline.json: format: expected "grove-pipeline", got "grove"');
    expect(parseError(edited((d) => (d.version = 2)))).toBe('pipeline.json: version: expected 1, got 2');
    expect(parseError(edited((d) => (d.steps[3].extra = true)))).toBe("pipeline.json: steps[3]: unknown key 'extra'");
    expect(parseError(edited((d) => (d.spec.steps[7].op = 'ln')))).toMatch(
      /^pipeline\.json: spec\.steps\[7\]\.op: expected one of 'drop', .*'one_hot', got "ln"$/,
    );
    expect(parseError(edited((d) => delete d.input_schema))).toBe('pipeline.json: input_schema: missing (expected object)');
    expect(parseError(edited((d) => (d.steps[4].values.LotFrontage = 'x')))).toBe('pipeline.json: steps[4].values.LotFrontage: expected number, got string');
    expect(parseError(edited((d) => (d.spec.steps[10].tol = 2)))).toBe('pipeline.json: spec.steps[10].tol: must be <= 1, got 2');
  });

  it('state that does not match the spec', () => {
    expect(parseError(edited((d) => d.steps.pop()))).toBe('pipeline.json: steps: has 15 entries, the spec has 16 steps');
    expect(parseError(edited((d) => (d.steps[7] = { op: 'binarize' })))).toBe("pipeline.json: steps[7].op: 'binarize' does not match the spec's step 'log'");
    expect(parseError(edited((d) => (d.steps[11].order = {})))).toBe("pipeline.json: steps[11].order: no entry for column 'MSSubClass'");
    expect(parseError(edited((d) => (d.steps[4].values.Other = 1)))).toBe(
      "pipeline.json: steps[4].values: unexpected column 'Other' (the step names LotFrontage)",
    );
    expect(parseError(edited((d) => (d.steps[11].order.MSSubClass = ['60', 'Rare', '60'])))).toBe(
      "pipeline.json: steps[11].order.MSSubClass: category '60' of column 'MSSubClass' is listed twice",
    );
    expect(parseError(edited((d) => (d.steps[12].order.Street = ['Pave', 'Grvl'])))).toBe(
      "pipeline.json: steps[12].order.Street: not in alphabetical order at [1] ('Pave', 'Grvl')",
    );
    expect(parseError(edited((d) => (d.steps[13].categories.Zone = ['RL', 'RX'])))).toBe(
      "pipeline.json: steps[13].categories.Zone: category 'RX' is not a category column 'Zone' can hold here (RL, RM)",
    );
    expect(parseError(edited((d) => (d.steps[1].values.FireplaceQu = 'None')))).toBe(
      "pipeline.json: steps[1].values.FireplaceQu: 'None' is not the spec's constant 'Missing'",
    );
    expect(parseError(edited((d) => (d.steps[14].min.FirstFlrSF = 1e9)))).toMatch(/^pipeline\.json: steps\[14\]: column 'FirstFlrSF': min 1000000000 is above max /);
  });

  it('spec errors inside the file are prefixed by the file name', () => {
    expect(parseError(edited((d) => (d.spec.steps[7].columns = ['FirstFlrSF', 'Nope'])))).toBe(
      "pipeline.json: spec.steps[7].columns[1]: no column 'Nope' at this step (log); columns here: FirstFlrSF, LotFrontage, YearRemodAdd, ScreenPorch, MSSubClass, FireplaceQu, BsmtQual, Street, Zone, Area, LotFrontage_na",
    );
  });

  it('features and input schema must be what the steps produce', () => {
    expect(parseError(edited((d) => d.features.reverse()))).toMatch(/^pipeline\.json: features: the steps produce 12 columns .*first difference at \[0\]: 'Area' vs 'MSSubClass'$/);
    expect(parseError(edited((d) => (d.input_schema.fields.Street.required = false)))).toBe(
      'pipeline.json: input_schema.fields.Street.required: is false, but the steps cannot take a missing value of this field',
    );
    expect(parseError(edited((d) => (d.input_schema.fields.MSSubClass.unseen = 'reject')))).toBe(
      "pipeline.json: input_schema.fields.MSSubClass.unseen: is 'reject', but the steps make it 'rare'",
    );
    expect(parseError(edited((d) => delete d.input_schema.fields.YrSold))).toBe("pipeline.json: input_schema.fields: missing 'YrSold' (the features depend on it)");
    expect(parseError(edited((d) => (d.input_schema.fields.Id = { type: 'numeric', required: false })))).toBe(
      'pipeline.json: input_schema.fields.Id: no feature depends on this field',
    );
    expect(parseError(edited((d) => (d.input_schema.fields.Nope = { type: 'numeric', required: false })))).toBe(
      'pipeline.json: input_schema.fields.Nope: not an input of the spec',
    );
    expect(parseError(edited((d) => (d.input_schema.fields['1stFlrSF'].aliases = ['First'])))).toBe(
      "pipeline.json: input_schema.fields.1stFlrSF.aliases: [First], but the spec's renames give [FirstFlrSF]",
    );
    expect(parseError(edited((d) => d.input_schema.fields.Zone.categories.reverse()))).toBe(
      "pipeline.json: input_schema.fields.Zone.categories: not sorted at [1] ('RM', 'RL')",
    );
    expect(parseError(edited((d) => (d.input_schema.fields.Street.type = 'numeric')))).toBe(
      "pipeline.json: input_schema.fields.Street.type: 'numeric' but the spec declares 'categorical'",
    );
  });
});
