/**
 * LightGBM `objective=` line -> output transform.
 *
 * Mirrors ObjectiveFunction::CreateObjectiveFunction(const std::string&) (the factory LightGBM uses
 * when it loads a model file) and each objective's ConvertOutput, so a name LightGBM would refuse
 * to load is refused here too, and a parameter LightGBM requires (sigmoid:, num_class:) is required.
 */
import { ModelFormatError, type OutputTransform } from './ir.js';

export interface LightGBMObjective {
  /** Canonical name, e.g. "binary", "regression", "custom". */
  name: string;
  transform: OutputTransform;
  /** Outputs the objective itself fixes (num_class:N for multiclass*), or null for "any". */
  numClass: number | null;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Objectives whose ConvertOutput is RegressionL2loss's: identity, or sign(x)*x^2 with `sqrt`. */
const L2_FAMILY = new Set(['regression', 'regression_l1', 'quantile', 'huber', 'fair', 'mape', 'mean_absolute_percentage_error']);
/** RegressionPoissonLoss and its subclasses: exp (they ignore `sqrt`, LightGBM disables it for them). */
const EXP_FAMILY = new Set(['poisson', 'gamma', 'tweedie']);
/** Ranking objectives: the default ConvertOutput, identity. */
const RANK_FAMILY = new Set(['lambdarank', 'rank_xendcg']);
/** No objective function at all (custom training objective): raw scores are the outputs. */
const NO_OBJECTIVE = new Set(['custom', 'none', 'null', 'na']);

/** Reads `key:value` parameters of the objective line (e.g. `sigmoid:1`, `num_class:4`). */
function params(tokens: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tokens) {
    const parts = t.split(':');
    if (parts.length === 2) out.set(parts[0], parts[1]);
  }
  return out;
}

/**
 * Parses the objective line. `text` null means the file had no objective line, which is what
 * LightGBM writes for a custom (Python-side) objective: raw scores are the outputs.
 */
export function parseObjective(text: string | null, file: string): LightGBMObjective {
  if (text === null) return { name: 'custom', transform: { kind: 'identity' }, numClass: null };
  const tokens = text.split(' ').filter((t) => t.length > 0);
  if (tokens.length === 0) throw new ModelFormatError(file, 'objective', 'the objective line is empty');
  const name = tokens[0];
  const p = params(tokens.slice(1));
  const fail = (reason: string): never => {
    throw new ModelFormatError(file, 'objective', `'${text}': ${reason}`);
  };
  const positive = (key: string): number => {
    const v = p.get(key);
    if (v === undefined) return fail(`needs a ${key}: parameter`);
    if (!NUMBER_RE.test(v) || !(Number(v) > 0) || !Number.isFinite(Number(v))) {
      return fail(`${key}:${v} is not a positive number`);
    }
    return Number(v);
  };
  const numClass = (): number => {
    const v = p.get('num_class');
    if (v === undefined) return fail('needs a num_class: parameter');
    if (!/^\d+$/.test(v) || Number(v) < 1) return fail(`num_class:${v} is not a positive integer`);
    return Number(v);
  };

  if (L2_FAMILY.has(name)) {
    // RegressionL2loss(strs) sets sqrt_ from a bare `sqrt` token; ConvertOutput squares back with sign.
    const sqrt = tokens.slice(1).includes('sqrt');
    return { name, transform: sqrt ? { kind: 'signed_square' } : { kind: 'identity' }, numClass: 1 };
  }
  if (EXP_FAMILY.has(name)) return { name, transform: { kind: 'exp' }, numClass: 1 };
  if (RANK_FAMILY.has(name)) return { name, transform: { kind: 'identity' }, numClass: 1 };
  if (NO_OBJECTIVE.has(name)) return { name: 'custom', transform: { kind: 'identity' }, numClass: null };
  switch (name) {
    case 'binary':
      // BinaryLogloss refuses a missing or non-positive sigmoid (it defaults to -1).
      return { name, transform: { kind: 'sigmoid', scale: positive('sigmoid') }, numClass: 1 };
    case 'multiclass':
      return { name, transform: { kind: 'softmax' }, numClass: numClass() };
    case 'multiclassova': {
      const k = numClass();
      return { name, transform: { kind: 'sigmoid', scale: positive('sigmoid') }, numClass: k };
    }
    case 'cross_entropy':
    case 'xentropy':
      return { name: 'cross_entropy', transform: { kind: 'sigmoid', scale: 1 }, numClass: 1 };
    case 'cross_entropy_lambda':
    case 'xentlambda':
      return { name: 'cross_entropy_lambda', transform: { kind: 'log1p_exp' }, numClass: 1 };
  }
  return fail(`unknown LightGBM objective '${name}'`);
}
