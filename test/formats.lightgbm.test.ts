/**
 * LightGBM text reader: every LightGBM fixture (real models, LightGBM's own predictions) through
 * readLightGBMText + encodeRows + the reference engine, then a corpus of broken models that must
 * each be refused with a ModelFormatError naming the file, the tree and the problem.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveIterations, scoreMargins } from '../src/engine/reference.js';
import { applyTransform } from '../src/engine/transforms.js';
import { encodeRows } from '../src/formats/encode.js';
import {
  ModelFormatError,
  NODE_CATEGORICAL,
  NODE_DEFAULT_LEFT,
  NODE_MISSING_NAN,
  NODE_MISSING_ZERO,
  type ForestIR,
  type ModelIR,
} from '../src/formats/ir.js';
import { readLightGBMText } from '../src/formats/lightgbm.js';
import { FIXTURES, compare, readCsv, readExpected } from './helpers/fixtures.js';

const ROOT = join(FIXTURES, 'lightgbm');

/** What each case must turn into; a fixture folder without an entry here fails the suite. */
const CASES: Record<string, { transform: string; margins: number; iterations?: number }> = {
  'binary-categorical': { transform: 'sigmoid', margins: 1 },
  'constant-model': { transform: 'identity', margins: 1 },
  'constant-trees-multiclass': { transform: 'softmax', margins: 4 },
  dart: { transform: 'sigmoid', margins: 1 },
  'early-stopping': { transform: 'identity', margins: 1 },
  gamma: { transform: 'exp', margins: 1 },
  'houseprice-regression': { transform: 'identity', margins: 1 },
  huber: { transform: 'identity', margins: 1 },
  'linear-tree': { transform: 'identity', margins: 1 },
  'multiclass-softmax': { transform: 'softmax', margins: 4 },
  multiclassova: { transform: 'sigmoid', margins: 4 },
  // LightGBM predicted with num_iteration_predict=57 (see the case's README).
  'num-iteration-predict': { transform: 'sigmoid', margins: 1, iterations: 57 },
  poisson: { transform: 'exp', margins: 1 },
  'quantile-0.9': { transform: 'identity', margins: 1 },
  'regression-l1': { transform: 'identity', margins: 1 },
  'regression-nan-default': { transform: 'identity', margins: 1 },
  'regression-zero-as-missing': { transform: 'identity', margins: 1 },
  rf: { transform: 'identity', margins: 1 },
  'single-tree': { transform: 'identity', margins: 1 },
  tweedie: { transform: 'exp', margins: 1 },
  xentropy: { transform: 'sigmoid', margins: 1 },
};

function modelText(name: string): string {
  return readFileSync(join(ROOT, name, 'model.txt'), 'utf8');
}

function forest(m: ModelIR): ForestIR {
  if (m.kind !== 'forest') throw new Error('expected a forest');
  return m;
}

/** Raw margins and transformed outputs of a fixture's input.csv. */
function score(m: ModelIR, name: string, iterations?: number): { rows: number; raw: Float64Array; out: Float64Array } {
  const input = readCsv(join(ROOT, name, 'input.csv'));
  const x = encodeRows(m, input.header, input.rows);
  const rows = input.rows.length;
  const raw = scoreMargins(m, x, rows, iterations);
  const out = applyTransform(m, raw, rows, resolveIterations(m, iterations).rounds);
  return { rows, raw, out };
}

const table: string[] = [];
afterAll(() => {
  if (table.length > 0) {
    console.log(['case | raw max abs | raw max rel | output max abs | output max rel', ...table.sort()].join('\n'));
  }
});

const fmt = (v: number): string => (v === 0 ? '0' : v.toExponential(2));

