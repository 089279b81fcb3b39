/**
 * The native scoring engine: a typed wrapper over the C++ addon (native/src, built as
 * build/Release/grove_native.node by `node-gyp rebuild`).
 *
 * Produces raw margins bit-identical to the reference engine (reference.ts) for Forest IR models.
 * Linear models (LinearIR) are not handled here.
 *
 * Arguments are validated here first (precise errors, before native code sees them) and again in C++
 * (which never trusts a length, index or type from JS). The model is copied into the native layout
 * by `create`: the IR may be changed or dropped afterwards.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isFloat32Array, isFloat64Array, isInt32Array, isUint32Array, isUint8Array } from 'node:util/types';
import type { ForestIR } from '../formats/ir.js';

/** What the addon's `info` reports about a built forest. */
export interface NativeForestInfo {
  /** 'compact8' (XGBoost, 8-byte nodes), 'wide-f32' (XGBoost, wide trees) or 'wide-f64' (LightGBM). */
  layout: 'compact8' | 'wide-f32' | 'wide-f64';
  rule: 'xgboost' | 'lightgbm';
  numFeatures: number;
  numMargins: number;
  numTrees: number;
  nodes: number;
  /** Nodes on the slow path (categorical splits, LightGBM missing type Zero / NaN thresholds). */
  slowNodes: number;
  /** Native memory held by the layout. */
  bytes: number;
  activeRuns: number;
}

/** The raw addon, as native/src/addon.cc exports it. */
interface RawSpec {
  rule: 'xgboost' | 'lightgbm';
  numFeatures: number;
  numMargins: number;
  leafWidth: number;
  treeCount: number;
  baseScore: Float64Array;
  nodeOffset: Int32Array;
  output: Int32Array;
  weight: Float64Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  flags: Uint8Array;
  catStart: Int32Array;
  catWords: Int32Array;
  leafValue: Float64Array;
  catBits: Uint32Array;
  linear: { termOffset: Int32Array; termFeature: Int32Array; termCoeff: Float64Array; constant: Float64Array } | null;
  layout?: 'auto' | 'wide';
}
type RawHandle = object;
interface RawBinding {
  create(spec: RawSpec): RawHandle;
  score(h: RawHandle, x: Float32Array | Float64Array, rows: number, treeEnd: number, out: Float64Array): void;
  scoreAsync(
    h: RawHandle,
    x: Float32Array | Float64Array,
    rows: number,
    treeEnd: number,
    threads: number,
    out: Float64Array,
  ): Promise<Float64Array>;
  dispose(h: RawHandle): void;
  info(h: RawHandle): NativeForestInfo;
  hardwareConcurrency(): number;
}

const ADDON_CANDIDATES = ['../../build/Release/grove_native.node', '../../build/Debug/grove_native.node'];

function loadBinding(): { binding: RawBinding | null; error: Error | null } {
  const require = createRequire(import.meta.url);
  const override = process.env.GROVE_NATIVE_ADDON;
  const candidates = override ? [override] : ADDON_CANDIDATES.map((p) => fileURLToPath(new URL(p, import.meta.url)));
  let first: Error | null = null;
  for (const path of candidates) {
    try {
      return { binding: require(path) as RawBinding, error: null };
    } catch (e) {
      first ??= e instanceof Error ? e : new Error(String(e));
    }
  }
  const err = new Error(
    `grove native addon could not be loaded (tried ${candidates.join(', ')}); build it with \`npx node-gyp rebuild\`: ${first?.message}`,
  );
  (err as Error & { cause?: unknown }).cause = first;
  return { binding: null, error: err };
}

const loaded = loadBinding();

/** True when the native addon is loaded and usable. */
export function nativeAvailable(): boolean {
  return loaded.binding !== null;
}

/** Why the addon could not be loaded (null when it is available). */
export function nativeLoadError(): Error | null {
  return loaded.error;
}

function requireBinding(): RawBinding {
  if (loaded.binding === null) throw loaded.error ?? new Error('grove native addon is not available');
  return loaded.binding;
}

/** Options for NativeForest.create. */
export interface NativeForestOptions {
  /** Node layout: 'auto' (compact 8-byte nodes when they fit) or 'wide' (testing aid). */
  layout?: 'auto' | 'wide';
}

