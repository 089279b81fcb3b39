/**
 * The steps: for each op, `fit` (learn state from the training batch as the previous steps left
 * it) and `compile` (state -> the step's output columns, a column-wise runner over a Batch, and a
 * symbolic trace of what it does to one missing or unseen value). Fit and transform run the very
 * same runners, so research and production compute the same numbers bit for bit.
 *
 * Semantics, ties and edge cases are documented per op in README.md.
 */
import { PipelineError, PipelineFitError, type FittedStep, type FittedStepOf, type StepOf, type StepSpec } from './types.js';
import { Batch, SlotAllocator, Trace, type Col, type FieldInfo, type TraceValue } from './frame.js';
import { countCodes, mean, median, minMax, mode, mostFrequent, targetMeans } from './stats.js';
import { compareNames, listNames, MISSING_CODE, num, quote, UNSEEN_CODE } from './values.js';

export interface FitContext {
  /** Training data after the previous steps. */
  readonly batch: Batch;
  /** The target after the target transform, or null when none was given. */
  readonly target: Float64Array | null;
  /** "spec.steps[3]" (with a file prefix when there is one). */
  readonly spec: string;
}

export interface CompileContext {
  readonly slots: SlotAllocator;
  readonly fields: readonly FieldInfo[];
  /** "spec.steps[3]": where the step's parameters are. */
  readonly spec: string;
  /** "steps[3]": where the step's fitted state is. */
  readonly state: string;
}

export interface CompiledStep {
  readonly out: Col[];
  readonly run: ((b: Batch) => void) | null;
  readonly trace: (t: Trace) => void;
}

const DEFAULT_RARE_LABEL = 'Rare';
const DEFAULT_MISSING_LABEL = 'Missing';
const DEFAULT_INDICATOR_SUFFIX = '_na';

// ---------------------------------------------------------------------------------------------
// helpers

function columnList(cols: readonly Col[]): string {
  return cols.length === 0 ? '(none)' : listNames(cols.map((c) => c.name), 40);
}

/** Index of column `name`; throws naming the step, the parameter and the columns that exist. */
function find(cols: readonly Col[], name: string, where: string, op: string): number {
  const i = cols.findIndex((c) => c.name === name);
  if (i < 0) throw new PipelineError(`${where}: no column '${name}' at this step (${op}); columns here: ${columnList(cols)}`);
  return i;
}

/** Resolves the step's `columns`, checking duplicates and (optionally) the kind. */
function resolve(
  cols: readonly Col[],
  names: readonly string[],
  spec: string,
  op: string,
  kind?: 'numeric' | 'categorical',
): number[] {
  const seen = new Set<string>();
  return names.map((name, j) => {
    const where = `${spec}.columns[${j}]`;
    if (seen.has(name)) throw new PipelineError(`${where}: column '${name}' is listed twice`);
    seen.add(name);
    const i = find(cols, name, where, op);
    if (kind !== undefined && cols[i].kind !== kind) {
      const hint =
        kind === 'numeric'
          ? 'encode it first (map, ordinal_by_target, ordinal_alphabetical, one_hot)'
          : 'declare the input categorical';
      throw new PipelineError(`${where}: ${op} needs a ${kind} column, '${name}' is ${cols[i].kind} (${hint})`);
    }
    return i;
  });
}

/** The state's entry for `column` in the per-column map `key`; throws when absent. */
function entry<T>(map: Readonly<Record<string, T>>, column: string, where: string, key: string): T {
  if (!Object.hasOwn(map, column)) throw new PipelineError(`${where}.${key}: no entry for column '${column}'`);
  return map[column];
}

/** Throws when the per-column map `key` has entries for columns the step does not name. */
function noExtra(map: Readonly<Record<string, unknown>>, columns: readonly string[], where: string, key: string): void {
  const want = new Set(columns);
  for (const k of Object.keys(map)) {
    if (!want.has(k)) throw new PipelineError(`${where}.${key}: unexpected column '${k}' (the step names ${listNames(columns)})`);
  }
}

