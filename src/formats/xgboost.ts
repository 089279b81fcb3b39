/**
 * XGBoost model files (JSON and UBJSON, XGBoost 1.x - 3.x) -> Model IR.
 *
 * Both encodings decode to the same document shape and go through one converter, so a `.json`
 * and a `.ubj` of the same booster give the same IR bit for bit. The document is untrusted: every
 * field is type-checked before use and every problem is a ModelFormatError naming the file, the
 * place ("tree 3 node 17", "learner.objective") and what is wrong. Scoring semantics follow
 * /work/shared/SCORING.md; the comments below say where XGBoost versions differ.
 */
import {
  ModelFormatError,
  NODE_CATEGORICAL,
  NODE_DEFAULT_LEFT,
  type FeatureInfo,
  type ForestIR,
  type LinearIR,
  type ModelIR,
  type OutputTransform,
} from './ir.js';
import { JsonSyntaxError, parseLenientJson } from './lenient-json.js';
import { decodeUbjson, UbjsonError } from './ubjson.js';
import { LIMITS, validateModel } from './validate.js';

const f32 = Math.fround;
/** XGBoost's kRtEps (1e-6 as a float). */
const RT_EPS = f32(1e-6);
/** Total bitset words over all categorical nodes: far above any real model, bounded for forged ones. */
const MAX_CATEGORY_WORDS = 1 << 24;

/** Reads an XGBoost JSON model (`Booster.save_model("m.json")`). */
export function readXGBoostJson(text: string, file: string): ModelIR {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let doc: unknown;
  try {
    doc = parseLenientJson(body);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      throw new ModelFormatError(file, `line ${e.line} column ${e.column}`, `not valid JSON: ${e.reason}`);
    }
    throw e;
  }
  return xgboostDocumentToIR(doc, file, 'JSON');
}

/** Reads an XGBoost UBJSON model (`Booster.save_model("m.ubj")`). */
export function readXGBoostUbjson(bytes: Uint8Array, file: string): ModelIR {
  let doc: unknown;
  try {
    doc = decodeUbjson(bytes);
  } catch (e) {
    if (e instanceof UbjsonError) {
      throw new ModelFormatError(file, `byte ${e.offset}`, `not valid UBJSON: ${e.reason}`);
    }
    throw e;
  }
  return xgboostDocumentToIR(doc, file, 'UBJSON');
}

// ---------------------------------------------------------------------------------------------
// Objectives

type Link = 'identity' | 'logit' | 'log' | 'expectile';

interface ObjectiveInfo {
  transform: OutputTransform['kind'];
  /** How base_score (output space) becomes a margin. */
  link: Link;
}

const OBJECTIVES: ReadonlyMap<string, ObjectiveInfo> = new Map<string, ObjectiveInfo>([
  ['reg:squarederror', { transform: 'identity', link: 'identity' }],
  ['reg:linear', { transform: 'identity', link: 'identity' }], // pre-1.0 name of squarederror
  ['reg:squaredlogerror', { transform: 'identity', link: 'identity' }],
  ['reg:pseudohubererror', { transform: 'identity', link: 'identity' }],
  ['reg:absoluteerror', { transform: 'identity', link: 'identity' }],
  ['reg:quantileerror', { transform: 'identity', link: 'identity' }],
  ['reg:expectileerror', { transform: 'expectile_f32', link: 'expectile' }],
  ['reg:logistic', { transform: 'sigmoid_f32', link: 'logit' }],
  ['binary:logistic', { transform: 'sigmoid_f32', link: 'logit' }],
  // XGBoost's own outputs (1.7.4 and 3.4.1) show logitraw's base_score used as is.
  ['binary:logitraw', { transform: 'identity', link: 'identity' }],
  ['binary:hinge', { transform: 'hinge', link: 'identity' }],
  ['count:poisson', { transform: 'exp_f32', link: 'log' }],
  ['reg:gamma', { transform: 'exp_f32', link: 'log' }],
  ['reg:tweedie', { transform: 'exp_f32', link: 'log' }],
  ['survival:aft', { transform: 'exp_f32', link: 'log' }],
  ['survival:cox', { transform: 'exp_f32', link: 'log' }],
  ['multi:softmax', { transform: 'argmax', link: 'identity' }],
  ['multi:softprob', { transform: 'softprob_f32', link: 'identity' }],
  ['rank:pairwise', { transform: 'identity', link: 'identity' }],
  ['rank:ndcg', { transform: 'identity', link: 'identity' }],
  ['rank:map', { transform: 'identity', link: 'identity' }],
]);

