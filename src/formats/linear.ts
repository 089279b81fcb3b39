/**
 * grove-linear: grove's own file for linear models (coefficients by feature name + intercept),
 * written by `grove train` and read into a LinearIR scored in double precision.
 *
 *   { "format": "grove-linear", "version": 1, "objective": "regression",
 *     "features": ["LotArea", ...], "coefficients": [0.12, ...], "intercept": 12.02 }
 *
 * One output; `objective` "regression" is the identity transform (a target transform such as
 * exp belongs to the bundle's pipeline, not to the model).
 */
import { z } from 'zod';
import { ModelFormatError, type LinearIR } from './ir.js';
import { validateModel } from './validate.js';

const LinearFileSchema = z
  .object({
    format: z.literal('grove-linear'),
    version: z.literal(1),
    objective: z.literal('regression'),
    features: z.array(z.string().min(1)).min(1),
    coefficients: z.array(z.number()),
    intercept: z.number(),
  })
  .strict();

export type LinearFile = z.infer<typeof LinearFileSchema>;

/** True when a JSON text is a grove-linear file (the writer puts `format` first). */
export function looksLikeGroveLinear(head: string): boolean {
  return /^\s*\{\s*"format"\s*:\s*"grove-linear"/.test(head);
}

export function readGroveLinear(text: string, file: string): LinearIR {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(file, '', `not valid JSON: ${(e as Error).message}`);
  }
  const parsed = LinearFileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFormatError(file, issue.path.join('.') || 'document', issue.message);
  }
  const m = parsed.data;
  if (m.coefficients.length !== m.features.length) {
    throw new ModelFormatError(file, 'coefficients', `${m.coefficients.length} coefficients for ${m.features.length} features`);
  }
  const seen = new Set<string>();
  for (const f of m.features) {
    if (seen.has(f)) throw new ModelFormatError(file, 'features', `feature '${f}' appears twice`);
    seen.add(f);
  }
  const ir: LinearIR = {
    kind: 'linear',
    format: 'grove-linear',
    formatDetail: 'grove linear JSON v1',
    objective: m.objective,
    rule: 'float64',
    numFeatures: m.features.length,
    numMargins: 1,
    numOutputs: 1,
    features: m.features.map((name) => ({ name, type: 'numeric', categories: null })),
    hasFeatureNames: true,
    baseScore: new Float64Array([0]),
    transform: { kind: 'identity' },
    iterationOffsets: new Int32Array([0, 0]),
    numIterations: 1,
    weights: Float64Array.from(m.coefficients),
    bias: new Float64Array([m.intercept]),
  };
  validateModel(ir, file);
  return ir;
}

/** Deterministic text of a linear model: same numbers, same bytes. */
export function serializeGroveLinear(features: readonly string[], coefficients: ArrayLike<number>, intercept: number): string {
  const file: LinearFile = {
    format: 'grove-linear',
    version: 1,
    objective: 'regression',
    features: [...features],
    coefficients: Array.from(coefficients),
    intercept,
  };
  return JSON.stringify(file, null, 2) + '\n';
}