function fitError(where: string, message: string): PipelineFitError {
  return new PipelineFitError(`${where}: ${message}`);
}

/** Names observed in training (count > 0), in dictionary order. */
function observed(col: Col, b: Batch): { names: string[]; counts: Float64Array } {
  const dict = col.dict ?? [];
  const counts = countCodes(b.cat[col.slot], dict.length);
  return { names: dict.filter((_, c) => counts[c] > 0), counts };
}

/** A table from a column's dictionary codes to positions in `order` (-1 where the name is not in it). */
function codeTable(dict: readonly string[], order: readonly string[], where: string, column: string): Int32Array {
  const pos = new Map<string, number>();
  order.forEach((name, k) => {
    if (pos.has(name)) throw new PipelineError(`${where}: category '${name}' of column '${column}' is listed twice`);
    pos.set(name, k);
  });
  const inDict = new Set(dict);
  for (const name of order) {
    if (!inDict.has(name)) {
      throw new PipelineError(`${where}: category '${name}' is not a category column '${column}' can hold here (${listNames(dict)})`);
    }
  }
  const table = new Int32Array(dict.length);
  dict.forEach((name, c) => (table[c] = pos.get(name) ?? -1));
  return table;
}

function categorical(col: Col): readonly string[] {
  return col.dict ?? [];
}

// ---------------------------------------------------------------------------------------------
// fit

export function fitStep(step: StepSpec, cols: readonly Col[], ctx: FitContext): FittedStep {
  const b = ctx.batch;
  switch (step.op) {
    case 'drop':
    case 'select':
    case 'rename':
    case 'missing_indicator':
    case 'elapsed':
    case 'log':
    case 'binarize':
      return { op: step.op };
    case 'impute_categorical': {
      const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
      checkImputeParams(step, ctx.spec);
      const values: Record<string, string> = {};
      idx.forEach((i) => {
        const col = cols[i];
        if (step.method === 'constant') {
          values[col.name] = step.value ?? DEFAULT_MISSING_LABEL;
        } else {
          const dict = categorical(col);
          const best = mostFrequent(dict, countCodes(b.cat[col.slot], dict.length));
          if (best === undefined) throw fitError(ctx.spec, `column '${col.name}' has no values in the training data to take the most frequent of`);
          values[col.name] = best;
        }
      });
      return { op: step.op, values };
    }
    case 'impute_numeric': {
      const idx = resolve(cols, step.columns, ctx.spec, step.op, 'numeric');
      checkImputeParams(step, ctx.spec);
      const values: Record<string, number> = {};
      idx.forEach((i) => {
        const col = cols[i];
        const data = b.num[col.slot];
        let v: number | undefined;
        if (step.method === 'constant') v = step.value;
        else if (step.method === 'mean') v = mean(data);
        else if (step.method === 'median') v = median(data);
        else v = mode(data);
        if (v === undefined) throw fitError(ctx.spec, `column '${col.name}' has no values in the training data to take the ${step.method} of`);
        if (!Number.isFinite(v)) throw fitError(ctx.spec, `the ${step.method} of column '${col.name}' is not finite (${num(v)})`);
        values[col.name] = v === 0 ? 0 : v;
      });
      return { op: step.op, values };
    }
    case 'min_max_scale': {
      const idx = scaledColumns(step, cols, ctx.spec);
      const min: Record<string, number> = {};
      const max: Record<string, number> = {};
      idx.forEach((i) => {
        const col = cols[i];
        const mm = minMax(b.num[col.slot]);
        if (mm === undefined) throw fitError(ctx.spec, `column '${col.name}' has no values in the training data to scale by`);
        min[col.name] = mm.min;
        max[col.name] = mm.max;
      });
      return { op: step.op, min, max };
    }
    case 'map': {
      const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
      idx.forEach((i) => {
        const col = cols[i];
        const { names } = observed(col, b);
        const unmapped = names.filter((n) => !Object.hasOwn(step.mapping, n));
        if (unmapped.length > 0) {
          throw fitError(
            ctx.spec,
            `mapping has no value for ${unmapped.map(quote).join(', ')} of column '${col.name}' (seen in the training data)`,
          );
        }
      });
      return { op: step.op };
    }
    case 'rare_labels': {
      const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
      const kept: Record<string, string[]> = {};
      idx.forEach((i) => {
        const col = cols[i];
        const { names, counts } = observed(col, b);
        const dict = categorical(col);
        let total = 0;
        for (let c = 0; c < counts.length; c++) total += counts[c];
        let keep: string[];
        if (names.length <= step.n_categories) keep = names;
        else keep = dict.filter((_, c) => counts[c] > 0 && counts[c] / total >= step.tol);
        kept[col.name] = [...keep].sort(compareNames);
      });
      return { op: step.op, kept };
    }
    case 'ordinal_by_target': {
      const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
      if (ctx.target === null) {
        throw new PipelineError(`${ctx.spec}: ordinal_by_target needs the target: fitPipeline(spec, rows, target)`);
      }
      const target = ctx.target;
      const order: Record<string, string[]> = {};
      idx.forEach((i) => {
        const col = cols[i];
        const dict = categorical(col);
        const { means, counts } = targetMeans(b.cat[col.slot], dict.length, target);
        const codes = dict.map((_, c) => c).filter((c) => counts[c] > 0);
        if (codes.length === 0) throw fitError(ctx.spec, `column '${col.name}' has no values in the training data to encode`);
        codes.sort((a, c) => (means[a] < means[c] ? -1 : means[a] > means[c] ? 1 : compareNames(dict[a], dict[c])));
        order[col.name] = codes.map((c) => dict[c]);
      });
      return { op: step.op, order };
    }
    case 'ordinal_alphabetical':
    case 'one_hot': {
      const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
      const out: Record<string, string[]> = {};
      idx.forEach((i) => {
        const col = cols[i];
        const { names } = observed(col, b);
        if (names.length === 0) throw fitError(ctx.spec, `column '${col.name}' has no values in the training data to encode`);
        out[col.name] = [...names].sort(compareNames);
      });
      return step.op === 'one_hot' ? { op: step.op, categories: out } : { op: step.op, order: out };
    }
  }
}

