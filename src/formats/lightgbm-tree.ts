/**
 * One LightGBM `Tree=i` block (its key=value lines) -> checked arrays, still in LightGBM's layout.
 *
 * Follows Tree::Tree(const char*, size_t*) in LightGBM's tree.cpp: num_leaves=1 trees carry only
 * leaf_value; every array must hold exactly the count num_leaves implies. On top of what LightGBM
 * checks, everything an engine will index with is checked here (children, features, bitset
 * slices, linear-leaf features) so errors can name the tree and the key that is wrong. Token
 * counts are compared before anything is allocated, so a huge num_leaves fails on the spot.
 */
import { ModelFormatError } from './ir.js';
import { LIMITS } from './validate.js';

/** LightGBM itself refuses num_leaves > 131072; anything beyond this is corruption, not a model. */
export const MAX_LEAVES = 1 << 24;

/** Linear-tree leaves (is_linear=1), per leaf: const + sum coeff * x[feature]. */
export interface LightGBMLinear {
  leafConst: Float64Array;
  /** Terms of leaf l: [termStart[l], termStart[l + 1]). */
  termStart: Int32Array;
  termFeature: Int32Array;
  termCoeff: Float64Array;
}

/** A parsed tree, in LightGBM's own layout (inner nodes 0..L-2, children < 0 are leaves ~c). */
export interface LightGBMTree {
  numLeaves: number;
  splitFeature: Int32Array;
  threshold: Float64Array;
  decisionType: Uint8Array;
  leftChild: Int32Array;
  rightChild: Int32Array;
  leafValue: Float64Array;
  catBoundaries: Int32Array;
  catThreshold: Uint32Array;
  linear: LightGBMLinear | null;
}

const DOUBLE_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** What LightGBM's writer (fmt) and its parser (fast_double_parser / strtod) use for non-finite values. */
const SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;
const INT_RE = /^[+-]?\d+$/;

/** LightGBM's Common::Split(str, ' '): empty tokens (runs of spaces) are dropped. */
export function splitTokens(value: string): string[] {
  const out: string[] = [];
  for (const t of value.split(' ')) if (t.length > 0) out.push(t);
  return out;
}

/** Parses one double token exactly as written (never rounded to float); undefined if it is not one. */
export function parseDouble(token: string): number | undefined {
  if (DOUBLE_RE.test(token)) return Number(token);
  const m = SPECIAL_RE.exec(token);
  if (!m) return undefined;
  if (m[2].toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/** Parses an integer token; undefined unless it is a plain integer in [min, max]. */
export function parseInteger(token: string, min: number, max: number): number | undefined {
  if (!INT_RE.test(token)) return undefined;
  const v = Number(token);
  return v >= min && v <= max ? v : undefined;
}

/** The key=value lines of one block plus what an error needs to name it. */
export interface TreeBlock {
  /** e.g. "Tree=3". */
  where: string;
  fields: Map<string, string>;
}

interface Ctx {
  file: string;
  where: string;
  numFeatures: number;
}

function fail(ctx: Ctx, reason: string): never {
  throw new ModelFormatError(ctx.file, ctx.where, reason);
}

function required(ctx: Ctx, b: TreeBlock, key: string): string {
  const v = b.fields.get(key);
  if (v === undefined) fail(ctx, `missing ${key}= line (file truncated or corrupt?)`);
  return v;
}

/** Splits `value` into exactly `n` tokens; the count is checked before any typed array exists. */
function counted(ctx: Ctx, key: string, value: string, n: number, what: string): string[] {
  const tokens = splitTokens(value);
  if (tokens.length !== n) fail(ctx, `${key} has ${tokens.length} values, ${what} needs ${n}`);
  return tokens;
}

function doubles(ctx: Ctx, key: string, value: string, n: number, what: string): Float64Array {
  const tokens = counted(ctx, key, value, n, what);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = parseDouble(tokens[i]);
    if (v === undefined) fail(ctx, `${key}[${i}] '${clip(tokens[i])}' is not a number`);
    out[i] = v;
  }
  return out;
}

function integers(
  ctx: Ctx,
  key: string,
  value: string,
  n: number,
  what: string,
  min: number,
  max: number,
): number[] {
  const tokens = counted(ctx, key, value, n, what);
  const out: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = parseInteger(tokens[i], min, max);
    if (v === undefined) {
      fail(ctx, INT_RE.test(tokens[i])
        ? `${key}[${i}] = ${tokens[i]} is out of range [${min}, ${max}]`
        : `${key}[${i}] '${clip(tokens[i])}' is not an integer`);
    }
    out[i] = v;
  }
  return out;
}

