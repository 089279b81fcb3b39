/**
 * Fitted pipeline -> columnar transform.
 *
 *   read     each needed raw field of every record into one typed array per field (Float64Array
 *            for numbers, Int32Array category codes), checking it against the input schema:
 *            wrong type, missing in a required field, unseen category, out of range
 *   steps    each step's runner, column by column, in place where it can
 *   output   the final columns copied into a row-major Float64Array (rows × features); rows with
 *            a violation are NaN-filled
 *
 * Everything that depends only on the fitted pipeline (slots, dictionaries, lookup tables,
 * closures) is built once here; a batch allocates a few typed arrays and no per-row objects.
 */
import type { FieldViolation } from '../errors.js';
import type { RawRecord } from '../service/records.js';
import { Batch, SlotAllocator, Trace, type Col, type FieldInfo, type TraceValue } from './frame.js';
import { compileStep, type CompiledStep } from './steps.js';
import {
  PipelineError,
  type FittedPipeline,
  type InputFieldSchema,
  type InputSchema,
  type PipelineSpec,
} from './types.js';
import { CategoryIndex, isMissing, listNames, MISSING_CODE, num, quote, readNumber, UNSEEN_CODE } from './values.js';

export interface TransformResult {
  /** Row-major rows × features.length; rows with a violation are NaN. */
  x: Float64Array;
  rows: number;
  /** Every violation of every row, by row (row = position in the batch, field = the raw field name used). */
  violations: FieldViolation[];
  invalidRows: Set<number>;
}

export interface CompiledPipeline {
  readonly features: readonly string[];
  readonly inputSchema: InputSchema;
  /** Raw records -> the model's float matrix, with every violation per row and field. Never throws for bad input. */
  transform(records: readonly RawRecord[]): TransformResult;
  /** Fit side: the target as the model is trained on it (e.g. log). Throws for a value the transform cannot take. */
  transformTarget(y: readonly number[] | Float64Array): Float64Array;
  /** Output stage: model outputs back to the target's scale (e.g. exp), in place; returns `values`. */
  inverseTarget(values: Float64Array): Float64Array;
}

