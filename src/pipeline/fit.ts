/**
 * fitPipeline: spec + training rows (+ target) -> FittedPipeline.
 *
 *   1. learn the raw input schema: categories seen (plus the keys of a value mapping applied
 *      directly to the field), observed numeric min/max and the plausible range
 *   2. read the training rows with that schema (the same reader transform uses)
 *   3. for each step in order: fit its state on the batch as the previous steps left it, compile
 *      it, run it on the batch (the same runner transform uses)
 *   4. learn which fields are required and which accept unseen categories from the compiled
 *      steps (src/pipeline/compile.ts traceField), keep only fields the features depend on
 *   5. compile the finished pipeline and transform the training rows with it: any violation
 *      (e.g. a missing value nothing imputes) is a fit error
 *
 * Errors: PipelineError for a spec that cannot work (names the step and parameter),
 * PipelineFitError for training data that does not fit the spec (names rows and fields).
 */
import type { FieldViolation } from '../errors.js';
import type { RawRecord } from '../service/records.js';
import { SlotAllocator, type Col } from './frame.js';
import {
  aliasesFromSpec,
  checkOutput,
  compilePipeline,
  fieldFlags,
  initialColumns,
  outputMatrix,
  readBatch,
  readerFields,
  transformTarget,
  usedFields,
} from './compile.js';
import { formatSpecIssues } from './issues.js';
import { compileStep, fitStep, type CompiledStep } from './steps.js';
import {
  PIPELINE_FORMAT,
  PIPELINE_VERSION,
  PipelineError,
  PipelineFitError,
  PipelineSpecSchema,
  type FittedPipeline,
  type FittedStep,
  type InputFieldSchema,
  type InputSchema,
  type InputSpec,
  type PipelineSpec,
} from './types.js';
import { MISSING_TOKENS } from '../formats/encode.js';
import { categoryText, compareNames, isMissing, readNumber } from './values.js';

/** Validates a spec (an object, e.g. parsed JSON); throws PipelineError naming the path ("spec: steps[2].op: ..."). */
export function validateSpec(spec: unknown, file = 'spec'): PipelineSpec {
  const r = PipelineSpecSchema.safeParse(spec, { reportInput: true });
  if (!r.success) throw new PipelineError(formatSpecIssues(file, r.error.issues));
  const s = r.data;
  const seen = new Set<string>();
  s.inputs.forEach((input, k) => {
    if (seen.has(input.name)) throw new PipelineError(`${file}: inputs[${k}].name: '${input.name}' is declared twice`);
    seen.add(input.name);
    if (input.type === 'categorical' && (input.min !== undefined || input.max !== undefined)) {
      throw new PipelineError(`${file}: inputs[${k}]: min/max are for numeric inputs; '${input.name}' is categorical`);
    }
    if (input.min !== undefined && input.max !== undefined && input.min > input.max) {
      throw new PipelineError(`${file}: inputs[${k}]: min ${input.min} is above max ${input.max}`);
    }
  });
  return s;
}

/** Parses a spec file's text (JSON). */
export function parseSpec(text: string, file: string): PipelineSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new PipelineError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return validateSpec(raw, file);
}

/**
 * The plausible range of a numeric field, from the training data (README "Input schema"):
 * with span = max - min (or max(|max|, 1) when all values are equal),
 *   low  = 0 when min >= 0 (a non-negative quantity), else min - 10 * span
 *   high = max + 10 * span
 * `min` / `max` in the spec's input replace the learned bound.
 */
export function plausibleRange(observed: { min: number; max: number } | undefined, input: InputSpec): { min?: number; max?: number } {
  let lo: number | undefined;
  let hi: number | undefined;
  if (observed !== undefined) {
    let span = observed.max - observed.min;
    if (span === 0) span = Math.max(Math.abs(observed.max), 1);
    lo = observed.min >= 0 ? 0 : observed.min - 10 * span;
    hi = observed.max + 10 * span;
  }
  if (input.min !== undefined) lo = input.min;
  if (input.max !== undefined) hi = input.max;
  const out: { min?: number; max?: number } = {};
  if (lo !== undefined && Number.isFinite(lo)) out.min = lo === 0 ? 0 : lo;
  if (hi !== undefined && Number.isFinite(hi)) out.max = hi === 0 ? 0 : hi;
  return out;
}

/** Keys of a value mapping applied to the field's column before any other step changes its values. */
function directMappingKeys(spec: PipelineSpec, field: string): string[] {
  let name = field;
  for (const step of spec.steps) {
    switch (step.op) {
      case 'rename':
        if (Object.hasOwn(step.columns, name)) name = step.columns[name];
        break;
      case 'drop':
        if (step.columns.includes(name)) return [];
        break;
      case 'select':
        if (!step.columns.includes(name)) return [];
        break;
      case 'impute_categorical':
      case 'missing_indicator':
        break;
      case 'map':
        if (step.columns.includes(name)) return Object.keys(step.mapping).filter((k) => !MISSING_TOKENS.has(k.trim()));
        break;
      default:
        if ('columns' in step && Array.isArray(step.columns) && step.columns.includes(name)) return [];
    }
  }
  return [];
}

/** A field's raw value in a record: under its name, else the first alias that holds a value. */
function rawValue(rec: RawRecord, name: string, aliases: readonly string[]): unknown {
  if (rec === null || typeof rec !== 'object') return undefined;
  const r = rec as Record<string, unknown>;
  let v = r[name];
  for (let a = 0; a < aliases.length && isMissing(v); a++) v = r[aliases[a]];
  return v;
}