function checkImputeParams(step: StepOf<'impute_categorical'> | StepOf<'impute_numeric'>, where: string): void {
  if (step.method === 'constant') {
    if (step.op === 'impute_numeric' && step.value === undefined) {
      throw new PipelineError(`${where}.value: method 'constant' needs a value`);
    }
  } else if (step.value !== undefined) {
    throw new PipelineError(`${where}.value: only method 'constant' takes a value (method is '${step.method}')`);
  }
}

function scaledColumns(step: StepOf<'min_max_scale'>, cols: readonly Col[], where: string): number[] {
  if (step.columns !== undefined) return resolve(cols, step.columns, where, step.op, 'numeric');
  const cat = cols.filter((c) => c.kind !== 'numeric').map((c) => c.name);
  if (cat.length > 0) {
    throw new PipelineError(
      `${where}: min_max_scale without columns scales every column, but ${cat.map((n) => `'${n}'`).join(', ')} ${cat.length > 1 ? 'are' : 'is'} categorical`,
    );
  }
  return cols.map((_, i) => i);
}

// ---------------------------------------------------------------------------------------------
// compile

export function compileStep(step: StepSpec, state: FittedStep, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  if (state.op !== step.op) {
    throw new PipelineError(`${ctx.state}.op: '${state.op}' does not match the spec's step '${step.op}'`);
  }
  switch (step.op) {
    case 'drop':
      return compileDrop(step, cols, ctx);
    case 'select':
      return compileSelect(step, cols, ctx);
    case 'rename':
      return compileRename(step, cols, ctx);
    case 'impute_categorical':
      return compileImputeCategorical(step, state as FittedStepOf<'impute_categorical'>, cols, ctx);
    case 'impute_numeric':
      return compileImputeNumeric(step, state as FittedStepOf<'impute_numeric'>, cols, ctx);
    case 'missing_indicator':
      return compileMissingIndicator(step, cols, ctx);
    case 'elapsed':
      return compileElapsed(step, cols, ctx);
    case 'log':
      return compileLog(step, cols, ctx);
    case 'binarize':
      return compileBinarize(step, cols, ctx);
    case 'min_max_scale':
      return compileMinMax(step, state as FittedStepOf<'min_max_scale'>, cols, ctx);
    case 'map':
      return compileMap(step, cols, ctx);
    case 'rare_labels':
      return compileRare(step, state as FittedStepOf<'rare_labels'>, cols, ctx);
    case 'ordinal_by_target':
    case 'ordinal_alphabetical':
      return compileOrdinal(step, state as FittedStepOf<'ordinal_by_target'> | FittedStepOf<'ordinal_alphabetical'>, cols, ctx);
    case 'one_hot':
      return compileOneHot(step, state as FittedStepOf<'one_hot'>, cols, ctx);
  }
}

