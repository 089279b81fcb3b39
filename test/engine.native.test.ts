/**
 * The native engine against the reference engine: margins must be identical bit for bit (Object.is per
 * value, so -0 and NaN count) for random forests of both rules and adversarial inputs, sync and async,
 * with any thread count; and every bad argument or corrupted model must be refused with an error,
 * never a crash.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NODE_CATEGORICAL, type ForestIR } from '../src/formats/ir.js';
import { validateModel } from '../src/formats/validate.js';
import { resolveIterations, scoreMargins } from '../src/engine/reference.js';
import { NativeForest, nativeAvailable, nativeLoadError } from '../src/engine/native.js';
import { INPUT_POOL, arbForestParams, buildRandomForest, randomInput, type ForestParams } from './helpers/random-forest.js';

/** The raw addon (same module instance as the wrapper's), for testing aids and C++-side checks. */
interface RawAddon {
  create(spec: object): object;
  score(h: unknown, x: unknown, rows: unknown, treeEnd: unknown, out: unknown): void;
  scoreAsync(h: unknown, x: unknown, rows: unknown, treeEnd: unknown, threads: unknown, out: unknown): Promise<Float64Array>;
  dispose(h: unknown): void;
  setMinWorkPerThread(n: number): void;
}
function raw(): RawAddon {
  const require = createRequire(import.meta.url);
  return require(fileURLToPath(new URL('../build/Release/grove_native.node', import.meta.url))) as RawAddon;
}

