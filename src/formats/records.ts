/**
 * Named raw records -> the model's feature matrix, collecting every violation instead of
 * stopping at the first, so a caller learns about all bad rows and fields in one answer.
 *
 * Used for versions without a feature pipeline: fields are matched to the model's features by
 * name; unknown fields are ignored (like extra CSV columns); an absent or null field is missing.
 */
import { buildLookup, categoryCode, MISSING_TOKENS, type CategoryLookup } from './encode.js';
import type { ModelIR } from './ir.js';
import type { FieldViolation } from '../errors.js';

export type RawValue = number | string | boolean | null;
export type RawRecord = Readonly<Record<string, RawValue | undefined>>;

export interface EncodedBatch {
  x: Float64Array;
  rows: number;
  violations: FieldViolation[];
  /** Rows with at least one violation (their matrix rows are NaN). */
  invalidRows: Set<number>;
}

const lookupCache = new WeakMap<ModelIR, (CategoryLookup | null)[]>();

function lookupsOf(model: ModelIR): (CategoryLookup | null)[] {
  let l = lookupCache.get(model);
  if (!l) {
    l = model.features.map((f) => buildLookup(model, f));
    lookupCache.set(model, l);
  }
  return l;
}

/** One field's value as the model's number, or a reason it cannot be one. */
function encodeValue(
  value: RawValue | undefined,
  type: 'numeric' | 'categorical',
  lookup: CategoryLookup | null,
): number | string {
  if (value === undefined || value === null) return NaN;
  if (typeof value === 'string' && MISSING_TOKENS.has(value.trim())) return NaN;
  if (lookup) return categoryCode(lookup, value);
  if (typeof value === 'number') {
    if (type === 'categorical' && Number.isFinite(value) && !Number.isInteger(value)) {
      return `category code must be an integer, got ${value}`;
    }
    return value;
  }
  if (typeof value === 'boolean') {
    return type === 'categorical' ? (value ? 1 : 0) : 'expected a number, got a boolean';
  }
  return type === 'categorical'
    ? `expected a category code, got text '${value}' (the model stores no category names)`
    : `expected a number, got text '${value}'`;
}

export function recordsToMatrix(model: ModelIR, records: readonly RawRecord[]): EncodedBatch {
  const nf = model.numFeatures;
  const lookups = lookupsOf(model);
  const x = new Float64Array(records.length * nf);
  const violations: FieldViolation[] = [];
  const invalidRows = new Set<number>();
  for (let r = 0; r < records.length; r++) {
    const rec = records[r];
    for (let j = 0; j < nf; j++) {
      const f = model.features[j];
      const v = encodeValue(rec[f.name], f.type, lookups[j]);
      if (typeof v === 'string') {
        violations.push({ row: r, field: f.name, reason: v });
        invalidRows.add(r);
      } else {
        x[r * nf + j] = v;
      }
    }
  }
  for (const r of invalidRows) x.fill(NaN, r * nf, (r + 1) * nf);
  return { x, rows: records.length, violations, invalidRows };
}