/** -logf(1/p - 1) in float32 steps after clamping p to [1e-6, 1 - 1e-6], as XGBoost's logistic ProbToMargin. */
function logitF32(p: number): number {
  const hi = f32(1 - RT_EPS);
  const c = p < RT_EPS ? RT_EPS : p > hi ? hi : p;
  return f32(-f32(Math.log(f32(f32(1 / c) - 1))));
}

/** XGBoost's SoftPlusInv in float32: x clamped to >= 1e-6, then x + log(-expm1(-x)). */
function softplusInvF32(x: number): number {
  const c = x < RT_EPS ? RT_EPS : x;
  return f32(c + f32(Math.log(f32(-Math.expm1(-c)))));
}

// ---------------------------------------------------------------------------------------------
// Typed access to the untrusted document

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** A JSON array or a UBJSON typed array, as a read-only sequence; null for anything else. */
function asSequence(v: unknown): ArrayLike<unknown> | null {
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<unknown>;
  return null;
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return 'a typed array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** Integer value of a JSON/UBJSON element (number or bigint); undefined when it is not an integer. */
function integerOf(x: unknown): number | undefined {
  if (typeof x === 'number') return Number.isInteger(x) ? x : undefined;
  if (typeof x === 'bigint') {
    return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : undefined;
  }
  return undefined;
}

interface IntRange {
  min?: number;
  max?: number;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

class Reader {
  constructor(readonly file: string) {}

  fail(where: string, reason: string): never {
    throw new ModelFormatError(this.file, where, reason);
  }

  obj(v: unknown, where: string, what: string): Obj {
    if (!isObj(v)) this.fail(where, `${what} must be an object, found ${describe(v)}`);
    return v;
  }

  field(o: Obj, key: string, where: string): Obj {
    return this.obj(o[key], where, `'${key}'`);
  }

  str(v: unknown, where: string, what: string): string {
    if (typeof v !== 'string') this.fail(where, `${what} must be a string, found ${describe(v)}`);
    return v;
  }

  seq(v: unknown, where: string, what: string): ArrayLike<unknown> {
    const s = asSequence(v);
    if (s === null) this.fail(where, `${what} must be an array, found ${describe(v)}`);
    return s;
  }

  private checkLength(s: ArrayLike<unknown>, len: number | undefined, where: string, what: string, lenWhat: string): void {
    if (len !== undefined && s.length !== len) {
      this.fail(where, `${what} has ${s.length} entries, expected ${len} (${lenWhat})`);
    }
  }

  /** An array of integers within [min, max] (int32 by default). */
  ints(v: unknown, where: string, what: string, len?: number, lenWhat = '', range: IntRange = {}): Int32Array {
    const s = this.seq(v, where, what);
    this.checkLength(s, len, where, what, lenWhat);
    const min = range.min ?? INT32_MIN;
    const max = range.max ?? INT32_MAX;
    const out = new Int32Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const x = integerOf(s[i]);
      if (x === undefined) this.fail(where, `${what} must hold integers, entry ${i} is ${describe(s[i])}`);
      if (x < min || x > max) this.fail(where, `${what}[${i}] = ${x} is out of range [${min}, ${max}]`);
      out[i] = x;
    }
    return out;
  }

  /** An array of numbers, rounded to float32 as XGBoost stores them. */
  floats(v: unknown, where: string, what: string, len?: number, lenWhat = ''): Float64Array {
    const s = this.seq(v, where, what);
    this.checkLength(s, len, where, what, lenWhat);
    const out = new Float64Array(s.length);
    if (s instanceof Float32Array) {
      out.set(s);
      return out;
    }
    for (let i = 0; i < s.length; i++) {
      const x = s[i];
      if (typeof x === 'number') out[i] = f32(x);
      else if (typeof x === 'bigint') out[i] = f32(Number(x));
      else this.fail(where, `${what} must hold numbers, entry ${i} is ${describe(x)}`);
    }
    return out;
  }

  /** An array of booleans, written as true/false or 0/1 depending on the XGBoost version. */
  bools(v: unknown, where: string, what: string, len: number, lenWhat: string): Uint8Array {
    const s = this.seq(v, where, what);
    this.checkLength(s, len, where, what, lenWhat);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const x = s[i];
      if (x === true || x === 1) out[i] = 1;
      else if (x === false || x === 0) out[i] = 0;
      else this.fail(where, `${what} must hold booleans or 0/1, entry ${i} is ${describe(x)}`);
    }
    return out;
  }

  /** An integer parameter: XGBoost writes them as decimal strings ("40"); plain numbers are accepted. */
  paramInt(o: Obj, key: string, where: string, range: IntRange, dflt?: number): number {
    const v = o[key];
    if (v === undefined && dflt !== undefined) return dflt;
    let x: number | undefined;
    if (typeof v === 'string') x = /^\s*[+-]?\d{1,15}\s*$/.test(v) ? Number(v) : undefined;
    else x = integerOf(v);
    if (x === undefined) this.fail(where, `'${key}' must be an integer, found ${describe(v)}`);
    const min = range.min ?? 0;
    const max = range.max ?? INT32_MAX;
    if (x < min || x > max) this.fail(where, `'${key}' = ${x} is out of range [${min}, ${max}]`);
    return x;
  }
}

