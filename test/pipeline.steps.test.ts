/**
 * Each step's fit and transform on small hand-made data; expected values worked out by hand
 * (comments show the arithmetic).
 */
import { describe, expect, it } from 'vitest';
import {
  compilePipeline,
  fitPipeline,
  PipelineError,
  PipelineFitError,
  type FittedPipeline,
  type InputSpec,
  type PipelineSpec,
  type StepSpec,
} from '../src/pipeline/index.js';
import type { RawRecord } from '../src/service/records.js';

type Row = Record<string, number | string | boolean | null>;

function spec(inputs: InputSpec[], steps: StepSpec[], target?: 'identity' | 'log'): PipelineSpec {
  return target === undefined ? { inputs, steps } : { inputs, steps, target: { transform: target } };
}
const num = (name: string, extra: Partial<InputSpec> = {}): InputSpec => ({ name, type: 'numeric', ...extra });
const cat = (name: string, extra: Partial<InputSpec> = {}): InputSpec => ({ name, type: 'categorical', ...extra });
const column = (name: string, values: (number | string | boolean | null)[]): Row[] => values.map((v) => ({ [name]: v }));

/** Transforms and returns the matrix as rows of numbers (asserting no violations). */
function rowsOf(p: FittedPipeline, records: readonly RawRecord[]): number[][] {
  const t = compilePipeline(p).transform(records);
  expect(t.violations).toEqual([]);
  const nf = p.features.length;
  return Array.from({ length: t.rows }, (_, r) => Array.from(t.x.subarray(r * nf, (r + 1) * nf)));
}

describe('column steps: drop, select, rename', () => {
  const rows: Row[] = [
    { a: 1, b: 2, c: 3 },
    { a: 4, b: 5, c: 6 },
  ];

  it('drop removes columns; the rest keep their order', () => {
    const p = fitPipeline(spec([num('a'), num('b'), num('c')], [{ op: 'drop', columns: ['b'] }]), rows);
    expect(p.features).toEqual(['a', 'c']);
    expect(rowsOf(p, rows)).toEqual([
      [1, 3],
      [4, 6],
    ]);
    // a dropped, unused field is not part of the input schema
    expect(Object.keys(p.input_schema.fields)).toEqual(['a', 'c']);
  });

  it('select keeps the listed columns in the listed order', () => {
    const p = fitPipeline(spec([num('a'), num('b'), num('c')], [{ op: 'select', columns: ['c', 'a'] }]), rows);
    expect(p.features).toEqual(['c', 'a']);
    expect(rowsOf(p, rows)).toEqual([
      [3, 1],
      [6, 4],
    ]);
  });

  it('rename: the output has the new names, and records may use either name', () => {
    const data: Row[] = [
      { '1stFlrSF': 856, '3SsnPorch': 0 },
      { '1stFlrSF': 1262, '3SsnPorch': 320 },
    ];
    const p = fitPipeline(
      spec([num('1stFlrSF'), num('3SsnPorch')], [{ op: 'rename', columns: { '1stFlrSF': 'FirstFlrSF', '3SsnPorch': 'ThreeSsnPortch' } }]),
      data,
    );
    expect(p.features).toEqual(['FirstFlrSF', 'ThreeSsnPortch']);
    expect(p.input_schema.fields['1stFlrSF'].aliases).toEqual(['FirstFlrSF']);
    expect(rowsOf(p, [{ FirstFlrSF: 900, '3SsnPorch': 1 }, { '1stFlrSF': 901, ThreeSsnPortch: 2 }, { '1stFlrSF': 5, FirstFlrSF: 5, '3SsnPorch': 0 }])).toEqual([
      [900, 1],
      [901, 2],
      [5, 0],
    ]);
    // the same field given twice with different values is a violation (named after the first name given)
    const t = compilePipeline(p).transform([{ '1stFlrSF': 5, FirstFlrSF: 6, '3SsnPorch': 0 }]);
    expect(t.violations).toEqual([
      { row: 0, field: '1stFlrSF', reason: "given twice with different values: as '1stFlrSF' (5) and as 'FirstFlrSF' (6)" },
    ]);
  });

  it('precise errors for columns that do not exist or collide', () => {
    expect(() => fitPipeline(spec([num('a')], [{ op: 'drop', columns: ['z'] }]), rows)).toThrow(
      "spec.steps[0].columns[0]: no column 'z' at this step (drop); columns here: a",
    );
    expect(() => fitPipeline(spec([num('a'), num('b')], [{ op: 'rename', columns: { a: 'b' } }]), rows)).toThrow(
      "spec.steps[0].columns: renaming gives two columns the name 'b' ('a' and 'b')",
    );
    expect(() => fitPipeline(spec([num('a'), num('b')], [{ op: 'select', columns: ['a', 'a'] }]), rows)).toThrow(
      "spec.steps[0].columns[1]: column 'a' is listed twice",
    );
  });
});