/** Default worker threads for async scoring: the machine's available parallelism. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * A forest loaded into the native core.
 *
 * - `scoreMargins` is synchronous, on the calling thread: the right call for small batches.
 * - `scoreMarginsAsync` runs off the event loop on up to `threads` threads. It reads `x` in place
 *   (no copy): the caller must not modify (or transfer) `x` until the promise settles. The result is
 *   bit-identical to `scoreMargins` for any thread count.
 * - `dispose` frees the native memory now (otherwise the garbage collector does it); it throws while
 *   an async run is in flight. Scoring a disposed forest throws; `dispose` itself may be repeated.
 */
export class NativeForest {
  readonly numFeatures: number;
  readonly numMargins: number;
  /** Number of trees: the largest valid `treeEnd`. */
  readonly numTrees: number;
  readonly #binding: RawBinding;
  #handle: RawHandle | null;
  #inFlight = 0;

  private constructor(binding: RawBinding, handle: RawHandle, ir: ForestIR) {
    this.#binding = binding;
    this.#handle = handle;
    this.numFeatures = ir.numFeatures;
    this.numMargins = ir.numMargins;
    this.numTrees = ir.trees.count;
  }

  /**
   * Validates the forest again in C++ (every node index, feature index, bitset range, leaf offset and
   * linear term) and builds the native layout. Throws an Error naming the problem if anything is invalid.
   */
  static create(ir: ForestIR, options: NativeForestOptions = {}): NativeForest {
    const binding = requireBinding();
    if (ir === null || typeof ir !== 'object' || ir.kind !== 'forest') {
      throw new TypeError(`NativeForest.create: expected a forest model (kind 'forest'), got ${describeKind(ir)}`);
    }
    if (ir.rule !== 'xgboost' && ir.rule !== 'lightgbm') {
      throw new TypeError(`NativeForest.create: unknown split rule ${String(ir.rule)}`);
    }
    const layout = options.layout ?? 'auto';
    if (layout !== 'auto' && layout !== 'wide') throw new TypeError(`NativeForest.create: unknown layout ${String(layout)}`);
    const { trees, nodes, linearLeaves: ll } = ir;
    const spec: RawSpec = {
      rule: ir.rule,
      numFeatures: ir.numFeatures,
      numMargins: ir.numMargins,
      leafWidth: ir.leafWidth,
      treeCount: trees.count,
      baseScore: ir.baseScore,
      nodeOffset: trees.nodeOffset,
      output: trees.output,
      weight: trees.weight,
      feature: nodes.feature,
      threshold: nodes.threshold,
      left: nodes.left,
      right: nodes.right,
      flags: nodes.flags,
      catStart: nodes.catStart,
      catWords: nodes.catWords,
      leafValue: nodes.leafValue,
      catBits: ir.catBits,
      linear: ll ? { termOffset: ll.termOffset, termFeature: ll.termFeature, termCoeff: ll.termCoeff, constant: ll.constant } : null,
      layout,
    };
    checkSpecTypes(spec);
    let handle: RawHandle;
    try {
      handle = binding.create(spec);
    } catch (e) {
      throw rewrap(e, 'NativeForest.create');
    }
    return new NativeForest(binding, handle, ir);
  }

  /** True once dispose() has run. */
  get disposed(): boolean {
    return this.#handle === null;
  }

  /** Layout details (node format, node count, native bytes). */
  info(): NativeForestInfo {
    return this.#binding.info(this.#live('info'));
  }

  /**
   * Raw margins of `rows` row-major rows (numFeatures values each) over trees [0, treeEnd):
   * rows * numMargins values. Synchronous, on the calling thread.
   */
  scoreMargins(x: Float32Array | Float64Array, rows: number, treeEnd: number): Float64Array {
    const handle = this.#live('scoreMargins');
    const out = this.#checkRun('scoreMargins', x, rows, treeEnd);
    this.#binding.score(handle, x, rows, treeEnd, out);
    return out;
  }

