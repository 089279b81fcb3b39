/**
 * manifest.json: what one registry version is. Validated with a strict schema: a misspelt key is
 * an error naming the key, not a silently ignored field; every error names the file and the field
 * ("manifest.json: self_check.rel_tol: expected number, got string").
 *
 *   {
 *     "schema_version": 1,
 *     "name": "house-price", "version": 2,
 *     "artifact": "model.json",
 *     "format": "xgboost-json",                 optional; must match what the artifact holds
 *     "pipeline": "pipeline.json",              optional; the file must exist (applied in a later issue)
 *     "description": "...",                     optional
 *     "self_check": { "samples": "samples.csv", "expected": "expected.csv",
 *                     "rel_tol": 1e-6, "abs_tol": 1e-9, "output_margin": false },
 *     "training": {...}, "reference_stats": {...}, "input_schema": {...}   optional, recorded as is
 *   }
 */
import { z } from 'zod';
import { formatIssues } from './schema-errors.js';
import { jsonErrorMessage } from '../util/json-errors.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_SCHEMA_VERSION = 1;

export const MODEL_FORMATS = ['xgboost-json', 'xgboost-ubjson', 'lightgbm-text', 'grove-linear'] as const;
export type ManifestFormat = (typeof MODEL_FORMATS)[number];

/** Why a path named in a manifest is not acceptable, or null when it is a plain relative path inside the bundle. */
export function bundlePathProblem(p: string): string | null {
  if (p.length === 0) return 'must not be empty';
  if (p.includes('\0')) return 'must not contain NUL characters';
  if (p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p)) {
    return `must be a relative path inside the bundle, got absolute path '${p}'`;
  }
  const parts = p.split(/[\\/]+/);
  if (parts.includes('..')) return `must stay inside the bundle (no '..'), got '${p}'`;
  if (parts.every((s) => s === '' || s === '.')) return `must name a file, got '${p}'`;
  return null;
}

const BundlePath = z.string().superRefine((p, ctx) => {
  const problem = bundlePathProblem(p);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: p });
});

const Tolerance = z.number().nonnegative();
const FreeObject = z.record(z.string(), z.unknown());

export const SelfCheckSchema = z.strictObject({
  samples: BundlePath,
  expected: BundlePath,
  rel_tol: Tolerance,
  abs_tol: Tolerance,
  output_margin: z.boolean().optional(),
});

export const ManifestSchema = z.strictObject({
  schema_version: z.literal(MANIFEST_SCHEMA_VERSION),
  name: z.string().min(1),
  version: z.int().positive(),
  artifact: BundlePath,
  format: z.enum(MODEL_FORMATS).optional(),
  pipeline: BundlePath.optional(),
  description: z.string().optional(),
  self_check: SelfCheckSchema,
  training: FreeObject.optional(),
  reference_stats: FreeObject.optional(),
  input_schema: FreeObject.optional(),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type SelfCheck = z.infer<typeof SelfCheckSchema>;

/** A bundle that cannot be served; `message` is the precise reason (shown in GetModel and logs). */
export class BundleError extends Error {
  override readonly name = 'BundleError';
}

/** "Unexpected token } in JSON at position 41" -> adds "(line 3, column 5)". */

/** Parses JSON text naming the file in the error. */
export function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch (err) {
    throw new BundleError(`${file}: not valid JSON: ${jsonErrorMessage(text, err)}`);
  }
}

/**
 * Parses and validates manifest.json. `expect` is the model name and version the directory says;
 * the manifest must agree with both.
 */
export function parseManifest(text: string, expect?: { name: string; version: number }): Manifest {
  const raw = parseJsonFile(text, MANIFEST_FILE);
  const result = ManifestSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new BundleError(formatIssues(MANIFEST_FILE, result.error.issues));
  const m = result.data;
  if (expect) {
    if (m.name !== expect.name) {
      throw new BundleError(`${MANIFEST_FILE}: name: '${m.name}' does not match the model directory '${expect.name}'`);
    }
    if (m.version !== expect.version) {
      throw new BundleError(`${MANIFEST_FILE}: version: ${m.version} does not match the version directory '${expect.version}'`);
    }
  }
  return m;
}
