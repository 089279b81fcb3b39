/**
 * Random valid Forest IRs and random inputs, for differential tests (native vs reference) and
 * benchmarks.
 *
 * `buildRandomForest(params)` is deterministic in its parameters (a seeded PRNG picks every detail);
 * `arbForest(options)` is the fast-check arbitrary over those parameters (shrinks towards fewer, shallower
 * trees and fewer features). Forests use both rules, 1-node trees, random node numbering (the root
 * stays 0), default directions, LightGBM missing types None/Zero/NaN, categorical splits with bitsets
 * of 0..4 words, vector leaves, DART weights, linear leaves, several outputs, round structures for
 * iteration truncation, and thresholds drawn from the same pool as inputs so that ties happen.
 * Every forest passes validateModel.
 */
import fc from 'fast-check';
import {
  NODE_CATEGORICAL,
  NODE_DEFAULT_LEFT,
  NODE_MISSING_NAN,
  NODE_MISSING_ZERO,
  type FeatureInfo,
  type ForestIR,
  type SplitRule,
} from '../../src/formats/ir.js';

const f32 = Math.fround;

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

function int(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** Next double above / below (for ties and near-ties). */
function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const b = new Float64Array([x]);
  const u = new BigInt64Array(b.buffer);
  u[0] += x > 0 ? 1n : -1n;
  return b[0];
}
function nextDown(x: number): number {
  return -nextUp(-x);
}

/** Split values shared by thresholds and inputs, so that x == threshold happens often. */
const SPLIT_POOL: readonly number[] = [
  -1, 0, -0, 0.5, 1, 2.5, 3, 7, 31, 1e-36, -1e-36, 1e-35, -1e-35, f32(1e-35), -f32(1e-35), 1e-30, f32(0.1), 0.1, 1e30, -2.75, 100, 3e38,
  f32(1e-40), 1e-300, 1 + 2 ** -30, 1 + 2 ** -40,
];

/** Inputs that probe every edge of both rules (NaN, signed zeros, infinities, subnormals, category codes). */
export const INPUT_POOL: readonly number[] = [
  ...SPLIT_POOL,
  NaN, Infinity, -Infinity, 5e-324, -5e-324, 1e-45, 1.1e-35, 9.9e-36, 1.0000000180025094e-35, 1.0000000180025096e-35, 1e300, -1e300, 3.5e38, -3.5e38, 3.4028235677973366e38,
  0, 1, 2, 5, 6, 12, 17, 31.9, 32, 33, 40, 63, 64, 95, 127, 128, -0.5, -0.9999, 0.9999, 16777215, 16777216, 16777217,
  2147483647, 2147483647.5, 2147483648, -2147483648, -2147483648.5, -2147483649, 4294967299, 1e10, -1e10,
];

export interface ForestParams {
  seed: number;
  rule: SplitRule;
  trees: number;
  maxDepth: number;
  numFeatures: number;
  numMargins: number;
  /** Probability that a node at depth < maxDepth is a leaf (0 = full trees). */
  leafProb: number;
  categorical: boolean;
  vectorLeaves: boolean;
  linearLeaves: boolean;
  /** DART-like tree weights. */
  dart: boolean;
  /** Allow thresholds a reader never produces (non-float32 for xgboost, NaN). */
  oddThresholds: boolean;
  /** Non-trivial (random) base scores. */
  baseScores: boolean;
}