/** How the reader treats one raw field. */
export interface ReaderField extends FieldInfo {
  /** false for declared inputs no output depends on: not read, their column is all missing. */
  readonly read: boolean;
  readonly required: boolean;
  readonly min: number;
  readonly max: number;
  readonly observed?: { min: number; max: number };
  readonly rejectUnseen: boolean;
  readonly index_: CategoryIndex | null;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** The raw fields of a spec as reader fields (index = position in spec.inputs). */
export function readerFields(
  spec: PipelineSpec,
  schemaOf: (name: string) => InputFieldSchema | undefined,
  aliasesOf: (name: string) => readonly string[],
): ReaderField[] {
  return spec.inputs.map((input, index) => {
    const s = schemaOf(input.name);
    const categories = s?.categories ?? [];
    return {
      name: input.name,
      index,
      type: input.type,
      aliases: s === undefined ? [] : aliasesOf(input.name),
      known: categories,
      read: s !== undefined,
      required: s?.required ?? false,
      min: s?.min ?? -Infinity,
      max: s?.max ?? Infinity,
      observed: s?.observed,
      rejectUnseen: (s?.unseen ?? 'reject') === 'reject',
      index_: input.type === 'categorical' ? new CategoryIndex(categories) : null,
    };
  });
}

/** The columns the reader produces, one per declared input, in spec order. */
export function initialColumns(fields: readonly ReaderField[], slots: SlotAllocator): Col[] {
  return fields.map((f) =>
    f.type === 'numeric'
      ? { name: f.name, kind: 'numeric' as const, slot: slots.newNum(), sources: [f.index] }
      : { name: f.name, kind: 'categorical' as const, slot: slots.newCat(), sources: [f.index], dict: f.known },
  );
}

const REQUIRED = 'missing value: the field is required (the pipeline neither imputes it nor lets it pass as missing)';

/** Reads raw records into a new batch (the first stage of every transform, at fit time too). */
export function readBatch(records: readonly RawRecord[], fields: readonly ReaderField[], cols: readonly Col[]): Batch {
  const rows = records.length;
  const b = new Batch(records, rows, fields);
  const nf = fields.length;
  const numCols: (Float64Array | null)[] = new Array<Float64Array | null>(nf).fill(null);
  const catCols: (Int32Array | null)[] = new Array<Int32Array | null>(nf).fill(null);
  for (let f = 0; f < nf; f++) {
    const col = cols[f];
    if (col.kind === 'numeric') {
      const d = new Float64Array(rows);
      if (!fields[f].read) d.fill(NaN);
      b.num[col.slot] = numCols[f] = d;
    } else {
      const c = new Int32Array(rows);
      if (!fields[f].read) c.fill(MISSING_CODE);
      b.cat[col.slot] = catCols[f] = c;
    }
  }
  const active = fields.filter((f) => f.read);
  const aliasUsed = b.aliasUsed;
  for (let r = 0; r < rows; r++) {
    const rec = records[r];
    const obj = (rec !== null && typeof rec === 'object' ? rec : EMPTY) as Readonly<Record<string, unknown>>;
    for (let k = 0; k < active.length; k++) {
      const fi = active[k];
      const f = fi.index;
      let v: unknown = obj[fi.name];
      if (fi.aliases.length > 0) v = pickAlias(b, obj, fi, r, v, aliasUsed as Uint8Array);
      if (fi.type === 'numeric') {
        const d = numCols[f] as Float64Array;
        const x = readNumber(v);
        if (typeof x !== 'number') {
          b.report(r, f, x.problem);
          d[r] = NaN;
        } else if (x !== x) {
          if (fi.required) b.report(r, f, REQUIRED);
          d[r] = NaN;
        } else if (!(x >= fi.min && x <= fi.max) || !Number.isFinite(x)) {
          b.report(r, f, outOfRange(x, fi));
          d[r] = NaN;
        } else {
          d[r] = x;
        }
      } else {
        const codes = catCols[f] as Int32Array;
        const c = (fi.index_ as CategoryIndex).code(v);
        if (typeof c !== 'number') {
          b.report(r, f, c.problem);
          codes[r] = MISSING_CODE;
        } else if (c === MISSING_CODE) {
          if (fi.required) b.report(r, f, REQUIRED);
          codes[r] = MISSING_CODE;
        } else if (c === UNSEEN_CODE && fi.rejectUnseen) {
          b.unseen(r, f);
          codes[r] = MISSING_CODE;
        } else {
          codes[r] = c;
        }
      }
    }
  }
  return b;
}

/** The value of a field that may come under its name or an alias; reports conflicting values. */
function pickAlias(
  b: Batch,
  obj: Readonly<Record<string, unknown>>,
  fi: ReaderField,
  r: number,
  v: unknown,
  aliasUsed: Uint8Array,
): unknown {
  let value = v;
  let from = 0;
  for (let a = 0; a < fi.aliases.length; a++) {
    const w = obj[fi.aliases[a]];
    if (isMissing(w)) continue;
    if (isMissing(value)) {
      value = w;
      from = a + 1;
    } else if (w !== value) {
      const first = from === 0 ? fi.name : fi.aliases[from - 1];
      aliasUsed[r * b.fields.length + fi.index] = from;
      b.report(r, fi.index, `given twice with different values: as '${first}' (${show(value)}) and as '${fi.aliases[a]}' (${show(w)})`);
      return null;
    }
  }
  aliasUsed[r * b.fields.length + fi.index] = from;
  return value;
}

function show(v: unknown): string {
  return typeof v === 'string' ? quote(v) : String(v);
}

function outOfRange(x: number, fi: ReaderField): string {
  if (!Number.isFinite(x)) return `expected a finite number, got ${num(x)}`;
  const seen = fi.observed ? ` (seen in training: ${num(fi.observed.min)} to ${num(fi.observed.max)})` : '';
  const lo = Number.isFinite(fi.min) ? num(fi.min) : '-inf';
  const hi = Number.isFinite(fi.max) ? num(fi.max) : 'inf';
  return `value ${num(x)} is out of range: the plausible range is [${lo}, ${hi}]${seen}`;
}

/** Copies the output columns into a row-major matrix and NaN-fills invalid rows. */
export function outputMatrix(b: Batch, out: readonly Col[]): TransformResult {
  const rows = b.rows;
  const nf = out.length;
  const x = new Float64Array(rows * nf);
  for (let j = 0; j < nf; j++) {
    const d = b.num[out[j].slot];
    for (let r = 0, k = j; r < rows; r++, k += nf) x[k] = d[r];
  }
  const invalidRows = new Set<number>();
  for (let r = 0; r < rows; r++) {
    if (b.invalid[r] === 1) {
      invalidRows.add(r);
      x.fill(NaN, r * nf, (r + 1) * nf);
    }
  }
  // every violation in row order; within a row, input checks first, then steps in order
  const violations = b.violations.slice().sort((p, q) => (p.row as number) - (q.row as number));
  return { x, rows, violations, invalidRows };
}

// ---------------------------------------------------------------------------------------------

/** Raw field name -> other names it is accepted under (rename targets along its column, that are not inputs themselves). */
export function aliasesFromSpec(spec: PipelineSpec): Map<string, string[]> {
  const inputs = new Set(spec.inputs.map((i) => i.name));
  const out = new Map<string, string[]>();
  for (const input of spec.inputs) {
    let name = input.name;
    const aliases: string[] = [];
    for (const step of spec.steps) {
      if (step.op === 'rename') {
        const to = Object.hasOwn(step.columns, name) ? step.columns[name] : undefined;
        if (to !== undefined) {
          name = to;
          if (!inputs.has(to) && !aliases.includes(to)) aliases.push(to);
        }
      } else if (step.op === 'drop') {
        if (step.columns.includes(name)) break;
      } else if (step.op === 'select') {
        if (!step.columns.includes(name)) break;
      } else if (step.op === 'one_hot' && step.columns.includes(name)) break;
    }
    out.set(input.name, aliases);
  }
  return out;
}

export interface CompiledParts {
  fields: ReaderField[];
  initial: Col[];
  steps: CompiledStep[];
  out: Col[];
}

/**
 * Compiles every step of a fitted pipeline; `prefix` ("pipeline.json: ") starts every error
 * message. Checks the state against the spec and the stored schema and features against what the
 * steps produce.
 */
export function compileParts(p: FittedPipeline, prefix: string): CompiledParts {
  const spec = p.spec;
  if (p.steps.length !== spec.steps.length) {
    throw new PipelineError(`${prefix}steps: has ${p.steps.length} entries, the spec has ${spec.steps.length} steps`);
  }
  const declared = new Map(spec.inputs.map((i) => [i.name, i]));
  if (declared.size !== spec.inputs.length) {
    const dup = spec.inputs.find((input, k) => spec.inputs.findIndex((j) => j.name === input.name) !== k);
    throw new PipelineError(`${prefix}spec.inputs: '${dup?.name ?? ''}' is declared twice`);
  }
  for (const [name, s] of Object.entries(p.input_schema.fields)) {
    const input = declared.get(name);
    const where = `${prefix}input_schema.fields.${name}`;
    if (input === undefined) throw new PipelineError(`${where}: not an input of the spec`);
    if (s.type !== input.type) throw new PipelineError(`${where}.type: '${s.type}' but the spec declares '${input.type}'`);
    if (s.type === 'categorical' && s.categories === undefined) throw new PipelineError(`${where}.categories: missing (a categorical field needs its categories)`);
    if (s.type === 'numeric' && (s.categories !== undefined || s.unseen !== undefined)) {
      throw new PipelineError(`${where}: a numeric field has no categories`);
    }
    if (s.type === 'categorical' && (s.min !== undefined || s.max !== undefined || s.observed !== undefined)) {
      throw new PipelineError(`${where}: a categorical field has no range`);
    }
    const cats = s.categories ?? [];
    for (let k = 1; k < cats.length; k++) {
      if (!(cats[k - 1] < cats[k])) throw new PipelineError(`${where}.categories: not sorted at [${k}] ('${cats[k - 1]}', '${cats[k]}')`);
    }
    if (s.min !== undefined && s.max !== undefined && s.min > s.max) {
      throw new PipelineError(`${where}: min ${num(s.min)} is above max ${num(s.max)}`);
    }
  }
  const aliases = aliasesFromSpec(spec);
  for (const [name, s] of Object.entries(p.input_schema.fields)) {
    const want = aliases.get(name) ?? [];
    const got = s.aliases ?? [];
    if (want.length !== got.length || want.some((a, k) => a !== got[k])) {
      throw new PipelineError(
        `${prefix}input_schema.fields.${name}.aliases: [${got.join(', ')}], but the spec's renames give [${want.join(', ')}]`,
      );
    }
  }
  const fields = readerFields(
    spec,
    (name) => (Object.hasOwn(p.input_schema.fields, name) ? p.input_schema.fields[name] : undefined),
    (name) => aliases.get(name) ?? [],
  );
  const slots = new SlotAllocator();
  const initial = initialColumns(fields, slots);
  let cols = initial;
  const steps: CompiledStep[] = [];
  spec.steps.forEach((step, i) => {
    const c = compileStep(step, p.steps[i], cols, {
      slots,
      fields,
      spec: `${prefix}spec.steps[${i}]`,
      state: `${prefix}steps[${i}]`,
    });
    steps.push(c);
    cols = c.out;
  });
  checkOutput(cols, prefix);
  // the stored features and schema must be what the steps produce
  const names = cols.map((c) => c.name);
  if (names.length !== p.features.length || names.some((n, j) => n !== p.features[j])) {
    const j = names.findIndex((n, k) => n !== p.features[k]);
    throw new PipelineError(
      `${prefix}features: the steps produce ${names.length} columns (${listNames(names, 8)}), features lists ${p.features.length}` +
        (j >= 0 ? `; first difference at [${j}]: '${String(p.features[j])}' vs '${String(names[j])}'` : ''),
    );
  }
  const parts = { fields, initial, steps, out: cols };
  const used = usedFields(cols);
  for (const f of fields) {
    if (used.has(f.index) && !f.read) {
      throw new PipelineError(`${prefix}input_schema.fields: missing '${f.name}' (the features depend on it)`);
    }
    if (!used.has(f.index) && f.read) {
      throw new PipelineError(`${prefix}input_schema.fields.${f.name}: no feature depends on this field`);
    }
    if (!f.read) continue;
    const want = fieldFlags(parts, f, declared.get(f.name)?.missing ?? 'reject');
    const where = `${prefix}input_schema.fields.${f.name}`;
    if (want.required !== f.required) {
      throw new PipelineError(
        `${where}.required: is ${String(f.required)}, but the steps ${want.required ? 'cannot take' : 'take'} a missing value of this field`,
      );
    }
    const unseen = p.input_schema.fields[f.name].unseen;
    if (f.type === 'categorical' && unseen !== want.unseen) {
      throw new PipelineError(`${where}.unseen: is ${unseen === undefined ? 'absent' : `'${unseen}'`}, but the steps make it '${want.unseen}'`);
    }
  }
  return parts;
}

/**
 * What the steps do with one missing or unseen value of a field (all other fields present):
 * whether some step refuses it, whether a feature ends up NaN, whether it became a rare label.
 * Uses the compiled steps' own tables, so the input schema says exactly what transform does.
 */
export function traceField(
  parts: Pick<CompiledParts, 'steps' | 'out'>,
  field: FieldInfo,
  start: TraceValue,
): { violation: boolean; nan: boolean; rare: boolean } {
  const t = new Trace();
  t.cols.set(field.name, start);
  for (const s of parts.steps) {
    s.trace(t);
    if (t.violation) return { violation: true, nan: false, rare: t.rare };
  }
  let nan = false;
  for (const c of parts.out) {
    const v = t.cols.get(c.name);
    if (v !== undefined && v.kind === 'num' && v.nan) nan = true;
  }
  return { violation: false, nan, rare: t.rare };
}

/** The input schema's `required` and (categorical) `unseen` for a field, from the compiled steps. */
export function fieldFlags(
  parts: Pick<CompiledParts, 'steps' | 'out'>,
  field: FieldInfo,
  missing: 'reject' | 'allow',
): { required: boolean; unseen: 'reject' | 'rare' } {
  const start: TraceValue = field.type === 'numeric' ? { kind: 'num', nan: true } : { kind: 'cat', code: MISSING_CODE };
  const m = traceField(parts, field, start);
  const required = m.violation || (m.nan && missing !== 'allow');
  let unseen: 'reject' | 'rare' = 'reject';
  if (field.type === 'categorical') {
    const u = traceField(parts, field, { kind: 'cat', code: UNSEEN_CODE });
    if (!u.violation && u.rare) unseen = 'rare';
  }
  return { required, unseen };
}

/** The pipeline must end with numeric columns only, at least one. */
export function checkOutput(cols: readonly Col[], prefix: string): void {
  const cat = cols.filter((c) => c.kind !== 'numeric').map((c) => `'${c.name}'`);
  if (cat.length > 0) {
    throw new PipelineError(
      `${prefix}spec.steps: the pipeline ends with categorical column${cat.length > 1 ? 's' : ''} ${cat.join(', ')}; ` +
        'encode (map, ordinal_by_target, ordinal_alphabetical, one_hot) or drop them',
    );
  }
  if (cols.length === 0) throw new PipelineError(`${prefix}spec.steps: the pipeline ends with no columns`);
}

/** Raw fields some output column depends on. */
export function usedFields(out: readonly Col[]): Set<number> {
  const used = new Set<number>();
  for (const c of out) for (const s of c.sources) used.add(s);
  return used;
}

/** Runs the compiled steps over a batch just read. */
export function runSteps(b: Batch, steps: readonly CompiledStep[]): void {
  for (const s of steps) if (s.run !== null) s.run(b);
}

class Compiled implements CompiledPipeline {
  readonly features: readonly string[];
  readonly inputSchema: InputSchema;
  private readonly parts: CompiledParts;
  private readonly logTarget: boolean;