describe('LightGBM fixtures: reader + reference engine vs LightGBM', () => {
  const names = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

  it('has every case', () => {
    expect(names).toEqual(Object.keys(CASES).sort());
  });

  for (const name of names) {
    it(name, () => {
      const spec = CASES[name];
      const m = forest(readLightGBMText(modelText(name), `${name}/model.txt`));
      expect(m.format).toBe('lightgbm');
      expect(m.rule).toBe('lightgbm');
      expect(m.formatDetail).toMatch(/^LightGBM v4 text/);
      expect(m.transform.kind).toBe(spec.transform);
      expect(m.numMargins).toBe(spec.margins);
      expect(Array.from(m.baseScore)).toEqual(new Array(spec.margins).fill(0));

      const { raw, out } = score(m, name, spec.iterations);
      const wantRaw = readExpected(join(ROOT, name, 'expected_raw.csv'));
      const wantOut = readExpected(join(ROOT, name, 'expected.csv'));
      expect(wantRaw.columns.length).toBe(spec.margins);
      const eRaw = compare(raw, wantRaw.values);
      const eOut = compare(out, wantOut.values);
      table.push(`${name} | ${fmt(eRaw.maxAbs)} | ${fmt(eRaw.maxRel)} | ${fmt(eOut.maxAbs)} | ${fmt(eOut.maxRel)}`);

      // Margins are sums of the file's doubles in LightGBM's order: bit-exact.
      expect(eRaw.maxAbs).toBe(0);
      if (m.transform.kind === 'identity') {
        expect(eOut.maxAbs).toBe(0);
      } else {
        // exp-based transforms: LightGBM calls glibc's exp (correctly rounded on every value here),
        // V8's Math.exp (fdlibm) is off by one ulp on a few percent of arguments; sigmoid and
        // softmax pass that on as at most 2 ulp. Everything else about the transform is exact.
        expect(eOut.maxRel).toBeLessThanOrEqual(1e-15);
      }
    });
  }
});

describe('LightGBM fixtures: what the reader makes of them', () => {
  it('binary-categorical: categorical features from feature_infos, bitsets and flags from decision_type', () => {
    const m = forest(readLightGBMText(modelText('binary-categorical'), 'm'));
    expect(m.features.map((f) => f.type)).toEqual([
      'categorical', 'categorical', 'categorical', 'numeric', 'numeric', 'numeric', 'numeric', 'numeric',
    ]);
    expect(m.features.every((f) => f.categories === null)).toBe(true);
    expect(m.hasFeatureNames).toBe(true);
    // Tree=0 node 0: decision_type 9 = categorical | missing NaN; threshold 0 = bitset 0 = word 252.
    expect(m.nodes.flags[0]).toBe(NODE_CATEGORICAL | NODE_MISSING_NAN);
    expect(m.catBits[m.nodes.catStart[0]]).toBe(252);
    expect(m.nodes.catWords[0]).toBe(1);
    // Node 3: decision_type 10 = default left | missing NaN, numeric.
    expect(m.nodes.flags[3]).toBe(NODE_DEFAULT_LEFT | NODE_MISSING_NAN);
    expect(m.nodes.threshold[3]).toBe(1.8452148437500002);
    // Tree=0 has 31 leaves: inner nodes 0..29, leaves 30..60; left_child[0]=1, left_child[4]=-4 -> leaf 3 -> node 33.
    expect(m.trees.nodeOffset[1]).toBe(61);
    expect(m.nodes.left[4]).toBe(30 + 3);
  });

  it('houseprice-regression: the 43 declared categorical features, including unused ones (feature_infos none)', () => {
    const m = readLightGBMText(modelText('houseprice-regression'), 'm');
    const categorical = m.features.filter((f) => f.type === 'categorical').map((f) => f.name);
    expect(categorical).toHaveLength(43);
    expect(categorical).toContain('Utilities');
    expect(categorical).toContain('SaleCondition');
  });

  it('regression-zero-as-missing: missing type Zero nodes', () => {
    const m = forest(readLightGBMText(modelText('regression-zero-as-missing'), 'm'));
    const zero = m.nodes.flags.filter((f) => (f & NODE_MISSING_ZERO) !== 0).length;
    expect(zero).toBeGreaterThan(0);
  });

  it('rf: average_output; the raw score is the sum, the output the mean', () => {
    const m = forest(readLightGBMText(modelText('rf'), 'm'));
    expect(m.averageOutput).toBe(true);
    const { raw, out } = score(m, 'rf');
    for (let i = 0; i < raw.length; i++) expect(out[i]).toBe(raw[i] / 100);
  });

  it('linear-tree: linear leaves, leaf_value kept as the NaN fallback', () => {
    const m = forest(readLightGBMText(modelText('linear-tree'), 'm'));
    expect(m.linearLeaves).not.toBeNull();
    // Tree=1 leaf 0: leaf_const, features 0 1, and a different leaf_value for the fallback.
    const ll = m.linearLeaves!;
    const g = m.trees.nodeOffset[1] + 14;
    expect(Array.from(ll.termFeature.subarray(ll.termOffset[g], ll.termOffset[g + 1]))).toEqual([0, 1]);
    expect(ll.constant[g]).not.toBe(m.nodes.leafValue[g]);
  });

  it('constant-trees-multiclass: single-leaf trees, trees interleaved by class', () => {
    const m = forest(readLightGBMText(modelText('constant-trees-multiclass'), 'm'));
    expect(m.numIterations).toBe(30);
    expect(Array.from(m.trees.output.subarray(0, 8))).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    // Tree=3 is one leaf holding log(1e-15).
    expect(m.trees.nodeOffset[4] - m.trees.nodeOffset[3]).toBe(1);
    expect(m.nodes.leafValue[m.trees.nodeOffset[3]]).toBe(-34.538776391283193);
  });

  it('num-iteration-predict: 57 rounds reproduce LightGBM, all 200 do not', () => {
    const m = readLightGBMText(modelText('num-iteration-predict'), 'm');
    expect(m.numIterations).toBe(200);
    const want = readExpected(join(ROOT, 'num-iteration-predict', 'expected_raw.csv')).values;
    expect(compare(score(m, 'num-iteration-predict', 57).raw, want).maxAbs).toBe(0);
    expect(compare(score(m, 'num-iteration-predict').raw, want).maxAbs).toBeGreaterThan(0);
  });

  it('constant-model: a model that is one single-leaf tree', () => {
    const m = forest(readLightGBMText(modelText('constant-model'), 'm'));
    expect(m.trees.count).toBe(1);
    expect(m.nodes.left[0]).toBe(-1);
    expect(m.nodes.leafValue[0]).toBe(0.66813219043132266);
  });
});