/** Builds one random valid forest, deterministically from `p`. */
export function buildRandomForest(p: ForestParams): ForestIR {
  const rand = prng(p.seed);
  const xgb = p.rule === 'xgboost';
  const nf = p.numFeatures;
  const K = p.numMargins;
  const vector = p.vectorLeaves && K > 1;
  const width = vector ? K : 1;
  const linear = p.linearLeaves && !vector && nf > 0;

  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const flags: number[] = [];
  const catStart: number[] = [];
  const catWords: number[] = [];
  const leafValue: number[] = [];
  const catBits: number[] = [];
  const termOffset: number[] = [0];
  const termFeature: number[] = [];
  const termCoeff: number[] = [];
  const constant: number[] = [];
  const nodeOffset: number[] = [0];
  const output: number[] = [];
  const weight: number[] = [];
  const catFeature = new Set<number>();

  const thresholdValue = (): number => {
    const r = rand();
    let t: number;
    if (r < 0.55) t = pick(rand, SPLIT_POOL);
    else if (r < 0.9) t = (rand() - 0.5) * 8;
    else t = pick(rand, [Infinity, -Infinity, nextUp(1), nextDown(0.5), 2 ** -149, -(2 ** -149)]);
    if (p.oddThresholds && rand() < 0.04) return NaN;
    return xgb && !(p.oddThresholds && rand() < 0.2) ? f32(t) : t;
  };
  const leafNumber = (): number => {
    const r = rand();
    let v: number;
    if (r < 0.02 && p.oddThresholds) v = pick(rand, [Infinity, -Infinity, NaN]);
    else if (r < 0.2) v = pick(rand, [0, -0, 1, -1, 0.5, 1e-40, 3e38, 1e-7]);
    else v = (rand() - 0.5) * 4;
    return xgb ? f32(v) : v;
  };

  for (let t = 0; t < p.trees; t++) {
    // Build the tree shape depth-first with temporary ids, then renumber non-root nodes at random.
    interface TmpNode { depth: number; left: number; right: number }
    const tmp: TmpNode[] = [];
    const grow = (depth: number): number => {
      const id = tmp.length;
      tmp.push({ depth, left: -1, right: -1 });
      const isLeaf = depth >= p.maxDepth || nf === 0 || (depth > 0 && rand() < p.leafProb) || (depth === 0 && rand() < 0.05);
      if (!isLeaf) {
        const l = grow(depth + 1);
        const r = grow(depth + 1);
        tmp[id].left = l;
        tmp[id].right = r;
      }
      return id;
    };
    grow(0);
    const n = tmp.length;
    const perm = [0];
    const rest = Array.from({ length: n - 1 }, (_, i) => i + 1);
    for (let i = rest.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [rest[i], rest[j]] = [rest[j], rest[i]];
    }
    perm.push(...rest); // perm[tmpId] = local index
    const origOf: number[] = new Array(n);
    for (let id = 0; id < n; id++) origOf[perm[id]] = id;
    const base = nodeOffset[t];
    for (let li = 0; li < n; li++) {
      const node = tmp[origOf[li]];
      const inner = node.left !== -1;
      left.push(inner ? perm[node.left] : -1);
      right.push(inner ? perm[node.right] : -1);
      let fl = rand() < 0.5 ? NODE_DEFAULT_LEFT : 0;
      let cs = 0;
      let cw = 0;
      let fidx = 0;
      let thr = 0;
      if (inner) {
        fidx = int(rand, 0, nf - 1);
        if (p.categorical && rand() < 0.25) {
          fl |= NODE_CATEGORICAL;
          catFeature.add(fidx);
          cw = int(rand, 0, 4);
          cs = catBits.length;
          for (let w = 0; w < cw; w++) {
            const dense = rand() < 0.5;
            let word = 0;
            for (let b = 0; b < 32; b++) if (rand() < (dense ? 0.6 : 0.1)) word |= 1 << b;
            catBits.push(word >>> 0);
          }
          // LightGBM stores the bitset index in the threshold; engines must not depend on it.
          thr = xgb ? 0 : int(rand, 0, 3);
        } else {
          thr = thresholdValue();
        }
        if (!xgb) {
          const miss = rand();
          if (miss < 0.3) fl |= NODE_MISSING_NAN;
          else if (miss < 0.5) fl |= NODE_MISSING_ZERO;
          else if (miss < 0.52 && p.oddThresholds) fl |= NODE_MISSING_NAN | NODE_MISSING_ZERO;
        } else if (rand() < 0.1) {
          fl |= rand() < 0.5 ? NODE_MISSING_ZERO : NODE_MISSING_NAN; // ignored by the xgboost rule
        }
      }
      feature.push(fidx);
      threshold.push(thr);
      flags.push(fl);
      catStart.push(cs);
      catWords.push(cw);
      for (let j = 0; j < width; j++) leafValue.push(inner ? 0 : leafNumber());
      // Linear leaves: terms on leaves; inner nodes carry none.
      if (linear && !inner && rand() < 0.8) {
        const terms = int(rand, 0, 3);
        for (let j = 0; j < terms; j++) {
          termFeature.push(int(rand, 0, nf - 1));
          termCoeff.push(rand() < 0.2 ? pick(rand, [0, -0, 1, 1e-300, 1e300]) : (rand() - 0.5) * 2);
        }
        constant.push(rand() < 0.2 ? 0 : (rand() - 0.5) * 2);
      } else {
        constant.push(0);
      }
      termOffset.push(termFeature.length);
    }
    nodeOffset.push(base + n);
    output.push(vector ? -1 : int(rand, 0, K - 1));
    weight.push(p.dart ? (xgb ? f32(rand() * 2) : rand() * 2) : 1);
  }

  // Rounds: consecutive runs of 1..K+1 trees.
  const iterationOffsets = [0];
  while (iterationOffsets[iterationOffsets.length - 1] < p.trees) {
    const last = iterationOffsets[iterationOffsets.length - 1];
    iterationOffsets.push(Math.min(p.trees, last + int(rand, 1, K + 1)));
  }
  const baseScore = new Float64Array(K);
  for (let j = 0; j < K; j++) {
    if (!p.baseScores) baseScore[j] = xgb ? 0.5 : 0;
    else baseScore[j] = xgb && rand() < 0.8 ? f32((rand() - 0.5) * 3) : (rand() - 0.5) * 3;
  }
  const features: FeatureInfo[] = Array.from({ length: nf }, (_, f) => ({
    name: `f${f}`,
    type: catFeature.has(f) ? 'categorical' : 'numeric',
    categories: null,
  }));

  return {
    kind: 'forest',
    format: xgb ? 'xgboost' : 'lightgbm',
    formatDetail: 'random test forest',
    objective: 'random',
    rule: p.rule,
    numFeatures: nf,
    numMargins: K,
    numOutputs: K,
    features,
    hasFeatureNames: false,
    baseScore,
    transform: { kind: 'identity' },
    iterationOffsets: Int32Array.from(iterationOffsets),
    numIterations: iterationOffsets.length - 1,
    leafWidth: width,
    trees: {
      count: p.trees,
      nodeOffset: Int32Array.from(nodeOffset),
      output: Int32Array.from(output),
      weight: Float64Array.from(weight),
    },
    nodes: {
      feature: Int32Array.from(feature),
      threshold: Float64Array.from(threshold),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      flags: Uint8Array.from(flags),
      catStart: Int32Array.from(catStart),
      catWords: Int32Array.from(catWords),
      leafValue: Float64Array.from(leafValue),
    },
    catBits: Uint32Array.from(catBits),
    linearLeaves: linear
      ? {
          termOffset: Int32Array.from(termOffset),
          termFeature: Int32Array.from(termFeature),
          termCoeff: Float64Array.from(termCoeff),
          constant: Float64Array.from(constant),
        }
      : null,
    averageOutput: false,
  };
}

