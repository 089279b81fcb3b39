/**
 * Tabular text -> the model's feature matrix.
 *
 * Maps a header of column names to the model's features (by name when the model stores names,
 * else by position), reads missing tokens, and turns category names into the codes the model was
 * trained with. Used by `grove score` and by anything else that feeds CSV-like rows to a model.
 */
import type { FeatureInfo, ModelIR } from './ir.js';

/** Cells read as missing (case-sensitive, as pandas' default NA tokens for these spellings). */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']);

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF_RE = /^([+-]?)(?:inf|infinity)$/i;

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly row: number | null,
    readonly column: string | null,
    readonly reason: string,
  ) {
    super(`${row !== null ? `row ${row}` : 'input'}${column !== null ? `, column ${column}` : ''}: ${reason}`);
  }
}

/** Parses a number strictly (no hex, no empty string); returns undefined when the text is not one. */
export function parseNumber(text: string): number | undefined {
  const s = text.trim();
  if (NUMBER_RE.test(s)) return Number(s);
  const inf = INF_RE.exec(s);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

function parseBoolean(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  return s === 'true' ? 1 : s === 'false' ? 0 : undefined;
}

/** How a categorical feature with stored names turns a value into a code. */
export interface CategoryLookup {
  byName: Map<string, number>;
  byNumber: Map<number, number>;
  byBoolean: Map<number, number>;
  /** Code used for a name the model never saw. */
  unseen: number;
}

export function buildLookup(model: ModelIR, info: FeatureInfo): CategoryLookup | null {
  if (info.type !== 'categorical' || info.categories === null) return null;
  const byName = new Map<string, number>();
  const byNumber = new Map<number, number>();
  const byBoolean = new Map<number, number>();
  info.categories.forEach((name, code) => {
    if (!byName.has(name)) byName.set(name, code);
    const num = parseNumber(name);
    if (num !== undefined && !byNumber.has(num)) byNumber.set(num, code);
    const b = parseBoolean(name);
    if (b !== undefined && !byBoolean.has(b)) byBoolean.set(b, code);
  });
  // LightGBM (pandas) turns unseen categories into NaN; XGBoost sees a code outside every split's set.
  const unseen = model.format === 'lightgbm' ? NaN : info.categories.length;
  return { byName, byNumber, byBoolean, unseen };
}

/** Code of a category given by name (text), number or boolean; the model's unseen code otherwise. */
export function categoryCode(lookup: CategoryLookup, value: string | number | boolean): number {
  if (typeof value === 'number') return lookup.byNumber.get(value) ?? lookup.unseen;
  if (typeof value === 'boolean') return lookup.byBoolean.get(value ? 1 : 0) ?? lookup.unseen;
  const byName = lookup.byName.get(value);
  if (byName !== undefined) return byName;
  const num = parseNumber(value);
  if (num !== undefined) return lookup.byNumber.get(num) ?? lookup.unseen;
  const b = parseBoolean(value);
  if (b !== undefined) return lookup.byBoolean.get(b) ?? lookup.unseen;
  return lookup.unseen;
}

/** Reads one cell for feature `info`; throws InputError for text that is not a value of it. */
function readCell(cell: string, info: FeatureInfo, lookup: CategoryLookup | null, row: number): number {
  if (MISSING_TOKENS.has(cell.trim())) return NaN;
  if (lookup) return categoryCode(lookup, cell);
  const num = parseNumber(cell);
  if (num !== undefined) return num;
  if (info.type === 'categorical') {
    const b = parseBoolean(cell);
    if (b !== undefined) return b;
    throw new InputError(row, info.name, `'${cell}' is not a category code (the model stores no category names)`);
  }
  throw new InputError(row, info.name, `'${cell}' is not a number`);
}

/** Column index in `header` of each model feature; throws naming the first missing column. */
export function mapColumns(model: ModelIR, header: readonly string[]): Int32Array {
  const map = new Int32Array(model.numFeatures);
  if (model.hasFeatureNames) {
    const index = new Map<string, number>();
    header.forEach((h, i) => {
      const name = h.trim();
      if (!index.has(name)) index.set(name, i);
    });
    const missing: string[] = [];
    model.features.forEach((f, j) => {
      const i = index.get(f.name);
      if (i === undefined) missing.push(f.name);
      else map[j] = i;
    });
    if (missing.length > 0) {
      throw new InputError(null, null, `missing required column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
    }
  } else {
    if (header.length < model.numFeatures) {
      throw new InputError(null, null, `the model has ${model.numFeatures} features (matched by position), input has ${header.length} columns`);
    }
    for (let j = 0; j < model.numFeatures; j++) map[j] = j;
  }
  return map;
}

/**
 * Encodes rows of text cells (already split) into a row-major Float64Array in model feature order.
 * `firstRow` numbers rows in error messages (1 = first data row).
 */
export function encodeRows(
  model: ModelIR,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  firstRow = 1,
): Float64Array {
  const columns = mapColumns(model, header);
  const lookups = model.features.map((f) => buildLookup(model, f));
  const nf = model.numFeatures;
  const x = new Float64Array(rows.length * nf);
  for (let r = 0; r < rows.length; r++) {
    const cells = rows[r];
    for (let j = 0; j < nf; j++) {
      const cell = cells[columns[j]] ?? '';
      x[r * nf + j] = readCell(cell, model.features[j], lookups[j], firstRow + r);
    }
  }
  return x;
}