// ---------------------------------------------------------------------------------------------
// Learner-level fields

type Version = readonly [number, number, number];

function readVersion(r: Reader, root: Obj): Version | null {
  if (root.version === undefined) return null;
  const v = r.ints(root.version, 'version', "'version'", undefined, '', { min: 0, max: 100000 });
  if (v.length !== 3) r.fail('version', `'version' must hold 3 integers, found ${v.length}`);
  return [v[0], v[1], v[2]];
}

function versionAtLeast(v: Version | null, major: number, minor: number): boolean {
  if (v === null) return false;
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** base_score: "5E-1" (up to 3.0), "[5E-1]" or "[a,b,...]" (3.1+); values as float32. */
function readBaseScore(r: Reader, v: unknown, where: string): number[] {
  if (typeof v === 'number') return [f32(v)];
  const s = r.str(v, where, "'base_score'").trim();
  const inner = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  const parts = inner.split(',').map((p) => p.trim());
  return parts.map((p) => {
    if (!NUMBER_RE.test(p)) r.fail(where, `'base_score' ${JSON.stringify(s)} is not a number or a list of numbers`);
    return f32(Number(p));
  });
}

/** Base scores (output space, one per output) -> margins, as the objective's ProbToMargin does. */
function baseMargins(r: Reader, raw: number[], k: number, objective: string, link: Link, where: string): Float64Array {
  if (raw.length !== 1 && raw.length !== k) {
    r.fail(where, `'base_score' has ${raw.length} values for ${k} outputs`);
  }
  // 1.x writes one scalar that every output starts from.
  const b = raw.length === k ? raw : new Array<number>(k).fill(raw[0]);
  const m = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    switch (link) {
      case 'identity':
        m[j] = b[j];
        break;
      case 'logit':
        m[j] = logitF32(b[j]);
        break;
      case 'log':
        if (!(b[j] > 0)) r.fail(where, `'base_score' ${b[j]} must be positive for ${objective} (log link)`);
        m[j] = f32(Math.log(b[j]));
        break;
      case 'expectile':
        // Non-crossing expectiles: output j = output j-1 + 1e-6 + softplus(margin j).
        m[j] = j === 0 ? b[0] : softplusInvF32(f32(f32(b[j] - b[j - 1]) - RT_EPS));
        break;
    }
    if (!Number.isFinite(m[j])) r.fail(where, `'base_score' ${b[j]} gives the non-finite margin ${m[j]} for ${objective}`);
  }
  return m;
}

function readFeatures(r: Reader, learner: Obj, numFeature: number): { features: FeatureInfo[]; hasFeatureNames: boolean } {
  const names = learner.feature_names === undefined ? [] : r.seq(learner.feature_names, 'learner.feature_names', "'feature_names'");
  const types = learner.feature_types === undefined ? [] : r.seq(learner.feature_types, 'learner.feature_types', "'feature_types'");
  if (names.length !== 0 && names.length !== numFeature) {
    r.fail('learner.feature_names', `${names.length} feature names for ${numFeature} features`);
  }
  if (types.length !== 0 && types.length !== numFeature) {
    r.fail('learner.feature_types', `${types.length} feature types for ${numFeature} features`);
  }
  const features: FeatureInfo[] = [];
  for (let f = 0; f < numFeature; f++) {
    const name = names.length > 0 ? r.str(names[f], 'learner.feature_names', `feature name ${f}`) : `f${f}`;
    let type: FeatureInfo['type'] = 'numeric';
    if (types.length > 0) {
      const t = r.str(types[f], 'learner.feature_types', `feature type ${f}`);
      if (t === 'c') type = 'categorical';
      else if (t !== 'q' && t !== 'float' && t !== 'int' && t !== 'i') {
        r.fail('learner.feature_types', `feature ${f} (${name}) has unknown type ${JSON.stringify(t)}`);
      }
    }
    features.push({ name, type, categories: null });
  }
  return { features, hasFeatureNames: names.length > 0 };
}