/** First index where got and want differ (Object.is), or -1. */
function firstDifference(got: Float64Array, want: Float64Array): number {
  if (got.length !== want.length) return Math.min(got.length, want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return i;
  return -1;
}

function expectSameBits(got: Float64Array, want: Float64Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const i = firstDifference(got, want);
  if (i >= 0) expect.fail(`${what}: value ${i} is ${got[i]}, reference ${want[i]}`);
}

const ROWS = [1, 2, 7, 15, 16, 17, 63, 64, 65, 129] as const;

/** A random iteration count for the forest (0 = all rounds), and the tree count it resolves to. */
function iterationsFor(ir: ForestIR, u: number): { iterations: number; treeEnd: number } {
  const iterations = Math.floor(u * (ir.numIterations + 1));
  return { iterations, treeEnd: resolveIterations(ir, iterations).treeEnd };
}

const FIXED: ForestParams = {
  seed: 12345,
  rule: 'lightgbm',
  trees: 6,
  maxDepth: 4,
  numFeatures: 5,
  numMargins: 2,
  leafProb: 0,
  categorical: true,
  vectorLeaves: false,
  linearLeaves: true,
  dart: false,
  oddThresholds: false,
  baseScores: true,
};

describe('native engine', () => {
  it('loads the addon', () => {
    expect(nativeLoadError()).toBeNull();
    expect(nativeAvailable()).toBe(true);
  });

  describe('matches the reference engine bit for bit', () => {
    it('sync, random forests of both rules, adversarial inputs, iteration truncation', () => {
      fc.assert(
        fc.property(
          arbForestParams(),
          fc.integer({ min: 0, max: 1 << 30 }),
          fc.constantFrom<'f32' | 'f64'>('f32', 'f64'),
          fc.constantFrom(...ROWS),
          fc.double({ min: 0, max: 0.999, noNaN: true }),
          (p, seed, type, rows, u) => {
            const ir = buildRandomForest(p);
            validateModel(ir, 'random');
            const x = randomInput(ir, rows, seed, type);
            const { iterations, treeEnd } = iterationsFor(ir, u);
            const forest = NativeForest.create(ir);
            try {
              const got = forest.scoreMargins(x, rows, treeEnd);
              expectSameBits(got, scoreMargins(ir, x, rows, iterations), `${p.rule} ${type} rows=${rows} trees<${treeEnd}`);
            } finally {
              forest.dispose();
            }
          },
        ),
        { numRuns: 200 },
      );
    });

    it('sync, wide layout (xgboost trees too wide for 8-byte nodes)', () => {
      fc.assert(
        fc.property(arbForestParams({ rule: 'xgboost' }), fc.integer(), fc.constantFrom(...ROWS), (p, seed, rows) => {
          const ir = buildRandomForest(p);
          const x = randomInput(ir, rows, seed, 'f64');
          const forest = NativeForest.create(ir, { layout: 'wide' });
          try {
            expect(forest.info().layout).toBe('wide-f32');
            expectSameBits(forest.scoreMargins(x, rows, ir.trees.count), scoreMargins(ir, x, rows), 'wide');
          } finally {
            forest.dispose();
          }
        }),
        { numRuns: 60 },
      );
    });

    it('async with 1..5 threads on row chunks as small as one block', async () => {
      const addon = raw();
      addon.setMinWorkPerThread(1); // let even tiny inputs use every thread
      try {
        await fc.assert(
          fc.asyncProperty(
            arbForestParams(),
            fc.integer(),
            fc.constantFrom<'f32' | 'f64'>('f32', 'f64'),
            fc.constantFrom(1, 7, 64, 65, 200, 1000, 1300),
            fc.integer({ min: 1, max: 5 }),
            fc.double({ min: 0, max: 0.999, noNaN: true }),
            async (p, seed, type, rows, threads, u) => {
              const ir = buildRandomForest(p);
              const x = randomInput(ir, rows, seed, type);
              const { iterations, treeEnd } = iterationsFor(ir, u);
              const forest = NativeForest.create(ir);
              try {
                const want = scoreMargins(ir, x, rows, iterations);
                const got = await forest.scoreMarginsAsync(x, rows, treeEnd, threads);
                expectSameBits(got, want, `async threads=${threads} rows=${rows}`);
                expectSameBits(forest.scoreMargins(x, rows, treeEnd), got, 'sync vs async');
              } finally {
                forest.dispose();
              }
            },
          ),
          { numRuns: 60 },
        );
      } finally {
        addon.setMinWorkPerThread(32 * 1024);
      }
    });

    it('every split edge: one stump per (threshold, flags), every probe value, each stump on its own output', () => {
      const F32_MAX = 3.4028234663852886e38;
      const thresholds = [
        -Infinity, -F32_MAX, -3.5e38, -1, -(2 ** -149), -5e-324, -0, 0, 5e-324, 2 ** -149, Math.fround(1e-35), 1e-35,
        0.5, 1, 1 + 2 ** -52, 1 + 2 ** -23, 0.1, Math.fround(0.1), F32_MAX, 3.5e38, Infinity, NaN,
      ];
      const probes = [...INPUT_POOL, ...thresholds.flatMap((t) => [t, Math.fround(t), t * (1 + 2 ** -52), t * (1 - 2 ** -52)])];
      for (const rule of ['xgboost', 'lightgbm'] as const) {
        for (const flagSet of [0, 1, 2, 3, 4, 5, 8, 9, 12, 13]) {
          // flag bits: 1 default left, 4 missing Zero, 8 missing NaN (categorical splits are covered by the property)
          const ir = stumps(rule, thresholds, flagSet);
          for (const type of ['f32', 'f64'] as const) {
            const x = type === 'f32' ? Float32Array.from(probes) : Float64Array.from(probes);
            const f = NativeForest.create(ir);
            expectSameBits(f.scoreMargins(x, probes.length, ir.trees.count), scoreMargins(ir, x, probes.length), `${rule} flags=${flagSet} ${type}`);
            f.dispose();
          }
        }
      }
    });

    it('a larger batch with default threading: deterministic and equal to the reference', async () => {
      const ir = buildRandomForest({ ...FIXED, rule: 'xgboost', seed: 99, trees: 60, maxDepth: 8, numFeatures: 20, leafProb: 0.1, linearLeaves: false, numMargins: 3 });
      const rows = 4100;
      const x = randomInput(ir, rows, 7, 'f32');
      const want = scoreMargins(ir, x, rows);
      const forest = NativeForest.create(ir);
      expectSameBits(forest.scoreMargins(x, rows, ir.trees.count), want, 'sync');
      const runs = await Promise.all([1, 2, 3, 8].map((t) => forest.scoreMarginsAsync(x, rows, ir.trees.count, t)));
      runs.forEach((got, i) => expectSameBits(got, want, `async run ${i}`));
      expectSameBits(await forest.scoreMarginsAsync(x, rows, ir.trees.count), want, 'default threads');
      forest.dispose();
    });

    it('edge shapes: no trees, no features, no rows, single-leaf trees, inputs longer than needed', () => {
      const noTrees = buildRandomForest({ ...FIXED, trees: 0 });
      const f0 = NativeForest.create(noTrees);
      const x0 = randomInput(noTrees, 3, 1, 'f64');
      expectSameBits(f0.scoreMargins(x0, 3, 0), scoreMargins(noTrees, x0, 3), 'no trees');
      expect(f0.scoreMargins(x0, 0, 0)).toHaveLength(0);

      const noFeatures = buildRandomForest({ ...FIXED, numFeatures: 0, trees: 4, linearLeaves: false });
      const f1 = NativeForest.create(noFeatures);
      expectSameBits(f1.scoreMargins(new Float64Array(0), 5, 4), scoreMargins(noFeatures, new Float64Array(0), 5), 'no features');

      const stumps = buildRandomForest({ ...FIXED, rule: 'xgboost', maxDepth: 0, trees: 9 });
      const f2 = NativeForest.create(stumps);
      const x2 = randomInput(stumps, 4, 3, 'f32');
      expectSameBits(f2.scoreMargins(x2, 4, 9), scoreMargins(stumps, x2, 4), 'single-leaf trees');

      const wide = buildRandomForest({ ...FIXED, rule: 'xgboost', numFeatures: 9000, trees: 5, linearLeaves: false });
      const fw = NativeForest.create(wide);
      expect(fw.info().layout).toBe('wide-f32'); // 8-byte nodes address at most 8191 features
      const xw = randomInput(wide, 3, 9, 'f64');
      expectSameBits(fw.scoreMargins(xw, 3, 5), scoreMargins(wide, xw, 3), 'many features');
      fw.dispose();

      const ir = buildRandomForest(FIXED);
      const f3 = NativeForest.create(ir);
      const long = randomInput(ir, 10, 5, 'f64');
      expectSameBits(f3.scoreMargins(long, 7, ir.trees.count), scoreMargins(ir, long, 7), 'longer x');
      for (const f of [f0, f1, f2, f3]) f.dispose();
    });

    it('copies the model: changing the IR after create changes nothing', () => {
      const ir = buildRandomForest({ ...FIXED, rule: 'xgboost', linearLeaves: false });
      const x = randomInput(ir, 20, 11, 'f64');
      const want = scoreMargins(ir, x, 20);
      const forest = NativeForest.create(ir);
      ir.nodes.threshold.fill(0);
      ir.nodes.leafValue.fill(123);
      ir.nodes.left.fill(-7);
      expectSameBits(forest.scoreMargins(x, 20, ir.trees.count), want, 'after IR mutation');
      forest.dispose();
    });
  });

  describe('refuses bad arguments with clear errors', () => {
    const ir = buildRandomForest(FIXED);
    const rows = 4;
    const x = randomInput(ir, rows, 1, 'f64');

    it('x, rows and treeEnd are checked before native code runs', () => {
      const f = NativeForest.create(ir);
      const n = ir.trees.count;
      const bad = (xv: unknown, r: unknown, t: unknown) => () => f.scoreMargins(xv as Float64Array, r as number, t as number);
      expect(bad(new Int32Array(20), rows, n)).toThrow(/x must be a Float32Array or Float64Array/);
      expect(bad([1, 2, 3], 1, n)).toThrow(TypeError);
      expect(bad(undefined, 1, n)).toThrow(TypeError);
      expect(bad(x.subarray(1), rows, n)).toThrow(/x holds 19 values, 4 rows of 5 features need 20/);
      expect(bad(x, rows + 1, n)).toThrow(RangeError);
      for (const r of [-1, 1.5, NaN, Infinity, '2', 2 ** 60]) expect(bad(x, r, n), String(r)).toThrow(/rows must be a non-negative integer/);
      for (const t of [-1, n + 1, 0.5, NaN, '1']) expect(bad(x, rows, t), String(t)).toThrow(/treeEnd must be an integer in \[0, 6\]/);
      expect(f.scoreMargins(x, rows, n)).toHaveLength(rows * 2);
      f.dispose();
    });

    it('async: bad arguments reject (they do not throw synchronously)', async () => {
      const f = NativeForest.create(ir);
      const n = ir.trees.count;
      await expect(f.scoreMarginsAsync(x.subarray(3), rows, n)).rejects.toThrow(/x holds/);
      await expect(f.scoreMarginsAsync(x, rows, n + 1)).rejects.toThrow(/treeEnd/);
      for (const t of [0, 1.5, 2000, NaN]) await expect(f.scoreMarginsAsync(x, rows, n, t)).rejects.toThrow(/threads must be an integer/);
      f.dispose();
    });

    it('a disposed forest refuses every call; dispose may be repeated', async () => {
      const f = NativeForest.create(ir);
      f.dispose();
      expect(f.disposed).toBe(true);
      expect(() => f.scoreMargins(x, rows, 1)).toThrow(/disposed/);
      await expect(f.scoreMarginsAsync(x, rows, 1)).rejects.toThrow(/disposed/);
      expect(() => f.info()).toThrow(/disposed/);
      expect(() => f.dispose()).not.toThrow();
    });

    it('dispose is refused while an async run is in flight, allowed after it settles', async () => {
      const big = buildRandomForest({ ...FIXED, rule: 'xgboost', trees: 200, maxDepth: 8, numFeatures: 10, linearLeaves: false, categorical: false });
      const n = 20000;
      const xb = randomInput(big, n, 3, 'f32');
      const f = NativeForest.create(big);
      const run = f.scoreMarginsAsync(xb, n, big.trees.count, 2);
      expect(() => f.dispose()).toThrow(/in flight/);
      expect(f.info().activeRuns).toBe(1);
      const got = await run;
      expect(got).toHaveLength(n * big.numMargins);
      expect(f.info().activeRuns).toBe(0);
      f.dispose();
      expect(f.disposed).toBe(true);
    });

    it('the C++ side checks arguments again (raw binding, bypassing the wrapper)', async () => {
      const addon = raw();
      const h = addon.create(rawSpec(ir));
      const n = ir.trees.count;
      const out = new Float64Array(rows * 2);
      expect(() => addon.score({}, x, rows, n, out)).toThrow(/expected a forest handle/);
      expect(() => addon.score(null, x, rows, n, out)).toThrow(TypeError);
      expect(() => addon.dispose(42)).toThrow(/expected a forest handle/);
      expect(() => addon.score(h, new Int32Array(20), rows, n, out)).toThrow(/x must be a Float32Array or Float64Array/);
      expect(() => addon.score(h, x.subarray(2), rows, n, out)).toThrow(/x holds 18 values/);
      expect(() => addon.score(h, x, -1, n, out)).toThrow(/rows/);
      expect(() => addon.score(h, x, rows, n + 1, out)).toThrow(/treeEnd/);
      expect(() => addon.score(h, x, rows, n, new Float64Array(3))).toThrow(/out holds 3 values/);
      expect(() => addon.score(h, x, rows, n, new Float32Array(8))).toThrow(/out must be a Float64Array/);
      expect(() => addon.scoreAsync(h, x, rows, n, 0, out)).toThrow(/threads/);
      addon.score(h, x, rows, n, out);
      expectSameBits(out, scoreMargins(ir, x, rows), 'raw score');
      const pending = addon.scoreAsync(h, x, rows, n, 2, new Float64Array(rows * 2));
      expect(() => addon.dispose(h)).toThrow(/in flight/);
      await pending;
      addon.dispose(h);
      expect(() => addon.score(h, x, rows, n, out)).toThrow(/disposed/);
    });
  });

  describe('refuses corrupted models in C++ (the TS validator bypassed)', () => {
    const base = buildRandomForest(FIXED);
    /** Global index of an inner node of tree 0 and its tree-local children. */
    const inner = (() => {
      for (let g = base.trees.nodeOffset[0]; g < base.trees.nodeOffset[1]; g++) if (base.nodes.left[g] >= 0) return g;
      throw new Error('fixture has no inner node');
    })();

    const cases: Array<[string, (m: ForestIR) => void, RegExp]> = [
      ['left child out of range', (m) => (m.nodes.left[inner] = 9999), /tree 0 node \d+: left child 9999 is out of range/],
      ['right child negative', (m) => (m.nodes.right[inner] = -2), /right child -2 is out of range/],
      ['half leaf (left -1, right set)', (m) => (m.nodes.left[inner] = -1), /left child -1 is out of range/],
      ['split feature too large', (m) => (m.nodes.feature[inner] = m.numFeatures), /split feature 5 is out of range \[0, 5\)/],
      ['split feature negative', (m) => (m.nodes.feature[inner] = -1), /split feature -1/],
      ['bitset beyond catBits', (m) => {
        m.nodes.flags[inner] |= NODE_CATEGORICAL;
        m.nodes.catStart[inner] = m.catBits.length;
        m.nodes.catWords[inner] = 2;
      }, /category bitset .* is out of range/],
      ['bitset too long', (m) => {
        m.nodes.flags[inner] |= NODE_CATEGORICAL;
        m.nodes.catStart[inner] = 0;
        m.nodes.catWords[inner] = 1 << 30;
      }, /category bitset/],
      ['cycle back to the root', (m) => (m.nodes.right[inner] = 0), /reached twice/],
      ['shared child', (m) => (m.nodes.right[inner] = m.nodes.left[inner]), /reached twice/],
      ['unreachable nodes', (m) => {
        m.nodes.left[inner] = -1;
        m.nodes.right[inner] = -1;
      }, /not reachable from the root/],
      ['node offsets past the arrays', (m) => (m.trees.nodeOffset[m.trees.count] += 1), /node array feature has/],
      ['empty tree', (m) => (m.trees.nodeOffset[2] = m.trees.nodeOffset[1]), /tree 1: node offsets/],
      ['short leaf values', (m) => (m.nodes.leafValue = m.nodes.leafValue.subarray(1)), /leaf values hold/],
      ['output out of range', (m) => (m.trees.output[1] = 2), /tree 1: output index 2 is out of range/],
      ['per-tree arrays short', (m) => (m.trees.weight = m.trees.weight.subarray(1)), /per-tree arrays/],
      ['linear term feature out of range', (m) => (m.linearLeaves!.termFeature[0] = 77), /term 0 uses feature 77/],
      ['linear term offsets decrease', (m) => {
        const t = m.linearLeaves!.termOffset;
        t[1] = t[t.length - 1] + 1;
      }, /term offsets decrease|linear leaf terms/],
      ['linear arrays short', (m) => (m.linearLeaves!.constant = m.linearLeaves!.constant.subarray(1)), /linear leaf arrays/],
      ['too many features', (m) => (m.numFeatures = 2 ** 21), /number of features 2097152/],
      ['leaf width neither 1 nor outputs', (m) => (m.leafWidth = 3), /leaf width 3/],
      ['base scores short', (m) => (m.baseScore = new Float64Array(1)), /1 base scores for 2 outputs/],
    ];

    it.each(cases)('%s', (_name, corrupt, message) => {
      const m = cloneForest(base);
      corrupt(m);
      expect(() => NativeForest.create(m)).toThrow(message);
      expect(() => NativeForest.create(m)).toThrow(/^NativeForest.create: invalid forest: /);
    });

    it('the fixture itself is valid and linear', () => {
      expect(base.linearLeaves).not.toBeNull();
      expect(() => NativeForest.create(base).dispose()).not.toThrow();
    });

    it('wrong array types are refused in TS and again in C++', () => {
      const m = cloneForest(base);
      (m.nodes as { threshold: unknown }).threshold = new Float32Array(m.nodes.threshold);
      expect(() => NativeForest.create(m)).toThrow(/threshold must be a Float64Array/);
      const spec = { ...rawSpec(base), threshold: new Float32Array(base.nodes.threshold) };
      expect(() => raw().create(spec)).toThrow(/spec.threshold must be a Float64Array/);
      expect(() => raw().create({ ...rawSpec(base), rule: 'sklearn' })).toThrow(/spec.rule/);
      expect(() => raw().create({ ...rawSpec(base), treeCount: -1 })).toThrow(/spec.treeCount/);
      expect(() => raw().create({ ...rawSpec(base), treeCount: 7 })).toThrow(/per-tree arrays/);
      expect(() => NativeForest.create({ kind: 'linear' } as unknown as ForestIR)).toThrow(/expected a forest model/);
    });

    it('the process is alive and scoring still works after all of that', () => {
      const f = NativeForest.create(base);
      const x = randomInput(base, 3, 2, 'f64');
      expectSameBits(f.scoreMargins(x, 3, base.trees.count), scoreMargins(base, x, 3), 'after refusals');
      f.dispose();
    });
  });
});

function cloneForest(m: ForestIR): ForestIR {
  return {
    ...m,
    baseScore: m.baseScore.slice(),
    iterationOffsets: m.iterationOffsets.slice(),
    trees: { count: m.trees.count, nodeOffset: m.trees.nodeOffset.slice(), output: m.trees.output.slice(), weight: m.trees.weight.slice() },
    nodes: {
      feature: m.nodes.feature.slice(),
      threshold: m.nodes.threshold.slice(),
      left: m.nodes.left.slice(),
      right: m.nodes.right.slice(),
      flags: m.nodes.flags.slice(),
      catStart: m.nodes.catStart.slice(),
      catWords: m.nodes.catWords.slice(),
      leafValue: m.nodes.leafValue.slice(),
    },
    catBits: m.catBits.slice(),
    linearLeaves: m.linearLeaves
      ? {
          termOffset: m.linearLeaves.termOffset.slice(),
          termFeature: m.linearLeaves.termFeature.slice(),
          termCoeff: m.linearLeaves.termCoeff.slice(),
          constant: m.linearLeaves.constant.slice(),
        }
      : null,
  };
}

/** The raw addon's create() argument, as src/engine/native.ts builds it. */
function rawSpec(m: ForestIR): Record<string, unknown> {
  return {
    rule: m.rule,
    numFeatures: m.numFeatures,
    numMargins: m.numMargins,
    leafWidth: m.leafWidth,
    treeCount: m.trees.count,
    baseScore: m.baseScore,
    nodeOffset: m.trees.nodeOffset,
    output: m.trees.output,
    weight: m.trees.weight,
    feature: m.nodes.feature,
    threshold: m.nodes.threshold,
    left: m.nodes.left,
    right: m.nodes.right,
    flags: m.nodes.flags,
    catStart: m.nodes.catStart,
    catWords: m.nodes.catWords,
    leafValue: m.nodes.leafValue,
    catBits: m.catBits,
    linear: m.linearLeaves,
  };
}

/**
 * One depth-1 tree per threshold on feature 0, all with node flags `flags`, tree t adding to output t
 * (left leaf 1 + t, right leaf -1 - t), so every split decision shows in its own margin.
 */
function stumps(rule: 'xgboost' | 'lightgbm', thresholds: number[], flags: number): ForestIR {
  const T = thresholds.length;
  const nodeOffset = Int32Array.from({ length: T + 1 }, (_, t) => 3 * t);
  const n = 3 * T;
  const left = new Int32Array(n).fill(-1);
  const right = new Int32Array(n).fill(-1);
  const threshold = new Float64Array(n);
  const flagArr = new Uint8Array(n);
  const leafValue = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    left[3 * t] = 1;
    right[3 * t] = 2;
    threshold[3 * t] = thresholds[t];
    flagArr[3 * t] = flags;
    leafValue[3 * t + 1] = 1 + t;
    leafValue[3 * t + 2] = -1 - t;
  }
  return {
    kind: 'forest',
    format: rule,
    formatDetail: 'edge stumps',
    objective: 'edge',
    rule,
    numFeatures: 1,
    numMargins: T,
    numOutputs: T,
    features: [{ name: 'x', type: 'numeric', categories: null }],
    hasFeatureNames: false,
    baseScore: new Float64Array(T),
    transform: { kind: 'identity' },
    iterationOffsets: Int32Array.from([0, T]),
    numIterations: 1,
    leafWidth: 1,
    trees: { count: T, nodeOffset, output: Int32Array.from({ length: T }, (_, t) => t), weight: new Float64Array(T).fill(1) },
    nodes: {
      feature: new Int32Array(n),
      threshold,
      left,
      right,
      flags: flagArr,
      catStart: new Int32Array(n),
      catWords: new Int32Array(n),
      leafValue,
    },
    catBits: new Uint32Array(0),
    linearLeaves: null,
    averageOutput: false,
  };
}