/** The raw input schema learned from the rows, before the steps are fitted (required/unseen come later). */
function learnRawSchema(spec: PipelineSpec, rows: readonly RawRecord[], aliasMap: Map<string, string[]>): Map<string, InputFieldSchema> {
  const out = new Map<string, InputFieldSchema>();
  for (const input of spec.inputs) {
    const aliases = aliasMap.get(input.name) ?? [];
    if (input.type === 'categorical') {
      const seen = new Set<string>();
      for (const rec of rows) {
        const v = rawValue(rec, input.name, aliases);
        if (isMissing(v)) continue;
        const t = categoryText(v);
        if (t !== null) seen.add(t);
      }
      for (const k of directMappingKeys(spec, input.name)) seen.add(k);
      out.set(input.name, { type: 'categorical', required: false, categories: [...seen].sort(compareNames), unseen: 'reject' });
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const rec of rows) {
        const x = readNumber(rawValue(rec, input.name, aliases));
        if (typeof x === 'number' && Number.isFinite(x)) {
          if (x < min) min = x;
          if (x > max) max = x;
        }
      }
      const observed = min <= max ? { min: min === 0 ? 0 : min, max: max === 0 ? 0 : max } : undefined;
      const s: InputFieldSchema = { type: 'numeric', required: false, ...plausibleRange(observed, input) };
      if (observed !== undefined) s.observed = observed;
      out.set(input.name, s);
    }
  }
  return out;
}

function violationList(vs: readonly FieldViolation[], max = 10): string {
  const shown = vs.slice(0, max).map((v) => `rows[${String(v.row)}].${v.field}: ${v.reason}`);
  if (vs.length > max) shown.push(`(${vs.length - max} more)`);
  return shown.join('; ');
}

/**
 * Fits a pipeline: learns every step's state from `rows` (and `target`, the raw target, e.g.
 * SalePrice in dollars; the spec's target transform is applied before steps that use it).
 * Deterministic: the same spec, rows and target give a byte-identical serializePipeline().
 */
export function fitPipeline(spec: PipelineSpec, rows: readonly RawRecord[], target?: readonly number[]): FittedPipeline {
  const s = validateSpec(spec);
  const log = (s.target?.transform ?? 'identity') === 'log';
  if (target !== undefined && target.length !== rows.length) {
    throw new PipelineError(`target: has ${target.length} values, there are ${rows.length} rows`);
  }
  const y = target === undefined ? null : transformTarget(target, log);

  // 1-2: raw schema, read the training rows
  const aliases = aliasesFromSpec(s);
  const raw = learnRawSchema(s, rows, aliases);
  const fields = readerFields(s, (name) => raw.get(name), (name) => aliases.get(name) ?? []);
  const slots = new SlotAllocator();
  let cols: Col[] = initialColumns(fields, slots);
  const batch = readBatch(rows, fields, cols);
  if (batch.violations.length > 0) {
    throw new PipelineFitError(`training data: ${violationList(batch.violations)}`, batch.violations);
  }

  // 3: fit, compile and run each step in order
  const states: FittedStep[] = [];
  const compiled: CompiledStep[] = [];
  s.steps.forEach((step, i) => {
    const where = `spec.steps[${i}]`;
    const state = fitStep(step, cols, { batch, target: y, spec: where });
    const c = compileStep(step, state, cols, { slots, fields, spec: where, state: `steps[${i}]` });
    const before = batch.violations.length;
    if (c.run !== null) c.run(batch);
    if (batch.violations.length > before) {
      const vs = batch.violations.slice(before);
      throw new PipelineFitError(`${where} (${step.op}): training data: ${violationList(vs)}`, vs);
    }
    states.push(state);
    compiled.push(c);
    cols = c.out;
  });
  checkOutput(cols, '');

  // 4: the input schema: fields the features depend on, with what the steps accept
  const used = usedFields(cols);
  const schema: InputSchema = { fields: {} };
  const parts = { steps: compiled, out: cols };
  for (const f of fields) {
    if (!used.has(f.index)) continue;
    const input = s.inputs[f.index];
    const base = raw.get(f.name) as InputFieldSchema;
    const flags = fieldFlags(parts, f, input.missing ?? 'reject');
    const entry: InputFieldSchema = { type: base.type, required: flags.required };
    if (f.aliases.length > 0) entry.aliases = [...f.aliases];
    if (base.type === 'categorical') {
      entry.categories = base.categories;
      entry.unseen = flags.unseen;
    } else {
      if (base.min !== undefined) entry.min = base.min;
      if (base.max !== undefined) entry.max = base.max;
      if (base.observed !== undefined) entry.observed = base.observed;
    }
    schema.fields[f.name] = entry;
  }

  const fitted: FittedPipeline = {
    format: PIPELINE_FORMAT,
    version: PIPELINE_VERSION,
    spec: s,
    steps: states,
    input_schema: schema,
    features: cols.map((c) => c.name),
    target: { transform: log ? 'log' : 'identity' },
    training_rows: rows.length,
  };

  // 5: the finished pipeline must take its own training data, and give the very numbers the
  // steps were fitted on (research == production)
  const check = compilePipeline(fitted).transform(rows);
  if (check.violations.length > 0) {
    throw new PipelineFitError(
      `training data: ${check.invalidRows.size} of ${rows.length} rows do not fit the pipeline: ${violationList(check.violations)}`,
      check.violations,
    );
  }
  const fitted_x = outputMatrix(batch, cols).x;
  for (let i = 0; i < fitted_x.length; i++) {
    if (!Object.is(fitted_x[i], check.x[i])) {
      throw new PipelineError(`internal error: the compiled pipeline differs from the fitted steps at value ${i}`);
    }
  }
  return fitted;
}