/**
 * 3.1+ `cats`: the training categories of each feature. String categories are Arrow-style
 * offsets into UTF-8 bytes; numeric ones a typed value list. A category's code is its index in
 * this list (the order XGBoost saw them); `sorted_idx` only serves XGBoost's binary search.
 */
function readCategoryNames(r: Reader, cats: unknown, features: FeatureInfo[]): void {
  const where = 'gradient_booster.model.cats';
  const c = r.obj(cats, where, "'cats'");
  const enc = r.seq(c.enc, where, "'enc'");
  if (enc.length === 0) return;
  if (enc.length !== features.length) r.fail(where, `'enc' describes ${enc.length} features, the model has ${features.length}`);
  const segments = c.feature_segments === undefined
    ? null
    : r.ints(c.feature_segments, where, "'feature_segments'", features.length + 1, 'features + 1', { min: 0 });
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  for (let f = 0; f < features.length; f++) {
    const fw = `${where}.enc[${f}]`;
    const e = r.obj(enc[f], fw, 'a feature encoding');
    let names: string[];
    if (e.offsets !== undefined) {
      const offsets = r.ints(e.offsets, fw, "'offsets'", undefined, '', { min: 0 });
      // Written as int8 (bytes >= 0x80 come back negative); the bytes are UTF-8.
      const values = r.ints(e.values, fw, "'values'", undefined, '', { min: -128, max: 255 });
      const bytes = Uint8Array.from(values, (b) => b & 0xff);
      names = [];
      if (offsets.length > 0 && offsets[0] !== 0) r.fail(fw, `'offsets' must start at 0, found ${offsets[0]}`);
      for (let j = 0; j + 1 < offsets.length; j++) {
        const a = offsets[j];
        const b = offsets[j + 1];
        if (b < a || b > bytes.length) r.fail(fw, `'offsets'[${j + 1}] = ${b} is out of range [${a}, ${bytes.length}]`);
        try {
          names.push(utf8.decode(bytes.subarray(a, b)));
        } catch {
          r.fail(fw, `category ${j} is not valid UTF-8`);
        }
      }
    } else {
      r.paramInt(e, 'type', fw, {});
      const values = r.seq(e.values, fw, "'values'");
      names = [];
      for (let j = 0; j < values.length; j++) {
        const v = values[j];
        if (typeof v !== 'number' && typeof v !== 'bigint') r.fail(fw, `'values' must hold numbers, entry ${j} is ${describe(v)}`);
        names.push(String(v));
      }
    }
    if (segments && segments[f + 1] - segments[f] !== names.length) {
      r.fail(fw, `${names.length} categories, 'feature_segments' says ${segments[f + 1] - segments[f]}`);
    }
    if (names.length === 0) continue;
    if (features[f].type !== 'categorical') {
      r.fail(fw, `feature ${f} (${features[f].name}) has category names but is not categorical in 'feature_types'`);
    }
    features[f].categories = names;
  }
}

// ---------------------------------------------------------------------------------------------
// Trees

/** One tree in IR layout with tree-local indices (categorical bitsets in its own word list). */
interface TreeData {
  n: number;
  /** 1 for scalar leaves, K for vector leaves. */
  width: number;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  flags: Uint8Array;
  catStart: Int32Array;
  catWords: Int32Array;
  leafValue: Float64Array;
  catBits: number[];
}