/** Byte range of the `Tree=t` block (its header line up to the next block or `end of trees`). */
function treeSpan(text: string, t: number): [number, number] {
  const start = text.indexOf(`\nTree=${t}\n`) + 1;
  if (start === 0) throw new Error(`no Tree=${t}`);
  const next = text.slice(start + 1).search(/\n(Tree=\d+|end of trees)\n/);
  return [start, start + 1 + next + 1];
}

/** Rewrites the `key=` line of tree t (fn gets the value; returning null drops the line). */
function editTree(text: string, t: number, key: string, fn: (value: string) => string | null): string {
  const [s, e] = treeSpan(text, t);
  const block = text.slice(s, e);
  const re = new RegExp(`^${key}=(.*)$`, 'm');
  const m = re.exec(block);
  if (!m) throw new Error(`no ${key} in Tree=${t}`);
  const value = fn(m[1]);
  const edited = value === null ? block.replace(new RegExp(`^${key}=.*\\n`, 'm'), '') : block.replace(re, `${key}=${value}`);
  return text.slice(0, s) + edited + text.slice(e);
}

/** Rewrites token i of the `key=` line of tree t. */
function editToken(text: string, t: number, key: string, i: number, token: string): string {
  return editTree(text, t, key, (v) => {
    const tokens = v.split(' ');
    tokens[i] = token;
    return tokens.join(' ');
  });
}

function setHeader(text: string, key: string, value: string | null): string {
  const re = new RegExp(`^${key}=.*\\n`, 'm');
  if (!re.test(text)) throw new Error(`no header ${key}`);
  return text.replace(re, value === null ? '' : `${key}=${value}\n`);
}

/** A small real model: the first n trees of a fixture (header tree_sizes cut to match). */
function firstTrees(text: string, n: number): string {
  const [cut] = treeSpan(text, n);
  const end = text.indexOf('end of trees\n');
  const sizes = /^tree_sizes=(.*)$/m.exec(text)![1].split(' ').slice(0, n).join(' ');
  return setHeader(text.slice(0, cut), 'tree_sizes', sizes) + text.slice(end);
}

const SMALL = firstTrees(modelText('binary-categorical'), 5);

/** Asserts the text is refused with a ModelFormatError whose message has every part. */
function refused(text: string, ...parts: (string | RegExp)[]): void {
  let err: unknown = null;
  try {
    readLightGBMText(text, 'broken.txt');
  } catch (e) {
    err = e;
  }
  expect(err, `accepted a broken model, expected: ${parts.join(' / ')}`).toBeInstanceOf(ModelFormatError);
  const msg = (err as Error).message;
  expect(msg.startsWith('broken.txt: ')).toBe(true);
  for (const p of parts) expect(msg).toMatch(p);
}

describe('small real model used by the corpus', () => {
  it('is the first 5 rounds of binary-categorical, bit for bit', () => {
    const small = readLightGBMText(SMALL, 'small');
    const full = readLightGBMText(modelText('binary-categorical'), 'full');
    expect(small.numIterations).toBe(5);
    expect(Array.from(score(small, 'binary-categorical').raw)).toEqual(Array.from(score(full, 'binary-categorical', 5).raw));
  });
});