function scalarInt(ctx: Ctx, key: string, value: string, min: number, max: number): number {
  const v = parseInteger(value.trim(), min, max);
  if (v === undefined) fail(ctx, `${key}=${clip(value)} is not an integer in [${min}, ${max}]`);
  return v;
}

/** Keeps error messages short when a corrupt file holds a huge token. */
export function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** Decision type bits (tree.h): bit0 categorical, bit1 default left, bits 2-3 missing type 0 None / 1 Zero / 2 NaN. */
function checkDecisionType(ctx: Ctx, i: number, dt: number): void {
  if (dt < 0 || dt > 15) fail(ctx, `decision_type[${i}] = ${dt} has bits LightGBM does not define`);
  if (((dt >> 2) & 3) === 3) fail(ctx, `decision_type[${i}] = ${dt} has missing type 3, which does not exist`);
}

/** Every node reached exactly once from the root: no cycles, no shared or orphaned nodes. */
function checkShape(ctx: Ctx, L: number, left: Int32Array, right: Int32Array): void {
  const inner = L - 1;
  for (let i = 0; i < inner; i++) {
    for (const [key, c] of [['left_child', left[i]], ['right_child', right[i]]] as const) {
      if (c >= 0 ? c >= inner : ~c >= L) {
        fail(ctx, `${key}[${i}] = ${c} is out of range: ${inner} inner nodes (0..${inner - 1}) and ${L} leaves (-1..-${L})`);
      }
      if (c === 0) fail(ctx, `${key}[${i}] = 0 points back to the root (cycle)`);
    }
  }
  const seenInner = new Uint8Array(inner);
  const seenLeaf = new Uint8Array(L);
  const stack: number[] = [0];
  let reached = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node < 0) {
      if (seenLeaf[~node]) fail(ctx, `leaf ${~node} is reached twice (shared child)`);
      seenLeaf[~node] = 1;
      reached++;
      continue;
    }
    if (seenInner[node]) fail(ctx, `node ${node} is reached twice (cycle or shared child)`);
    seenInner[node] = 1;
    reached++;
    stack.push(right[node], left[node]);
  }
  if (reached !== 2 * L - 1) {
    fail(ctx, `${2 * L - 1 - reached} of its ${2 * L - 1} nodes are not reachable from the root (cycle or orphan)`);
  }
}

function parseLinear(ctx: Ctx, b: TreeBlock, L: number): LightGBMLinear {
  const what = `num_leaves=${L}`;
  const leafConst = doubles(ctx, 'leaf_const', required(ctx, b, 'leaf_const'), L, what);
  const counts = integers(ctx, 'num_features', required(ctx, b, 'num_features'), L, what, 0, ctx.numFeatures);
  // Summed as plain numbers: L * numFeatures can exceed int32, and must fail, not wrap.
  let total = 0;
  for (let l = 0; l < L; l++) total += counts[l];
  if (total > LIMITS.maxNodes) fail(ctx, `num_features adds up to ${total} linear terms, more than ${LIMITS.maxNodes}`);
  const termStart = new Int32Array(L + 1);
  for (let l = 0; l < L; l++) termStart[l + 1] = termStart[l] + counts[l];
  const sumWhat = `the sum of num_features (${total})`;
  // With no terms LightGBM writes the keys with blank values (or older writers omit them).
  const featText = b.fields.get('leaf_features') ?? (total === 0 ? '' : required(ctx, b, 'leaf_features'));
  const coeffText = b.fields.get('leaf_coeff') ?? (total === 0 ? '' : required(ctx, b, 'leaf_coeff'));
  const termFeature = Int32Array.from(
    integers(ctx, 'leaf_features', featText, total, sumWhat, 0, ctx.numFeatures - 1),
  );
  const termCoeff = doubles(ctx, 'leaf_coeff', coeffText, total, sumWhat);
  return { leafConst, termStart, termFeature, termCoeff };
}