const noTrace = (): void => {};

function compileDrop(step: StepOf<'drop'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = new Set(resolve(cols, step.columns, ctx.spec, step.op));
  return {
    out: cols.filter((_, i) => !idx.has(i)),
    run: null,
    trace: (t) => step.columns.forEach((c) => t.cols.delete(c)),
  };
}

function compileSelect(step: StepOf<'select'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op);
  const keep = new Set(step.columns);
  return {
    out: idx.map((i) => cols[i]),
    run: null,
    trace: (t) => {
      for (const name of [...t.cols.keys()]) if (!keep.has(name)) t.cols.delete(name);
    },
  };
}

function compileRename(step: StepOf<'rename'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const pairs = Object.entries(step.columns);
  const from = new Map<string, string>();
  for (const [a, to] of pairs) {
    find(cols, a, `${ctx.spec}.columns.${a}`, step.op);
    from.set(a, to);
  }
  const out = cols.map((c) => (from.has(c.name) ? { ...c, name: from.get(c.name) as string } : c));
  const seen = new Map<string, string>();
  for (let i = 0; i < out.length; i++) {
    const prev = seen.get(out[i].name);
    if (prev !== undefined) {
      throw new PipelineError(
        `${ctx.spec}.columns: renaming gives two columns the name '${out[i].name}' ('${prev}' and '${cols[i].name}')`,
      );
    }
    seen.set(out[i].name, cols[i].name);
  }
  return {
    out,
    run: null,
    trace: (t) => {
      const moved: [string, TraceValue][] = [];
      for (const [a, to] of pairs) {
        const v = t.cols.get(a);
        if (v !== undefined) {
          t.cols.delete(a);
          moved.push([to, v]);
        }
      }
      for (const [to, v] of moved) t.cols.set(to, v);
    },
  };
}

function compileImputeCategorical(
  step: StepOf<'impute_categorical'>,
  state: FittedStepOf<'impute_categorical'>,
  cols: readonly Col[],
  ctx: CompileContext,
): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
  checkImputeParams(step, ctx.spec);
  noExtra(state.values, step.columns, ctx.state, 'values');
  const out = [...cols];
  const plan = idx.map((i) => {
    const col = cols[i];
    const fill = entry(state.values, col.name, ctx.state, 'values');
    if (step.method === 'constant' && fill !== (step.value ?? DEFAULT_MISSING_LABEL)) {
      throw new PipelineError(`${ctx.state}.values.${col.name}: '${fill}' is not the spec's constant '${step.value ?? DEFAULT_MISSING_LABEL}'`);
    }
    const dict = categorical(col);
    let code = dict.indexOf(fill);
    let newDict = dict;
    if (code < 0) {
      code = dict.length;
      newDict = [...dict, fill];
    }
    out[i] = { ...col, dict: newDict };
    return { slot: col.slot, code, name: col.name };
  });
  return {
    out,
    run: (b) => {
      for (const p of plan) {
        const codes = b.cat[p.slot];
        for (let r = 0; r < b.rows; r++) if (codes[r] === MISSING_CODE) codes[r] = p.code;
      }
    },
    trace: (t) => {
      for (const p of plan) {
        const v = t.cols.get(p.name);
        if (v !== undefined && v.kind === 'cat' && v.code === MISSING_CODE) t.cols.set(p.name, { kind: 'cat', code: p.code });
      }
    },
  };
}