describe('imputation', () => {
  it('categorical constant: missing -> Missing (default value)', () => {
    const p = fitPipeline(
      spec([cat('q')], [
        { op: 'impute_categorical', columns: ['q'], method: 'constant' },
        { op: 'map', columns: ['q'], mapping: { Missing: 0, Gd: 4, TA: 3 } },
      ]),
      column('q', ['Gd', null, 'TA', 'NA']),
    );
    expect(p.steps[0]).toEqual({ op: 'impute_categorical', values: { q: 'Missing' } });
    expect(rowsOf(p, column('q', ['Gd', null, 'TA', '']))).toEqual([[4], [0], [3], [0]]);
  });

  it('categorical most frequent: ties go to the smallest name; the value then imputes missing rows', () => {
    // counts: b 2, a 2, c 1 -> tie between a and b -> 'a'
    const data = column('q', ['b', 'a', 'b', 'a', 'c', null]);
    const p = fitPipeline(
      spec([cat('q')], [
        { op: 'impute_categorical', columns: ['q'], method: 'most_frequent' },
        { op: 'ordinal_alphabetical', columns: ['q'] },
      ]),
      data,
    );
    expect(p.steps[0]).toEqual({ op: 'impute_categorical', values: { q: 'a' } });
    // alphabetical codes a 0, b 1, c 2; the missing row becomes a = 0
    expect(rowsOf(p, data)).toEqual([[1], [0], [1], [0], [2], [0]]);
    expect(p.input_schema.fields.q.required).toBe(false);
  });

  it('numeric mean / median / mode / constant', () => {
    // values 1, 2, 4, 4 (one missing): mean 11/4 = 2.75; median (2 + 4) / 2 = 3; mode 4
    const data = [1, 2, null, 4, 4].map((v) => ({ m: v, d: v, o: v, k: v }));
    const p = fitPipeline(
      spec([num('m'), num('d'), num('o'), num('k')], [
        { op: 'impute_numeric', columns: ['m'], method: 'mean' },
        { op: 'impute_numeric', columns: ['d'], method: 'median' },
        { op: 'impute_numeric', columns: ['o'], method: 'mode' },
        { op: 'impute_numeric', columns: ['k'], method: 'constant', value: -1 },
      ]),
      data,
    );
    expect(p.steps.map((s) => ('values' in s ? s.values : null))).toEqual([{ m: 2.75 }, { d: 3 }, { o: 4 }, { k: -1 }]);
    expect(rowsOf(p, [{ m: null, d: null, o: null, k: null }])).toEqual([[2.75, 3, 4, -1]]);
  });

  it('median of an odd count is the middle value; mode ties go to the smallest value', () => {
    const data = [5, 1, 3, 3, 1].map((v) => ({ d: v, o: v }));
    const p = fitPipeline(
      spec([num('d'), num('o')], [
        { op: 'impute_numeric', columns: ['d'], method: 'median' },
        { op: 'impute_numeric', columns: ['o'], method: 'mode' },
      ]),
      data,
    );
    // sorted 1 1 3 3 5 -> median 3; counts 1:2, 3:2 -> mode 1
    expect(p.steps.map((s) => ('values' in s ? s.values : null))).toEqual([{ d: 3 }, { o: 1 }]);
  });

  it('mean is deterministic and exact where a naive sum is not', () => {
    // 0.1 + 0.2 + 0.3 naive = 0.6000000000000001; compensated sum = 0.6 -> mean 0.2
    const p = fitPipeline(spec([num('x')], [{ op: 'impute_numeric', columns: ['x'], method: 'mean' }]), column('x', [0.1, 0.2, 0.3]));
    expect(p.steps[0]).toEqual({ op: 'impute_numeric', values: { x: 0.6 / 3 } });
  });

  it('parameters are checked', () => {
    expect(() => fitPipeline(spec([num('x')], [{ op: 'impute_numeric', columns: ['x'], method: 'constant' }]), column('x', [1]))).toThrow(
      "spec.steps[0].value: method 'constant' needs a value",
    );
    expect(() =>
      fitPipeline(spec([num('x')], [{ op: 'impute_numeric', columns: ['x'], method: 'mean', value: 3 }]), column('x', [1])),
    ).toThrow("spec.steps[0].value: only method 'constant' takes a value (method is 'mean')");
    expect(() => fitPipeline(spec([cat('x')], [{ op: 'impute_numeric', columns: ['x'], method: 'mean' }]), column('x', ['a']))).toThrow(
      "spec.steps[0].columns[0]: impute_numeric needs a numeric column, 'x' is categorical",
    );
    expect(() =>
      fitPipeline(spec([num('x', { missing: 'allow' })], [{ op: 'impute_numeric', columns: ['x'], method: 'mean' }]), column('x', [null, null])),
    ).toThrow("spec.steps[0]: column 'x' has no values in the training data to take the mean of");
  });
});