/** Reads categorical split sets into per-node bitsets (bit c of a node's words = category c). */
function readCategories(
  r: Reader,
  t: Obj,
  where: string,
  n: number,
  out: TreeData,
  wordBudget: { used: number },
): void {
  const cats = r.ints(t.categories, where, "'categories'", undefined, '', { min: 0, max: LIMITS.maxCategoryBits - 1 });
  const nodes = r.ints(t.categories_nodes, where, "'categories_nodes'", undefined, '', { min: 0, max: n - 1 });
  const segs = r.ints(t.categories_segments, where, "'categories_segments'", nodes.length, 'one per categorical node', {
    min: 0,
    max: cats.length,
  });
  const sizes = r.ints(t.categories_sizes, where, "'categories_sizes'", nodes.length, 'one per categorical node', {
    min: 1,
    max: cats.length,
  });
  for (let k = 0; k < nodes.length; k++) {
    const nid = nodes[k];
    const nw = `${where} node ${nid}`;
    // XGBoost matches categories_nodes to nodes in ascending order; any other order would be misread.
    if (k > 0 && nid <= nodes[k - 1]) r.fail(where, `'categories_nodes' must be increasing, entry ${k} is ${nid} after ${nodes[k - 1]}`);
    const a = segs[k];
    const b = a + sizes[k];
    if (b > cats.length) r.fail(nw, `category set [${a}, ${b}) is beyond the ${cats.length} stored categories`);
    let maxCat = 0;
    for (let j = a; j < b; j++) if (cats[j] > maxCat) maxCat = cats[j];
    const words = (maxCat >>> 5) + 1;
    wordBudget.used += words;
    if (wordBudget.used > MAX_CATEGORY_WORDS) {
      r.fail(nw, `category bitsets exceed ${MAX_CATEGORY_WORDS} words (largest category ${maxCat})`);
    }
    const start = out.catBits.length;
    for (let w = 0; w < words; w++) out.catBits.push(0);
    for (let j = a; j < b; j++) {
      const c = cats[j];
      out.catBits[start + (c >>> 5)] |= 1 << (c & 31);
    }
    out.catStart[nid] = start;
    out.catWords[nid] = words;
  }
}

function readTree(r: Reader, tv: unknown, t: number, wordBudget: { used: number }): TreeData {
  const where = `tree ${t}`;
  const tree = r.obj(tv, where, 'a tree');
  const tp = r.field(tree, 'tree_param', where);
  const n = r.paramInt(tp, 'num_nodes', `${where} tree_param`, { min: 1, max: LIMITS.maxNodes });
  const width = Math.max(1, r.paramInt(tp, 'size_leaf_vector', `${where} tree_param`, { max: LIMITS.maxOutputs }, 1));
  const numDeleted = r.paramInt(tp, 'num_deleted', `${where} tree_param`, { max: n }, 0);
  const perNode = 'num_nodes';
  const left = r.ints(tree.left_children, where, "'left_children'", n, perNode);
  const right = r.ints(tree.right_children, where, "'right_children'", n, perNode);
  const splitIndex = r.ints(tree.split_indices, where, "'split_indices'", n, perNode);
  const cond = r.floats(tree.split_conditions, where, "'split_conditions'", n, perNode);
  const defaultLeft = r.bools(tree.default_left, where, "'default_left'", n, perNode);
  // split_type exists since 1.5 (categorical support); older trees are all numeric.
  const splitType = tree.split_type === undefined
    ? new Int32Array(n)
    : r.ints(tree.split_type, where, "'split_type'", n, perNode, { min: 0, max: 1 });

  const out: TreeData = {
    n,
    width,
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    left: new Int32Array(n),
    right: new Int32Array(n),
    flags: new Uint8Array(n),
    catStart: new Int32Array(n),
    catWords: new Int32Array(n),
    leafValue: new Float64Array(n * width),
    catBits: [],
  };

  // Vector leaves: up to 3.1 base_weights holds K values for every node; from 3.2 leaf_weights
  // holds K values per leaf and a leaf's right_children entry is its index there.
  let leafWeights: Float64Array | null = null;
  let baseWeights: Float64Array | null = null;
  if (width > 1) {
    if (tree.leaf_weights !== undefined) {
      leafWeights = r.floats(tree.leaf_weights, where, "'leaf_weights'");
      if (leafWeights.length % width !== 0) {
        r.fail(where, `'leaf_weights' has ${leafWeights.length} values, not a multiple of size_leaf_vector ${width}`);
      }
    } else {
      baseWeights = r.floats(tree.base_weights, where, "'base_weights'", n * width, `num_nodes x size_leaf_vector ${width}`);
    }
  }

  let hasCategorical = false;
  for (let node = 0; node < n; node++) {
    if (left[node] === -1) {
      // XGBoost's IsLeaf looks at the left child only.
      out.left[node] = -1;
      out.right[node] = -1;
      if (width === 1) {
        out.leafValue[node] = cond[node];
      } else if (leafWeights) {
        const li = right[node];
        if (!(li >= 0 && (li + 1) * width <= leafWeights.length)) {
          r.fail(`${where} node ${node}`, `leaf index ${li} is out of range for ${leafWeights.length / width} leaf vectors`);
        }
        for (let j = 0; j < width; j++) out.leafValue[node * width + j] = leafWeights[li * width + j];
      } else {
        for (let j = 0; j < width; j++) out.leafValue[node * width + j] = baseWeights![node * width + j];
      }
      continue;
    }
    out.left[node] = left[node];
    out.right[node] = right[node];
    out.feature[node] = splitIndex[node];
    let flags = defaultLeft[node] ? NODE_DEFAULT_LEFT : 0;
    if (splitType[node] === 1) {
      flags |= NODE_CATEGORICAL;
      hasCategorical = true;
    } else {
      out.threshold[node] = cond[node];
    }
    out.flags[node] = flags;
  }
  // A categorical node without a listed set has an empty one in XGBoost: every category goes left.
  if (hasCategorical) readCategories(r, tree, where, n, out, wordBudget);
  return numDeleted > 0 ? dropDeletedNodes(out, numDeleted) : out;
}

