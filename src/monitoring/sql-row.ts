/** The grove_predictions row as both sinks read it, and its one mapping to a ReadRow. */
import type { ReadRow, Role } from './prediction-log.js';

/** A row of grove_predictions as both sinks select it (column names as in the schema). */
export interface SqlRow {
  id: number;
  request_id: string;
  row_index: number;
  model: string;
  version: number;
  role: string;
  ts: number;
  input: string | null;
  input_hash: string | null;
  outputs: string;
  latency_us: number | null;
  error: string | null;
}

/** Column names -> ReadRow (shared by the SQLite and PostgreSQL readers). */
export function readRowFromSql(r: SqlRow): ReadRow {
  return {
    id: r.id,
    requestId: r.request_id,
    row: r.row_index,
    model: r.model,
    version: r.version,
    role: r.role as Role,
    ts: r.ts,
    inputJson: r.input,
    inputHash: r.input_hash,
    outputsJson: r.outputs,
    latencyUs: r.latency_us,
    error: r.error,
  };
}