describe('missing indicator', () => {
  it('adds <column>_na (1 = missing) at the end, for numeric and categorical columns', () => {
    const data: Row[] = [
      { f: 65, q: 'Gd' },
      { f: null, q: null },
      { f: 80, q: 'TA' },
    ];
    const p = fitPipeline(
      spec([num('f'), cat('q')], [
        { op: 'missing_indicator', columns: ['f', 'q'] },
        { op: 'impute_numeric', columns: ['f'], method: 'mean' },
        { op: 'impute_categorical', columns: ['q'], method: 'constant' },
        { op: 'map', columns: ['q'], mapping: { Missing: 0, TA: 3, Gd: 4 } },
      ]),
      data,
    );
    expect(p.features).toEqual(['f', 'q', 'f_na', 'q_na']);
    // mean of 65 and 80 = 72.5
    expect(rowsOf(p, data)).toEqual([
      [65, 4, 0, 0],
      [72.5, 0, 1, 1],
      [80, 3, 0, 0],
    ]);
  });
});

describe('elapsed', () => {
  it('YearRemodAdd := YrSold - YearRemodAdd; a negative result is kept', () => {
    const data: Row[] = [
      { YearRemodAdd: 2003, YrSold: 2008 },
      { YearRemodAdd: 1976, YrSold: 2007 },
      { YearRemodAdd: 2009, YrSold: 2008 },
    ];
    const p = fitPipeline(
      spec([num('YearRemodAdd'), num('YrSold')], [
        { op: 'elapsed', columns: ['YearRemodAdd'], until: 'YrSold' },
        { op: 'drop', columns: ['YrSold'] },
      ]),
      data,
    );
    expect(p.features).toEqual(['YearRemodAdd']);
    // YrSold is still an input: the feature depends on it
    expect(Object.keys(p.input_schema.fields)).toEqual(['YearRemodAdd', 'YrSold']);
    expect(rowsOf(p, data)).toEqual([[5], [31], [-1]]);
  });
});

describe('log, binarize, min-max scaling', () => {
  it('log is the natural logarithm', () => {
    const p = fitPipeline(spec([num('x')], [{ op: 'log', columns: ['x'] }]), column('x', [1, Math.E, 10]));
    expect(rowsOf(p, column('x', [1, Math.E, 10]))).toEqual([[0], [1], [Math.log(10)]]);
  });

  it('log of a training value <= 0 is a fit error naming the row', () => {
    expect(() => fitPipeline(spec([num('x', { min: -10 })], [{ op: 'log', columns: ['x'] }]), column('x', [1, 0, -3]))).toThrow(
      'spec.steps[0] (log): training data: rows[1].x: log transform needs a value > 0, got 0; rows[2].x: log transform needs a value > 0, got -3',
    );
  });

  it('binarize: 1 when the value is above the threshold, else 0', () => {
    const p = fitPipeline(
      spec([num('a'), num('b')], [
        { op: 'binarize', columns: ['a'], threshold: 0 },
        { op: 'binarize', columns: ['b'], threshold: 2 },
      ]),
      [
        { a: 0, b: 2 },
        { a: 112, b: 2.5 },
        { a: 0.5, b: 1 },
      ],
    );
    expect(rowsOf(p, [
      { a: 0, b: 2 },
      { a: 112, b: 2.5 },
      { a: 0.5, b: 1 },
    ])).toEqual([
      [0, 0],
      [1, 1],
      [1, 0],
    ]);
  });

  it('min-max scaling: (x - min) / (max - min); a constant column scales to 0; not clipped', () => {
    const data: Row[] = [
      { x: 2, c: 5 },
      { x: 4, c: 5 },
      { x: 6, c: 5 },
    ];
    const p = fitPipeline(spec([num('x'), num('c')], [{ op: 'min_max_scale' }]), data);
    expect(p.steps[0]).toEqual({ op: 'min_max_scale', min: { x: 2, c: 5 }, max: { x: 6, c: 5 } });
    expect(rowsOf(p, [...data, { x: 8, c: 7 }, { x: 0, c: 1 }])).toEqual([
      [0, 0],
      [0.5, 0],
      [1, 0],
      [1.5, 0],
      [-0.5, 0],
    ]);
  });

  it('min-max scaling of every column refuses categorical columns', () => {
    expect(() => fitPipeline(spec([num('x'), cat('q')], [{ op: 'min_max_scale' }]), [{ x: 1, q: 'a' }])).toThrow(
      "spec.steps[0]: min_max_scale without columns scales every column, but 'q' is categorical",
    );
  });
});