/**
 * Pruning leaves deleted nodes in XGBoost's arrays, unreachable from the root and counted in
 * num_deleted. Renumbers the reachable nodes (keeping their order) when exactly that many are
 * unreachable; otherwise returns the tree unchanged for the validator to report precisely.
 */
function dropDeletedNodes(tree: TreeData, numDeleted: number): TreeData {
  const { n, width } = tree;
  const reached = new Uint8Array(n);
  const stack = [0];
  let count = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (reached[node]) return tree;
    reached[node] = 1;
    count++;
    const l = tree.left[node];
    if (l === -1) continue;
    const rr = tree.right[node];
    if (!(l >= 0 && l < n && rr >= 0 && rr < n)) return tree;
    stack.push(rr, l);
  }
  if (n - count !== numDeleted) return tree;
  const newIndex = new Int32Array(n).fill(-1);
  let m = 0;
  for (let node = 0; node < n; node++) if (reached[node]) newIndex[node] = m++;
  const out: TreeData = {
    n: m,
    width,
    feature: new Int32Array(m),
    threshold: new Float64Array(m),
    left: new Int32Array(m),
    right: new Int32Array(m),
    flags: new Uint8Array(m),
    catStart: new Int32Array(m),
    catWords: new Int32Array(m),
    leafValue: new Float64Array(m * width),
    catBits: tree.catBits,
  };
  for (let node = 0; node < n; node++) {
    const k = newIndex[node];
    if (k < 0) continue;
    out.feature[k] = tree.feature[node];
    out.threshold[k] = tree.threshold[node];
    out.left[k] = tree.left[node] === -1 ? -1 : newIndex[tree.left[node]];
    out.right[k] = tree.right[node] === -1 ? -1 : newIndex[tree.right[node]];
    out.flags[k] = tree.flags[node];
    out.catStart[k] = tree.catStart[node];
    out.catWords[k] = tree.catWords[node];
    for (let j = 0; j < width; j++) out.leafValue[k * width + j] = tree.leafValue[node * width + j];
  }
  return out;
}

/** Locates the tree model and DART weights; the layout moved between versions. */
function locateTreeModel(r: Reader, gb: Obj, booster: string): { model: Obj; weightDrop: unknown } {
  if (booster === 'dart') {
    // Up to 3.2: {"name": "dart", "gbtree": {"model": {...}}, "weight_drop": [...]}.
    const inner = r.field(gb, 'gbtree', 'gradient_booster');
    const model = r.field(inner, 'model', 'gradient_booster.gbtree');
    const weightDrop = gb.weight_drop ?? model.weight_drop;
    if (weightDrop === undefined) r.fail('gradient_booster', "a dart booster without 'weight_drop'");
    return { model, weightDrop };
  }
  // 3.3+ keeps DART weights inside the gbtree model.
  const model = r.field(gb, 'model', 'gradient_booster');
  return { model, weightDrop: model.weight_drop };
}

interface Common {
  formatDetail: string;
  objective: string;
  numFeatures: number;
  numMargins: number;
  numOutputs: number;
  features: FeatureInfo[];
  hasFeatureNames: boolean;
  transform: OutputTransform;
}