describe('malformed models are refused, naming the tree and the problem', () => {
  const at = (s: string): number => {
    const i = SMALL.indexOf(s);
    if (i < 0) throw new Error(`marker ${s} not found`);
    return i;
  };
  const tree3 = treeSpan(SMALL, 3)[0];

  describe('truncated files', () => {
    it('cut inside the header', () => refused(SMALL.slice(0, at('feature_infos=')), /header: missing feature_infos=/));
    it('cut right after the header', () => refused(SMALL.slice(0, at('Tree=0')), /no 'Tree=0' and no 'end of trees'|without 'end of trees'/));
    it('cut in the middle of a number in leaf_value', () => {
      const i = SMALL.indexOf('leaf_value=', tree3) + 60;
      refused(SMALL.slice(0, i), /Tree=3: leaf_value has \d+ values, num_leaves=31 needs 31/);
    });
    it('cut in the middle of the threshold line', () => {
      const i = SMALL.indexOf('threshold=', tree3) + 50;
      refused(SMALL.slice(0, i), /Tree=3: missing leaf_value= line/);
    });
    it('cut at the end of a tree block', () => {
      refused(SMALL.slice(0, treeSpan(SMALL, 4)[0]), /Tree=3: file ends after Tree=3 without 'end of trees'/);
    });
    it('cut just before end of trees', () => refused(SMALL.slice(0, at('end of trees')), /Tree=4: file ends after Tree=4/));
    it('cut inside the parameters section', () => {
      refused(SMALL.slice(0, at('[num_leaves: 31]')), /parameters: no 'end of parameters' line/);
    });
    it('end of trees missing', () => {
      refused(SMALL.replace('end of trees\n', ''), /Tree=4: line \d+: expected 'Tree=5' or 'end of trees', found 'feature_importances:'/);
    });
    it('a tree missing from the middle', () => {
      const [s, e] = treeSpan(SMALL, 2);
      refused(SMALL.slice(0, s) + SMALL.slice(e), /Tree=2: line \d+: found 'Tree=3' where Tree=2 was expected/);
    });
    it('tree_sizes disagrees with the trees present', () => {
      refused(setHeader(SMALL, 'tree_sizes', '1 2 3 4 5 6'), /tree_sizes lists 6 trees, the file holds 5/);
    });
    it('a multiclass model cut between the trees of one iteration', () => {
      const text = setHeader(modelText('constant-trees-multiclass'), 'tree_sizes', null);
      const [s] = treeSpan(text, 119);
      const cut = text.slice(0, s) + text.slice(text.indexOf('end of trees\n'));
      refused(cut, /119 trees is not a whole number of iterations of 4 trees/);
    });
  });

  describe('bad decision_type', () => {
    it('missing type 3', () => refused(editToken(SMALL, 3, 'decision_type', 1, '14'), /Tree=3: decision_type\[1\] = 14 has missing type 3/));
    it('undefined bits', () => refused(editToken(SMALL, 3, 'decision_type', 1, '64'), /Tree=3: decision_type\[1\] = 64 has bits LightGBM does not define/));
    it('not a number', () => refused(editToken(SMALL, 3, 'decision_type', 1, 'x'), /Tree=3: decision_type\[1\] 'x' is not an integer/));
    it('categorical node in a tree without categories (num_cat=0)', () => {
      const text = editToken(modelText('single-tree'), 0, 'decision_type', 0, '1');
      refused(text, /Tree=0: categorical node 0 has bitset index threshold\[0\] = [-\d.]+, tree has num_cat=0/);
    });
  });

  describe('children', () => {
    it('left child out of range', () => refused(editToken(SMALL, 3, 'left_child', 0, '99'), /Tree=3: left_child\[0\] = 99 is out of range \[-31, 29\]/));
    it('right child out of range (leaf)', () => refused(editToken(SMALL, 3, 'right_child', 2, '-32'), /Tree=3: right_child\[2\] = -32 is out of range/));
    it('a child pointing back to the root', () => refused(editToken(SMALL, 3, 'left_child', 5, '0'), /Tree=3: left_child\[5\] = 0 points back to the root \(cycle\)/));
    it('a node that is its own child (cycle)', () => refused(editToken(SMALL, 3, 'left_child', 3, '3'), /Tree=3: node 3 is reached twice/));
    it('a cycle between two nodes', () => {
      // left_child[0] = 3 and left_child[3] = 5: make 5 point back at 3.
      refused(editToken(SMALL, 3, 'left_child', 5, '3'), /Tree=3: node 3 is reached twice/);
    });
    it('a shared child (and so an orphan)', () => refused(editToken(SMALL, 3, 'right_child', 0, '3'), /Tree=3: node 3 is reached twice/));
    it('a leaf used twice', () => refused(editToken(SMALL, 3, 'left_child', 10, '-8'), /Tree=3: leaf 7 is reached twice/));
  });

  describe('array lengths and sizes', () => {
    it('leaf_value one short', () => {
      refused(editTree(SMALL, 3, 'leaf_value', (v) => v.split(' ').slice(0, -1).join(' ')), /Tree=3: leaf_value has 30 values, num_leaves=31 needs 31/);
    });
    it('threshold one too many', () => refused(editTree(SMALL, 3, 'threshold', (v) => `${v} 1.5`), /Tree=3: threshold has 31 values, num_leaves=31 needs 30/));
    it('split_feature one short', () => {
      refused(editTree(SMALL, 3, 'split_feature', (v) => v.split(' ').slice(1).join(' ')), /Tree=3: split_feature has 29 values, num_leaves=31 needs 30/);
    });
    it('absurd num_leaves', () => refused(editTree(SMALL, 3, 'num_leaves', () => '99999999999999'), /Tree=3: num_leaves=99999999999999 is not an integer in \[1, 16777216\]/));
    it('huge num_leaves fails fast, before allocating', () => {
      const t0 = performance.now();
      refused(editTree(SMALL, 3, 'num_leaves', () => '16777216'), /Tree=3: leaf_value has 31 values, num_leaves=16777216 needs 16777216/);
      expect(performance.now() - t0).toBeLessThan(1000);
    });
    it('num_leaves 0', () => refused(editTree(SMALL, 3, 'num_leaves', () => '0'), /Tree=3: num_leaves=0 is not an integer/));
    it('num_leaves negative', () => refused(editTree(SMALL, 3, 'num_leaves', () => '-5'), /Tree=3: num_leaves=-5/));
    it('missing left_child', () => refused(editTree(SMALL, 3, 'left_child', () => null), /Tree=3: missing left_child= line/));
    it('a key twice', () => refused(editTree(SMALL, 3, 'num_cat', (v) => `${v}\nnum_cat=${v}`), /Tree=3: line \d+: num_cat= appears twice/));
    it('a line that is not key=value', () => refused(editTree(SMALL, 3, 'num_cat', (v) => `${v}\ngarbage`), /Tree=3: line \d+: 'garbage' is not a key=value line/));
  });

  describe('non-numeric tokens', () => {
    it('threshold', () => refused(editToken(SMALL, 3, 'threshold', 1, 'abc'), /Tree=3: threshold\[1\] 'abc' is not a number/));
    it('leaf_value in hex', () => refused(editToken(SMALL, 3, 'leaf_value', 4, '0x1F'), /Tree=3: leaf_value\[4\] '0x1F' is not a number/));
    it('leaf_value with two dots', () => refused(editToken(SMALL, 3, 'leaf_value', 4, '1.2.3'), /Tree=3: leaf_value\[4\] '1.2.3' is not a number/));
    it('fractional split_feature', () => refused(editToken(SMALL, 3, 'split_feature', 0, '1.5'), /Tree=3: split_feature\[0\] '1.5' is not an integer/));
    it('num_leaves', () => refused(editTree(SMALL, 3, 'num_leaves', () => '31x'), /Tree=3: num_leaves=31x is not an integer/));
    it('shrinkage', () => refused(editTree(SMALL, 3, 'shrinkage', () => 'fast'), /Tree=3: shrinkage=fast is not a number/));
  });

  describe('feature and category indices', () => {
    it('split_feature > max_feature_idx', () => refused(editToken(SMALL, 3, 'split_feature', 1, '8'), /Tree=3: split_feature\[1\] = 8 is out of range \[0, 7\]/));
    it('negative split_feature', () => refused(editToken(SMALL, 3, 'split_feature', 1, '-1'), /Tree=3: split_feature\[1\] = -1 is out of range/));
    it('categorical bitset index >= num_cat', () => {
      refused(editToken(SMALL, 3, 'threshold', 0, '10'), /Tree=3: categorical node 0 has bitset index threshold\[0\] = 10, tree has num_cat=10/);
    });
    it('fractional categorical bitset index', () => {
      refused(editToken(SMALL, 3, 'threshold', 0, '0.5'), /Tree=3: categorical node 0 has bitset index threshold\[0\] = 0.5/);
    });
    it('cat_boundaries pointing beyond cat_threshold', () => {
      refused(editToken(SMALL, 3, 'cat_boundaries', 10, '13'), /Tree=3: cat_threshold has 11 values, cat_boundaries \(last = 13\) needs 13/);
    });
    it('cat_boundaries decreasing', () => refused(editToken(SMALL, 3, 'cat_boundaries', 4, '1'), /Tree=3: cat_boundaries decrease at 4/));
    it('cat_boundaries not starting at 0', () => refused(editToken(SMALL, 3, 'cat_boundaries', 0, '1'), /Tree=3: cat_boundaries\[0\] = 1, must be 0/));
    it('num_cat larger than cat_boundaries', () => refused(editTree(SMALL, 3, 'num_cat', () => '12'), /Tree=3: cat_boundaries has 11 values, num_cat=12 needs 13/));
    it('cat_threshold word out of uint32', () => refused(editToken(SMALL, 3, 'cat_threshold', 0, '4294967296'), /Tree=3: cat_threshold\[0\] = 4294967296 is out of range/));
    it('cat_boundaries missing', () => refused(editTree(SMALL, 3, 'cat_boundaries', () => null), /Tree=3: missing cat_boundaries= line/));
    it('linear leaf on a feature that does not exist', () => {
      refused(editToken(modelText('linear-tree'), 2, 'leaf_features', 0, '6'), /Tree=2: leaf_features\[0\] = 6 is out of range \[0, 5\]/);
    });
    it('linear leaf term counts disagree', () => {
      refused(editToken(modelText('linear-tree'), 2, 'num_features', 0, '3'), /Tree=2: leaf_features has 30 values, the sum of num_features \(31\) needs 31/);
    });
    it('linear leaf without leaf_const', () => refused(editTree(modelText('linear-tree'), 2, 'leaf_const', () => null), /Tree=2: missing leaf_const= line/));
  });

  describe('header and objective', () => {
    it('unknown objective, named', () => refused(setHeader(SMALL, 'objective', 'gradient_magic alpha:2'), /objective: .*unknown LightGBM objective 'gradient_magic'/));
    it('binary without sigmoid', () => refused(setHeader(SMALL, 'objective', 'binary'), /objective: 'binary': needs a sigmoid: parameter/));
    it('binary with a zero sigmoid', () => refused(setHeader(SMALL, 'objective', 'binary sigmoid:0'), /sigmoid:0 is not a positive number/));
    it('multiclass num_class disagreeing with the trees per iteration', () => {
      refused(setHeader(modelText('multiclass-softmax'), 'objective', 'multiclass num_class:3'), /gives 3 output\(s\), num_tree_per_iteration=4/);
    });
    it('multiclass objective on a one-output model', () => refused(setHeader(SMALL, 'objective', 'multiclass num_class:4'), /gives 4 output\(s\), num_tree_per_iteration=1/));
    it('unsupported version', () => refused(setHeader(SMALL, 'version', 'v9'), /header: model version 'v9'/));
    it('feature_names count', () => refused(setHeader(SMALL, 'feature_names', 'a b c'), /feature_names lists 3 names, max_feature_idx=7 means 8/));
    it('feature_infos count', () => refused(setHeader(SMALL, 'feature_infos', '[0:1]'), /feature_infos lists 1 entries for 8 features/));
    it('garbage feature_infos', () => refused(setHeader(SMALL, 'feature_infos', 'a b c d e f g h'), /feature_infos entry 0 \('a'\)/));
    it('absurd max_feature_idx', () => refused(setHeader(SMALL, 'max_feature_idx', '4000000000'), /max_feature_idx=4000000000 is not an integer/));
    it('missing num_class', () => refused(setHeader(SMALL, 'num_class', null), /missing num_class=/));
    it('duplicate header key', () => refused(SMALL.replace('num_class=1\n', 'num_class=1\nnum_class=1\n'), /'num_class' appears twice/));
  });

  describe('garbage', () => {
    it('empty file', () => refused('', /missing num_class=/));
    it('plain text', () => refused('hello world\nthis is not a model\n', /missing num_class=/));
    it('JSON', () => refused('{"learner": {"gradient_booster": {}}}', /missing num_class=/));
    it('binary bytes', () => {
      let s = 0x2545f491;
      const bytes = new Uint8Array(4096).map(() => {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        return s & 0xff;
      });
      refused(Buffer.from(bytes).toString('latin1'));
    });
    it('header then noise instead of trees', () => refused(SMALL.slice(0, at('Tree=0')) + 'Tree=zero\nxx\n', /Tree=0: line \d+: found 'Tree=zero'/));
    it('pandas_categorical that is not JSON', () => refused(`${SMALL}pandas_categorical:[["a",\n`, /pandas_categorical: not valid JSON/));
    it('pandas_categorical with the wrong number of lists', () => {
      refused(`${SMALL}pandas_categorical:[["a","b"]]\n`, /pandas_categorical: 1 category lists for 3 categorical features \(cat3, cat12, cat40\)/);
    });
  });

  describe('random damage: refused or fully loaded, never anything else', () => {
    const rows = new Float64Array(4 * 8).map((_, i) => ((i * 7919) % 23) - 5 + (i % 3 === 0 ? NaN : 0));
    /** Either a ModelFormatError, or a model the reference engine scores without throwing. */
    function survives(text: string): boolean {
      let m: ModelIR;
      try {
        m = readLightGBMText(text, 'fuzz.txt');
      } catch (e) {
        return e instanceof ModelFormatError;
      }
      if (m.numFeatures !== 8) return true;
      const raw = scoreMargins(m, rows, 4);
      return raw.length === 4 * m.numMargins;
    }
    it('truncation anywhere', () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: SMALL.length }), (n) => survives(SMALL.slice(0, n))), { numRuns: 300 });
    });
    it('a byte replaced anywhere', () => {
      const alphabet = '0123456789-.=\n e:[]xT';
      fc.assert(
        fc.property(fc.integer({ min: 0, max: SMALL.length - 1 }), fc.integer({ min: 0, max: alphabet.length - 1 }), (i, c) =>
          survives(SMALL.slice(0, i) + alphabet[c] + SMALL.slice(i + 1)),
        ),
        { numRuns: 500 },
      );
    });
    it('a line deleted or duplicated anywhere', () => {
      const lines = SMALL.split('\n');
      fc.assert(
        fc.property(fc.integer({ min: 0, max: lines.length - 1 }), fc.boolean(), (i, dup) => {
          const copy = lines.slice();
          if (dup) copy.splice(i, 0, lines[i]);
          else copy.splice(i, 1);
          return survives(copy.join('\n'));
        }),
        { numRuns: 300 },
      );
    });
  });
});

