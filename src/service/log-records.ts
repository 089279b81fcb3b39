/** Prediction-log rows from a scored request: one record per row, in the log's shape. */
import type { InputValue, PredictionRecord, Role } from '../monitoring/prediction-log.js';
import type { FieldViolation } from '../errors.js';
import type { ShadowInput } from '../routing/shadow.js';

/** The raw input of each row as a record (dense rows keyed f0..fN-1 in model feature order). */
export function logInputs(input: ShadowInput, rows: number, featureNames?: readonly string[]): (Record<string, InputValue> | null)[] {
  if (input.kind === 'records') {
    return input.records.map((r) => {
      const out: Record<string, InputValue> = {};
      for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
      return out;
    });
  }
  const out: (Record<string, InputValue> | null)[] = [];
  for (let row = 0; row < rows; row++) {
    const rec: Record<string, InputValue> = {};
    for (let j = 0; j < input.cols; j++) {
      const v = input.values[row * input.cols + j];
      rec[featureNames?.[j] ?? `f${j}`] = Number.isNaN(v) ? null : v;
    }
    out.push(rec);
  }
  return out;
}

export function predictionRecords(args: {
  requestId: string;
  model: string;
  version: number;
  role: Exclude<Role, 'shadow'>;
  input: ShadowInput;
  rows: number;
  values: Float64Array;
  width: number;
  errors: readonly FieldViolation[];
  latencyUs: number;
  featureNames: readonly string[];
}): PredictionRecord[] {
  const errs = new Map<number, string>();
  for (const v of args.errors) {
    const r = v.row ?? 0;
    errs.set(r, (errs.has(r) ? errs.get(r)! + '; ' : '') + `${v.field}: ${v.reason}`);
  }
  const inputs = logInputs(args.input, args.rows, args.featureNames);
  const now = Date.now();
  const out: PredictionRecord[] = [];
  for (let row = 0; row < args.rows; row++) {
    const err = errs.get(row) ?? null;
    out.push({
      requestId: args.requestId,
      row,
      model: args.model,
      version: args.version,
      role: args.role,
      timestamp: now,
      input: inputs[row],
      inputHash: null,
      outputs: err ? [] : Array.from(args.values.subarray(row * args.width, (row + 1) * args.width)),
      latencyUs: args.latencyUs,
      error: err,
    });
  }
  return out;
}
