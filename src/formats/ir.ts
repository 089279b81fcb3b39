/**
 * Forest IR: the one seam between model readers (src/formats/*) and engines (src/engine/*).
 *
 * Readers turn a library's file into this shape; `validateModel` (validate.ts) checks every index
 * before any engine sees it; engines (reference TS, native C++) consume exactly this and nothing else.
 * Flat typed arrays rather than node objects so the native engine can take them without copying
 * and so a model with a million nodes costs a handful of allocations.
 *
 * Conventions that both engines rely on:
 *  - Node indices inside a tree are tree-local (0 = root). Node `n` of tree `t` lives at global index
 *    `trees.nodeOffset[t] + n` in every per-node array.
 *  - A leaf has `left == -1` (and `right == -1`).
 *  - Leaf values live in `nodes.leafValue[global * leafWidth .. + leafWidth]` (0 for inner nodes).
 *  - Thresholds are stored as doubles. For the `xgboost` rule they hold float32 values exactly
 *    (readers apply Math.fround); for `lightgbm` they are the file's doubles, never downcast.
 */

/** How a split compares, how missing values and categories route, and how tree outputs accumulate. */
export type SplitRule =
  /**
   * XGBoost: numeric left iff fround(x) < threshold; NaN takes the default child.
   * Categorical: NaN takes the default child; code = trunc(x); code < 0, code >= 2^24, or code not in
   * the node's set -> LEFT; in set -> RIGHT. Accumulation in float32 from the base margin,
   * `out += fround(leaf * weight)`, trees in index order.
   */
  | 'xgboost'
  /**
   * LightGBM: numeric: NaN with missing type other than NaN becomes 0.0; (missing Zero and |x| <= 1e-35f, i.e. the float 1e-35) or
   * (missing NaN and x is NaN) -> default child; else left iff x <= threshold in double.
   * Categorical: NaN -> right; code = trunc(x) (as C++ static_cast<int>: values outside int32 go right);
   * code < 0 -> right; bit set in the node's bitset -> LEFT; beyond the bitset -> right.
   * Accumulation in double from 0 (base scores are 0), trees in index order.
   */
  | 'lightgbm'
  /** No splits: grove's own linear models, plain double arithmetic (never valid for a forest). */
  | 'float64';

/** Per-node flag bits (nodes.flags). */
export const NODE_DEFAULT_LEFT = 1;
export const NODE_CATEGORICAL = 2;
/** LightGBM missing type Zero: 0 (|x| <= float 1e-35) and NaN take the default child. */
export const NODE_MISSING_ZERO = 4;
/** LightGBM missing type NaN: NaN takes the default child. */
export const NODE_MISSING_NAN = 8;

export type FeatureType = 'numeric' | 'categorical';

export interface FeatureInfo {
  name: string;
  type: FeatureType;
  /**
   * Category names for a categorical feature when the model stores them (XGBoost 3.x `cats`,
   * LightGBM `pandas_categorical`): the code of a name is its index here. null when not stored.
   */
  categories: string[] | null;
}

/**
 * Output transform applied to the margins of one row. Implemented once, in src/engine/transforms.ts,
 * and used by both engines, so the engines cannot disagree on it.
 */
export type OutputTransform =
  | { kind: 'identity' }
  /** XGBoost binary:logistic / reg:logistic: sigmoid computed in float32 steps. */
  | { kind: 'sigmoid_f32' }
  /** XGBoost multi:softprob: float max, expf(v - max), sum in double, divide by float(sum). */
  | { kind: 'softprob_f32' }
  /** XGBoost multi:softmax: one output, the index of the first maximal margin. */
  | { kind: 'argmax' }
  /** XGBoost binary:hinge: margin > 0 ? 1 : 0. */
  | { kind: 'hinge' }
  /** XGBoost count:poisson, reg:gamma, reg:tweedie, survival:aft, survival:cox: exp in float32. */
  | { kind: 'exp_f32' }
  /** XGBoost reg:quantileerror with several alphas (3.4+): each row's outputs sorted ascending. */
  | { kind: 'sort_ascending' }
  /** XGBoost reg:expectileerror (3.3+): p[0] = m[0]; p[j] = p[j-1] + 1e-6 + softplus(m[j]), float32. */
  | { kind: 'expectile_f32' }
  /** LightGBM binary / multiclassova / cross_entropy: 1 / (1 + exp(-scale * x)) per output, double. */
  | { kind: 'sigmoid'; scale: number }
  /** LightGBM multiclass: softmax in double with the max subtracted. */
  | { kind: 'softmax' }
  /** LightGBM cross_entropy_lambda: log1p(exp(x)). */
  | { kind: 'log1p_exp' }
  /** LightGBM poisson / gamma / tweedie: exp in double. */
  | { kind: 'exp' }
  /** LightGBM regression with reg_sqrt: sign(x) * x^2. */
  | { kind: 'signed_square' };