  constructor(p: FittedPipeline, prefix: string) {
    this.parts = compileParts(p, prefix);
    this.features = Object.freeze(this.parts.out.map((c) => c.name));
    this.inputSchema = p.input_schema;
    this.logTarget = p.target.transform === 'log';
  }

  transform(records: readonly RawRecord[]): TransformResult {
    const b = readBatch(records, this.parts.fields, this.parts.initial);
    runSteps(b, this.parts.steps);
    return outputMatrix(b, this.parts.out);
  }

  transformTarget(y: readonly number[] | Float64Array): Float64Array {
    return transformTarget(y, this.logTarget);
  }

  inverseTarget(values: Float64Array): Float64Array {
    if (this.logTarget) for (let i = 0; i < values.length; i++) values[i] = Math.exp(values[i]);
    return values;
  }
}

/** The target transform: log needs every value finite and > 0; identity needs finite values. */
export function transformTarget(y: readonly number[] | Float64Array, log: boolean): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new PipelineError(`target[${i}]: expected a finite number, got ${typeof v === 'number' ? num(v) : String(v)}`);
    }
    if (log) {
      if (!(v > 0)) throw new PipelineError(`target[${i}]: log transform needs a value > 0, got ${num(v)}`);
      out[i] = Math.log(v);
    } else out[i] = v;
  }
  return out;
}

/** Compiles a fitted pipeline into its columnar transform (validating it; throws PipelineError). */
export function compilePipeline(p: FittedPipeline): CompiledPipeline {
  return new Compiled(p, '');
}

/** compilePipeline with errors prefixed by a file name ("pipeline.json: "). */
export function compileWithPrefix(p: FittedPipeline, prefix: string): CompiledPipeline {
  return new Compiled(p, prefix);
}
