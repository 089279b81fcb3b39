/**
 * XGBoost reader: every fixture written by XGBoost 1.7.4 / 3.4.1 (JSON and UBJSON) must reproduce
 * XGBoost's own margins and predictions through the reference engine; plus the UBJSON decoder,
 * the lenient JSON parser, and malformed documents that must be refused with a precise error.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRows } from '../src/formats/encode.js';
import { ModelFormatError, NODE_CATEGORICAL, type ForestIR, type ModelIR } from '../src/formats/ir.js';
import { JsonSyntaxError, parseLenientJson } from '../src/formats/lenient-json.js';
import { UbjsonError, decodeUbjson } from '../src/formats/ubjson.js';
import { readXGBoostJson, readXGBoostUbjson } from '../src/formats/xgboost.js';
import { scoreMargins } from '../src/engine/reference.js';
import { applyTransform } from '../src/engine/transforms.js';
import { FIXTURES, compare, readCsv, readExpected } from './helpers/fixtures.js';

const XGB = join(FIXTURES, 'xgboost');
const TOLERANCE = 1e-6;

// ---------------------------------------------------------------------------------------------
// Helpers

/** Max |got - want| / max(|want|, 1): relative for large values, absolute near zero. */
function scaledError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue;
    const e = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

function exactCount(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < want.length; i++) if (Object.is(got[i], want[i]) || got[i] === want[i]) n++;
  return n;
}

function bitIdentical(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Expects `fn` to throw a ModelFormatError whose message matches every pattern. */
function expectModelError(fn: () => unknown, ...patterns: RegExp[]): ModelFormatError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a ModelFormatError').toBeInstanceOf(ModelFormatError);
  const err = caught as ModelFormatError;
  for (const p of patterns) expect(err.message).toMatch(p);
  return err;
}