function compileImputeNumeric(
  step: StepOf<'impute_numeric'>,
  state: FittedStepOf<'impute_numeric'>,
  cols: readonly Col[],
  ctx: CompileContext,
): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op, 'numeric');
  checkImputeParams(step, ctx.spec);
  noExtra(state.values, step.columns, ctx.state, 'values');
  const plan = idx.map((i) => {
    const col = cols[i];
    const fill = entry(state.values, col.name, ctx.state, 'values');
    if (step.method === 'constant' && fill !== step.value) {
      throw new PipelineError(`${ctx.state}.values.${col.name}: ${num(fill)} is not the spec's constant ${num(step.value as number)}`);
    }
    return { slot: col.slot, fill, name: col.name };
  });
  return {
    out: [...cols],
    run: (b) => {
      for (const p of plan) {
        const d = b.num[p.slot];
        const fill = p.fill;
        for (let r = 0; r < b.rows; r++) if (d[r] !== d[r]) d[r] = fill;
      }
    },
    trace: (t) => {
      for (const p of plan) if (t.cols.has(p.name)) t.cols.set(p.name, { kind: 'num', nan: false });
    },
  };
}

function compileMissingIndicator(step: StepOf<'missing_indicator'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op);
  const suffix = step.suffix ?? DEFAULT_INDICATOR_SUFFIX;
  const out = [...cols];
  const names = new Set(cols.map((c) => c.name));
  const plan = idx.map((i, j) => {
    const col = cols[i];
    const name = `${col.name}${suffix}`;
    if (names.has(name)) throw new PipelineError(`${ctx.spec}.columns[${j}]: the indicator column '${name}' already exists`);
    names.add(name);
    const slot = ctx.slots.newNum();
    out.push({ name, kind: 'numeric', slot, sources: col.sources });
    return { src: col, slot, name };
  });
  return {
    out,
    run: (b) => {
      for (const p of plan) {
        const o = new Float64Array(b.rows);
        if (p.src.kind === 'numeric') {
          const d = b.num[p.src.slot];
          for (let r = 0; r < b.rows; r++) o[r] = d[r] !== d[r] ? 1 : 0;
        } else {
          const codes = b.cat[p.src.slot];
          for (let r = 0; r < b.rows; r++) o[r] = codes[r] === MISSING_CODE ? 1 : 0;
        }
        b.num[p.slot] = o;
      }
    },
    trace: (t) => {
      for (const p of plan) if (t.cols.has(p.src.name)) t.cols.set(p.name, { kind: 'num', nan: false });
    },
  };
}

function compileElapsed(step: StepOf<'elapsed'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op, 'numeric');
  const u = find(cols, step.until, `${ctx.spec}.until`, step.op);
  const until = cols[u];
  if (until.kind !== 'numeric') throw new PipelineError(`${ctx.spec}.until: elapsed needs a numeric column, '${until.name}' is categorical`);
  if (step.columns.includes(step.until)) {
    throw new PipelineError(`${ctx.spec}.until: '${step.until}' is also in columns (it would be subtracted from itself)`);
  }
  const out = [...cols];
  const plan = idx.map((i) => {
    const col = cols[i];
    const sources = [...col.sources, ...until.sources.filter((s) => !col.sources.includes(s))];
    out[i] = { ...col, sources };
    return { slot: col.slot, name: col.name };
  });
  return {
    out,
    run: (b) => {
      const ud = b.num[until.slot];
      for (const p of plan) {
        const d = b.num[p.slot];
        for (let r = 0; r < b.rows; r++) d[r] = ud[r] - d[r];
      }
    },
    trace: (t) => {
      const uv = t.cols.get(until.name);
      const uNaN = uv !== undefined && uv.kind === 'num' && uv.nan;
      for (const p of plan) {
        const v = t.cols.get(p.name);
        if (v === undefined && uv === undefined) continue;
        const nan = uNaN || (v !== undefined && v.kind === 'num' && v.nan);
        t.cols.set(p.name, { kind: 'num', nan });
      }
    },
  };
}