/** Parses and checks one tree block. `numFeatures` = max_feature_idx + 1. */
export function parseTree(b: TreeBlock, file: string, numFeatures: number): LightGBMTree {
  const ctx: Ctx = { file, where: b.where, numFeatures };
  const L = scalarInt(ctx, 'num_leaves', required(ctx, b, 'num_leaves'), 1, MAX_LEAVES);
  const leafValue = doubles(ctx, 'leaf_value', required(ctx, b, 'leaf_value'), L, `num_leaves=${L}`);

  const shrinkage = b.fields.get('shrinkage');
  if (shrinkage !== undefined && parseDouble(shrinkage.trim()) === undefined) {
    fail(ctx, `shrinkage=${clip(shrinkage)} is not a number`);
  }
  const isLinearText = b.fields.get('is_linear');
  const isLinear = isLinearText === undefined ? false : scalarInt(ctx, 'is_linear', isLinearText, 0, 1) === 1;
  const linear = isLinear ? parseLinear(ctx, b, L) : null;

  const empty: LightGBMTree = {
    numLeaves: L,
    splitFeature: new Int32Array(0),
    threshold: new Float64Array(0),
    decisionType: new Uint8Array(0),
    leftChild: new Int32Array(0),
    rightChild: new Int32Array(0),
    leafValue,
    catBoundaries: new Int32Array(0),
    catThreshold: new Uint32Array(0),
    linear,
  };
  // LightGBM reads nothing else for a single-leaf tree: its split arrays are empty or absent.
  if (L === 1) return empty;

  const inner = L - 1;
  const what = `num_leaves=${L}`;
  const splitFeature = Int32Array.from(
    integers(ctx, 'split_feature', required(ctx, b, 'split_feature'), inner, what, 0, numFeatures - 1),
  );
  const threshold = doubles(ctx, 'threshold', required(ctx, b, 'threshold'), inner, what);
  const dtText = b.fields.get('decision_type');
  // Missing decision_type: LightGBM defaults every node to 0 (numeric, default right, missing None).
  const decisionType = new Uint8Array(inner);
  if (dtText !== undefined) {
    const dts = integers(ctx, 'decision_type', dtText, inner, what, -128, 127);
    for (let i = 0; i < inner; i++) {
      checkDecisionType(ctx, i, dts[i]);
      decisionType[i] = dts[i];
    }
  }
  const leftChild = Int32Array.from(integers(ctx, 'left_child', required(ctx, b, 'left_child'), inner, what, -L, inner - 1));
  const rightChild = Int32Array.from(
    integers(ctx, 'right_child', required(ctx, b, 'right_child'), inner, what, -L, inner - 1),
  );
  checkShape(ctx, L, leftChild, rightChild);

  // num_cat may be missing in files without categorical splits; infer it from cat_boundaries if present.
  const catBText = b.fields.get('cat_boundaries');
  const numCatText = b.fields.get('num_cat');
  const numCat = numCatText !== undefined
    ? scalarInt(ctx, 'num_cat', numCatText, 0, inner)
    : catBText !== undefined ? Math.max(0, splitTokens(catBText).length - 1) : 0;
  let catBoundaries = new Int32Array(0);
  let catThreshold = new Uint32Array(0);
  if (numCat > 0) {
    const cb = integers(ctx, 'cat_boundaries', required(ctx, b, 'cat_boundaries'), numCat + 1, `num_cat=${numCat}`, 0, 2 ** 31 - 1);
    if (cb[0] !== 0) fail(ctx, `cat_boundaries[0] = ${cb[0]}, must be 0`);
    for (let c = 0; c < numCat; c++) {
      if (cb[c + 1] < cb[c]) fail(ctx, `cat_boundaries decrease at ${c + 1} (${cb[c]} then ${cb[c + 1]})`);
      if ((cb[c + 1] - cb[c]) * 32 > LIMITS.maxCategoryBits) {
        fail(ctx, `category bitset ${c} has ${cb[c + 1] - cb[c]} words, more than ${LIMITS.maxCategoryBits} categories`);
      }
    }
    catBoundaries = Int32Array.from(cb);
    const words = cb[numCat];
    catThreshold = Uint32Array.from(
      integers(ctx, 'cat_threshold', required(ctx, b, 'cat_threshold'), words, `cat_boundaries (last = ${words})`, 0, 2 ** 32 - 1),
    );
  }
  for (let i = 0; i < inner; i++) {
    if ((decisionType[i] & 1) === 0) continue;
    // The threshold of a categorical node is the index of its bitset in cat_boundaries.
    const ci = threshold[i];
    if (!(Number.isInteger(ci) && ci >= 0 && ci < numCat)) {
      fail(ctx, `categorical node ${i} has bitset index threshold[${i}] = ${ci}, tree has num_cat=${numCat}`);
    }
  }
  return { ...empty, splitFeature, threshold, decisionType, leftChild, rightChild, catBoundaries, catThreshold };
}