describe('file variants LightGBM accepts', () => {
  const base = modelText('binary-categorical');
  const want = score(readLightGBMText(base, 'm'), 'binary-categorical').raw;

  it('CRLF line ends and a BOM', () => {
    const m = readLightGBMText(`\uFEFF${base.replace(/\n/g, '\r\n')}`, 'm');
    expect(Array.from(score(m, 'binary-categorical').raw)).toEqual(Array.from(want));
  });

  it('no tree_sizes, shrinkage or is_linear (older writers), no parameters section', () => {
    let text = setHeader(base, 'tree_sizes', null).replace(/^(shrinkage|is_linear)=.*\n/gm, '');
    text = text.slice(0, text.indexOf('parameters:'));
    const m = readLightGBMText(text, 'm');
    expect(Array.from(score(m, 'binary-categorical').raw)).toEqual(Array.from(want));
  });

  it('no num_cat and no cat_* keys in a model without categorical splits', () => {
    const text = modelText('early-stopping').replace(/^(num_cat|cat_boundaries|cat_threshold)=.*\n/gm, '');
    const m = readLightGBMText(text, 'm');
    const wantRaw = readExpected(join(ROOT, 'early-stopping', 'expected_raw.csv')).values;
    expect(compare(score(m, 'early-stopping').raw, wantRaw).maxAbs).toBe(0);
  });

  it('a model with no trees at all scores 0', () => {
    const header = setHeader(base, 'tree_sizes', '');
    const text = `${header.slice(0, header.indexOf('\nTree=0\n'))}\nend of trees\n`;
    const m = forest(readLightGBMText(text, 'm'));
    expect(m.trees.count).toBe(0);
    expect(m.numIterations).toBe(0);
    expect(Array.from(scoreMargins(m, new Float64Array(8), 1))).toEqual([0]);
  });

  it('version v2 and v3 headers', () => {
    for (const v of ['v2', 'v3']) {
      expect(readLightGBMText(setHeader(base, 'version', v), 'm').formatDetail).toBe(`LightGBM ${v} text (gbdt)`);
    }
  });

  it("LightGBM's default names Column_i mean inputs match by position", () => {
    const names = Array.from({ length: 8 }, (_, i) => `Column_${i}`).join(' ');
    expect(readLightGBMText(setHeader(base, 'feature_names', names), 'm').hasFeatureNames).toBe(false);
  });

  it('pandas_categorical: category names map to their index, unseen names to NaN', () => {
    const cat3 = ['lo', 'mid', 'hi'];
    const cat12 = Array.from({ length: 12 }, (_, i) => `c${i}`);
    const cat40 = Array.from({ length: 40 }, (_, i) => 100 + i);
    const text = `${base}\npandas_categorical:${JSON.stringify([cat3, cat12, cat40])}\n`;
    const m = readLightGBMText(text, 'm');
    expect(m.features[0].categories).toEqual(cat3);
    expect(m.features[2].categories).toEqual(cat40.map(String));
    expect(m.features[3].categories).toBeNull();
    const header = ['cat3', 'cat12', 'cat40', 'f0', 'f1', 'f2', 'f3', 'f4'];
    const byName = encodeRows(m, header, [['hi', 'c11', '139', '0.5', '1', '2', '3', '4'], ['nope', 'c0', '100', '0', '0', '0', '0', '0']]);
    expect(Array.from(byName.subarray(0, 3))).toEqual([2, 11, 39]);
    expect(Number.isNaN(byName[8])).toBe(true);
    const plain = readLightGBMText(base, 'm');
    const byCode = encodeRows(plain, header, [['2', '11', '39', '0.5', '1', '2', '3', '4'], ['', '0', '0', '0', '0', '0', '0', '0']]);
    expect(Array.from(scoreMargins(m, byName, 2))).toEqual(Array.from(scoreMargins(plain, byCode, 2)));
  });

  it('pandas_categorical:null', () => {
    const m = readLightGBMText(`${base}\npandas_categorical:null\n`, 'm');
    expect(m.features.every((f) => f.categories === null)).toBe(true);
  });
});