function compileLog(step: StepOf<'log'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op, 'numeric');
  const fields = ctx.fields;
  const plan = idx.map((i) => {
    const col = cols[i];
    const field = col.sources[0];
    const where = fields[field].name !== col.name ? ` (column '${col.name}')` : '';
    return { slot: col.slot, sources: col.sources, field, where };
  });
  return {
    out: [...cols],
    run: (b) => {
      for (const p of plan) {
        const d = b.num[p.slot];
        for (let r = 0; r < b.rows; r++) {
          const v = d[r];
          if (v > 0) d[r] = Math.log(v);
          else if (v === v) {
            if (!b.isBad(r, p.sources)) b.report(r, p.field, `log transform needs a value > 0, got ${num(v)}${p.where}`);
            d[r] = NaN;
          }
        }
      }
    },
    trace: noTrace,
  };
}

function compileBinarize(step: StepOf<'binarize'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op, 'numeric');
  const slots = idx.map((i) => cols[i].slot);
  const threshold = step.threshold;
  return {
    out: [...cols],
    run: (b) => {
      for (const s of slots) {
        const d = b.num[s];
        for (let r = 0; r < b.rows; r++) {
          const v = d[r];
          if (v === v) d[r] = v > threshold ? 1 : 0;
        }
      }
    },
    trace: noTrace,
  };
}

function compileMinMax(step: StepOf<'min_max_scale'>, state: FittedStepOf<'min_max_scale'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = scaledColumns(step, cols, ctx.spec);
  const names = idx.map((i) => cols[i].name);
  noExtra(state.min, names, ctx.state, 'min');
  noExtra(state.max, names, ctx.state, 'max');
  const plan = idx.map((i) => {
    const col = cols[i];
    const min = entry(state.min, col.name, ctx.state, 'min');
    const max = entry(state.max, col.name, ctx.state, 'max');
    if (!(min <= max)) throw new PipelineError(`${ctx.state}: column '${col.name}': min ${num(min)} is above max ${num(max)}`);
    return { slot: col.slot, min, range: max - min };
  });
  return {
    out: [...cols],
    run: (b) => {
      for (const p of plan) {
        const d = b.num[p.slot];
        const { min, range } = p;
        if (range === 0) {
          for (let r = 0; r < b.rows; r++) if (d[r] === d[r]) d[r] = 0;
        } else {
          for (let r = 0; r < b.rows; r++) d[r] = (d[r] - min) / range;
        }
      }
    },
    trace: noTrace,
  };
}

/** Shared runner for categorical -> numeric encoders with one output column. */
function encodeRunner(
  plan: readonly { col: Col; table: Float64Array; known: Uint8Array; outSlot: number }[],
): (b: Batch) => void {
  return (b) => {
    for (const p of plan) {
      const codes = b.cat[p.col.slot];
      const o = new Float64Array(b.rows);
      const { table, known } = p;
      const field = p.col.sources[0];
      for (let r = 0; r < b.rows; r++) {
        const c = codes[r];
        if (c >= 0 && known[c] === 1) o[r] = table[c];
        else {
          o[r] = NaN;
          if (c !== MISSING_CODE && !b.isBad(r, p.col.sources)) b.unseen(r, field, p.col.name);
        }
      }
      b.num[p.outSlot] = o;
    }
  };
}