describe('value mappings', () => {
  const quality = { Po: 1, Fa: 2, TA: 3, Gd: 4, Ex: 5, Missing: 0, NA: 0 };

  it('maps categories to numbers; mapping keys unseen in training are accepted inputs', () => {
    const p = fitPipeline(spec([cat('KitchenQual')], [{ op: 'map', columns: ['KitchenQual'], mapping: quality }]), column('KitchenQual', ['Gd', 'TA', 'Ex', 'Fa']));
    // 'NA' is a missing token, never a category; 'Po' and 'Missing' come from the mapping
    expect(p.input_schema.fields.KitchenQual.categories).toEqual(['Ex', 'Fa', 'Gd', 'Missing', 'Po', 'TA']);
    expect(rowsOf(p, column('KitchenQual', ['Po', 'Fa', 'TA', 'Gd', 'Ex']))).toEqual([[1], [2], [3], [4], [5]]);
  });

  it('a training category the mapping does not cover is a fit error', () => {
    expect(() =>
      fitPipeline(spec([cat('BsmtExposure')], [{ op: 'map', columns: ['BsmtExposure'], mapping: { No: 1, Mn: 2, Av: 3, Gd: 4 } }]), column('BsmtExposure', ['No', 'Xx'])),
    ).toThrow("spec.steps[0]: mapping has no value for 'Xx' of column 'BsmtExposure' (seen in the training data)");
  });
});