  /**
   * As scoreMargins, off the event loop on up to `threads` threads (default: available parallelism).
   * `x` is read in place: do not modify it until the promise settles.
   */
  scoreMarginsAsync(
    x: Float32Array | Float64Array,
    rows: number,
    treeEnd: number,
    threads: number = defaultThreads(),
  ): Promise<Float64Array> {
    try {
      const handle = this.#live('scoreMarginsAsync');
      const out = this.#checkRun('scoreMarginsAsync', x, rows, treeEnd);
      if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
        throw new RangeError(`NativeForest.scoreMarginsAsync: threads must be an integer in [1, 1024], got ${threads}`);
      }
      const run = this.#binding.scoreAsync(handle, x, rows, treeEnd, threads, out);
      this.#inFlight++;
      return run.finally(() => {
        this.#inFlight--;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Frees the native memory. Throws while an async run is in flight; repeated calls do nothing. */
  dispose(): void {
    if (this.#handle === null) return;
    if (this.#inFlight > 0) {
      throw new Error(`NativeForest.dispose: ${this.#inFlight} asynchronous scoring run(s) are still in flight`);
    }
    this.#binding.dispose(this.#handle);
    this.#handle = null;
  }

  #live(method: string): RawHandle {
    if (this.#handle === null) throw new Error(`NativeForest.${method}: this forest has been disposed`);
    return this.#handle;
  }

  #checkRun(method: string, x: unknown, rows: unknown, treeEnd: unknown): Float64Array {
    if (!isFloat32Array(x) && !isFloat64Array(x)) {
      throw new TypeError(`NativeForest.${method}: x must be a Float32Array or Float64Array, got ${describeKind(x)}`);
    }
    if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 0) {
      throw new RangeError(`NativeForest.${method}: rows must be a non-negative integer, got ${String(rows)}`);
    }
    if (typeof treeEnd !== 'number' || !Number.isInteger(treeEnd) || treeEnd < 0 || treeEnd > this.numTrees) {
      throw new RangeError(`NativeForest.${method}: treeEnd must be an integer in [0, ${this.numTrees}], got ${String(treeEnd)}`);
    }
    const xa = x as Float32Array | Float64Array;
    if (this.numFeatures > 0 && rows > Math.floor(xa.length / this.numFeatures)) {
      throw new RangeError(
        `NativeForest.${method}: x holds ${xa.length} values, ${rows} rows of ${this.numFeatures} features need ${rows * this.numFeatures}`,
      );
    }
    const n = rows * this.numMargins;
    if (n > 2 ** 32) throw new RangeError(`NativeForest.${method}: ${rows} rows x ${this.numMargins} outputs is too large`);
    return new Float64Array(n);
  }
}

function describeKind(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
  const kind = (v as { kind?: unknown }).kind;
  return kind !== undefined ? `kind ${String(kind)}` : (ctor ?? 'object');
}

const SPEC_TYPES: ReadonlyArray<[keyof RawSpec, string, (v: unknown) => boolean]> = [
  ['baseScore', 'Float64Array', isFloat64Array],
  ['nodeOffset', 'Int32Array', isInt32],
  ['output', 'Int32Array', isInt32],
  ['weight', 'Float64Array', isFloat64Array],
  ['feature', 'Int32Array', isInt32],
  ['threshold', 'Float64Array', isFloat64Array],
  ['left', 'Int32Array', isInt32],
  ['right', 'Int32Array', isInt32],
  ['flags', 'Uint8Array', isUint8Array],
  ['catStart', 'Int32Array', isInt32],
  ['catWords', 'Int32Array', isInt32],
  ['leafValue', 'Float64Array', isFloat64Array],
  ['catBits', 'Uint32Array', isUint32Array],
];

function isInt32(v: unknown): boolean {
  return isInt32Array(v);
}

/** The IR arrays must have the exact typed-array types the native side reads. */
function checkSpecTypes(spec: RawSpec): void {
  for (const [key, name, ok] of SPEC_TYPES) {
    if (!ok(spec[key])) throw new TypeError(`NativeForest.create: ${String(key)} must be a ${name}, got ${describeKind(spec[key])}`);
  }
  for (const key of ['numFeatures', 'numMargins', 'leafWidth', 'treeCount'] as const) {
    const v = spec[key];
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`NativeForest.create: ${key} must be a non-negative integer, got ${v}`);
  }
  const ll = spec.linear;
  if (ll) {
    if (!isInt32Array(ll.termOffset) || !isInt32Array(ll.termFeature)) {
      throw new TypeError('NativeForest.create: linear leaf offsets and features must be Int32Arrays');
    }
    if (!isFloat64Array(ll.termCoeff) || !isFloat64Array(ll.constant)) {
      throw new TypeError('NativeForest.create: linear leaf coefficients and constants must be Float64Arrays');
    }
  }
}

/** Re-throws a native error with the wrapper's method name, keeping its class and message. */
function rewrap(e: unknown, method: string): Error {
  if (!(e instanceof Error)) return new Error(`${method}: ${String(e)}`);
  const msg = e.message.replace(/^grove native: /, '');
  const out = e instanceof TypeError ? new TypeError(`${method}: ${msg}`) : e instanceof RangeError ? new RangeError(`${method}: ${msg}`) : new Error(`${method}: ${msg}`);
  (out as Error & { cause?: unknown }).cause = e;
  return out;
}