/** JSON text as XGBoost writes it: typed arrays as arrays, bare NaN / Infinity tokens. */
function toXgbJson(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Infinity';
    if (v === -Infinity) return '-Infinity';
    return Object.is(v, -0) ? '-0' : String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    return `[${Array.from(v as ArrayLike<unknown>, toXgbJson).join(',')}]`;
  }
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).map((k) => `${JSON.stringify(k)}:${toXgbJson(o[k])}`).join(',')}}`;
}

/** A minimal big-endian UBJSON writer in XGBoost's style (int64 lengths, typed arrays). */
function toUbjson(v: unknown): Uint8Array {
  const out: number[] = [];
  const scratch = new DataView(new ArrayBuffer(8));
  const bytes = (n: number): void => {
    for (let i = 0; i < n; i++) out.push(scratch.getUint8(i));
  };
  const int64 = (n: number | bigint): void => {
    out.push(0x4c);
    scratch.setBigInt64(0, BigInt(n), false);
    bytes(8);
  };
  const rawStr = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    int64(b.length);
    out.push(...b);
  };
  const typed = (marker: string, arr: ArrayLike<number | bigint>, size: number, write: (x: number | bigint) => void): void => {
    out.push(0x5b, 0x24, marker.charCodeAt(0), 0x23);
    int64(arr.length);
    for (let i = 0; i < arr.length; i++) {
      write(arr[i]);
      bytes(size);
    }
  };
  const enc = (x: unknown): void => {
    if (x === null) out.push(0x5a);
    else if (x === true) out.push(0x54);
    else if (x === false) out.push(0x46);
    else if (typeof x === 'bigint') int64(x);
    else if (typeof x === 'number') {
      if (Number.isInteger(x) && Math.abs(x) < 2 ** 31) {
        out.push(0x6c);
        scratch.setInt32(0, x, false);
        bytes(4);
      } else if (Number.isNaN(x) || Math.fround(x) === x) {
        out.push(0x64);
        scratch.setFloat32(0, x, false);
        bytes(4);
      } else {
        out.push(0x44);
        scratch.setFloat64(0, x, false);
        bytes(8);
      }
    } else if (typeof x === 'string') {
      out.push(0x53);
      rawStr(x);
    } else if (x instanceof Float32Array) typed('d', x, 4, (e) => scratch.setFloat32(0, Number(e), false));
    else if (x instanceof Float64Array) typed('D', x, 8, (e) => scratch.setFloat64(0, Number(e), false));
    else if (x instanceof Int32Array) typed('l', x, 4, (e) => scratch.setInt32(0, Number(e), false));
    else if (x instanceof Int8Array) typed('i', x, 1, (e) => scratch.setInt8(0, Number(e)));
    else if (x instanceof Uint8Array) typed('U', x, 1, (e) => scratch.setUint8(0, Number(e)));
    else if (x instanceof BigInt64Array) typed('L', x, 8, (e) => scratch.setBigInt64(0, BigInt(e), false));
    else if (Array.isArray(x)) {
      out.push(0x5b, 0x23);
      int64(x.length);
      for (const e of x) enc(e);
    } else {
      out.push(0x7b);
      const o = x as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        rawStr(k);
        enc(o[k]);
      }
      out.push(0x7d);
    }
  };
  enc(v);
  return Uint8Array.from(out);
}

// Test documents are built and mutated freely; `any` keeps that readable and never leaves this file.
type Doc = Record<string, any>;

const utf8Bytes = (names: string[]): { offsets: Int32Array; values: Int8Array } => {
  const offsets = [0];
  const values: number[] = [];
  for (const n of names) {
    values.push(...Buffer.from(n, 'utf8'));
    offsets.push(values.length);
  }
  return { offsets: Int32Array.from(offsets), values: Int8Array.from(values, (b) => (b << 24) >> 24) };
};

/**
 * A small XGBoost 3.x-style model, written out by hand so its predictions can be checked by hand:
 * tree 0 splits on a < 0.5 (missing left) -> leaf 0.125, else a categorical split on b with the set
 * {grn, ylw} (codes 1, 3): in the set -> 0.375 (right), not -> -0.25 (left); tree 1 is the leaf 0.0625.
 */
function tinyModel(): Doc {
  const tree0 = {
    base_weights: new Float32Array([0, 0.125, NaN, -0.25, 0.375]),
    categories: new Int32Array([1, 3]),
    categories_nodes: new Int32Array([2]),
    categories_segments: new BigInt64Array([0n]),
    categories_sizes: new BigInt64Array([2n]),
    default_left: new Uint8Array([1, 0, 0, 0, 0]),
    id: 0,
    left_children: new Int32Array([1, -1, 3, -1, -1]),
    loss_changes: new Float32Array([1, 0, 1, 0, 0]),
    parents: new Int32Array([2147483647, 0, 0, 2, 2]),
    right_children: new Int32Array([2, -1, 4, -1, -1]),
    split_conditions: new Float32Array([0.5, 0.125, NaN, -0.25, 0.375]),
    split_indices: new Int32Array([0, 0, 1, 0, 0]),
    split_type: new Uint8Array([0, 0, 1, 0, 0]),
    sum_hessian: new Float32Array([10, 5, 5, 2, 3]),
    tree_param: { num_deleted: '0', num_feature: '3', num_nodes: '5', size_leaf_vector: '1' },
  };
  const tree1 = {
    base_weights: new Float32Array([0.0625]),
    categories: new Int32Array([]),
    categories_nodes: new Int32Array([]),
    categories_segments: new BigInt64Array([]),
    categories_sizes: new BigInt64Array([]),
    default_left: new Uint8Array([0]),
    id: 1,
    left_children: new Int32Array([-1]),
    loss_changes: new Float32Array([0]),
    parents: new Int32Array([2147483647]),
    right_children: new Int32Array([-1]),
    split_conditions: new Float32Array([0.0625]),
    split_indices: new Int32Array([0]),
    split_type: new Uint8Array([0]),
    sum_hessian: new Float32Array([10]),
    tree_param: { num_deleted: '0', num_feature: '3', num_nodes: '1', size_leaf_vector: '1' },
  };
  return {
    learner: {
      attributes: {},
      feature_names: ['a', 'b', 'c'],
      feature_types: ['float', 'c', 'float'],
      gradient_booster: {
        model: {
          cats: {
            enc: [{ offsets: new Int32Array([]), values: new Int8Array([]) }, utf8Bytes(['red', 'grn', 'blu', 'ylw']), { offsets: new Int32Array([]), values: new Int8Array([]) }],
            feature_segments: new Int32Array([0, 0, 4, 4]),
            sorted_idx: new Int32Array([2, 1, 0, 3]),
          },
          gbtree_model_param: { num_parallel_tree: '1', num_trees: '2' },
          iteration_indptr: new Int32Array([0, 1, 2]),
          tree_info: new Int32Array([0, 0]),
          trees: [tree0, tree1],
        },
        name: 'gbtree',
      },
      learner_model_param: { base_score: '[5E-1]', boost_from_average: '1', num_class: '0', num_feature: '3', num_target: '1' },
      objective: { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } },
    },
    version: [3, 4, 1],
  };
}

const readTinyJson = (doc: Doc = tinyModel()): ModelIR => readXGBoostJson(toXgbJson(doc), 'tiny.json');
const readTinyUbj = (doc: Doc = tinyModel()): ModelIR => readXGBoostUbjson(toUbjson(doc), 'tiny.ubj');

function scoreRows(m: ModelIR, header: string[], rows: string[][]): { margins: Float64Array; outputs: Float64Array } {
  const x = encodeRows(m, header, rows);
  const margins = scoreMargins(m, x, rows.length);
  return { margins, outputs: applyTransform(m, margins, rows.length, m.numIterations) };
}

// ---------------------------------------------------------------------------------------------
// XGBoost's own fixtures

interface Row {
  case: string;
  version: string;
  marginAbs: number;
  marginRel: number;
  marginExact: string;
  outputAbs: number;
  outputRel: number;
  outputExact: string;
  best: string;
}
const table: Row[] = [];

const cases = readdirSync(XGB).filter((c) => existsSync(join(XGB, c, 'model.json'))).sort();

describe('XGBoost fixtures (JSON and UBJSON vs XGBoost predictions)', () => {
  it('has the fixture cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(47);
  });

  for (const c of cases) {
    it(c, () => {
      const dir = join(XGB, c);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
      const jsonText = readFileSync(join(dir, 'model.json'), 'utf8');
      const mj = readXGBoostJson(jsonText, join(dir, 'model.json'));
      const mu = readXGBoostUbjson(readFileSync(join(dir, 'model.ubj')), join(dir, 'model.ubj'));

      // The same booster in both encodings: the same IR, apart from the format description.
      expect(mj.formatDetail).toBe(`XGBoost ${meta.xgboost_version} JSON`);
      expect(mu.formatDetail).toBe(`XGBoost ${meta.xgboost_version} UBJSON`);
      expect({ ...mu, formatDetail: '' }).toEqual({ ...mj, formatDetail: '' });
      expect(mj.objective).toBe(meta.objective);
      expect(mj.numFeatures).toBe(meta.num_features);
      if (mj.kind === 'forest') expect(mj.trees.count).toBe(meta.num_trees);
      else expect(meta.booster).toBe('gblinear');

      // String categories: 3.x stores the names (cats); 1.7 does not, so the caller supplies them.
      const catsFile = join(dir, 'categories.json');
      if (existsSync(catsFile)) {
        const cats = JSON.parse(readFileSync(catsFile, 'utf8')) as Record<string, string[]>;
        for (const m of [mj, mu]) {
          for (const f of m.features) {
            if (!(f.name in cats)) continue;
            expect(f.type).toBe('categorical');
            if (meta.xgboost_version === '3.4.1') expect(f.categories).toEqual(cats[f.name]);
            else {
              expect(f.categories).toBeNull();
              f.categories = cats[f.name];
            }
          }
        }
      }

      const input = readCsv(join(dir, 'input.csv'));
      const x = encodeRows(mj, input.header, input.rows);
      expect(bitIdentical(encodeRows(mu, input.header, input.rows), x)).toBe(true);
      const rows = input.rows.length;
      const margins = scoreMargins(mj, x, rows);
      expect(bitIdentical(scoreMargins(mu, x, rows), margins), 'JSON and UBJSON margins differ').toBe(true);
      const outputs = applyTransform(mj, margins, rows, mj.numIterations);

      const wantMargin = readExpected(join(dir, 'expected_margin.csv'));
      const want = readExpected(join(dir, 'expected.csv'));
      expect(wantMargin.columns.length).toBe(mj.numMargins);
      expect(want.columns.length).toBe(mj.numOutputs);
      const cm = compare(margins, wantMargin.values);
      const co = compare(outputs, want.values);
      expect(scaledError(margins, wantMargin.values), 'margins').toBeLessThanOrEqual(TOLERANCE);
      expect(scaledError(outputs, want.values), 'outputs').toBeLessThanOrEqual(TOLERANCE);

      let best = '';
      if (existsSync(join(dir, 'expected_best.csv'))) {
        const doc = parseLenientJson(jsonText) as Doc;
        const iterations = Number(doc.learner.attributes.best_iteration) + 1;
        const bm = scoreMargins(mj, x, rows, iterations);
        const bo = applyTransform(mj, bm, rows, iterations);
        const wbm = readExpected(join(dir, 'expected_best_margin.csv')).values;
        const wbo = readExpected(join(dir, 'expected_best.csv')).values;
        expect(scaledError(bm, wbm), 'best-iteration margins').toBeLessThanOrEqual(TOLERANCE);
        expect(scaledError(bo, wbo), 'best-iteration outputs').toBeLessThanOrEqual(TOLERANCE);
        const b1 = compare(bm, wbm);
        const b2 = compare(bo, wbo);
        best = `${iterations} rounds: ${b1.maxAbs.toExponential(1)}/${b2.maxAbs.toExponential(1)}`;
      }

      table.push({
        case: c,
        version: String(meta.xgboost_version),
        marginAbs: cm.maxAbs,
        marginRel: cm.maxRel,
        marginExact: `${exactCount(margins, wantMargin.values)}/${margins.length}`,
        outputAbs: co.maxAbs,
        outputRel: co.maxRel,
        outputExact: `${exactCount(outputs, want.values)}/${outputs.length}`,
        best,
      });
    });
  }

  afterAll(() => {
    const fmt = (v: number): string => (v === 0 ? '0' : v.toExponential(2));
    const lines = [
      'XGBoost fixtures: max abs / max rel error (rel = |d| / |want|), exact = bit-identical values',
      `${'case'.padEnd(40)} ${'margin abs'.padStart(10)} ${'margin rel'.padStart(10)} ${'exact'.padStart(11)}   ${'output abs'.padStart(10)} ${'output rel'.padStart(10)} ${'exact'.padStart(11)}   best (margin/output abs)`,
    ];
    for (const r of table.sort((a, b) => a.case.localeCompare(b.case))) {
      lines.push(
        `${r.case.padEnd(40)} ${fmt(r.marginAbs).padStart(10)} ${fmt(r.marginRel).padStart(10)} ${r.marginExact.padStart(11)}   ${fmt(r.outputAbs).padStart(10)} ${fmt(r.outputRel).padStart(10)} ${r.outputExact.padStart(11)}   ${r.best}`,
      );
    }
    console.log(lines.join('\n'));
  });
});

// ---------------------------------------------------------------------------------------------
// Reader semantics on small hand-made documents

describe('readXGBoost: semantics', () => {
  const header = ['a', 'b', 'c'];
  const rows = [
    ['0.25', 'grn', '0'], // a < 0.5 -> 0.125
    ['1', 'ylw', '0'], // b in {grn, ylw} -> right 0.375
    ['1', 'red', '0'], // not in the set -> left -0.25
    ['', 'ylw', '0'], // a missing -> default left 0.125
    ['1', 'pink', '0'], // unseen name -> code 4, not in the set -> left
    ['1', '', '0'], // b missing -> default (right, default_left 0)
  ];
  const want = [0.1875, 0.4375, -0.1875, 0.1875, -0.1875, 0.4375];

  it('scores a hand-made 3.x model by hand (JSON and UBJSON identical)', () => {
    const mj = readTinyJson();
    const mu = readTinyUbj();
    expect({ ...mu, formatDetail: '' }).toEqual({ ...mj, formatDetail: '' });
    expect(mj.formatDetail).toBe('XGBoost 3.4.1 JSON');
    expect(mu.formatDetail).toBe('XGBoost 3.4.1 UBJSON');
    expect(mj.features.map((f) => f.type)).toEqual(['numeric', 'categorical', 'numeric']);
    // The code of a category is its position in the stored list, not its sorted position.
    expect(mj.features[1].categories).toEqual(['red', 'grn', 'blu', 'ylw']);
    const f = mj as ForestIR;
    expect(f.nodes.flags[2] & NODE_CATEGORICAL).toBe(NODE_CATEGORICAL);
    expect(f.iterationOffsets).toEqual(new Int32Array([0, 1, 2]));
    const { margins, outputs } = scoreRows(mj, header, rows);
    expect(Array.from(margins)).toEqual(want);
    expect(outputs[0]).toBeCloseTo(1 / (1 + Math.exp(-0.1875)), 6);
  });

  it('reads 1.x/2.x layouts: scalar base_score, boolean default_left, no split_type/cats/indptr', () => {
    const doc = tinyModel();
    const model = doc.learner.gradient_booster.model;
    delete model.cats;
    delete model.iteration_indptr;
    doc.version = [2, 0, 3];
    doc.learner.learner_model_param.base_score = '5E-1';
    for (const t of model.trees) t.default_left = Array.from(t.default_left as Uint8Array, (v) => v === 1);
    const m = readTinyJson(doc);
    expect(m.formatDetail).toBe('XGBoost 2.0.3 JSON');
    expect(m.features[1].categories).toBeNull();
    expect(m.iterationOffsets).toEqual(new Int32Array([0, 1, 2]));
    const codes = [['0.25', '1', '0'], ['1', '3', '0'], ['1', '0', '0'], ['', '3', '0'], ['1', '4', '0'], ['1', '', '0']];
    expect(Array.from(scoreRows(m, header, codes).margins)).toEqual(want);
    // No split_type at all (before 1.5): every split numeric.
    const old = tinyModel();
    for (const t of old.learner.gradient_booster.model.trees) delete t.split_type;
    expect((readTinyJson(old) as ForestIR).nodes.flags[2] & NODE_CATEGORICAL).toBe(0);
  });

  it('accepts bare NaN / Infinity tokens (XGBoost 2.x JSON)', () => {
    const doc = tinyModel();
    doc.learner.gradient_booster.model.trees[0].loss_changes = new Float32Array([Infinity, -Infinity, NaN, 0, 0]);
    const text = toXgbJson(doc);
    expect(text).toContain('NaN');
    expect(text).toContain('-Infinity');
    const m = readXGBoostJson(text, 'nan.json');
    expect(Array.from(scoreRows(m, header, rows).margins)).toEqual(want);
  });

  it('accepts int64 split indices (UBJSON) and a UTF-8 byte order mark (JSON)', () => {
    const doc = tinyModel();
    for (const t of doc.learner.gradient_booster.model.trees) t.split_indices = BigInt64Array.from(t.split_indices as Int32Array, BigInt);
    expect(readTinyUbj(doc)).toEqual(readTinyUbj());
    expect(readXGBoostJson('\ufeff' + toXgbJson(tinyModel()), 'bom.json')).toEqual(readTinyJson());
  });

  it('places trees by their id', () => {
    const doc = tinyModel();
    doc.learner.gradient_booster.model.trees.reverse();
    expect(readTinyJson(doc)).toEqual(readTinyJson());
  });

  it('maps objectives to transforms and base_score to margins', () => {
    const cases: [string, string, string, number][] = [
      ['binary:logistic', '[3E-1]', 'sigmoid_f32', Math.fround(-Math.fround(Math.log(Math.fround(Math.fround(1 / Math.fround(0.3)) - 1))))],
      ['reg:logistic', '5E-1', 'sigmoid_f32', -0], // -logf(1/0.5 - 1) is -0, as in XGBoost
      ['binary:logitraw', '[3E-1]', 'identity', Math.fround(0.3)],
      ['binary:hinge', '[5E-1]', 'hinge', 0.5],
      ['count:poisson', '[2E0]', 'exp_f32', Math.fround(Math.log(2))],
      ['reg:gamma', '[2E0]', 'exp_f32', Math.fround(Math.log(2))],
      ['reg:tweedie', '[2E0]', 'exp_f32', Math.fround(Math.log(2))],
      ['survival:aft', '[5E-1]', 'exp_f32', Math.fround(Math.log(0.5))],
      ['survival:cox', '[2E0]', 'exp_f32', Math.fround(Math.log(2))],
      ['reg:squarederror', '[2.5E0]', 'identity', 2.5],
      ['reg:squaredlogerror', '[2.5E0]', 'identity', 2.5],
      ['reg:pseudohubererror', '[2.5E0]', 'identity', 2.5],
      ['reg:absoluteerror', '[2.5E0]', 'identity', 2.5],
      ['reg:quantileerror', '[2.5E0]', 'identity', 2.5],
      ['rank:pairwise', '[5E-1]', 'identity', 0.5],
      ['rank:ndcg', '[5E-1]', 'identity', 0.5],
      ['rank:map', '[5E-1]', 'identity', 0.5],
    ];
    for (const [objective, base, kind, margin] of cases) {
      const doc = tinyModel();
      doc.learner.objective = { name: objective };
      doc.learner.learner_model_param.base_score = base;
      const m = readTinyJson(doc);
      expect(m.transform.kind, objective).toBe(kind);
      expect(m.baseScore[0], objective).toBe(margin);
      expect(m.objective).toBe(objective);
    }
    // Probabilities at the edges are clamped to [1e-6, 1 - 1e-6] before the logit.
    const edge = tinyModel();
    edge.learner.learner_model_param.base_score = '[0E0]';
    expect(Number.isFinite(readTinyJson(edge).baseScore[0])).toBe(true);
  });

  it('handles multi-class and multi-output base scores, softmax and sorted quantiles', () => {
    const doc = tinyModel();
    const lmp = doc.learner.learner_model_param;
    lmp.num_class = '3';
    doc.learner.objective = { name: 'multi:softmax' };
    lmp.base_score = '[1E0,2E0,3E0]';
    const model = doc.learner.gradient_booster.model;
    model.tree_info = new Int32Array([0, 2]);
    model.iteration_indptr = new Int32Array([0, 2]);
    let m = readTinyJson(doc);
    expect(m.numMargins).toBe(3);
    expect(m.numOutputs).toBe(1);
    expect(Array.from(m.baseScore)).toEqual([1, 2, 3]);
    // 1.x: one scalar base score for every class.
    lmp.base_score = '5E-1';
    m = readTinyJson(doc);
    expect(Array.from(m.baseScore)).toEqual([0.5, 0.5, 0.5]);
    // Without iteration_indptr a round holds num_class x num_parallel_tree trees.
    delete model.iteration_indptr;
    expect(readTinyJson(doc).iterationOffsets).toEqual(new Int32Array([0, 2]));
    // Several quantiles: 3.4+ sorts each row's outputs, earlier versions do not.
    lmp.num_class = '0';
    lmp.num_target = '3';
    doc.learner.objective = { name: 'reg:quantileerror' };
    expect(readTinyJson(doc).transform.kind).toBe('sort_ascending');
    doc.version = [3, 3, 0];
    expect(readTinyJson(doc).transform.kind).toBe('identity');
  });

  it('turns multi-alpha expectile base scores into non-crossing margins', () => {
    const doc = tinyModel();
    doc.learner.learner_model_param.num_target = '3';
    doc.learner.learner_model_param.base_score = '[-1E0,5E-1,2E0]';
    doc.learner.objective = { name: 'reg:expectileerror' };
    const m = readTinyJson(doc);
    expect(m.transform.kind).toBe('expectile_f32');
    // The transform of the base margins gives the base scores back.
    const out = applyTransform(m, m.baseScore, 1, 0);
    expect(Array.from(out)).toEqual([-1, 0.5, 2].map((v, j) => expect.closeTo(v, 5) as unknown as number));
    expect(m.baseScore[0]).toBe(-1);
  });

  it('reads DART weights in the 1.x-3.2 and the 3.3+ layout', () => {
    const modern = tinyModel();
    modern.learner.gradient_booster.model.weight_drop = new Float32Array([0.5, 0.25]);
    const legacy = tinyModel();
    legacy.learner.gradient_booster = {
      name: 'dart',
      gbtree: { name: 'gbtree', model: legacy.learner.gradient_booster.model },
      weight_drop: new Float32Array([0.5, 0.25]),
    };
    const a = readTinyJson(modern) as ForestIR;
    const b = readTinyUbj(legacy) as ForestIR;
    expect(Array.from(a.trees.weight)).toEqual([0.5, 0.25]);
    expect({ ...b, formatDetail: '' }).toEqual({ ...a, formatDetail: '' });
    expect(Array.from(scoreRows(a, header, rows).margins)).toEqual([
      0.0625 + 0.015625, 0.1875 + 0.015625, -0.125 + 0.015625, 0.0625 + 0.015625, -0.125 + 0.015625, 0.1875 + 0.015625,
    ]);
  });

  it('reads vector-leaf trees from base_weights (up to 3.1) and leaf_weights (3.2+) alike', () => {
    const dir = join(XGB, 'multi-target-multi-output-tree-xgb3');
    const text = readFileSync(join(dir, 'model.json'), 'utf8');
    const modern = readXGBoostJson(text, 'mt.json') as ForestIR;
    expect(modern.leafWidth).toBe(3);
    expect(Array.from(modern.trees.output).every((o) => o === -1)).toBe(true);
    // The 3.1 layout: no leaf_weights, leaves' right_children -1, values in base_weights.
    const doc = parseLenientJson(text) as Doc;
    for (const t of doc.learner.gradient_booster.model.trees) {
      delete t.leaf_weights;
      t.right_children = t.right_children.map((r: number, i: number) => (t.left_children[i] === -1 ? -1 : r));
    }
    const legacy = readXGBoostJson(toXgbJson(doc), 'mt31.json');
    expect(legacy).toEqual(modern);
  });

  it('reads gblinear with several output groups (base_score[0] for every group)', () => {
    const doc = tinyModel();
    doc.learner.gradient_booster = { name: 'gblinear', model: { boosted_rounds: 3, weights: new Float32Array([1, 2, 3, 4, 5, 6, 0.5, -0.5]) } };
    doc.learner.learner_model_param.num_class = '2';
    doc.learner.learner_model_param.base_score = '[1E0,2E0]';
    doc.learner.objective = { name: 'multi:softprob' };
    doc.learner.feature_types = [];
    delete doc.learner.feature_names;
    const m = readTinyUbj(doc);
    expect(m.kind).toBe('linear');
    if (m.kind !== 'linear') return;
    expect(m.hasFeatureNames).toBe(false);
    expect(m.features.map((f) => f.name)).toEqual(['f0', 'f1', 'f2']);
    expect(Array.from(m.weights)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(m.bias)).toEqual([0.5, -0.5]);
    expect(Array.from(m.baseScore)).toEqual([1, 1]);
  });

  it('drops nodes XGBoost marked deleted (num_deleted) and renumbers the rest', () => {
    const doc = tinyModel();
    const t = doc.learner.gradient_booster.model.trees[0];
    // Two deleted nodes appended at the end, unreachable, as pruning leaves them.
    const grow = <T extends Int32Array | Float32Array | Uint8Array>(a: T, ...v: number[]): T => {
      const Ctor = a.constructor as new (x: number[]) => T;
      return new Ctor([...Array.from(a as ArrayLike<number>), ...v]);
    };
    t.left_children = grow(t.left_children, -1, -1);
    t.right_children = grow(t.right_children, -1, -1);
    t.parents = grow(t.parents, 2147483647, 2147483647);
    t.split_indices = grow(t.split_indices, 2147483647, 2147483647);
    t.split_conditions = grow(t.split_conditions, 0, 0);
    t.default_left = grow(t.default_left, 1, 1);
    t.split_type = grow(t.split_type, 0, 0);
    t.base_weights = grow(t.base_weights, 0, 0);
    t.loss_changes = grow(t.loss_changes, 0, 0);
    t.sum_hessian = grow(t.sum_hessian, 0, 0);
    t.tree_param.num_nodes = '7';
    t.tree_param.num_deleted = '2';
    const m = readTinyJson(doc) as ForestIR;
    expect(m.trees.nodeOffset[1]).toBe(5);
    expect(Array.from(scoreRows(m, header, rows).margins)).toEqual(want);
    t.tree_param.num_deleted = '0';
    expectModelError(() => readTinyJson(doc), /tiny\.json: tree 0: 2 of its 7 nodes are not reachable/);
  });

  it('reads numeric category lists from cats', () => {
    const doc = tinyModel();
    doc.learner.gradient_booster.model.cats.enc[1] = { type: 6, values: new Int32Array([10, 20, 30, 40]) };
    const m = readTinyUbj(doc);
    expect(m.features[1].categories).toEqual(['10', '20', '30', '40']);
    expect(Array.from(scoreRows(m, header, [['1', '40', '0'], ['1', '10', '0']]).margins)).toEqual([0.4375, -0.1875]);
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed documents

describe('readXGBoost: malformed documents are refused with the place named', () => {
  type Mutate = (d: Doc) => void;
  const tree0 = (d: Doc): Doc => d.learner.gradient_booster.model.trees[0];
  const bad: [string, Mutate, RegExp[]][] = [
    ['not an object', (d) => { delete d.learner; }, [/document: 'learner' must be an object, found missing/]],
    ['split_indices not integers', (d) => { tree0(d).split_indices = [0, 0, 1.5, 0, 0]; }, [/tree 0: 'split_indices' must hold integers, entry 2 is number 1.5/]],
    ['split_indices a string', (d) => { tree0(d).split_indices = 'abc'; }, [/tree 0: 'split_indices' must be an array/]],
    ['per-node array too short', (d) => { tree0(d).left_children = new Int32Array([1, -1, 3, -1]); }, [/tree 0: 'left_children' has 4 entries, expected 5 \(num_nodes\)/]],
    ['num_nodes disagrees', (d) => { tree0(d).tree_param.num_nodes = '6'; }, [/tree 0: 'left_children' has 5 entries, expected 6/]],
    ['child out of range', (d) => { tree0(d).right_children = new Int32Array([2, -1, 99, -1, -1]); }, [/tree 0 node 2: right child 99 is out of range \[0, 5\)/]],
    ['cycle', (d) => { tree0(d).right_children = new Int32Array([2, -1, 0, -1, -1]); }, [/tree 0 node 0: is reached twice/]],
    ['split feature out of range', (d) => { tree0(d).split_indices = new Int32Array([7, 0, 1, 0, 0]); }, [/tree 0 node 0: split feature 7 is out of range \[0, 3\)/]],
    ['unknown objective', (d) => { d.learner.objective.name = 'reg:mystery'; }, [/learner\.objective: unknown objective "reg:mystery"/]],
    ['unknown booster', (d) => { d.learner.gradient_booster.name = 'gbforest'; }, [/unknown booster "gbforest"/]],
    ['absurd num_nodes', (d) => { tree0(d).tree_param.num_nodes = '99999999999'; }, [/tree 0 tree_param: 'num_nodes' = 99999999999 is out of range/]],
    ['absurd num_feature', (d) => { d.learner.learner_model_param.num_feature = '1000000000'; }, [/learner_model_param: 'num_feature' = 1000000000 is out of range/]],
    ['absurd category', (d) => { tree0(d).categories = new Int32Array([1, 1 << 30]); }, [/tree 0: 'categories'\[1\] = 1073741824 is out of range/]],
    ['category set beyond the list', (d) => { tree0(d).categories_sizes = new BigInt64Array([5n]); }, [/tree 0: 'categories_sizes'\[0\] = 5 is out of range/]],
    ['categories_nodes out of order', (d) => {
      const t = tree0(d);
      t.categories_nodes = new Int32Array([2, 2]);
      t.categories_segments = new BigInt64Array([0n, 0n]);
      t.categories_sizes = new BigInt64Array([1n, 1n]);
    }, [/'categories_nodes' must be increasing/]],
    ['tree_info length', (d) => { d.learner.gradient_booster.model.tree_info = new Int32Array([0]); }, [/'tree_info' has 1 entries, expected 2/]],
    ['tree_info output out of range', (d) => { d.learner.gradient_booster.model.tree_info = new Int32Array([0, 1]); }, [/tree 1: output index 1 is out of range for 1 outputs/]],
    ['num_trees disagrees', (d) => { d.learner.gradient_booster.model.gbtree_model_param.num_trees = '3'; }, [/num_trees is 3 but 2 trees are stored/]],
    ['iteration_indptr inconsistent', (d) => { d.learner.gradient_booster.model.iteration_indptr = new Int32Array([0, 2, 1]); }, [/'iteration_indptr' decreases at entry 2/]],
    ['weight_drop length', (d) => { d.learner.gradient_booster.model.weight_drop = new Float32Array([1]); }, [/'weight_drop' has 1 entries, expected 2/]],
    ['base_score garbage', (d) => { d.learner.learner_model_param.base_score = 'half'; }, [/'base_score' "half" is not a number/]],
    ['base_score count', (d) => { d.learner.learner_model_param.base_score = '[1E0,2E0]'; }, [/'base_score' has 2 values for 1 outputs/]],
    ['log link of a non-positive base_score', (d) => {
      d.learner.objective.name = 'count:poisson';
      d.learner.learner_model_param.base_score = '[0E0]';
    }, [/'base_score' 0 must be positive for count:poisson/]],
    ['default_left not boolean', (d) => { tree0(d).default_left = [1, 0, 2, 0, 0]; }, [/'default_left' must hold booleans or 0\/1, entry 2 is number 2/]],
    ['split_type not 0/1', (d) => { tree0(d).split_type = new Uint8Array([0, 0, 7, 0, 0]); }, [/'split_type'\[2\] = 7 is out of range/]],
    ['feature names count', (d) => { d.learner.feature_names = ['a', 'b']; }, [/2 feature names for 3 features/]],
    ['unknown feature type', (d) => { d.learner.feature_types = ['float', 'z', 'float']; }, [/feature 1 \(b\) has unknown type "z"/]],
    ['category names on a numeric feature', (d) => { d.learner.feature_types = ['float', 'float', 'float']; }, [/enc\[1\]: feature 1 \(b\) has category names but is not categorical/]],
    ['category offsets beyond the bytes', (d) => {
      d.learner.gradient_booster.model.cats.enc[1].offsets = new Int32Array([0, 3, 6, 9, 40]);
    }, [/enc\[1\]: 'offsets'\[4\] = 40 is out of range/]],
    ['category name not UTF-8', (d) => {
      d.learner.gradient_booster.model.cats.enc[1].values = new Int8Array([-1, -2, -3, 0x67, 0x72, 0x6e, 0x62, 0x6c, 0x75, 0x79, 0x6c, 0x77]);
    }, [/enc\[1\]: category 0 is not valid UTF-8/]],
    ['duplicate tree ids', (d) => { d.learner.gradient_booster.model.trees[1].id = 0; }, [/tree 1: tree id 0 is used by two trees/]],
    ['leaf_weights index out of range', (d) => {
      const lmp = d.learner.learner_model_param;
      lmp.num_target = '2';
      lmp.base_score = '[0E0,0E0]';
      d.learner.objective.name = 'reg:squarederror';
      const m = d.learner.gradient_booster.model;
      m.tree_info = new Int32Array([0, 0]);
      for (const t of m.trees) t.tree_param.size_leaf_vector = '2';
      const t0 = m.trees[0];
      t0.right_children = new Int32Array([2, 0, 4, 1, 5]);
      t0.leaf_weights = new Float32Array([1, 2, 3, 4, 5, 6]);
      m.trees[1].leaf_weights = new Float32Array([1, 2]);
      m.trees[1].right_children = new Int32Array([0]);
    }, [/tree 0 node 4: leaf index 5 is out of range for 3 leaf vectors/]],
  ];

  for (const [name, mutate, patterns] of bad) {
    it(name, () => {
      const doc = tinyModel();
      mutate(doc);
      const err = expectModelError(() => readTinyJson(doc), /^tiny\.json: /, ...patterns);
      expect(err.file).toBe('tiny.json');
      // The UBJSON route reports the same problem.
      expectModelError(() => readTinyUbj(doc), /^tiny\.ubj: /, ...patterns);
    });
  }

  it('truncated JSON names line and column', () => {
    const text = readFileSync(join(XGB, 'dart-xgb17', 'model.json'), 'utf8');
    for (const cut of [1, 100, Math.floor(text.length / 2), text.length - 1]) {
      expectModelError(() => readXGBoostJson(text.slice(0, cut), 'cut.json'), /^cut\.json: line 1 column \d+: not valid JSON: unexpected end of input/);
    }
    expectModelError(() => readXGBoostJson('', 'empty.json'), /empty\.json: line 1 column 1: not valid JSON/);
    expectModelError(() => readXGBoostJson('[1, 2]', 'arr.json'), /arr\.json: document: the document must be an object, found an array/);
  });

  it('truncated UBJSON names the byte', () => {
    const bytes = readFileSync(join(XGB, 'dart-xgb3', 'model.ubj'));
    for (const cut of [0, 1, 7, 100, Math.floor(bytes.length / 2), bytes.length - 1]) {
      expectModelError(() => readXGBoostUbjson(bytes.subarray(0, cut), 'cut.ubj'), /^cut\.ubj: byte \d+: not valid UBJSON: /);
    }
  });

  it('UBJSON with an absurd length prefix fails at once instead of allocating', () => {
    // {"learner": [$d#L 2^62 ...
    const head = toUbjson({ learner: 0 }).subarray(0, 1 + 9 + 7);
    const forged = Uint8Array.from([...head, 0x5b, 0x24, 0x64, 0x23, 0x4c, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3]);
    const t0 = performance.now();
    expectModelError(() => readXGBoostUbjson(forged, 'huge.ubj'), /huge\.ubj: byte \d+: not valid UBJSON: container of 1099511627776 elements of type d needs 4398046511104 bytes, only 3 remain/);
    const longString = Uint8Array.from([0x53, 0x4c, 0x00, 0x00, 0x00, 0x10, 0, 0, 0, 0, 0x61]);
    expectModelError(() => readXGBoostUbjson(longString, 's.ubj'), /s\.ubj: byte 10: not valid UBJSON: string needs 68719476736 bytes, only 1 remain/);
    const overflow = Uint8Array.from([0x5b, 0x23, 0x4c, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expectModelError(() => readXGBoostUbjson(overflow, 'o.ubj'), /o\.ubj: byte 2: not valid UBJSON: container count 9223372036854775807 is negative or too large/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('random corruption gives a model or a ModelFormatError, never another error', () => {
    const ubj = toUbjson(tinyModel());
    const json = toXgbJson(tinyModel());
    const check = (fn: () => unknown): void => {
      try {
        fn();
      } catch (e) {
        if (!(e instanceof ModelFormatError)) throw e;
      }
    };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(ubj.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const b = Uint8Array.from(ubj);
        for (const [i, v] of edits) b[i] = v;
        check(() => readXGBoostUbjson(b, 'fuzz.ubj'));
      }),
      { numRuns: 400, seed: 7 },
    );
    const alphabet = '{}[],:"0123456789-.eENaIfinity tu';
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(json.length - 1), fc.nat(alphabet.length - 1)), { minLength: 1, maxLength: 6 }), (edits) => {
        const chars = json.split('');
        for (const [i, a] of edits) chars[i] = alphabet[a];
        check(() => readXGBoostJson(chars.join(''), 'fuzz.json'));
      }),
      { numRuns: 400, seed: 11 },
    );
    fc.assert(
      fc.property(fc.nat(ubj.length), (cut) => check(() => readXGBoostUbjson(ubj.subarray(0, cut), 'cut.ubj'))),
      { numRuns: 200, seed: 3 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// UBJSON decoder

describe('decodeUbjson', () => {
  const be = (...parts: (number | number[])[]): Uint8Array => Uint8Array.from(parts.flat());

  it('decodes optimized typed arrays, big-endian', () => {
    const f32 = be(0x5b, 0x24, 0x64, 0x23, 0x69, 2, [0x3f, 0x80, 0, 0], [0xc0, 0x20, 0, 0]);
    expect(decodeUbjson(f32)).toEqual(new Float32Array([1, -2.5]));
    const i32 = be(0x5b, 0x24, 0x6c, 0x23, 0x55, 2, [0, 0, 1, 0], [0xff, 0xff, 0xff, 0xfe]);
    expect(decodeUbjson(i32)).toEqual(new Int32Array([256, -2]));
    const u8 = be(0x5b, 0x24, 0x55, 0x23, 0x49, [0, 3], 1, 2, 255);
    expect(decodeUbjson(u8)).toEqual(new Uint8Array([1, 2, 255]));
    const i8 = be(0x5b, 0x24, 0x69, 0x23, 0x69, 2, 0x80, 0x7f);
    expect(decodeUbjson(i8)).toEqual(new Int8Array([-128, 127]));
    const i16 = be(0x5b, 0x24, 0x49, 0x23, 0x69, 1, [0x80, 0x01]);
    expect(decodeUbjson(i16)).toEqual(new Int16Array([-32767]));
    const f64 = be(0x5b, 0x24, 0x44, 0x23, 0x69, 1, [0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]);
    expect(decodeUbjson(f64)).toEqual(new Float64Array([0.1]));
    const i64 = be(0x5b, 0x24, 0x4c, 0x23, 0x69, 2, [0, 0, 0, 0, 0, 0, 1, 0], [0x80, 0, 0, 0, 0, 0, 0, 0]);
    expect(decodeUbjson(i64)).toEqual(new BigInt64Array([256n, -(2n ** 63n)]));
  });

  it('decodes int64 scalars exactly (numbers when safe, bigint beyond 2^53)', () => {
    expect(decodeUbjson(be(0x4c, [0, 0, 0, 1, 0, 0, 0, 0]))).toBe(2 ** 32);
    expect(decodeUbjson(be(0x4c, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(-1);
    expect(decodeUbjson(be(0x4c, [0x00, 0x20, 0, 0, 0, 0, 0, 1]))).toBe(2n ** 53n + 1n);
    expect(decodeUbjson(be(0x6c, [0x80, 0, 0, 0]))).toBe(-(2 ** 31));
    expect(decodeUbjson(be(0x49, [0x01, 0x00]))).toBe(256);
    expect(decodeUbjson(be(0x55, 200))).toBe(200);
    expect(decodeUbjson(be(0x69, 0xff))).toBe(-1);
    expect(decodeUbjson(be(0x64, [0x7f, 0xc0, 0, 0]))).toBeNaN();
    expect(decodeUbjson(be(0x44, [0x7f, 0xf0, 0, 0, 0, 0, 0, 0]))).toBe(Infinity);
  });

  it('decodes objects, strings, counted and open containers, no-ops, chars and high-precision numbers', () => {
    const doc = be(
      0x7b,
      [0x69, 1, 0x61], 0x53, 0x69, 2, 0x68, 0x69, // "a": "hi"
      [0x55, 1, 0x62], 0x5b, 0x54, 0x46, 0x5a, 0x4e, 0x43, 0x7a, 0x5d, // "b": [true, false, null, 'z']
      [0x49, 0, 1, 0x63], 0x5b, 0x23, 0x69, 2, 0x69, 5, 0x48, 0x69, 3, 0x31, 0x2e, 0x35, // "c": [5, 1.5] (counted)
      [0x4c, 0, 0, 0, 0, 0, 0, 0, 2, 0xc3, 0xa9], 0x7b, 0x24, 0x69, 0x23, 0x69, 1, [0x69, 1, 0x78], 0x09, // "é": {$i#1 x: 9}
      [0x69, 9], ...Array.from(Buffer.from('__proto__')), 0x69, 1, // "__proto__": 1
      0x7d,
      0x4e, 0x4e,
    );
    const v = decodeUbjson(doc) as Record<string, unknown>;
    expect(v.a).toBe('hi');
    expect(v.b).toEqual([true, false, null, 'z']);
    expect(v.c).toEqual([5, 1.5]);
    expect(v['é']).toEqual({ x: 9 });
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toContain('__proto__');
  });

  it('decodes XGBoost files like their JSON twins', () => {
    const dir = join(XGB, 'categorical-strings-partition-xgb3');
    const u = decodeUbjson(readFileSync(join(dir, 'model.ubj'))) as Doc;
    const j = parseLenientJson(readFileSync(join(dir, 'model.json'), 'utf8')) as Doc;
    const t = u.learner.gradient_booster.model.trees[0];
    expect(t.split_conditions).toBeInstanceOf(Float32Array);
    expect(t.left_children).toBeInstanceOf(Int32Array);
    expect(t.default_left).toBeInstanceOf(Uint8Array);
    expect(Array.from(t.split_conditions)).toEqual(j.learner.gradient_booster.model.trees[0].split_conditions.map(Math.fround));
    expect(u.version).toEqual(j.version);
  });

  it('handles deep nesting without recursion', () => {
    const depth = 100_000;
    const deep = new Uint8Array(2 * depth);
    deep.fill(0x5b, 0, depth);
    deep.fill(0x5d, depth);
    let v = decodeUbjson(deep);
    for (let d = 1; d < depth; d++) v = (v as unknown[])[0] as never;
    expect(v).toEqual([]);
    expect(() => decodeUbjson(deep.subarray(0, depth + 5))).toThrow(UbjsonError);
  });

  it('refuses garbage with the byte offset', () => {
    const fails = (b: Uint8Array, re: RegExp): void => {
      let err: unknown;
      try {
        decodeUbjson(b);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UbjsonError);
      expect((err as UbjsonError).message).toMatch(re);
    };
    fails(be(), /byte 0: unexpected end of input/);
    fails(be(0x6c, 0, 0), /byte 1: value of type l needs 4 bytes, only 2 remain/);
    fails(be(0x71), /byte 0: unknown type marker "q"/);
    fails(be(0x53, 0x69, 0xff), /byte 1: string length -1 is negative/);
    fails(be(0x53, 0x69, 2, 0xc3, 0x28), /byte 3: string is not valid UTF-8/);
    fails(be(0x69, 1, 0x69, 2), /byte 2: unexpected bytes after the end/);
    fails(be(0x5b, 0x24, 0x64, 0x69, 1), /must give a #count/);
    fails(be(0x5b, 0x24, 0x5b, 0x23, 0x69, 1), /unsupported optimized container element type "\["/);
    fails(be(0x7b, 0x53), /object key length must be an integer, found type marker "S"/);
    fails(be(0x5b, 0x23, 0x69, 100, 0x69), /container of 100 elements needs 100 bytes/);
    fails(be(0x5b, 0x5d, 0x5d), /unexpected bytes after the end/);
    fails(be(0x5d), /byte 0: unexpected "\]" where a value was expected/);
  });
});

// ---------------------------------------------------------------------------------------------
// Lenient JSON

describe('parseLenientJson', () => {
  it('accepts bare NaN, Infinity and -Infinity', () => {
    expect(parseLenientJson('[NaN, Infinity, -Infinity, 1.5, -0]')).toEqual([NaN, Infinity, -Infinity, 1.5, -0]);
    const o = parseLenientJson('{"w": [1E0, NaN], "x": {"y": -Infinity}}') as Doc;
    expect(o.w[1]).toBeNaN();
    expect(o.x.y).toBe(-Infinity);
    expect(parseLenientJson('NaN')).toBeNaN();
  });

  it('parses everything else exactly like JSON.parse', () => {
    const text = JSON.stringify({
      s: 'tab\t "quote" \\ \u00e9 \ud83d\ude00 \u0001 /',
      n: [0, -0, 1, -1, 1e21, 1.5e-7, 5e-324, 1.7976931348623157e308, 123456789012345680000, 0.1, 2 ** 53 + 2],
      b: [true, false, null],
      e: {},
      a: [],
      nested: { a: [{ b: [[]] }] },
    });
    const forced = text.replace(/^\{/, '{"z": NaN,');
    const got = parseLenientJson(forced) as Doc;
    delete got.z;
    expect(got).toEqual(JSON.parse(text));
    const proto = parseLenientJson('{"__proto__": {"polluted": 1}, "k": NaN}') as Doc;
    expect(Object.keys(proto)).toContain('__proto__');
    expect(({} as Doc).polluted).toBeUndefined();
  });

  it('rounds every number like JSON.parse (fast path and slow path)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 17 }), fc.boolean(), (x, digits, upper) => {
        const forms = [String(x), x.toPrecision(digits), x.toExponential(digits - 1)].map((s) => (upper ? s.toUpperCase() : s).replace('E+', 'E'));
        for (const s of forms) {
          const got = (parseLenientJson(`[NaN, ${s}]`) as number[])[1];
          expect(Object.is(got, JSON.parse(s))).toBe(true);
        }
      }),
      { numRuns: 2000, seed: 5 },
    );
  });

  it('handles deep nesting without recursion', () => {
    const depth = 100_000;
    const text = '['.repeat(depth) + 'NaN' + ']'.repeat(depth);
    let v = parseLenientJson(text);
    for (let d = 0; d < depth; d++) v = (v as unknown[])[0];
    expect(v).toBeNaN();
  });

  it('reports truncation and syntax errors with line and column', () => {
    const fails = (text: string, re: RegExp): JsonSyntaxError => {
      let err: unknown;
      try {
        parseLenientJson(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(JsonSyntaxError);
      expect((err as JsonSyntaxError).message).toMatch(re);
      return err as JsonSyntaxError;
    };
    const e = fails('{\n  "a": [1, 2,\n', /line 3 column 1: unexpected end of input where a value was expected/);
    expect(e.offset).toBe(16);
    fails('{"a": [NaN, 1', /line 1 column 14: unexpected end of input inside an array/);
    fails('{"a": NaN', /unexpected end of input inside an object/);
    fails('{"a" NaN}', /expected ':' after an object key/);
    fails('{"a": "unterminated', /unterminated string/);
    fails('[1, 2,]', /line 1 column 7: unexpected character "\]"/);
    fails('[nan]', /unexpected character "n"/);
    fails('[01]', /leading zeros are not allowed/);
    fails('[1.]', /expected a digit after the decimal point/);
    fails('[-]', /expected a digit/);
    fails('{"a": 1} x', /unexpected text after the end of the document/);
    fails('["\\x"]', /invalid escape \\x/);
    fails('["a\nb"]', /control character in a string/);
    fails('{1: 2}', /expected a string key/);
  });

  it('parses a multi-MB model quickly', () => {
    const text = readFileSync(join(XGB, 'houseprice-regression-xgb3', 'model.json'), 'utf8');
    const big = `{"nan": NaN, "copies": [${Array(8).fill(text).join(',')}]}`; // ~4.4 MB through the slow path
    const t0 = performance.now();
    const v = parseLenientJson(big) as Doc;
    const ms = performance.now() - t0;
    expect(v.copies).toHaveLength(8);
    expect(v.copies[7]).toEqual(JSON.parse(text));
    expect(ms).toBeLessThan(3000);
  });
});