describe('rare labels', () => {
  // counts a 5, b 3, c 1, d 1 (n = 10): frequencies .5 .3 .1 .1
  const data = column('v', ['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'd']);

  it('categories with frequency < tol become the label; the kept list is sorted', () => {
    const p = fitPipeline(
      spec([cat('v')], [
        { op: 'rare_labels', columns: ['v'], tol: 0.15, n_categories: 1 },
        { op: 'ordinal_alphabetical', columns: ['v'] },
      ]),
      data,
    );
    expect(p.steps[0]).toEqual({ op: 'rare_labels', kept: { v: ['a', 'b'] } });
    // after grouping: a, b, Rare -> alphabetical codes Rare 0, a 1, b 2
    expect(p.steps[1]).toEqual({ op: 'ordinal_alphabetical', order: { v: ['Rare', 'a', 'b'] } });
    expect(rowsOf(p, column('v', ['a', 'b', 'c', 'd']))).toEqual([[1], [2], [0], [0]]);
  });

  it('frequency exactly tol is kept (rare means strictly below)', () => {
    const p = fitPipeline(spec([cat('v')], [{ op: 'rare_labels', columns: ['v'], tol: 0.1, n_categories: 1 }, { op: 'one_hot', columns: ['v'] }]), data);
    expect(p.steps[0]).toEqual({ op: 'rare_labels', kept: { v: ['a', 'b', 'c', 'd'] } });
  });

  it('no grouping when there are at most n_categories categories', () => {
    const p = fitPipeline(spec([cat('v')], [{ op: 'rare_labels', columns: ['v'], tol: 0.15, n_categories: 4 }, { op: 'one_hot', columns: ['v'] }]), data);
    expect(p.steps[0]).toEqual({ op: 'rare_labels', kept: { v: ['a', 'b', 'c', 'd'] } });
  });

  it("unseen categories become the label only with unseen: 'rare', and only if the label is known downstream", () => {
    const steps = (unseen: 'rare' | 'error'): StepSpec[] => [
      { op: 'rare_labels', columns: ['v'], tol: 0.15, n_categories: 1, label: 'Other', unseen },
      { op: 'ordinal_alphabetical', columns: ['v'] },
    ];
    const open = fitPipeline(spec([cat('v')], steps('rare')), data);
    expect(open.input_schema.fields.v.unseen).toBe('rare');
    // codes: Other 0, a 1, b 2; 'zz' is unseen -> Other
    expect(rowsOf(open, column('v', ['zz', 'a']))).toEqual([[0], [1]]);

    const closed = fitPipeline(spec([cat('v')], steps('error')), data);
    expect(closed.input_schema.fields.v.unseen).toBe('reject');
    expect(compilePipeline(closed).transform(column('v', ['zz'])).violations).toEqual([
      { row: 0, field: 'v', reason: "unseen category 'zz' (known: a, b, c, d)" },
    ]);

    // nothing was rare in training: the encoder never saw 'Other', so unseen values are refused
    const noRare = fitPipeline(spec([cat('v')], steps('rare')), column('v', ['a', 'b']));
    expect(noRare.input_schema.fields.v.unseen).toBe('reject');
    expect(compilePipeline(noRare).transform(column('v', ['zz'])).violations).toEqual([
      { row: 0, field: 'v', reason: "unseen category 'zz' (known: a, b)" },
    ]);
  });
});

describe('ordinal and one-hot encodings', () => {
  it('ordinal by target: ascending mean target, ties by name', () => {
    // a: (1 + 3) / 2 = 2; b: (2 + 2) / 2 = 2; c: 0 -> order c, a, b (a and b tie, a first)
    const data = column('v', ['b', 'a', 'c', 'a', 'b']);
    const target = [2, 1, 0, 3, 2];
    const p = fitPipeline(spec([cat('v')], [{ op: 'ordinal_by_target', columns: ['v'] }]), data, target);
    expect(p.steps[0]).toEqual({ op: 'ordinal_by_target', order: { v: ['c', 'a', 'b'] } });
    expect(rowsOf(p, column('v', ['a', 'b', 'c']))).toEqual([[1], [2], [0]]);
  });

  it('ordinal by target uses the transformed target (log): the order can differ from raw means', () => {
    // raw means: x (1 + 100) / 2 = 50.5 > y 40; log means: x (0 + 4.605) / 2 = 2.30 < y 3.69
    const data = column('v', ['x', 'x', 'y']);
    const p = fitPipeline(spec([cat('v')], [{ op: 'ordinal_by_target', columns: ['v'] }], 'log'), data, [1, 100, 40]);
    expect(p.steps[0]).toEqual({ op: 'ordinal_by_target', order: { v: ['x', 'y'] } });
    const q = fitPipeline(spec([cat('v')], [{ op: 'ordinal_by_target', columns: ['v'] }], 'identity'), data, [1, 100, 40]);
    expect(q.steps[0]).toEqual({ op: 'ordinal_by_target', order: { v: ['y', 'x'] } });
  });

  it('ordinal by target needs the target', () => {
    expect(() => fitPipeline(spec([cat('v')], [{ op: 'ordinal_by_target', columns: ['v'] }]), column('v', ['a']))).toThrow(
      'spec.steps[0]: ordinal_by_target needs the target: fitPipeline(spec, rows, target)',
    );
  });

  it('alphabetical ordinal: code-unit order (upper case before lower case)', () => {
    const p = fitPipeline(spec([cat('v')], [{ op: 'ordinal_alphabetical', columns: ['v'] }]), column('v', ['b', 'C', 'a', 'b']));
    expect(p.steps[0]).toEqual({ op: 'ordinal_alphabetical', order: { v: ['C', 'a', 'b'] } });
    expect(rowsOf(p, column('v', ['C', 'a', 'b']))).toEqual([[0], [1], [2]]);
  });

  it('one-hot: one column per category, in place of the encoded column', () => {
    const data: Row[] = [
      { n: 1, v: 'y' },
      { n: 2, v: 'x' },
    ];
    const p = fitPipeline(spec([cat('v'), num('n')], [{ op: 'one_hot', columns: ['v'] }]), data);
    expect(p.features).toEqual(['v_x', 'v_y', 'n']);
    expect(rowsOf(p, data)).toEqual([
      [0, 1, 1],
      [1, 0, 2],
    ]);
  });

  it('a pipeline must end with numeric columns', () => {
    expect(() => fitPipeline(spec([cat('v'), num('n')], []), [{ v: 'a', n: 1 }])).toThrow(
      "spec.steps: the pipeline ends with categorical column 'v'; encode (map, ordinal_by_target, ordinal_alphabetical, one_hot) or drop them",
    );
  });
});

describe('categories that look like numbers', () => {
  it("MSSubClass 20 and '20' (and '20.0') are the same category", () => {
    const p = fitPipeline(spec([cat('MSSubClass')], [{ op: 'one_hot', columns: ['MSSubClass'] }]), column('MSSubClass', [20, 60, '120']));
    expect(p.input_schema.fields.MSSubClass.categories).toEqual(['120', '20', '60']);
    expect(p.features).toEqual(['MSSubClass_120', 'MSSubClass_20', 'MSSubClass_60']);
    expect(rowsOf(p, column('MSSubClass', [20, '20', '20.0', 120, '60']))).toEqual([
      [0, 1, 0],
      [0, 1, 0],
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 1],
    ]);
  });
});

describe('target transform', () => {
  it('log on fit, exp on output', () => {
    const p = fitPipeline(spec([num('x')], [], 'log'), column('x', [1]), [1]);
    const c = compilePipeline(p);
    expect(Array.from(c.transformTarget([1, Math.E]))).toEqual([0, 1]);
    const out = new Float64Array([0, 1]);
    expect(c.inverseTarget(out)).toBe(out);
    expect(Array.from(out)).toEqual([1, Math.E]);
    expect(() => c.transformTarget([3, 0])).toThrow('target[1]: log transform needs a value > 0, got 0');
    expect(() => fitPipeline(spec([num('x')], [], 'log'), column('x', [1]), [-5])).toThrow(PipelineError);
  });

  it('identity leaves values as they are', () => {
    const c = compilePipeline(fitPipeline(spec([num('x')], []), column('x', [1])));
    expect(Array.from(c.transformTarget([208500]))).toEqual([208500]);
    expect(Array.from(c.inverseTarget(new Float64Array([1.5])))).toEqual([1.5]);
  });
});

describe('fit errors name rows and fields', () => {
  it('a missing value nothing imputes in training', () => {
    let err: unknown;
    try {
      fitPipeline(spec([num('a'), num('b')], []), [{ a: 1, b: 2 }, { a: null, b: 3 }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineFitError);
    expect((err as Error).message).toBe(
      'training data: 1 of 2 rows do not fit the pipeline: rows[1].a: missing value: the field is required (the pipeline neither imputes it nor lets it pass as missing)',
    );
    expect((err as PipelineFitError).violations).toHaveLength(1);
  });

  it("missing: 'allow' lets missing values pass as NaN", () => {
    const p = fitPipeline(spec([num('a', { missing: 'allow' })], []), column('a', [1, null]));
    expect(p.input_schema.fields.a.required).toBe(false);
    const t = compilePipeline(p).transform(column('a', [null]));
    expect(t.violations).toEqual([]);
    expect(Number.isNaN(t.x[0])).toBe(true);
  });

  it('wrong types in training', () => {
    expect(() => fitPipeline(spec([num('a')], []), column('a', [1, 'big']))).toThrow("training data: rows[1].a: expected a number, got text 'big'");
  });

  it('spec validation names the path', () => {
    expect(() => fitPipeline({ inputs: [{ name: 'a', type: 'numeric' }], steps: [{ op: 'lg', columns: ['a'] }] } as unknown as PipelineSpec, [])).toThrow(
      "spec: steps[0].op: expected one of 'drop', 'select', 'rename', 'impute_categorical', 'impute_numeric', 'missing_indicator', 'elapsed', 'log', 'binarize', 'min_max_scale', 'map', 'rare_labels', 'ordinal_by_target', 'ordinal_alphabetical', 'one_hot', got \"lg\"",
    );
    expect(() => fitPipeline({ inputs: [{ name: 'a', type: 'numeric', kind: 1 }], steps: [] } as unknown as PipelineSpec, [])).toThrow(
      "spec: inputs[0]: unknown key 'kind'",
    );
    expect(() => fitPipeline(spec([num('a'), num('a')], []), [])).toThrow("spec: inputs[1].name: 'a' is declared twice");
  });
});