export interface ArbForestOptions {
  rule?: SplitRule;
  maxTrees?: number;
  maxDepth?: number;
  maxFeatures?: number;
  maxMargins?: number;
}

/** fast-check arbitrary over random valid forests of both rules (or the given one). */
export function arbForestParams(o: ArbForestOptions = {}): fc.Arbitrary<ForestParams> {
  return fc.record({
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    rule: o.rule ? fc.constant(o.rule) : fc.constantFrom<SplitRule>('xgboost', 'lightgbm'),
    trees: fc.integer({ min: 0, max: o.maxTrees ?? 12 }),
    maxDepth: fc.integer({ min: 0, max: o.maxDepth ?? 7 }),
    numFeatures: fc.integer({ min: 0, max: o.maxFeatures ?? 8 }),
    numMargins: fc.integer({ min: 1, max: o.maxMargins ?? 3 }),
    leafProb: fc.constantFrom(0, 0.15, 0.35),
    categorical: fc.boolean(),
    vectorLeaves: fc.boolean(),
    linearLeaves: fc.boolean(),
    dart: fc.boolean(),
    oddThresholds: fc.boolean(),
    baseScores: fc.boolean(),
  });
}

export function arbForest(o: ArbForestOptions = {}): fc.Arbitrary<ForestIR> {
  return arbForestParams(o).map(buildRandomForest);
}

/**
 * Random rows x numFeatures inputs drawn mostly from INPUT_POOL plus the forest's own thresholds
 * (and their float32 / double neighbours), so ties and near-ties are common.
 */
export function randomInput(
  ir: ForestIR,
  rows: number,
  seed: number,
  type: 'f32' | 'f64',
): Float32Array | Float64Array {
  const rand = prng(seed ^ 0x5bd1e995);
  const thr = ir.nodes.threshold;
  const n = rows * ir.numFeatures;
  const x = type === 'f32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rand();
    let v: number;
    if (r < 0.45) v = pick(rand, INPUT_POOL);
    else if (r < 0.75 && thr.length > 0) {
      const t = thr[Math.floor(rand() * thr.length)];
      const q = rand();
      v = q < 0.5 ? t : q < 0.7 ? nextUp(t) : q < 0.9 ? nextDown(t) : f32(t);
    } else v = (rand() - 0.5) * 10;
    x[i] = v;
  }
  return x;
}