describe('objective lines -> output transforms', () => {
  const reg = modelText('single-tree');
  const multi = modelText('multiclass-softmax');
  const cases: [string, string, unknown][] = [
    [reg, 'regression', { kind: 'identity' }],
    [reg, 'regression sqrt', { kind: 'signed_square' }],
    [reg, 'regression_l1', { kind: 'identity' }],
    [reg, 'huber', { kind: 'identity' }],
    [reg, 'fair', { kind: 'identity' }],
    [reg, 'quantile', { kind: 'identity' }],
    [reg, 'mape', { kind: 'identity' }],
    [reg, 'poisson', { kind: 'exp' }],
    [reg, 'gamma', { kind: 'exp' }],
    [reg, 'tweedie', { kind: 'exp' }],
    [reg, 'binary sigmoid:1', { kind: 'sigmoid', scale: 1 }],
    [reg, 'binary sigmoid:0.5', { kind: 'sigmoid', scale: 0.5 }],
    [reg, 'cross_entropy', { kind: 'sigmoid', scale: 1 }],
    [reg, 'xentropy', { kind: 'sigmoid', scale: 1 }],
    [reg, 'cross_entropy_lambda', { kind: 'log1p_exp' }],
    [reg, 'xentlambda', { kind: 'log1p_exp' }],
    [reg, 'lambdarank', { kind: 'identity' }],
    [reg, 'rank_xendcg', { kind: 'identity' }],
    [reg, 'custom', { kind: 'identity' }],
    [reg, 'none', { kind: 'identity' }],
    [multi, 'multiclass num_class:4', { kind: 'softmax' }],
    [multi, 'multiclassova num_class:4 sigmoid:2', { kind: 'sigmoid', scale: 2 }],
    [multi, 'custom', { kind: 'identity' }],
  ];
  for (const [text, objective, transform] of cases) {
    it(`${objective}${text === multi ? ' (4 outputs)' : ''}`, () => {
      const m = readLightGBMText(setHeader(text, 'objective', objective), 'm');
      expect(m.transform).toEqual(transform);
      expect(m.objective).toBe(objective);
    });
  }
  it('no objective line (custom objective in Python): identity', () => {
    const m = readLightGBMText(setHeader(reg, 'objective', null), 'm');
    expect(m.transform).toEqual({ kind: 'identity' });
  });
});