function encodeTrace(plan: readonly { col: Col; known: Uint8Array }[]): (t: Trace) => void {
  return (t) => {
    for (const p of plan) {
      const v = t.cols.get(p.col.name);
      if (v === undefined || v.kind !== 'cat') continue;
      if (v.code === MISSING_CODE) t.cols.set(p.col.name, { kind: 'num', nan: true });
      else if (v.code >= 0 && p.known[v.code] === 1) t.cols.set(p.col.name, { kind: 'num', nan: false });
      else {
        t.violation = true;
        t.cols.delete(p.col.name);
      }
    }
  };
}

function compileMap(step: StepOf<'map'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
  const out = [...cols];
  const plan = idx.map((i) => {
    const col = cols[i];
    const dict = categorical(col);
    const table = new Float64Array(dict.length);
    const known = new Uint8Array(dict.length);
    dict.forEach((name, c) => {
      if (Object.hasOwn(step.mapping, name)) {
        table[c] = step.mapping[name];
        known[c] = 1;
      }
    });
    const outSlot = ctx.slots.newNum();
    out[i] = { name: col.name, kind: 'numeric', slot: outSlot, sources: col.sources };
    return { col, table, known, outSlot };
  });
  return { out, run: encodeRunner(plan), trace: encodeTrace(plan) };
}

function compileOrdinal(
  step: StepOf<'ordinal_by_target'> | StepOf<'ordinal_alphabetical'>,
  state: FittedStepOf<'ordinal_by_target'> | FittedStepOf<'ordinal_alphabetical'>,
  cols: readonly Col[],
  ctx: CompileContext,
): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
  noExtra(state.order, step.columns, ctx.state, 'order');
  const out = [...cols];
  const plan = idx.map((i) => {
    const col = cols[i];
    const order = entry(state.order, col.name, ctx.state, 'order');
    const where = `${ctx.state}.order.${col.name}`;
    if (order.length === 0) throw new PipelineError(`${where}: must have at least 1 category`);
    if (step.op === 'ordinal_alphabetical') {
      for (let k = 1; k < order.length; k++) {
        if (compareNames(order[k - 1], order[k]) >= 0) throw new PipelineError(`${where}: not in alphabetical order at [${k}] ('${order[k - 1]}', '${order[k]}')`);
      }
    }
    const pos = codeTable(categorical(col), order, where, col.name);
    const table = new Float64Array(pos.length);
    const known = new Uint8Array(pos.length);
    pos.forEach((k, c) => {
      if (k >= 0) {
        table[c] = k;
        known[c] = 1;
      }
    });
    const outSlot = ctx.slots.newNum();
    out[i] = { name: col.name, kind: 'numeric', slot: outSlot, sources: col.sources };
    return { col, table, known, outSlot };
  });
  return { out, run: encodeRunner(plan), trace: encodeTrace(plan) };
}

function compileRare(step: StepOf<'rare_labels'>, state: FittedStepOf<'rare_labels'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
  noExtra(state.kept, step.columns, ctx.state, 'kept');
  const label = step.label ?? DEFAULT_RARE_LABEL;
  const toLabel = (step.unseen ?? 'error') === 'rare';
  const out = [...cols];
  const plan = idx.map((i) => {
    const col = cols[i];
    const kept = entry(state.kept, col.name, ctx.state, 'kept');
    const where = `${ctx.state}.kept.${col.name}`;
    for (let k = 1; k < kept.length; k++) {
      if (compareNames(kept[k - 1], kept[k]) >= 0) throw new PipelineError(`${where}: not sorted at [${k}] ('${kept[k - 1]}', '${kept[k]}')`);
    }
    const newDict = kept.includes(label) ? [...kept] : [...kept, label];
    const labelCode = newDict.indexOf(label);
    const pos = codeTable(categorical(col), kept, where, col.name);
    const table = new Int32Array(pos.length);
    pos.forEach((k, c) => (table[c] = k >= 0 ? k : labelCode));
    out[i] = { ...col, dict: newDict };
    return { col, table, labelCode };
  });
  return {
    out,
    run: (b) => {
      for (const p of plan) {
        const codes = b.cat[p.col.slot];
        const { table, labelCode } = p;
        const field = p.col.sources[0];
        for (let r = 0; r < b.rows; r++) {
          const c = codes[r];
          if (c >= 0) codes[r] = table[c];
          else if (c === UNSEEN_CODE) {
            if (toLabel) codes[r] = labelCode;
            else {
              if (!b.isBad(r, p.col.sources)) b.unseen(r, field, p.col.name);
              codes[r] = MISSING_CODE;
            }
          }
        }
      }
    },
    trace: (t) => {
      for (const p of plan) {
        const v = t.cols.get(p.col.name);
        if (v === undefined || v.kind !== 'cat') continue;
        if (v.code >= 0) t.cols.set(p.col.name, { kind: 'cat', code: p.table[v.code] });
        else if (v.code === UNSEEN_CODE) {
          if (toLabel) {
            t.rare = true;
            t.cols.set(p.col.name, { kind: 'cat', code: p.labelCode });
          } else {
            t.violation = true;
            t.cols.delete(p.col.name);
          }
        }
      }
    },
  };
}

