/**
 * The reference engine: the executable specification of how a model in Forest IR scores a row.
 *
 * Written for clarity, one row and one tree at a time. The native engine must reproduce these
 * margins bit for bit; the library fixtures check this file against XGBoost and LightGBM.
 */
import {
  NODE_CATEGORICAL,
  NODE_DEFAULT_LEFT,
  NODE_MISSING_NAN,
  NODE_MISSING_ZERO,
  type ForestIR,
  type LinearIR,
  type ModelIR,
} from '../formats/ir.js';

const f32 = Math.fround;
const TWO_POW_24 = 16777216;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** LightGBM's kZeroThreshold is the float 1e-35f: as a double, 1.0000000180025095e-35, not 1e-35. */
const LGB_ZERO_THRESHOLD = Math.fround(1e-35);

/** Tests bit `code` of a node's bitset; false beyond the bitset. */
function inBitset(bits: Uint32Array, start: number, words: number, code: number): boolean {
  const w = Math.floor(code / 32);
  if (w >= words) return false;
  return ((bits[start + w] >>> (code % 32)) & 1) === 1;
}

/** XGBoost: is the child reached from global node `g` for value x the left one? */
function xgboostGoesLeft(ir: ForestIR, g: number, x: number): boolean {
  const n = ir.nodes;
  if (Number.isNaN(x)) return (n.flags[g] & NODE_DEFAULT_LEFT) !== 0;
  if (n.flags[g] & NODE_CATEGORICAL) {
    const xf = f32(x);
    // Out-of-range codes are "not in the set": left.
    if (xf < 0 || xf >= TWO_POW_24) return true;
    return !inBitset(ir.catBits, n.catStart[g], n.catWords[g], Math.trunc(xf));
  }
  return f32(x) < n.threshold[g];
}

/** LightGBM's static_cast<int>(double) on x86-64: out-of-range and NaN give INT_MIN. */
function castInt(x: number): number {
  const t = Math.trunc(x);
  return t >= INT32_MIN && t <= INT32_MAX ? t : INT32_MIN;
}

/** LightGBM: is the child reached from global node `g` for value x the left one? */
function lightgbmGoesLeft(ir: ForestIR, g: number, x: number): boolean {
  const n = ir.nodes;
  const flags = n.flags[g];
  if (flags & NODE_CATEGORICAL) {
    if (Number.isNaN(x)) return false;
    const code = castInt(x);
    if (code < 0) return false;
    return inBitset(ir.catBits, n.catStart[g], n.catWords[g], code);
  }
  const defaultLeft = (flags & NODE_DEFAULT_LEFT) !== 0;
  if (Number.isNaN(x) && (flags & NODE_MISSING_NAN) === 0) x = 0.0;
  if ((flags & NODE_MISSING_ZERO) !== 0 && Math.abs(x) <= LGB_ZERO_THRESHOLD) return defaultLeft;
  if ((flags & NODE_MISSING_NAN) !== 0 && Number.isNaN(x)) return defaultLeft;
  return x <= n.threshold[g];
}

/** Walks tree `t` for the row at x[off..] and returns the global index of the leaf reached. */
export function leafIndex(ir: ForestIR, t: number, x: ArrayLike<number>, off: number): number {
  const base = ir.trees.nodeOffset[t];
  const goesLeft = ir.rule === 'xgboost' ? xgboostGoesLeft : lightgbmGoesLeft;
  let node = 0;
  for (;;) {
    const g = base + node;
    const left = ir.nodes.left[g];
    if (left < 0) return g;
    node = goesLeft(ir, g, x[off + ir.nodes.feature[g]]) ? left : ir.nodes.right[g];
  }
}

/** LightGBM linear leaf: const + sum(coeff * x), or the plain leaf value if a term's feature is NaN. */
function linearLeafValue(ir: ForestIR, g: number, x: ArrayLike<number>, off: number): number {
  const ll = ir.linearLeaves!;
  let v = ll.constant[g];
  for (let j = ll.termOffset[g]; j < ll.termOffset[g + 1]; j++) {
    const xv = x[off + ll.termFeature[j]];
    if (Number.isNaN(xv)) return ir.nodes.leafValue[g];
    v += ll.termCoeff[j] * xv;
  }
  return v;
}