function readForest(
  r: Reader,
  model: Obj,
  weightDrop: unknown,
  common: Common,
  rawBase: number[],
  link: Link,
): ForestIR {
  const where = 'gradient_booster.model';
  const k = common.numMargins;
  const treeList = r.seq(model.trees, where, "'trees'");
  const nTrees = treeList.length;
  if (nTrees > LIMITS.maxTrees) r.fail(where, `${nTrees} trees is more than ${LIMITS.maxTrees}`);
  const gmp = model.gbtree_model_param === undefined ? {} : r.field(model, 'gbtree_model_param', where);
  const declared = r.paramInt(gmp, 'num_trees', `${where}.gbtree_model_param`, { max: LIMITS.maxTrees }, nTrees);
  if (declared !== nTrees) r.fail(`${where}.gbtree_model_param`, `num_trees is ${declared} but ${nTrees} trees are stored`);
  const numParallel = r.paramInt(gmp, 'num_parallel_tree', `${where}.gbtree_model_param`, { min: 1, max: LIMITS.maxTrees }, 1);
  const treeInfo = r.ints(model.tree_info, where, "'tree_info'", nTrees, 'one per tree');
  const weights = weightDrop === undefined
    ? new Float64Array(nTrees).fill(1)
    : r.floats(weightDrop, 'gradient_booster', "'weight_drop'", nTrees, 'one per tree');

  // XGBoost places each tree at its "id".
  const trees = new Array<TreeData | undefined>(nTrees);
  const wordBudget = { used: 0 };
  for (let i = 0; i < nTrees; i++) {
    const tv = treeList[i];
    let slot = i;
    if (isObj(tv) && tv.id !== undefined) {
      const id = integerOf(tv.id);
      if (id === undefined || id < 0 || id >= nTrees) r.fail(`tree ${i}`, `'id' ${describe(tv.id)} is not a tree index in [0, ${nTrees})`);
      slot = id;
    }
    if (trees[slot] !== undefined) r.fail(`tree ${i}`, `tree id ${slot} is used by two trees`);
    trees[slot] = readTree(r, tv, slot, wordBudget);
  }

  const vector = nTrees > 0 && trees[0]!.width > 1;
  for (let t = 0; t < nTrees; t++) {
    const w = trees[t]!.width;
    if ((w > 1) !== vector) r.fail(`tree ${t}`, 'mixes vector-leaf and scalar-leaf trees in one model');
    if (w > 1 && w !== k) r.fail(`tree ${t}`, `size_leaf_vector ${w} does not match the model's ${k} outputs`);
  }
  const leafWidth = vector ? k : 1;

  // Rounds: iteration_indptr (2.0+), else output groups x num_parallel_tree trees per round.
  let iterationOffsets: Int32Array;
  if (model.iteration_indptr !== undefined) {
    iterationOffsets = r.ints(model.iteration_indptr, where, "'iteration_indptr'", undefined, '', { min: 0, max: nTrees });
    if (iterationOffsets.length < 1) r.fail(where, "'iteration_indptr' is empty");
    for (let i = 1; i < iterationOffsets.length; i++) {
      if (iterationOffsets[i] < iterationOffsets[i - 1]) r.fail(where, `'iteration_indptr' decreases at entry ${i}`);
    }
    if (iterationOffsets[0] !== 0 || iterationOffsets[iterationOffsets.length - 1] !== nTrees) {
      r.fail(where, `'iteration_indptr' must run from 0 to the ${nTrees} trees`);
    }
  } else {
    const perRound = (vector ? 1 : k) * numParallel;
    const rounds = Math.ceil(nTrees / perRound);
    iterationOffsets = new Int32Array(rounds + 1);
    for (let i = 0; i <= rounds; i++) iterationOffsets[i] = Math.min(i * perRound, nTrees);
  }

  const nodeOffset = new Int32Array(nTrees + 1);
  let catTotal = 0;
  for (let t = 0; t < nTrees; t++) {
    nodeOffset[t + 1] = nodeOffset[t] + trees[t]!.n;
    if (nodeOffset[t + 1] > LIMITS.maxNodes) r.fail(where, `more than ${LIMITS.maxNodes} nodes`);
    catTotal += trees[t]!.catBits.length;
  }
  const total = nodeOffset[nTrees];
  const nodes = {
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    flags: new Uint8Array(total),
    catStart: new Int32Array(total),
    catWords: new Int32Array(total),
    leafValue: new Float64Array(total * leafWidth),
  };
  const catBits = new Uint32Array(catTotal);
  let catOffset = 0;
  for (let t = 0; t < nTrees; t++) {
    const tr = trees[t]!;
    const base = nodeOffset[t];
    nodes.feature.set(tr.feature, base);
    nodes.threshold.set(tr.threshold, base);
    nodes.left.set(tr.left, base);
    nodes.right.set(tr.right, base);
    nodes.flags.set(tr.flags, base);
    nodes.catWords.set(tr.catWords, base);
    for (let i = 0; i < tr.n; i++) nodes.catStart[base + i] = tr.catWords[i] > 0 ? tr.catStart[i] + catOffset : 0;
    nodes.leafValue.set(tr.leafValue, base * leafWidth);
    catBits.set(tr.catBits, catOffset);
    catOffset += tr.catBits.length;
  }

  const output = vector ? new Int32Array(nTrees).fill(-1) : treeInfo;
  return {
    kind: 'forest',
    format: 'xgboost',
    rule: 'xgboost',
    ...common,
    baseScore: baseMargins(r, rawBase, k, common.objective, link, 'learner.learner_model_param'),
    iterationOffsets,
    numIterations: iterationOffsets.length - 1,
    leafWidth,
    trees: { count: nTrees, nodeOffset, output, weight: weights },
    nodes,
    catBits,
    linearLeaves: null,
    averageOutput: false,
  };
}