function compileOneHot(step: StepOf<'one_hot'>, state: FittedStepOf<'one_hot'>, cols: readonly Col[], ctx: CompileContext): CompiledStep {
  const idx = resolve(cols, step.columns, ctx.spec, step.op, 'categorical');
  noExtra(state.categories, step.columns, ctx.state, 'categories');
  // one output column per category, in place of the encoded column
  const replacements = new Map<number, Col[]>();
  const plan = idx.map((i) => {
    const col = cols[i];
    const cats = entry(state.categories, col.name, ctx.state, 'categories');
    const where = `${ctx.state}.categories.${col.name}`;
    if (cats.length === 0) throw new PipelineError(`${where}: must have at least 1 category`);
    for (let k = 1; k < cats.length; k++) {
      if (compareNames(cats[k - 1], cats[k]) >= 0) throw new PipelineError(`${where}: not sorted at [${k}] ('${cats[k - 1]}', '${cats[k]}')`);
    }
    const pos = codeTable(categorical(col), cats, where, col.name);
    const outCols: Col[] = cats.map((cat) => ({ name: `${col.name}_${cat}`, kind: 'numeric', slot: ctx.slots.newNum(), sources: col.sources }));
    replacements.set(i, outCols);
    return { col, pos, outSlots: outCols.map((c) => c.slot), outNames: outCols.map((c) => c.name) };
  });
  let out: Col[] = [];
  cols.forEach((c, i) => out.push(...(replacements.get(i) ?? [c])));
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c.name)) throw new PipelineError(`${ctx.spec}: one_hot makes a column '${c.name}' that already exists`);
    seen.add(c.name);
  }
  out = [...out];
  return {
    out,
    run: (b) => {
      for (const p of plan) {
        const codes = b.cat[p.col.slot];
        const outs = p.outSlots.map(() => new Float64Array(b.rows));
        const field = p.col.sources[0];
        for (let r = 0; r < b.rows; r++) {
          const c = codes[r];
          const k = c >= 0 ? p.pos[c] : -1;
          if (k >= 0) outs[k][r] = 1;
          else {
            for (let j = 0; j < outs.length; j++) outs[j][r] = NaN;
            if (c !== MISSING_CODE && !b.isBad(r, p.col.sources)) b.unseen(r, field, p.col.name);
          }
        }
        p.outSlots.forEach((s, j) => (b.num[s] = outs[j]));
      }
    },
    trace: (t) => {
      for (const p of plan) {
        const v = t.cols.get(p.col.name);
        if (v === undefined || v.kind !== 'cat') continue;
        t.cols.delete(p.col.name);
        const k = v.code >= 0 ? p.pos[v.code] : -1;
        if (k < 0 && v.code !== MISSING_CODE) {
          t.violation = true;
          continue;
        }
        for (const name of p.outNames) t.cols.set(name, { kind: 'num', nan: k < 0 });
      }
    },
  };
}