/** Resolves `iterations` (first N boosting rounds; 0/undefined = all) to a tree count and round count. */
export function resolveIterations(model: ModelIR, iterations?: number): { treeEnd: number; rounds: number } {
  const total = model.numIterations;
  if (iterations === undefined || iterations === 0) {
    return { treeEnd: model.iterationOffsets[total], rounds: total };
  }
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new RangeError(`iterations must be a non-negative integer, got ${iterations}`);
  }
  if (iterations > total) {
    throw new RangeError(`iterations ${iterations} exceeds the model's ${total} boosting rounds`);
  }
  return { treeEnd: model.iterationOffsets[iterations], rounds: iterations };
}

function forestMargins(ir: ForestIR, x: ArrayLike<number>, rows: number, treeEnd: number): Float64Array {
  const k = ir.numMargins;
  const out = new Float64Array(rows * k);
  const width = ir.leafWidth;
  const xgb = ir.rule === 'xgboost';
  for (let r = 0; r < rows; r++) {
    const off = r * ir.numFeatures;
    const o = r * k;
    for (let j = 0; j < k; j++) out[o + j] = ir.baseScore[j];
    for (let t = 0; t < treeEnd; t++) {
      const g = leafIndex(ir, t, x, off);
      const w = ir.trees.weight[t];
      if (width === 1) {
        const j = ir.trees.output[t];
        const leaf = ir.linearLeaves ? linearLeafValue(ir, g, x, off) : ir.nodes.leafValue[g];
        out[o + j] = xgb ? f32(out[o + j] + f32(leaf * w)) : out[o + j] + leaf;
      } else {
        for (let j = 0; j < width; j++) {
          const leaf = ir.nodes.leafValue[g * width + j];
          out[o + j] = xgb ? f32(out[o + j] + f32(leaf * w)) : out[o + j] + leaf;
        }
      }
    }
  }
  return out;
}

function linearMargins(ir: LinearIR, x: ArrayLike<number>, rows: number): Float64Array {
  const k = ir.numMargins;
  const nf = ir.numFeatures;
  const out = new Float64Array(rows * k);
  if (ir.rule === 'float64') {
    for (let r = 0; r < rows; r++) {
      const off = r * nf;
      for (let j = 0; j < k; j++) {
        let sum = ir.baseScore[j] + ir.bias[j];
        for (let f = 0; f < nf; f++) sum += x[off + f] * ir.weights[f * k + j];
        out[r * k + j] = sum;
      }
    }
    return out;
  }
  for (let r = 0; r < rows; r++) {
    const off = r * nf;
    for (let j = 0; j < k; j++) {
      // XGBoost GBLinear::Pred: psum = bias + base in float32, then += x * w per present entry.
      let psum = f32(ir.bias[j] + ir.baseScore[j]);
      for (let f = 0; f < nf; f++) {
        const xv = x[off + f];
        if (Number.isNaN(xv)) continue; // XGBoost: a missing entry contributes nothing
        psum = f32(psum + f32(f32(xv) * ir.weights[f * k + j]));
      }
      out[r * k + j] = psum;
    }
  }
  return out;
}

/**
 * Raw margins for `rows` row-major rows of `model.numFeatures` values each: base score plus the
 * trees of the first `iterations` rounds (all by default). Returns rows * numMargins values.
 */
export function scoreMargins(
  model: ModelIR,
  x: Float32Array | Float64Array,
  rows: number,
  iterations?: number,
): Float64Array {
  if (x.length < rows * model.numFeatures) {
    throw new RangeError(`input holds ${x.length} values, ${rows} rows need ${rows * model.numFeatures}`);
  }
  if (model.kind === 'linear') return linearMargins(model, x, rows);
  return forestMargins(model, x, rows, resolveIterations(model, iterations).treeEnd);
}