function readLinear(r: Reader, gb: Obj, common: Common, rawBase: number[], link: Link): LinearIR {
  const where = 'gradient_booster.model';
  const model = r.field(gb, 'model', 'gradient_booster');
  const k = common.numMargins;
  const nf = common.numFeatures;
  // num_feature weights per output group, then one bias per group.
  const all = r.floats(model.weights, where, "'weights'", (nf + 1) * k, `(num_feature + 1) x ${k} outputs`);
  const base = baseMargins(r, rawBase, k, common.objective, link, 'learner.learner_model_param');
  // GBLinear adds the first base margin to every output group.
  base.fill(base[0]);
  return {
    kind: 'linear',
    format: 'xgboost',
    rule: 'xgboost',
    ...common,
    baseScore: base,
    iterationOffsets: new Int32Array([0, 0]),
    numIterations: 1,
    weights: all.slice(0, nf * k),
    bias: all.slice(nf * k),
  };
}

/** Converts a decoded XGBoost model document (from JSON or UBJSON) to a validated Model IR. */
export function xgboostDocumentToIR(doc: unknown, file: string, encoding: 'JSON' | 'UBJSON'): ModelIR {
  const r: Reader = new Reader(file);
  const root = r.obj(doc, 'document', 'the document');
  const version = readVersion(r, root);
  const learner = r.field(root, 'learner', 'document');
  const lmpWhere = 'learner.learner_model_param';
  const lmp = r.field(learner, 'learner_model_param', 'learner');
  const numFeatures = r.paramInt(lmp, 'num_feature', lmpWhere, { max: LIMITS.maxFeatures });
  const numClass = r.paramInt(lmp, 'num_class', lmpWhere, { max: LIMITS.maxOutputs }, 0);
  const numTarget = r.paramInt(lmp, 'num_target', lmpWhere, { min: 1, max: LIMITS.maxOutputs }, 1);
  if (numClass > 1 && numTarget > 1) r.fail(lmpWhere, `num_class ${numClass} and num_target ${numTarget} cannot both exceed 1`);
  const k = Math.max(numClass, numTarget, 1);

  const objWhere = 'learner.objective';
  const objective = r.str(r.field(learner, 'objective', 'learner').name, objWhere, "'name'");
  const info = OBJECTIVES.get(objective);
  if (info === undefined) r.fail(objWhere, `unknown objective ${JSON.stringify(objective)}`);
  let transform: OutputTransform = { kind: info.transform } as OutputTransform;
  // 3.4 sorts the outputs of multi-alpha quantile regression so quantiles never cross.
  if (objective === 'reg:quantileerror' && k > 1 && versionAtLeast(version, 3, 4)) transform = { kind: 'sort_ascending' };
  const rawBase = readBaseScore(r, lmp.base_score, lmpWhere);

  const { features, hasFeatureNames } = readFeatures(r, learner, numFeatures);
  const common: Common = {
    formatDetail: `XGBoost ${version ? version.join('.') : '(unknown version)'} ${encoding}`,
    objective,
    numFeatures,
    numMargins: k,
    numOutputs: transform.kind === 'argmax' ? 1 : k,
    features,
    hasFeatureNames,
    transform,
  };

  const gb = r.field(learner, 'gradient_booster', 'learner');
  const booster = r.str(gb.name, 'learner.gradient_booster', "'name'");
  let ir: ModelIR;
  if (booster === 'gbtree' || booster === 'dart') {
    const { model, weightDrop } = locateTreeModel(r, gb, booster);
    if (model.cats !== undefined) readCategoryNames(r, model.cats, features);
    ir = readForest(r, model, weightDrop, common, rawBase, info.link);
  } else if (booster === 'gblinear') {
    ir = readLinear(r, gb, common, rawBase, info.link);
  } else {
    r.fail('learner.gradient_booster', `unknown booster ${JSON.stringify(booster)} (expected gbtree, dart or gblinear)`);
  }
  validateModel(ir, file);
  return ir;
}
