/**
 * The embeddable scorer: `loadModel(path)` -> a Model that predicts row-major batches.
 *
 * A Model is one validated IR plus one engine. Engines only produce raw margins; the output
 * transform is applied here, once, for both, so `native` and `reference` agree on it by construction.
 */
import { readModelBytes, readModelFile } from './formats/read.js';
import type { FeatureInfo, ForestIR, ModelIR } from './formats/ir.js';
import { resolveIterations, scoreMargins } from './engine/reference.js';
import { applyTransform } from './engine/transforms.js';
import { NativeForest, nativeAvailable, nativeLoadError } from './engine/native.js';

export type EngineName = 'native' | 'reference';

export interface LoadOptions {
  /**
   * `native` (default): the C++ core. `reference`: the pure TypeScript specification engine.
   * Linear models (XGBoost gblinear) are scored in TypeScript by both: a dot product has nothing to gain from native code.
   */
  engine?: EngineName;
}

export interface PredictOptions {
  /** Return raw margins (before the objective's transform), `numMargins` per row. */
  outputMargin?: boolean;
  /** Score only the first N boosting rounds (0 or absent: all). */
  iterations?: number;
}

export type FeatureMatrix = Float32Array | Float64Array;

export interface Model {
  readonly engine: EngineName;
  readonly format: ModelIR['format'];
  /** e.g. "XGBoost 3.4.1 JSON". */
  readonly formatDetail: string;
  readonly objective: string;
  readonly numFeatures: number;
  /** Predictions per row (after the transform). */
  readonly numOutputs: number;
  /** Raw margins per row (differs from numOutputs only for multi:softmax, whose output is the class index). */
  readonly numMargins: number;
  readonly numIterations: number;
  readonly featureNames: readonly string[];
  readonly features: readonly FeatureInfo[];
  /** The validated IR (read-only by convention; engines hold their own copies or views). */
  readonly ir: ModelIR;
  /** Scores `rows` rows synchronously. Returns rows x numOutputs (or numMargins with outputMargin). */
  predict(features: FeatureMatrix, rows: number, opts?: PredictOptions): Float64Array;
  /** Same result as `predict`, computed off the event loop (native: worker threads for large batches). */
  predictAsync(features: FeatureMatrix, rows: number, opts?: PredictOptions): Promise<Float64Array>;
  /** Releases native memory. The model must not be used afterwards. */
  dispose(): void;
}

function checkBatch(model: ModelIR, x: unknown, rows: unknown): asserts x is FeatureMatrix {
  if (!(x instanceof Float32Array || x instanceof Float64Array)) {
    throw new TypeError('features must be a Float32Array or Float64Array');
  }
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0) {
    throw new TypeError(`rows must be a non-negative integer, got ${String(rows)}`);
  }
  if (x.length !== rows * model.numFeatures) {
    throw new RangeError(
      `features holds ${x.length} values; ${rows} rows x ${model.numFeatures} features need ${rows * model.numFeatures}`,
    );
  }
}

class LoadedModel implements Model {
  readonly format: ModelIR['format'];
  readonly formatDetail: string;
  readonly objective: string;
  readonly numFeatures: number;
  readonly numOutputs: number;
  readonly numMargins: number;
  readonly numIterations: number;
  readonly featureNames: readonly string[];
  readonly features: readonly FeatureInfo[];
  #native: NativeForest | null;
  #disposed = false;

  constructor(
    readonly ir: ModelIR,
    readonly engine: EngineName,
  ) {
    this.format = ir.format;
    this.formatDetail = ir.formatDetail;
    this.objective = ir.objective;
    this.numFeatures = ir.numFeatures;
    this.numOutputs = ir.numOutputs;
    this.numMargins = ir.numMargins;
    this.numIterations = ir.numIterations;
    this.features = Object.freeze(ir.features.map((f) => Object.freeze({ ...f })));
    this.featureNames = Object.freeze(ir.features.map((f) => f.name));
    this.#native = engine === 'native' && ir.kind === 'forest' ? NativeForest.create(ir as ForestIR) : null;
  }

  #finish(margins: Float64Array, rows: number, rounds: number, opts?: PredictOptions): Float64Array {
    return opts?.outputMargin ? margins : applyTransform(this.ir, margins, rows, rounds);
  }

  #prepare(x: unknown, rows: unknown, opts?: PredictOptions): { treeEnd: number; rounds: number } {
    if (this.#disposed) throw new Error('model has been disposed');
    checkBatch(this.ir, x, rows);
    return resolveIterations(this.ir, opts?.iterations);
  }

  predict(x: FeatureMatrix, rows: number, opts?: PredictOptions): Float64Array {
    const { treeEnd, rounds } = this.#prepare(x, rows, opts);
    const margins = this.#native
      ? this.#native.scoreMargins(x, rows, treeEnd)
      : scoreMargins(this.ir, x, rows, opts?.iterations);
    return this.#finish(margins, rows, rounds, opts);
  }

  async predictAsync(x: FeatureMatrix, rows: number, opts?: PredictOptions): Promise<Float64Array> {
    const { treeEnd, rounds } = this.#prepare(x, rows, opts);
    const margins = this.#native
      ? await this.#native.scoreMarginsAsync(x, rows, treeEnd)
      : scoreMargins(this.ir, x, rows, opts?.iterations);
    return this.#finish(margins, rows, rounds, opts);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#native?.dispose();
    this.#native = null;
    this.#disposed = true;
  }
}

function resolveEngine(opts?: LoadOptions): EngineName {
  const engine = opts?.engine ?? 'native';
  if (engine !== 'native' && engine !== 'reference') {
    throw new TypeError(`engine must be 'native' or 'reference', got '${String(engine)}'`);
  }
  if (engine === 'native' && !nativeAvailable()) {
    throw new Error(
      `the native engine is not available (${nativeLoadError()?.message ?? 'not built'}); ` +
        "rebuild it with 'npm rebuild grove' or use { engine: 'reference' }",
    );
  }
  return engine;
}

/** Wraps an already-read IR (e.g. from a registry bundle) in a Model. */
export function modelFromIR(ir: ModelIR, opts?: LoadOptions): Model {
  return new LoadedModel(ir, resolveEngine(opts));
}

/** Loads a model from bytes in memory; `file` names it in error messages. */
export function loadModelBytes(bytes: Uint8Array, file: string, opts?: LoadOptions): Model {
  const engine = resolveEngine(opts);
  return new LoadedModel(readModelBytes(bytes, file), engine);
}

/**
 * Loads an XGBoost (JSON/UBJSON) or LightGBM (text) model file, recognised by content.
 * Throws ModelFormatError naming the file, tree/node and problem for anything malformed.
 */
export async function loadModel(path: string, opts?: LoadOptions): Promise<Model> {
  const engine = resolveEngine(opts);
  return new LoadedModel(await readModelFile(path), engine);
}