/** Fields shared by every model kind. */
export interface ModelCommon {
  /** Which library wrote the file ('grove-linear': grove's linear model JSON, see formats/linear.ts). */
  format: 'xgboost' | 'lightgbm' | 'grove-linear';
  /** e.g. "XGBoost 3.4.1 JSON", "LightGBM v4 text": for status pages and error messages. */
  formatDetail: string;
  /** The objective string as the library wrote it, e.g. "binary:logistic", "multiclass num_class:4". */
  objective: string;
  rule: SplitRule;
  numFeatures: number;
  /** Raw margins per row. */
  numMargins: number;
  /** Transformed outputs per row (equal to numMargins except `argmax`, which gives 1). */
  numOutputs: number;
  features: FeatureInfo[];
  /** False when the file carried no feature names (names are then f0..f{n-1} and inputs match by position). */
  hasFeatureNames: boolean;
  /** Margin each output starts from (already in margin space: logit/log applied where the objective says). */
  baseScore: Float64Array;
  transform: OutputTransform;
  /**
   * Tree index boundaries per boosting round: round r holds trees [iterationOffsets[r], iterationOffsets[r+1]).
   * `iterations: N` scores the first N rounds. Linear models have a single round.
   */
  iterationOffsets: Int32Array;
  /** Number of boosting rounds (iterationOffsets.length - 1). */
  numIterations: number;
}

export interface ForestNodes {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  flags: Uint8Array;
  /** For categorical nodes: first word in `catBits` and number of 32-bit words of the node's bitset. */
  catStart: Int32Array;
  catWords: Int32Array;
  /** leafWidth values per node (zeros on inner nodes). */
  leafValue: Float64Array;
}

/** LightGBM linear-tree leaves: value = const + sum(coeff[j] * x[feature[j]]), or leafValue if any x is NaN. */
export interface LinearLeaves {
  /** Per global node: terms [termOffset[g], termOffset[g+1]); length = total nodes + 1. */
  termOffset: Int32Array;
  termFeature: Int32Array;
  termCoeff: Float64Array;
  /** Per global node: the linear model's constant. */
  constant: Float64Array;
}

export interface ForestIR extends ModelCommon {
  kind: 'forest';
  /** 1 for scalar leaves; numMargins for vector leaves (XGBoost multi-output trees). */
  leafWidth: number;
  trees: {
    count: number;
    /** length count + 1; nodeOffset[count] is the total number of nodes. */
    nodeOffset: Int32Array;
    /** Output (margin) each scalar-leaf tree adds to; -1 for vector-leaf trees (they add to all). */
    output: Int32Array;
    /** Tree weight (XGBoost DART weight_drop, 1 otherwise). For `xgboost` it holds a float32 value. */
    weight: Float64Array;
  };
  nodes: ForestNodes;
  /** 32-bit words of every categorical node's bitset (bit c of a node's slice = category c). */
  catBits: Uint32Array;
  linearLeaves: LinearLeaves | null;
  /** LightGBM random forest (`average_output`): transformed output = raw sum / rounds used. */
  averageOutput: boolean;
}

/**
 * Linear models.
 *  - rule 'xgboost' (gblinear): margin[k] = fround(bias[k] + base[k]) + sum_j x[j] * weights[j * numMargins + k]
 *    in float32, missing (NaN) features contribute nothing.
 *  - rule 'float64' (grove-linear): margin[k] = (base[k] + bias[k]) + sum_j x[j] * weights[j * numMargins + k]
 *    in double, features in order; a missing feature makes the margin NaN (pipelines impute before this).
 */
export interface LinearIR extends ModelCommon {
  kind: 'linear';
  weights: Float64Array;
  bias: Float64Array;
}

export type ModelIR = ForestIR | LinearIR;

/** Thrown by every reader and by the validator: names the file, the place and what is wrong. */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  constructor(
    readonly file: string,
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${file}: ${where ? where + ': ' : ''}${reason}`);
  }
}
