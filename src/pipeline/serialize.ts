/**
 * pipeline.json: deterministic bytes and strict parsing.
 *
 * serializePipeline writes canonical JSON: object keys sorted (UTF-16 code-unit order), two-space
 * indentation, arrays of scalars on one line, numbers in their shortest round-trip form
 * (JavaScript's Number-to-String), a trailing newline. The same FittedPipeline value always gives
 * the same bytes, and parse -> serialize gives back the same bytes.
 *
 * parsePipeline validates the JSON with zod (unknown keys are errors), then compiles it, which
 * checks the state against the spec and the stored input schema and features against what the
 * steps produce. Every error names the file and the path ("pipeline.json: steps[3].order.MSZoning: ...").
 */
import { compileWithPrefix } from './compile.js';
import { formatSpecIssues } from './issues.js';
import { FittedPipelineSchema, PipelineError, type FittedPipeline } from './types.js';
import { formatFloat64 } from '../util/numbers.js';
import { jsonErrorMessage } from '../util/json-errors.js';

function scalar(v: unknown, path: string): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new PipelineError(`serializePipeline: ${path || 'value'}: ${String(v)} cannot be written as JSON`);
    return formatFloat64(v);
  }
  throw new PipelineError(`serializePipeline: ${path || 'value'}: cannot write a ${typeof v}`);
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function write(v: unknown, indent: string, path: string): string {
  if (isScalar(v)) return scalar(v, path);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every(isScalar)) return `[${v.map((e, i) => scalar(e, `${path}[${i}]`)).join(', ')}]`;
    return `[\n${v.map((e, i) => inner + write(e, inner, `${path}[${i}]`)).join(',\n')}\n${indent}]`;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return '{}';
  const body = keys.map((k) => `${inner}${JSON.stringify(k)}: ${write(obj[k], inner, path ? `${path}.${k}` : k)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

/** Canonical JSON text of any JSON value (sorted keys, shortest numbers, trailing newline). */
export function canonicalJson(value: unknown): string {
  return `${write(value, '', '')}\n`;
}

/** The fitted pipeline as pipeline.json text: deterministic bytes. */
export function serializePipeline(p: FittedPipeline): string {
  return canonicalJson(p);
}

/** "Unexpected token } in JSON at position 41" -> adds "(line 3, column 5)". */

/** Parses and validates pipeline.json; throws PipelineError naming `file` and the path. */
export function parsePipeline(text: string, file: string): FittedPipeline {
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch (err) {
    throw new PipelineError(`${file}: not valid JSON: ${jsonErrorMessage(text, err)}`);
  }
  const r = FittedPipelineSchema.safeParse(raw, { reportInput: true });
  if (!r.success) throw new PipelineError(formatSpecIssues(file, r.error.issues));
  const p = r.data as FittedPipeline;
  compileWithPrefix(p, `${file}: `); // semantic checks
  return p;
}
